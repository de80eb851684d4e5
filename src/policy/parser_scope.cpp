// SPDX-License-Identifier: GPL-2.0-or-later
// The policy parser (parser_internal.h): where a rule applies (hooks,
// iif/oif, source/destination prefixes, destination-type, hop-limit), and
// address prefixes wherever a policy writes them.
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstring>

#include "icmpwall/util/address.h"
#include "parser_internal.h"
#include "shown.h"

namespace icmpwall::policy {
namespace {

const Keys kAddrTypes = {"unicast", "local", "broadcast", "anycast", "multicast"};

U128 prefix_range_of(const Prefix& p, size_t addr_len) {
  return prefix_range(p.addr.data(), addr_len, p.len).first;
}

// Drops from list[first..] each prefix equal to an earlier one there,
// keeping the order. A list may hold 100 000 prefixes: one open-addressing
// table of indices (Fibonacci hashing), no allocation per prefix.
void drop_repeats(std::vector<Prefix>& list, size_t first) {
  const size_t count = list.size() - first;
  if (count < 2) return;
  const int bits = std::bit_width(2 * count - 1);  // at most half full
  std::vector<uint32_t> slots(size_t{1} << bits);  // index + 1 of a kept prefix; 0: free
  auto slot_of = [&](const Prefix& p) {
    uint64_t high, low;
    std::memcpy(&high, p.addr.data(), 8);
    std::memcpy(&low, p.addr.data() + 8, 8);
    const uint64_t x = high ^ std::rotl(low, 32) ^ (uint64_t{p.len} << 8 | uint8_t(p.family));
    return static_cast<size_t>((x * 0x9e3779b97f4a7c15) >> (64 - bits));
  };
  const size_t mask = slots.size() - 1;
  size_t out = first;
  for (size_t i = first; i < list.size(); ++i) {
    size_t s = slot_of(list[i]);
    while (slots[s] != 0 && !(list[slots[s] - 1] == list[i])) s = (s + 1) & mask;
    if (slots[s] != 0) continue;  // a repeat
    if (out != i) list[out] = std::move(list[i]);
    slots[s] = static_cast<uint32_t>(out + 1);
    ++out;
  }
  list.resize(out);
}

}  // namespace

// A rule's `hooks`: each one declared by the policy, sorted, once.
bool Parser::parse_rule_hooks(const toml::node& n, Scope& s, const Policy& policy) {
  bool ok = true;
  if (const auto* arr = n.as_array()) {
    if (arr->empty()) {
      error(at(n), "'hooks' must not be empty",
            "remove 'hooks' to apply the rule on every declared hook");
      ok = false;
    }
    for (const auto& e : *arr) {
      const auto* str = e.as_string();
      if (!str) {
        error(at(e), fmt::format("a 'hooks' entry must be a string, not {}", node_kind(e)));
        ok = false;
        continue;
      }
      std::string_view name = str->get();
      auto it = std::find(kHookNames.begin(), kHookNames.end(), name);
      if (it == kHookNames.end()) {
        error(at(e), fmt::format("unknown hook '{}'", shown(name)),
              suggest(name, kHookNames, "the hooks are input, forward and output"));
        ok = false;
        continue;
      }
      Hook h = static_cast<Hook>(it - kHookNames.begin());
      if (!policy.hook(h)) {
        std::string declared;
        for (const auto& hp : policy.hooks)
          declared += (declared.empty() ? "" : ", ") + std::string(to_string(hp.hook));
        error(at(e), fmt::format("hook '{}' is not declared", name),
              fmt::format("add a [hooks.{}] table, or remove '{}' here (declared: {})", name, name,
                          declared));
        ok = false;
        continue;
      }
      if (std::find(s.hooks.begin(), s.hooks.end(), h) == s.hooks.end()) s.hooks.push_back(h);
    }
    std::sort(s.hooks.begin(), s.hooks.end());
  } else {
    wrong_kind(n, "hooks", "an array",
               n.is_string() ? fmt::format(R"(write hooks = ["{}"])", shown(n.as_string()->get()))
                             : R"(e.g. hooks = ["input", "forward"])");
    ok = false;
  }
  return ok;
}

bool Parser::parse_scope(const toml::table& tbl, Rule& rule, const Policy& policy) {
  bool ok = true;
  Scope& s = rule.scope;

  if (const auto* n = tbl.get("hooks")) ok &= parse_rule_hooks(*n, s, policy);
  // The hooks the rule applies to, for the iif/oif checks.
  std::vector<Hook> effective = s.hooks;
  if (effective.empty())
    for (const auto& hp : policy.hooks) effective.push_back(hp.hook);
  auto applies = [&](Hook h) {
    return std::find(effective.begin(), effective.end(), h) != effective.end();
  };

  auto interfaces = [&](const char* key, std::vector<std::string>& list, SourceLoc& where,
                        Hook meaningless) {
    const auto* n = tbl.get(key);
    if (!n) return;
    where = at(*n);
    for_each_string(*n, key, [&](std::string_view name, SourceLoc loc) {
      bool valid = !name.empty() && name.size() < 16 && name != "." && name != ".." &&
                   std::none_of(name.begin(), name.end(), [](char c) {
                     return c == '/' || c == ':' || c == '*' || c == '"' || c == '\\' ||
                            std::isspace(static_cast<unsigned char>(c)) ||
                            static_cast<unsigned char>(c) < 0x20;
                   });
      if (!valid) {
        error(loc, fmt::format("'{}' is not a valid interface name", shown(name)),
              "interface names are 1 to 15 characters without '/', ':', '*', quotes or whitespace "
              "(wildcards are not supported)");
        ok = false;
      } else if (std::find(list.begin(), list.end(), name) == list.end()) {
        list.emplace_back(name);
      }
    });
    if (!list.empty() && applies(meaningless)) {
      std::string others;
      for (auto h : effective)
        if (h != meaningless)
          others += (others.empty() ? "\"" : ", \"") + std::string(to_string(h)) + "\"";
      error(at(*n), fmt::format("'{}' is meaningless on the {} hook", key, to_string(meaningless)),
            s.hooks.empty()
                ? (others.empty()
                       ? fmt::format("the policy filters only {}; remove '{}'",
                                     to_string(meaningless), key)
                       : fmt::format("the rule applies to every declared hook; add hooks = [{}]",
                                     others))
                : fmt::format("remove \"{}\" from hooks, or remove '{}'", to_string(meaningless),
                              key));
      ok = false;
    }
  };
  interfaces("iif", s.iif, s.iif_loc, Hook::output);
  interfaces("oif", s.oif, s.oif_loc, Hook::input);

  auto prefixes = [&](const char* key, std::vector<Prefix>& list, SourceLoc& where) {
    const auto* n = tbl.get(key);
    if (!n) return;
    where = at(*n);
    const size_t first = list.size();
    if (const auto* arr = n->as_array()) list.reserve(first + arr->size());
    for_each_string(*n, key, [&](std::string_view text, SourceLoc loc) {
      if (auto p = parse_prefix(text, loc))
        list.push_back(std::move(*p));
      else
        ok = false;
    });
    drop_repeats(list, first);
  };
  prefixes("source", s.source, s.source_loc);
  prefixes("destination", s.destination, s.destination_loc);

  if (const auto* n = tbl.get("destination-type")) {
    s.destination_type_loc = at(*n);
    for_each_string(*n, "destination-type", [&](std::string_view name, SourceLoc loc) {
      auto it = std::find(kAddrTypes.begin(), kAddrTypes.end(), name);
      if (it == kAddrTypes.end()) {
        error(loc, fmt::format("unknown destination-type '{}'", shown(name)),
              suggest(name, kAddrTypes, "destination-type is one of: " + join(kAddrTypes)));
        ok = false;
        return;
      }
      auto t = static_cast<AddrType>(it - kAddrTypes.begin());
      if (std::find(s.destination_type.begin(), s.destination_type.end(), t) ==
          s.destination_type.end())
        s.destination_type.push_back(t);
    });
  }

  if (const auto* n = tbl.get("hop-limit")) {
    s.hop_limit_loc = at(*n);
    if (auto h = get_int(*n, "hop-limit", 0, 255, "neighbor discovery requires hop-limit = 255"))
      s.hop_limit = static_cast<uint8_t>(*h);
    else
      ok = false;
  }

  if (ok) ok = restrict_families(rule);
  return ok;
}

// "a.b.c.d[/n]" or "x::y[/n]", host bits clear.
std::optional<Prefix> Parser::parse_prefix(std::string_view text, const SourceLoc& loc) {
  Prefix p;
  p.loc = loc;
  auto slash = text.find('/');
  // inet_pton wants a C string; no address is longer than INET6_ADDRSTRLEN,
  // and none holds a NUL (which would end it early).
  const std::string_view addr_text = text.substr(0, slash);
  std::array<char, INET6_ADDRSTRLEN + 1> addr{};
  const bool fits =
      addr_text.size() < addr.size() && addr_text.find('\0') == std::string_view::npos;
  if (fits) std::copy(addr_text.begin(), addr_text.end(), addr.begin());
  const bool colon = addr_text.find(':') != std::string_view::npos;
  size_t addr_len = 0;
  if (fits && colon && inet_pton(AF_INET6, addr.data(), p.addr.data()) == 1) {
    p.family = Family::ipv6;
    addr_len = 16;
  } else if (fits && !colon && inet_pton(AF_INET, addr.data(), p.addr.data()) == 1) {
    p.family = Family::ipv4;
    addr_len = 4;
  } else {
    error(loc, fmt::format("'{}' is not an IPv4 or IPv6 address or prefix", shown(text)),
          kPrefixExample);
    return std::nullopt;
  }
  const size_t bits = addr_len * 8;
  p.len = static_cast<uint8_t>(bits);
  if (slash != std::string_view::npos) {
    auto len = parse_number(text.substr(slash + 1));
    if (!len || *len > bits) {
      error(loc, fmt::format("bad prefix length in '{}'", shown(text)),
            fmt::format("{} prefix lengths are 0..{}", p.family == Family::ipv4 ? "IPv4" : "IPv6",
                        bits));
      return std::nullopt;
    }
    p.len = static_cast<uint8_t>(*len);
  }
  auto range = prefix_range_of(p, addr_len);
  if (range != addr_to_int(p.addr.data(), addr_len)) {
    std::array<uint8_t, 16> net{};
    int_to_addr(range, net.data(), addr_len);
    error(loc, fmt::format("'{}' has host bits set", shown(text)),
          fmt::format("did you mean '{}/{}'?", format_addr(net.data(), addr_len), p.len));
    return std::nullopt;
  }
  return p;
}

// A rule with prefixes of one family only does not apply to the other:
// drop the matches of a family the prefixes exclude.
bool Parser::restrict_families(Rule& rule) {
  auto has = [](const std::vector<Prefix>& list, Family f) {
    return list.empty() ||
           std::any_of(list.begin(), list.end(), [f](const Prefix& p) { return p.family == f; });
  };
  const Scope& s = rule.scope;
  bool had_matches = !rule.matches.empty();
  std::erase_if(rule.matches, [&](const IcmpMatch& m) {
    return !has(s.source, m.family) || !has(s.destination, m.family);
  });
  if (had_matches && rule.matches.empty()) {
    error(rule.loc,
          fmt::format("rule '{}' matches no packet: its types and its source/destination prefixes "
                      "have no address family in common",
                      rule.name),
          "an IPv4 prefix only matches ICMPv4 types, an IPv6 prefix only ICMPv6 types");
    return false;
  }
  auto matches_family = [&](Family f) {
    return std::any_of(rule.matches.begin(), rule.matches.end(),
                       [f](const IcmpMatch& m) { return m.family == f; });
  };
  for (const auto* list : {&s.source, &s.destination})
    for (const auto& p : *list)
      if (!rule.matches.empty() && !matches_family(p.family))
        diags_.warning(
            p.loc,
            fmt::format("{} prefix never applies: rule '{}' matches only {} types",
                        p.family == Family::ipv4 ? "IPv4" : "IPv6", rule.name,
                        family_word(p.family == Family::ipv4 ? Family::ipv6 : Family::ipv4)),
            "remove it");
  return true;
}

}  // namespace icmpwall::policy
