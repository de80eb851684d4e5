// SPDX-License-Identifier: GPL-2.0-or-later
// The ICMP and ICMPv6 registries (IANA "icmp-parameters" and
// "icmpv6-parameters"): names for types and codes, which family has which,
// and what the RFCs say about them (deprecated per RFC 6918, error or
// informational). Names follow nft's spelling where nft has one.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "icmpwall/policy/policy.h"

namespace icmpwall::policy {

struct IcmpTypeInfo {
  Family family;
  uint8_t type;
  std::string_view name;    // e.g. "echo-request"
  bool deprecated = false;  // RFC 6918 / RFC 6633 (source quench)
  bool error = false;       // an error message (carries an embedded datagram)
};

struct IcmpCodeInfo {
  Family family;
  uint8_t type;
  uint8_t code;
  std::string_view name;  // e.g. "frag-needed", "port-unreachable"
};

// Another accepted spelling of a type or a type and code: the plain IANA
// names of ICMPv6 neighbor discovery ("neighbor-solicitation" for nft's
// "nd-neighbor-solicit"), "mld-listener-reduction", "ttl-exceeded" for
// ICMPv6 hop-limit-exceeded, ...
struct IcmpAlias {
  std::string_view name;
  Family family;
  uint8_t type;
  std::optional<uint8_t> code;  // none: the alias names a whole type
};

// A name as a policy may write it: a type ("echo-request"), or a type and
// code ("frag-needed" is ICMPv4 3/4, "packet-too-big" is ICMPv6 2).
struct NamedMatch {
  Family family;
  uint8_t type;
  std::optional<uint8_t> code;
};

std::span<const IcmpTypeInfo> icmp_types();
std::span<const IcmpCodeInfo> icmp_codes();
std::span<const IcmpAlias> icmp_aliases();

const IcmpTypeInfo* find_type(Family f, uint8_t type);
const IcmpCodeInfo* find_code(Family f, uint8_t type, uint8_t code);

// Every family-specific meaning of `name` (one or two entries), empty if unknown.
std::vector<NamedMatch> lookup_name(std::string_view name);
// A code name within a given type ("port-unreachable" for destination-unreachable).
std::optional<uint8_t> lookup_code(Family f, uint8_t type, std::string_view name);

// Up to `n` known names closest to `name` (edit distance), for hints.
std::vector<std::string> nearest_names(std::string_view name, size_t n = 3);

// "echo-request", or "icmp type 200" when unnamed; with code when given.
std::string describe(Family f, uint8_t type, std::optional<uint8_t> code = {});

// Every named type and code of both families with its aliases and flags,
// one per line: the text of `icmpwall check --list-types`.
std::string list_types();

}  // namespace icmpwall::policy
