// Blind-attack checks on ICMP errors delivered to this host (RFC 5927).
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
// Only the input path is checked: a router forwards errors for others.
// Matching the quoted transport header to a socket (RFC 5927 4.1, e.g. the
// TCP sequence number check the kernel itself does) is not done here.
#pragma once

#include "icmpwall/inspect/finding.h"
#include "icmpwall/inspect/packet.h"
#include "icmpwall/inspect/routes.h"

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
  Finding check(const Packet& packet) const;

 private:
  ForgedErrorConfig config_;
  RouteView& routes_;
};

}  // namespace icmpwall::inspect
