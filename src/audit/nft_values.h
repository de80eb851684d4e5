// SPDX-License-Identifier: GPL-2.0-or-later
// Values in nft syntax, by the datatype of the field they belong to
// (nft_text.h): addresses, ICMP and ICMPv6 types and codes by name,
// protocols, conntrack states, fib address types, interface names, and
// integers in the byte order the field is kept in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "icmpwall/audit/ruleset.h"

namespace icmpwall::audit::nft_values {

enum class Kind : uint8_t {
  bytes,       // unknown: 0x + hex
  be_int,      // integer in network byte order (payload fields)
  host_int,    // integer in host byte order (meta, ct)
  mark,        // host order, printed 0x%08x
  addr4,       // ipv4_addr
  addr6,       // ipv6_addr
  icmp_type,   // icmp_type
  icmp_code,   // icmp_code
  icmp6_type,  // icmpv6_type
  icmp6_code,  // icmpv6_code
  nfproto,     // nf_proto: ipv4, ipv6
  inet_proto,  // inet_proto: icmp, tcp, ...
  ethertype,   // ether_type: ip, ip6, arp
  fib_addr,    // fib_addrtype (host order)
  pkttype,     // pkt_type
  ct_state,    // ct_state bits (host order)
  ifname,      // ifname: a quoted string
};

// `data` as a value of kind `k`.
std::string value_text(Kind k, const Bytes& data);

// nft's datatype id (nftables' enum datatypes) as a Kind, and its name for
// a set declaration ("ipv4_addr"); nullptr for an id not known here.
Kind kind_of_type(uint32_t type);
const char* type_name(uint32_t type);

// The bit length of a contiguous prefix mask ("ff ff c0 00" -> 18);
// nullopt when the mask is not one.
std::optional<uint32_t> prefix_length(const Bytes& mask);

// "5m", "1h30m", "250ms", as nft prints a time.
std::string time_text(uint64_t ms);

// "1000 bytes", "10 kbytes", "2 mbytes": a byte count in the largest unit
// that divides it, as nft prints quotas and byte rates.
std::string byte_text(uint64_t bytes);

// "limit rate [over ]N/unit[ burst B packets]" (or bytes) for a limit
// expression or object; nullopt for a unit nft has no name for.
std::optional<std::string> limit_text(uint64_t rate, uint64_t unit_seconds, uint32_t burst,
                                      uint32_t type, uint32_t flags);

}  // namespace icmpwall::audit::nft_values
