// SPDX-License-Identifier: GPL-2.0-or-later
// Set elements, named objects, set declarations and base chain hooks in
// nft syntax (nft_text.h). Rules are nft_text.cpp.
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <utility>

#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/nft_text.h"
#include "icmpwall/netlink/nft_datatype.h"
#include "icmpwall/util/nf_hook_names.h"
#include "nft_values.h"

namespace icmpwall::audit {
namespace {

using nft_values::Kind;
using nft_values::value_text;

// The datatype ids of a set's key fields, first field first.
std::vector<uint32_t> key_types(const Set& s) {
  const size_t n = s.concat.empty() ? 1 : s.concat.size();
  std::vector<uint32_t> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = (s.key_type >> (nft_datatype::kConcatBits * (n - 1 - i))) &
             ((1u << nft_datatype::kConcatBits) - 1);
  if (n == 1) out[0] = s.key_type;
  return out;
}

// A range prints its ends as numbers (nft's numeric output for ranges),
// addresses stay addresses.
Kind range_kind(Kind k) {
  return k == Kind::addr4 || k == Kind::addr6 || k == Kind::ifname ? k : Kind::be_int;
}

std::string key_text(const Set& s, const SetElement& e) {
  if (e.flags & NFT_SET_ELEM_CATCHALL) return "*";
  const auto types = key_types(s);
  if (s.concat.empty()) return value_text(nft_values::kind_of_type(types[0]), e.key);
  std::string out;
  size_t at = 0;
  for (size_t i = 0; i < s.concat.size(); ++i) {
    const size_t len = s.concat[i];
    if (at + len > e.key.size()) return "0x" + hex(e.key);
    const Kind kind = nft_values::kind_of_type(types[i]);
    Bytes from(e.key.begin() + at, e.key.begin() + at + len);
    std::string field = value_text(kind, from);
    if (e.key_end.size() >= at + len) {
      Bytes to(e.key_end.begin() + at, e.key_end.begin() + at + len);
      if (to != from)
        field = value_text(range_kind(kind), from) + "-" + value_text(range_kind(kind), to);
    }
    out += (out.empty() ? "" : " . ") + field;
    at += (len + 3) / 4 * 4;
  }
  return out;
}

std::string type_text(const std::vector<uint32_t>& types) {
  std::string out;
  for (uint32_t t : types) {
    const char* name = nft_values::type_name(t);
    out += (out.empty() ? "" : " . ") + (name ? std::string(name) : fmt::format("type {}", t));
  }
  return out;
}

// Standard priorities of the ip, ip6 and inet families (nft's std_prios).
std::string priority_text(int32_t p) {
  constexpr std::pair<int32_t, const char*> kNames[] = {{-300, "raw"},    {-150, "mangle"},
                                                        {-100, "dstnat"}, {0, "filter"},
                                                        {50, "security"}, {100, "srcnat"}};
  for (const auto& [value, name] : kNames)
    if (value == p) return name;
  return std::to_string(p);
}

}  // namespace

std::string nft_text(const Set& s, const SetElement& e) {
  std::string out = key_text(s, e);
  if (e.interval_end()) out += " (interval end)";
  if (e.verdict) return out + " : " + describe(*e.verdict);
  if (!e.objref.empty()) return out + " : \"" + e.objref + "\"";
  if (!e.data.empty())
    return out + " : " + value_text(nft_values::kind_of_type(s.data_type.value_or(0)), e.data);
  return out;
}

std::string nft_text(const Object& o) {
  auto value = [&](const char* key) { return o.value(key).value_or(0); };
  switch (o.type) {
    case NFT_OBJECT_COUNTER: return "counter";  // its values move with traffic
    case NFT_OBJECT_LIMIT: {
      auto s = nft_values::limit_text(
          value("rate"), value("unit"), static_cast<uint32_t>(value("burst")),
          static_cast<uint32_t>(value("type")), static_cast<uint32_t>(value("flags")));
      if (s) return *s;
      break;
    }
    case NFT_OBJECT_QUOTA:
      return fmt::format("quota {}{}", (value("flags") & NFT_QUOTA_F_INV) ? "over " : "",
                         nft_values::byte_text(value("bytes")));
    default: break;
  }
  std::string raw = o.type_name;
  for (const auto& [key, v] : o.values) raw += fmt::format(" {} {}", key, v);
  return std::string(kUnrendered) + raw;
}

std::string nft_text(const Set& s) {
  std::string out = "type " + type_text(key_types(s));
  if (s.data_type == NFT_DATA_VERDICT)
    out += " : verdict";
  else if (s.data_type)
    out += " : " + type_text({*s.data_type});
  std::string flags;
  constexpr std::pair<uint32_t, const char*> kFlags[] = {{NFT_SET_CONSTANT, "constant"},
                                                         {NFT_SET_EVAL, "dynamic"},
                                                         {NFT_SET_INTERVAL, "interval"},
                                                         {NFT_SET_TIMEOUT, "timeout"}};
  for (const auto& [bit, name] : kFlags)
    if (s.flags & bit) flags += (flags.empty() ? "" : ",") + std::string(name);
  if (!flags.empty()) out += "; flags " + flags;
  if (s.timeout) out += "; timeout " + nft_values::time_text(*s.timeout);
  return out;
}

std::string nft_text(const Chain& c) {
  if (!c.hook) return "regular chain";
  const auto& h = *c.hook;
  const char* hook = nf_hook_name(h.hooknum);
  std::string out = fmt::format("type {} hook {} priority {};", h.type,
                                hook ? hook : std::to_string(h.hooknum), priority_text(h.priority));
  for (const auto& d : h.devices) out += fmt::format(" device \"{}\";", d);
  out += fmt::format(" policy {};", h.policy == NF_DROP ? "drop" : "accept");
  return out;
}

}  // namespace icmpwall::audit
