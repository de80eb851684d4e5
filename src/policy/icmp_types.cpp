// SPDX-License-Identifier: GPL-2.0-or-later
// The ICMP and ICMPv6 type registries, as IANA publishes them
// ("icmp-parameters", "icmpv6-parameters"), with the names a policy uses.
//
// Every assigned type has one canonical name, nft's spelling where nft has
// one (so `--dump=nft` output and policies read alike), else the IANA
// description in lower-case-with-dashes. Reserved, unassigned and
// experimental numbers have no name: a policy writes them "icmp:N" or
// "icmpv6:N". Codes are named where IANA gives them a meaning a policy
// would match on; a code name also works alone as a type-and-code name
// ("frag-needed" is ICMPv4 3/4), so code names are unique within a family
// and never equal a type name (the unit tests hold this).
//
// Flags: `deprecated` follows RFC 6918 (and RFC 6633 for source quench);
// `error` marks messages that carry the offending datagram.
#include "icmpwall/policy/icmp_types.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "icmpwall/util/nearest.h"

namespace icmpwall::policy {
namespace {

constexpr Family v4 = Family::ipv4;
constexpr Family v6 = Family::ipv6;

constexpr IcmpTypeInfo kTypes[] = {
    // ICMPv4 (RFC 792 and later)
    {v4, 0, "echo-reply"},
    {v4, 3, "destination-unreachable", false, true},
    {v4, 4, "source-quench", true, true},  // RFC 6633
    {v4, 5, "redirect", false, true},
    {v4, 6, "alternate-host-address", true},
    {v4, 8, "echo-request"},
    {v4, 9, "router-advertisement"},
    {v4, 10, "router-solicitation"},
    {v4, 11, "time-exceeded", false, true},
    {v4, 12, "parameter-problem", false, true},
    {v4, 13, "timestamp-request"},
    {v4, 14, "timestamp-reply"},
    {v4, 15, "info-request", true},
    {v4, 16, "info-reply", true},
    {v4, 17, "address-mask-request", true},
    {v4, 18, "address-mask-reply", true},
    {v4, 30, "traceroute", true},
    {v4, 31, "datagram-conversion-error", true, true},
    {v4, 32, "mobile-host-redirect", true},
    {v4, 33, "ipv6-where-are-you", true},
    {v4, 34, "ipv6-i-am-here", true},
    {v4, 35, "mobile-registration-request", true},
    {v4, 36, "mobile-registration-reply", true},
    {v4, 37, "domain-name-request", true},
    {v4, 38, "domain-name-reply", true},
    {v4, 39, "skip", true},
    {v4, 40, "photuris", false, true},  // RFC 2521, security failures
    {v4, 41, "experimental-mobility"},  // RFC 4065
    {v4, 42, "extended-echo-request"},  // RFC 8335
    {v4, 43, "extended-echo-reply"},
    // ICMPv6 (RFC 4443 and later); 0..127 are error messages
    {v6, 1, "destination-unreachable", false, true},
    {v6, 2, "packet-too-big", false, true},
    {v6, 3, "time-exceeded", false, true},
    {v6, 4, "parameter-problem", false, true},
    {v6, 128, "echo-request"},
    {v6, 129, "echo-reply"},
    {v6, 130, "mld-listener-query"},
    {v6, 131, "mld-listener-report"},
    {v6, 132, "mld-listener-done"},
    {v6, 133, "nd-router-solicit"},
    {v6, 134, "nd-router-advert"},
    {v6, 135, "nd-neighbor-solicit"},
    {v6, 136, "nd-neighbor-advert"},
    {v6, 137, "nd-redirect"},
    {v6, 138, "router-renumbering"},
    {v6, 139, "node-information-query"},
    {v6, 140, "node-information-response"},
    {v6, 141, "ind-neighbor-solicit"},
    {v6, 142, "ind-neighbor-advert"},
    {v6, 143, "mld2-listener-report"},
    {v6, 144, "home-agent-address-discovery-request"},
    {v6, 145, "home-agent-address-discovery-reply"},
    {v6, 146, "mobile-prefix-solicitation"},
    {v6, 147, "mobile-prefix-advertisement"},
    {v6, 148, "certification-path-solicitation"},
    {v6, 149, "certification-path-advertisement"},
    {v6, 150, "experimental-mobility"},
    {v6, 151, "multicast-router-advertisement"},
    {v6, 152, "multicast-router-solicitation"},
    {v6, 153, "multicast-router-termination"},
    {v6, 154, "fmipv6"},
    {v6, 155, "rpl-control"},
    {v6, 156, "ilnpv6-locator-update"},
    {v6, 157, "duplicate-address-request"},
    {v6, 158, "duplicate-address-confirmation"},
    {v6, 159, "mpl-control"},
    {v6, 160, "extended-echo-request"},
    {v6, 161, "extended-echo-reply"},
};

constexpr IcmpCodeInfo kCodes[] = {
    // ICMPv4 destination-unreachable (nft's names for 0-4, 9, 10, 13)
    {v4, 3, 0, "net-unreachable"},
    {v4, 3, 1, "host-unreachable"},
    {v4, 3, 2, "prot-unreachable"},
    {v4, 3, 3, "port-unreachable"},
    {v4, 3, 4, "frag-needed"},
    {v4, 3, 5, "source-route-failed"},
    {v4, 3, 6, "net-unknown"},
    {v4, 3, 7, "host-unknown"},
    {v4, 3, 8, "host-isolated"},
    {v4, 3, 9, "net-prohibited"},
    {v4, 3, 10, "host-prohibited"},
    {v4, 3, 11, "net-unreachable-for-tos"},
    {v4, 3, 12, "host-unreachable-for-tos"},
    {v4, 3, 13, "admin-prohibited"},
    {v4, 3, 14, "host-precedence-violation"},
    {v4, 3, 15, "precedence-cutoff"},
    // ICMPv4 redirect
    {v4, 5, 0, "net-redirect"},
    {v4, 5, 1, "host-redirect"},
    {v4, 5, 2, "tos-net-redirect"},
    {v4, 5, 3, "tos-host-redirect"},
    // ICMPv4 router-advertisement (RFC 3344)
    {v4, 9, 0, "normal-router-advertisement"},
    {v4, 9, 16, "does-not-route-common-traffic"},
    // ICMPv4 time-exceeded
    {v4, 11, 0, "ttl-exceeded"},
    {v4, 11, 1, "reassembly-timeout"},
    // ICMPv4 parameter-problem
    {v4, 12, 0, "pointer-indicates-error"},
    {v4, 12, 1, "missing-required-option"},
    {v4, 12, 2, "bad-length"},
    // ICMPv4 photuris (RFC 2521)
    {v4, 40, 0, "bad-spi"},
    {v4, 40, 1, "authentication-failed"},
    {v4, 40, 2, "decompression-failed"},
    {v4, 40, 3, "decryption-failed"},
    {v4, 40, 4, "need-authentication"},
    {v4, 40, 5, "need-authorization"},
    // ICMPv4 extended-echo-reply (RFC 8335)
    {v4, 43, 0, "no-error"},
    {v4, 43, 1, "malformed-query"},
    {v4, 43, 2, "no-such-interface"},
    {v4, 43, 3, "no-such-table-entry"},
    {v4, 43, 4, "multiple-interfaces-satisfy-query"},
    // ICMPv6 destination-unreachable (nft's names for 0, 1, 3-6)
    {v6, 1, 0, "no-route"},
    {v6, 1, 1, "admin-prohibited"},
    {v6, 1, 2, "beyond-scope"},
    {v6, 1, 3, "addr-unreachable"},
    {v6, 1, 4, "port-unreachable"},
    {v6, 1, 5, "policy-fail"},
    {v6, 1, 6, "reject-route"},
    {v6, 1, 7, "source-routing-header-error"},
    {v6, 1, 8, "headers-too-long"},
    // ICMPv6 time-exceeded
    {v6, 3, 0, "hop-limit-exceeded"},
    {v6, 3, 1, "reassembly-timeout"},
    // ICMPv6 parameter-problem
    {v6, 4, 0, "erroneous-header-field"},
    {v6, 4, 1, "unrecognized-next-header"},
    {v6, 4, 2, "unrecognized-option"},
    {v6, 4, 3, "incomplete-header-chain"},
    {v6, 4, 4, "sr-upper-layer-header-error"},
    {v6, 4, 5, "unrecognized-next-header-by-intermediate-node"},
    {v6, 4, 6, "extension-header-too-big"},
    {v6, 4, 7, "extension-header-chain-too-long"},
    {v6, 4, 8, "too-many-extension-headers"},
    {v6, 4, 9, "too-many-options"},
    {v6, 4, 10, "option-too-big"},
    // ICMPv6 router-renumbering
    {v6, 138, 0, "router-renumbering-command"},
    {v6, 138, 1, "router-renumbering-result"},
    {v6, 138, 255, "sequence-number-reset"},
    // ICMPv6 node information (RFC 4620)
    {v6, 139, 0, "subject-is-ipv6-address"},
    {v6, 139, 1, "subject-is-name"},
    {v6, 139, 2, "subject-is-ipv4-address"},
    {v6, 140, 0, "successful-reply"},
    {v6, 140, 1, "refused"},
    {v6, 140, 2, "unknown-qtype"},
    // ICMPv6 extended-echo-reply (RFC 8335)
    {v6, 161, 0, "no-error"},
    {v6, 161, 1, "malformed-query"},
    {v6, 161, 2, "no-such-interface"},
    {v6, 161, 3, "no-such-table-entry"},
    {v6, 161, 4, "multiple-interfaces-satisfy-query"},
};

constexpr IcmpAlias kAliases[] = {
    // Plain IANA-style names of ICMPv6 neighbor discovery and MLD
    {"router-solicitation", v6, 133, {}},
    {"router-advertisement", v6, 134, {}},
    {"neighbor-solicitation", v6, 135, {}},
    {"neighbor-advertisement", v6, 136, {}},
    {"redirect", v6, 137, {}},
    {"mld-listener-reduction", v6, 132, {}},
    {"mldv2-listener-report", v6, 143, {}},
    {"inverse-neighbor-solicitation", v6, 141, {}},
    {"inverse-neighbor-advertisement", v6, 142, {}},
    // ICMPv4 spellings from the RFCs
    {"information-request", v4, 15, {}},
    {"information-reply", v4, 16, {}},
    // Codes
    {"protocol-unreachable", v4, 3, 2},
    {"fragmentation-needed", v4, 3, 4},
    {"address-unreachable", v6, 1, 3},
    {"ttl-exceeded", v6, 3, 0},
};

bool family_has(Family f, const IcmpTypeInfo& t) {
  return t.family == f;
}

}  // namespace

std::span<const IcmpTypeInfo> icmp_types() {
  return kTypes;
}
std::span<const IcmpCodeInfo> icmp_codes() {
  return kCodes;
}
std::span<const IcmpAlias> icmp_aliases() {
  return kAliases;
}

const IcmpTypeInfo* find_type(Family f, uint8_t type) {
  for (const auto& t : kTypes)
    if (family_has(f, t) && t.type == type) return &t;
  return nullptr;
}

const IcmpCodeInfo* find_code(Family f, uint8_t type, uint8_t code) {
  for (const auto& c : kCodes)
    if (c.family == f && c.type == type && c.code == code) return &c;
  return nullptr;
}

std::vector<NamedMatch> lookup_name(std::string_view name) {
  std::vector<NamedMatch> out;
  auto add = [&](NamedMatch m) {
    for (const auto& o : out)
      if (o.family == m.family && o.type == m.type && o.code == m.code) return;
    out.push_back(m);
  };
  for (const auto& t : kTypes)
    if (t.name == name) add({t.family, t.type, std::nullopt});
  for (const auto& c : kCodes)
    if (c.name == name) add({c.family, c.type, c.code});
  for (const auto& a : kAliases)
    if (a.name == name) add({a.family, a.type, a.code});
  std::sort(out.begin(), out.end(),
            [](const NamedMatch& a, const NamedMatch& b) { return a.family < b.family; });
  return out;
}

std::optional<uint8_t> lookup_code(Family f, uint8_t type, std::string_view name) {
  for (const auto& c : kCodes)
    if (c.family == f && c.type == type && c.name == name) return c.code;
  for (const auto& a : kAliases)
    if (a.family == f && a.type == type && a.code && a.name == name) return a.code;
  return std::nullopt;
}

std::vector<std::string> nearest_names(std::string_view name, size_t n) {
  std::set<std::string_view> unique;
  for (const auto& t : kTypes) unique.insert(t.name);
  for (const auto& c : kCodes) unique.insert(c.name);
  for (const auto& a : kAliases) unique.insert(a.name);
  return nearest_of(name, {unique.begin(), unique.end()}, n);
}

std::string describe(Family f, uint8_t type, std::optional<uint8_t> code) {
  const auto* t = find_type(f, type);
  std::string out = t ? std::string(t->name)
                      : fmt::format("{} type {}", f == Family::ipv4 ? "icmp" : "icmpv6", type);
  if (!code) return out;
  if (!t) return out + fmt::format(" code {}", *code);
  if (const auto* c = find_code(f, type, *code)) return out + "/" + std::string(c->name);
  return out + fmt::format("/{}", *code);
}

std::string list_types() {
  std::string out;
  for (Family f : {Family::ipv4, Family::ipv6}) {
    out += f == Family::ipv4 ? "ICMPv4 (icmp:N)\n" : "ICMPv6 (icmpv6:N)\n";
    for (const auto& t : kTypes) {
      if (t.family != f) continue;
      std::string line = fmt::format("  {:>3}  {}", t.type, t.name);
      for (const auto& a : kAliases)
        if (a.family == f && a.type == t.type && !a.code) line += fmt::format(", {}", a.name);
      if (t.error) line += "  [error]";
      if (t.deprecated) line += "  [deprecated]";
      out += line + "\n";
      for (const auto& c : kCodes) {
        if (c.family != f || c.type != t.type) continue;
        std::string code_line = fmt::format("       /{:<3} {}", c.code, c.name);
        for (const auto& a : kAliases)
          if (a.family == f && a.type == t.type && a.code == c.code)
            code_line += fmt::format(", {}", a.name);
        out += code_line + "\n";
      }
    }
  }
  return out;
}

}  // namespace icmpwall::policy
