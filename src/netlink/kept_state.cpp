// SPDX-License-Identifier: GPL-2.0-or-later
// Which of the live table's state goes into the next table (kept_state.h).
//
// A carried set's elements are listed by the kernel one by one; an
// interval set lists each range as its start element and, unless the
// range reaches the top of the key space, an interval-end element at the
// first key past it. Sorted by key (an end before a start at the same
// key: adjacent ranges), each start is paired with the end that follows
// it, which is the shape TimedElement describes; an end without a start
// (the leading end at 0 nft writes) is left out.
#include "icmpwall/netlink/kept_state.h"

#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>

#include "icmpwall/netlink/encode.h"

namespace icmpwall::netlink {
namespace {

// The flags that say what a set holds; a change in any of them changes
// what its elements mean.
constexpr uint32_t kShapeFlags =
    NFT_SET_INTERVAL | NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL | NFT_SET_CONCAT;

bool is_end(const LiveElement& e) {
  return e.flags & NFT_SET_ELEM_INTERVAL_END;
}

// Why the live set's elements cannot go into `next`, or empty if they can.
std::string mismatch(const LiveSet& live, const nft::Table& next) {
  auto it = std::find_if(next.sets.begin(), next.sets.end(),
                         [&](const nft::Set& s) { return s.name == live.name; });
  if (it == next.sets.end()) return "not in the new table";
  auto set = encode_set(next.name, *it, 0);
  if (nftnl_set_get_u32(set.get(), NFTNL_SET_KEY_TYPE) != live.key_type ||
      nftnl_set_get_u32(set.get(), NFTNL_SET_KEY_LEN) != live.key_len)
    return "its key type changed";
  if ((nftnl_set_get_u32(set.get(), NFTNL_SET_FLAGS) ^ live.flags) & kShapeFlags)
    return "its flags changed";
  return {};
}

// The live elements as ranges with the time each has left; expired ones
// (and malformed keys) are left out.
std::vector<TimedElement> timed_elements(const LiveSet& live) {
  std::vector<const LiveElement*> sorted;
  for (const auto& e : live.elements)
    if (e.key.size() == live.key_len) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->key != b->key ? a->key < b->key : is_end(*a) > is_end(*b);
  });
  std::vector<TimedElement> out;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const LiveElement& e = *sorted[i];
    if (is_end(e)) continue;
    const uint64_t timeout = e.timeout_ms.value_or(live.timeout_ms);
    TimedElement t;
    t.key = e.key;
    if (timeout > 0) {
      const uint64_t left = e.expiration_ms.value_or(0);
      if (left == 0) continue;  // expired
      t.timeout = std::chrono::milliseconds(timeout);
      t.expiration = std::chrono::milliseconds(std::min(left, timeout));
    }
    if (live.flags & NFT_SET_INTERVAL && i + 1 < sorted.size() && is_end(*sorted[i + 1]))
      t.key_end = sorted[i + 1]->key;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

bool carries_elements(uint32_t set_flags) {
  return (set_flags & NFT_SET_TIMEOUT) && !(set_flags & NFT_SET_EVAL);
}

size_t KeptState::element_count() const {
  size_t n = 0;
  for (const auto& [name, elems] : elements) n += elems.size();
  return n;
}

KeptState plan_kept_state(const LiveState& live, const nft::Table& next) {
  KeptState kept;
  for (const auto& o : next.objects) {
    if (o.kind != nft::ObjectKind::counter) continue;
    if (auto it = live.counters.find(o.name); it != live.counters.end())
      kept.counters.emplace(o.name, it->second);
  }
  for (const auto& s : live.sets) {
    if (!carries_elements(s.flags)) continue;
    auto elements = timed_elements(s);
    if (elements.empty()) continue;
    if (auto why = mismatch(s, next); !why.empty()) {
      kept.dropped.push_back(
          fmt::format("set {}: {}, {} element(s) not kept", s.name, why, elements.size()));
      continue;
    }
    kept.elements.emplace(s.name, std::move(elements));
  }
  return kept;
}

}  // namespace icmpwall::netlink
