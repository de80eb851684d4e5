// SPDX-License-Identifier: GPL-2.0-or-later
// The test network: client — router — server, three namespaces joined by
// two veth pairs, addresses from 198.18.0.0/15 and 2001:db8::/32 only.
//
//   client c0 ------------- r0 router r1 ------------- s0 server
//   198.18.1.2/24     198.18.1.1/24   198.18.2.1/24      198.18.2.2/24
//   198.18.1.3/24 (second source)
//   2001:db8:1::2/64  2001:db8:1::1/64  2001:db8:2::1/64  2001:db8:2::2/64
//   2001:db8:1::3/64 (same /64), 2001:db8:3::2/64 (another /64; router
//   2001:db8:3::1/64 on r0); these extra IPv6 addresses are not preferred,
//   so only a program that binds to them (ping -I) uses them.
//
// The router forwards IPv4 and IPv6. Client and server route only the
// test prefixes (198.18.0.0/15, 2001:db8::/32) via the router: no default
// route anywhere. The kernel's own ICMP error rate limits are switched off
// in every namespace so that traceroute and the counters see one error per
// probe, and the client does no PMTU black-hole probing, so a dropped
// frag-needed really stalls TCP.
#pragma once

#include <string>

#include "netns.h"

namespace icmpwall::integration {

struct Addr {
  static constexpr const char* client_v4 = "198.18.1.2";
  static constexpr const char* client2_v4 = "198.18.1.3";
  static constexpr const char* router_c_v4 = "198.18.1.1";
  static constexpr const char* router_s_v4 = "198.18.2.1";
  static constexpr const char* server_v4 = "198.18.2.2";
  static constexpr const char* server_bcast_v4 = "198.18.2.255";
  static constexpr const char* client_v6 = "2001:db8:1::2";
  static constexpr const char* client2_v6 = "2001:db8:1::3";         // same /64 as client_v6
  static constexpr const char* client_other64_v6 = "2001:db8:3::2";  // another /64
  static constexpr const char* router_c_v6 = "2001:db8:1::1";
  static constexpr const char* router_s_v6 = "2001:db8:2::1";
  static constexpr const char* server_v6 = "2001:db8:2::2";
};

class Topology {
 public:
  Topology();

  Netns client;
  Netns router;
  Netns server;

  // Interface names.
  static constexpr const char* client_if = "c0";
  static constexpr const char* router_client_if = "r0";
  static constexpr const char* router_server_if = "r1";
  static constexpr const char* server_if = "s0";

  // Lowers the MTU of the router's interface towards the server only: the
  // server still advertises a 1500-byte MSS, so the client's full-size
  // segments must be cut down by PMTUD at the router.
  void lower_router_server_mtu(int mtu) const;
};

}  // namespace icmpwall::integration
