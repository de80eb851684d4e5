// SPDX-License-Identifier: GPL-2.0-or-later
// RedirectValidator: the RFC 1122 / RFC 1812 rules for ICMPv4 redirects
// and the RFC 4861 8.1 validity checks for ICMPv6 redirects, against the
// host's current routes (RouteView). See redirect.h for the list of checks
// and their reasons.
//
// The ICMPv6 message body is read here: target (16 bytes), destination
// (16 bytes), then options of 8-byte units. A packet cut by the queue's
// copy range (Packet::truncated) is judged on what is present: an option
// running past the cut is not counted as malformed, and a redirected
// header option is decoded from the bytes that were copied.
#include "icmpwall/inspect/detect/redirect.h"

#include <string>
#include <utility>

namespace icmpwall::inspect {

namespace {

constexpr uint8_t kRedirectV4 = 5;
constexpr uint8_t kRedirectV6 = 137;
constexpr size_t kRedirectV6MinLen = 40;  // ICMP header + target + destination
constexpr size_t kAddressesLen = 32;      // target + destination
constexpr uint8_t kOptTargetLinkLayer = 2;
constexpr uint8_t kOptRedirectedHeader = 4;
constexpr size_t kRedirectedHeaderFixed = 8;  // type, length, 6 reserved bytes

Finding pass() {
  return Finding{};
}

Finding drop(const Packet&, const char* reason, std::vector<Signal> signals = {}) {
  Finding f;
  f.outcome = Outcome::drop;
  f.reason = reason;
  f.score = 1;
  f.signals = std::move(signals);
  return f;
}

Address v6_at(std::span<const uint8_t> b, size_t off) {
  Address a{Family::ipv6, {}};
  for (size_t i = 0; i < 16; ++i) a.bytes[i] = b[off + i];
  return a;
}

// What the options of an ICMPv6 redirect hold.
struct Options {
  bool well_formed = true;
  bool has_datagram = false;  // a redirected header option was present
  std::span<const uint8_t> datagram;
};

Options parse_options(std::span<const uint8_t> opts, bool truncated) {
  Options out;
  bool seen_tlla = false;
  size_t off = 0;
  while (off < opts.size()) {
    if (opts.size() - off < 2) {
      out.well_formed = truncated;
      return out;
    }
    const uint8_t type = opts[off];
    const size_t len = size_t{opts[off + 1]} * 8;
    if (len == 0) {
      out.well_formed = false;
      return out;
    }
    const bool cut = len > opts.size() - off;
    if (cut && !truncated) {
      out.well_formed = false;
      return out;
    }
    if (type == kOptTargetLinkLayer) {
      if (seen_tlla) out.well_formed = false;
      seen_tlla = true;
    } else if (type == kOptRedirectedHeader) {
      if (out.has_datagram) out.well_formed = false;
      out.has_datagram = true;
      const size_t end = cut ? opts.size() : off + len;
      if (end >= off + kRedirectedHeaderFixed)
        out.datagram =
            opts.subspan(off + kRedirectedHeaderFixed, end - off - kRedirectedHeaderFixed);
    }
    if (!out.well_formed || cut) return out;
    off += len;
  }
  return out;
}

}  // namespace

bool RedirectValidator::applies(const Packet& packet) {
  return packet.ip.family == Family::ipv4 ? packet.icmp.type == kRedirectV4
                                          : packet.icmp.type == kRedirectV6;
}

Finding RedirectValidator::check(const Packet& packet, const PacketContext& ctx) const {
  if (!applies(packet)) return pass();
  if (!config_.accept) return drop(packet, "redirect-refused");
  if (routes_.forwarding(packet.ip.family)) return drop(packet, "redirect-on-router");
  return packet.ip.family == Family::ipv4 ? check_v4(packet, ctx) : check_v6(packet, ctx);
}

Finding RedirectValidator::check_route(const Packet& packet, const Address& dst,
                                       const std::optional<Address>& src, const PacketContext& ctx,
                                       Route& route) const {
  const uint32_t iif = ctx.iif;
  auto r = routes_.route(dst, src);
  if (!r) return drop(packet, "redirect-no-route");
  route = *r;
  if (!route.gateway || *route.gateway != packet.ip.src) {
    Finding f = drop(packet, "redirect-not-from-gateway");
    if (config_.block_for.count() > 0) {
      f.outcome = Outcome::block;
      f.block_for = config_.block_for;
    }
    return f;
  }
  if (iif != 0 && route.oif != iif)
    return drop(packet, "redirect-wrong-interface", {{"iif", double(iif), double(route.oif)}});
  // The IP source is easy to forge; the frame's link-layer source on a
  // switched segment is the sender's own.
  if (ctx.hwaddr_len > 0) {
    auto known = routes_.neighbour(*route.gateway, iif != 0 ? iif : route.oif);
    if (!known) return drop(packet, "redirect-link-layer-mismatch", {{"no-neighbour-entry", 1, 0}});
    if (*known != make_link_address({ctx.hwaddr.data(), ctx.hwaddr_len}))
      return drop(packet, "redirect-link-layer-mismatch", {{"link-layer-source", 1, 0}});
  }
  return pass();
}

Finding RedirectValidator::check_v4(const Packet& packet, const PacketContext& ctx) const {
  if (packet.icmp.code > 3)
    return drop(packet, "redirect-code", {{"code", double(packet.icmp.code), 3}});
  if (!packet.embedded || packet.embedded->ip.family != Family::ipv4)
    return drop(packet, "redirect-no-datagram");
  const IpHeader& inner = packet.embedded->ip;
  if (!routes_.is_local(inner.src)) return drop(packet, "redirect-datagram-not-ours");

  Route route;
  Finding f = check_route(packet, inner.dst, inner.src, ctx, route);
  if (f.detected()) return f;

  const Address new_gateway = make_v4(packet.icmp.rest);
  if (is_unspecified(new_gateway) || is_multicast(new_gateway) ||
      is_limited_broadcast(new_gateway) || is_loopback(new_gateway) ||
      routes_.is_local(new_gateway))
    return drop(packet, "redirect-gateway-invalid");
  if (!routes_.on_link(new_gateway, route.oif)) return drop(packet, "redirect-gateway-not-on-link");
  return pass();
}

Finding RedirectValidator::check_v6(const Packet& packet, const PacketContext& ctx) const {
  if (packet.ip.ttl != 255)
    return drop(packet, "redirect-hop-limit", {{"hop-limit", double(packet.ip.ttl), 255}});
  if (!is_link_local(packet.ip.src) || is_multicast(packet.ip.src))
    return drop(packet, "redirect-source-not-link-local");
  if (packet.icmp.code != 0)
    return drop(packet, "redirect-code", {{"code", double(packet.icmp.code), 0}});
  const size_t icmp_len = packet.ip.total_len - packet.ip.header_len;
  if (icmp_len < kRedirectV6MinLen || packet.payload.size() < kAddressesLen)
    return drop(packet, "redirect-too-short",
                {{"length", double(icmp_len), double(kRedirectV6MinLen)}});

  const Address target = v6_at(packet.payload, 0);
  const Address destination = v6_at(packet.payload, 16);
  if (is_multicast(destination)) return drop(packet, "redirect-destination-multicast");
  const bool to_router = is_link_local(target) && !is_multicast(target);
  if (!to_router && target != destination) return drop(packet, "redirect-bad-target");

  Options opts = parse_options(packet.payload.subspan(kAddressesLen), packet.truncated);
  if (!opts.well_formed) return drop(packet, "redirect-bad-option");

  std::optional<Address> inner_src;
  auto inner = decode_ip(opts.datagram);
  if (inner && inner.value->family == Family::ipv6) {
    if (!routes_.is_local(inner.value->src)) return drop(packet, "redirect-datagram-not-ours");
    if (inner.value->dst != destination) return drop(packet, "redirect-datagram-mismatch");
    inner_src = inner.value->src;
  } else if (config_.require_datagram) {
    return drop(packet, "redirect-no-datagram");
  }

  Route route;
  return check_route(packet, destination, inner_src, ctx, route);
}

}  // namespace icmpwall::inspect
