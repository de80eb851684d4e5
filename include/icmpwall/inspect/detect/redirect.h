// SPDX-License-Identifier: GPL-2.0-or-later
// Validation of ICMP redirects received by this host: ICMPv4 type 5
// (RFC 792, RFC 1122 3.2.2.2, RFC 1812 5.2.7.2) and ICMPv6 Redirect,
// type 137 (RFC 4861 8.1). A redirect rewrites the host's route to a
// destination, so one that the current first-hop router did not send, or
// that names a gateway the host cannot reach directly, is dropped.
//
// Checks, in order; the first that fails names the finding's reason:
//
//   both   redirect-refused            the policy accepts no redirects
//          redirect-on-router          the host forwards (RFC 1812 5.2.7.2,
//                                      RFC 4861 8.2: routers take none)
//   IPv4   redirect-code               code is not 0..3
//          redirect-no-datagram        no quoted datagram that decodes as IPv4
//          redirect-datagram-not-ours  its source is not an address of this
//                                      host: this host cannot have sent it
//          redirect-no-route           no unicast route to its destination
//          redirect-not-from-gateway   the redirect's source is not the
//                                      current gateway for that destination
//                                      (or the destination is on-link)
//          redirect-wrong-interface    it arrived on another interface than
//                                      the route leaves by (when known)
//          redirect-link-layer-mismatch  the frame's link-layer source is not
//                                      the one the neighbour table holds for
//                                      the gateway on that interface, or
//                                      there is no such entry (a host that
//                                      uses a gateway has resolved it, so a
//                                      genuine redirect never meets a missing
//                                      entry; dropping a redirect costs only
//                                      the better route). Not judged when the
//                                      link-layer source is not reported (a
//                                      device without one).
//          redirect-gateway-invalid    the new gateway is unspecified,
//                                      multicast, broadcast, loopback or local
//          redirect-gateway-not-on-link  the new gateway is not on a network
//                                      directly connected to that interface
//   IPv6   redirect-hop-limit          IP hop limit is not 255
//          redirect-source-not-link-local
//          redirect-code               ICMP code is not 0
//          redirect-too-short          ICMP length below 40 bytes
//          redirect-destination-multicast
//          redirect-bad-target         target is neither link-local nor the
//                                      destination
//          redirect-bad-option         an option of length 0, one running
//                                      past the message, or a repeated target
//                                      link-layer / redirected header option
//          redirect-no-datagram        no redirected header option whose
//                                      datagram decodes as IPv6 (unless
//                                      RedirectConfig::require_datagram is off)
//          redirect-datagram-not-ours  that datagram's source is not local
//          redirect-datagram-mismatch  its destination is not the redirect's
//          redirect-no-route, redirect-not-from-gateway,
//          redirect-wrong-interface,
//          redirect-link-layer-mismatch  as for IPv4, against the route to
//                                      the ICMP destination address
//
// What icmpwall adds over the Linux kernel (6.x, checked by
// tests/integration/redirect_forged_test.cpp): for IPv4 the kernel, with
// the default shared_media=1, does not require the new gateway to be on a
// connected network, and treats codes 8..255 as codes 0..7; enabling
// forwarding clears accept_redirects on `all`, but a router takes IPv4
// redirects again once it is set on `all` and the interface. For IPv6 the
// kernel does not look at the redirected header's datagram. Checks the
// kernel also makes are repeated so that a finding is counted and logged.
//
// The findings are drops. With block_for > 0 a redirect whose source is
// not the gateway blocks that source; the other reasons never block (their
// source may be the real gateway).
#pragma once

#include <chrono>
#include <cstdint>

#include "icmpwall/inspect/context.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/finding.h"
#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::inspect {

struct RedirectConfig {
  bool accept = true;  // hosts: per policy; routers: false
  // An IPv6 redirect must quote the datagram that caused it (RFC 4861
  // says "as much as possible"; routers always do when it fits).
  bool require_datagram = true;
  std::chrono::seconds block_for{0};  // 0: drop only
};

class RedirectValidator {
 public:
  RedirectValidator(RedirectConfig config, RouteView& routes) : config_(config), routes_(routes) {}

  // True for ICMPv4 type 5 and ICMPv6 type 137: what check() judges.
  static bool applies(const Packet& packet);

  // A pass Finding for anything that is not a redirect. `ctx.iif` is the
  // interface the packet arrived on (0: unknown, not checked), `ctx.hwaddr`
  // the frame's link-layer source (none reported: not checked).
  Finding check(const Packet& packet, const PacketContext& ctx = {}) const;

 private:
  Finding check_v4(const Packet& packet, const PacketContext& ctx) const;
  Finding check_v6(const Packet& packet, const PacketContext& ctx) const;
  // The route checks both families share: a unicast route to `dst`
  // whose gateway sent the redirect, on the interface it arrived by, in a
  // frame from the gateway's own link-layer address.
  Finding check_route(const Packet& packet, const Address& dst, const std::optional<Address>& src,
                      const PacketContext& ctx, Route& route) const;

  RedirectConfig config_;
  RouteView& routes_;
};

}  // namespace icmpwall::inspect
