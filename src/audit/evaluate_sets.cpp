// SPDX-License-Identifier: GPL-2.0-or-later
// Set membership over a snapshot, and the small parsers of a packet
// description.
//
// find_element() matches a key the way the kernel's set backends do:
// hash sets by exact key; rbtree interval sets by the greatest element
// not above the key (a start matches, an interval-end element closes the
// interval before it); pipapo concatenations by a range per field, each
// field padded to 4 bytes as in the registers. The catch-all element
// matches only when nothing else does.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>

#include "icmpwall/audit/evaluate.h"

namespace icmpwall::audit {
namespace {

bool is_catchall(const SetElement& e) {
  return e.flags & NFT_SET_ELEM_CATCHALL;
}

int compare(const uint8_t* a, const uint8_t* b, size_t n) {
  return std::memcmp(a, b, n);
}

// key in [from, to] for every field (fields: lengths; empty: one field).
bool in_ranges(const Set& set, const Bytes& key, const SetElement& e) {
  std::vector<size_t> fields(set.concat.begin(), set.concat.end());
  if (fields.empty()) fields.push_back(key.size());
  size_t off = 0;
  for (size_t len : fields) {
    if (off + len > key.size() || off + len > e.key.size() || off + len > e.key_end.size())
      return false;
    if (compare(key.data() + off, e.key.data() + off, len) < 0) return false;
    if (compare(key.data() + off, e.key_end.data() + off, len) > 0) return false;
    off += (len + 3) / 4 * 4;
  }
  return true;
}

}  // namespace

const SetElement* find_element(const Set& set, const Bytes& key) {
  const SetElement* catchall = nullptr;
  bool ranged = false;
  for (const auto& e : set.elements) {
    if (is_catchall(e))
      catchall = &e;
    else if (!e.key_end.empty())
      ranged = true;
  }
  if (ranged) {
    for (const auto& e : set.elements)
      if (!is_catchall(e) && !e.key_end.empty() && in_ranges(set, key, e)) return &e;
    return catchall;
  }
  if (set.is_interval()) {
    const SetElement* best = nullptr;
    for (const auto& e : set.elements) {
      if (is_catchall(e) || e.key.size() != key.size()) continue;
      if (compare(e.key.data(), key.data(), key.size()) > 0) continue;
      if (!best) {
        best = &e;
        continue;
      }
      int c = compare(e.key.data(), best->key.data(), key.size());
      // at an equal key an end element closes an interval and a start
      // opens the next one: the start wins
      if (c > 0 || (c == 0 && best->interval_end() && !e.interval_end())) best = &e;
    }
    if (best && !best->interval_end()) return best;
    return catchall;
  }
  for (const auto& e : set.elements)
    if (!is_catchall(e) && e.key == key) return &e;
  return catchall;
}

Result<policy::Family> parse_family(const std::string& s) {
  using policy::Family;
  if (s == policy::to_string(Family::ipv4) || s == "ip" || s == "4") return Family::ipv4;
  if (s == policy::to_string(Family::ipv6) || s == "ip6" || s == "6") return Family::ipv6;
  return Error{fmt::format("unknown family '{}' ({}, {})", s, policy::to_string(Family::ipv4),
                           policy::to_string(Family::ipv6)),
               EINVAL};
}

Result<policy::Hook> parse_hook(const std::string& s) {
  using policy::Hook;
  constexpr Hook kHooks[] = {Hook::input, Hook::forward, Hook::output};
  for (Hook h : kHooks)
    if (s == policy::to_string(h)) return h;
  return Error{fmt::format("unknown hook '{}' ({}, {}, {})", s, policy::to_string(kHooks[0]),
                           policy::to_string(kHooks[1]), policy::to_string(kHooks[2])),
               EINVAL};
}

Result<Bytes> parse_address(policy::Family f, const std::string& s) {
  Bytes out(f == policy::Family::ipv4 ? 4 : 16);
  int af = f == policy::Family::ipv4 ? AF_INET : AF_INET6;
  if (inet_pton(af, s.c_str(), out.data()) != 1)
    return Error{"'" + s + "' is not an " + std::string(policy::to_string(f)) + " address", EINVAL};
  return out;
}

namespace {
const std::pair<uint32_t, const char*> kCtStates[] = {
    {8, "new"}, {2, "established"}, {4, "related"}, {1, "invalid"}, {64, "untracked"}};
}

std::string ct_state_names(uint32_t states) {
  std::string out;
  for (auto [bit, name] : kCtStates)
    if (states & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out.empty() ? fmt::format("0x{:x}", states) : out;
}

uint32_t ct_state_bit(const std::string& name) {
  for (auto [bit, n] : kCtStates)
    if (name == n) return bit;
  return 0;
}

}  // namespace icmpwall::audit
