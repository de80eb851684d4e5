// SPDX-License-Identifier: GPL-2.0-or-later
// nft's datatype ids (nftables include/datatype.h, enum datatypes): what a
// set declares its keys and data as. The encoder writes them, the audit
// reads them back; this is the one place that knows their numbers.
#pragma once

#include <cstdint>

namespace icmpwall::nft_datatype {

enum : uint32_t {
  verdict = 1,
  nfproto = 2,
  integer = 4,
  string = 5,
  ipv4_addr = 7,
  ipv6_addr = 8,
  ether_addr = 9,
  ethertype = 10,
  inet_proto = 12,
  inet_service = 13,
  icmp_type = 14,
  mark = 19,
  iface_index = 20,
  ct_state = 26,
  icmpv6_type = 29,
  pkttype = 31,
  icmp_code = 32,
  icmpv6_code = 33,
  fib_addrtype = 38,
  ifname = 41,
};

// A concatenation's type packs its parts' ids this many bits apart.
inline constexpr uint32_t kConcatBits = 6;

}  // namespace icmpwall::nft_datatype
