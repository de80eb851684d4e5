// SPDX-License-Identifier: GPL-2.0-or-later
// Blind-attack and smuggling checks on ICMP errors (RFC 5927, RFC 1812,
// RFC 4443).
//
// An ICMP error quotes the datagram that caused it. A router on the path
// quotes a datagram this host sent, so its source is one of this host's
// addresses. An attacker off the path who forges errors (to reset
// connections, or to lower a path MTU) has to guess what to quote; the
// first thing such a guess can get wrong is the source. Errors whose
// quoted source is not a local address are dropped with reason
// "error-not-ours".
//
// Judged: ICMPv4 destination unreachable (3), source quench (4), time
// exceeded (11), parameter problem (12); ICMPv6 destination unreachable
// (1), packet too big (2), time exceeded (3), parameter problem (4).
// Redirects have their own validator (redirect.h).
//
// Conservative on purpose: dropping a genuine "fragmentation needed" or
// "packet too big" breaks path MTU discovery. So:
//   - an error whose quote does not decode passes (the kernel finds no
//     socket for it and ignores it; nothing to protect);
//   - a local address that is not configured on an interface but lies in a
//     local route (AnyIP) counts as local;
//   - an error quoting an ICMP error (which RFC 1122 3.2.2 forbids anyone
//     to send) is dropped only while ForgedErrorConfig::drop_quoted_errors
//     is on; the signal "quoted-icmp-error" says why.
// A flow this host never had (RFC 5927 4): an error is about a datagram
// this host sent, so connection tracking (when the namespace tracks
// connections) holds an entry for it, and the kernel marks the error
// `related`. An error whose conntrack state is `none` (PacketContext, from
// NFQUEUE), or, where the kernel does not report the state, whose quoted
// 5-tuple (ports, or the ICMP query's type, code and id) conntrack does
// not hold (RouteView::flow_known over ctnetlink), is dropped with reason
// "error-no-flow". Nothing is concluded when connections are not tracked.
// The TCP sequence number check the kernel itself makes is not repeated.
//
// Smuggling: data carried after the quote. An error whose quoted datagram
// is followed by more bytes than that datagram's own total length claims,
// or an ICMPv4 error longer than 576 bytes (RFC 1812 4.3.2.3) / ICMPv6
// error longer than 1280 bytes (RFC 4443 2.4(c)), is dropped with reason
// "error-smuggling" (signals "appended", "length"). An RFC 4884 length
// attribute bounds the quote (padded to at least 128 bytes); an extension
// structure (version 2) may follow it.
//
// These checks are about errors addressed to this host; on the forward
// hook (a router passing errors on for others) and the output hooks (errors
// this host sends) only smuggling is judged.
// Errors never block: their source may be an honest router.
#pragma once

#include "icmpwall/inspect/context.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/finding.h"
#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::inspect {

struct ForgedErrorConfig {
  bool drop_quoted_errors = true;
};

class ForgedErrorValidator {
 public:
  ForgedErrorValidator(ForgedErrorConfig config, RouteView& routes)
      : config_(config), routes_(routes) {}

  // True for the error types above.
  static bool applies(const Packet& packet);

  // A pass Finding for anything else.
  Finding check(const Packet& packet, const PacketContext& ctx = {}) const;

 private:
  ForgedErrorConfig config_;
  RouteView& routes_;
};

}  // namespace icmpwall::inspect
