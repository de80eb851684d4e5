// SPDX-License-Identifier: GPL-2.0-or-later
// The xtables matches iptables-nft leaves in a ruleset, decoded.
//
// iptables-nft translates simple matches (-p, -s, -i, --dport) into native
// expressions, but keeps others as an xt `match` expression carrying the
// iptables module's own info struct (ruleset.h keeps its bytes). Those
// that decide what happens to an ICMP packet are read here into plain
// values the evaluator can judge: icmp/icmp6 type and code range,
// conntrack/state as a ct state mask, limit as a rate, addrtype and
// pkttype as address classes, ttl/hl as a hop limit test, rt as "has a
// routing header". Any other match, or one whose info is not
// the expected size, is Opaque: a condition the audit cannot judge, never
// ignored.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "icmpwall/audit/ruleset.h"

namespace icmpwall::audit {

struct XtIcmp {      // ipt_icmp / ip6t_icmp
  uint8_t type = 0;  // 0xff in ipt_icmp: any type
  uint8_t code_min = 0;
  uint8_t code_max = 0xff;
  bool invert = false;
};

// conntrack --ctstate / state --state. Bits as nft's ct state:
// invalid 1, established 2, related 4, new 8, untracked 64.
struct XtCtState {
  uint32_t states = 0;
  bool invert = false;
  std::string other;  // conntrack criteria besides the state, if any
};

struct XtLimit {
  uint64_t rate = 0;  // packets per `unit` seconds
  uint64_t unit = 1;
  uint32_t burst = 0;
};

struct XtAddrtype {     // xt_addrtype_info_v1 (rev 0: no flags)
  uint16_t source = 0;  // 1 << RTN_* bits; 0: any
  uint16_t dest = 0;
  bool invert_source = false;
  bool invert_dest = false;
  bool limit_iface = false;
};

struct XtPkttype {
  int pkttype = 0;  // PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST
  bool invert = false;
};

struct XtHopLimit {  // ttl (ipt_ttl_info) / hl (ip6t_hl_info)
  uint8_t mode = 0;  // 0 ==, 1 !=, 2 <, 3 >
  uint8_t value = 0;
};

// rt (ip6t_rt): needs an IPv6 routing header, which an ICMPv6 packet as
// the audit describes it (no extension headers) does not have.
struct XtRoutingHeader {};

struct XtComment {
  std::string text;
};

struct XtOpaque {
  std::string why;  // "xt match string rev 1"
};

using XtMatch = std::variant<XtIcmp, XtCtState, XtLimit, XtAddrtype, XtPkttype, XtHopLimit,
                             XtRoutingHeader, XtComment, XtOpaque>;

XtMatch decode_xt_match(const Match& m);

}  // namespace icmpwall::audit
