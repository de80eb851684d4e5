// SPDX-License-Identifier: GPL-2.0-or-later
// ForgedErrorValidator: ICMP errors whose quoted datagram this host cannot
// have sent. See forged_error.h for what is judged and what is let pass.
#include "icmpwall/inspect/detect/forged_error.h"

#include <algorithm>

#include "icmpwall/policy/icmp_types.h"

namespace icmpwall::inspect {

namespace {

// NF_INET_FORWARD, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING: errors this
// host passes on or sends, not ones addressed to it.
bool not_addressed_to_us(uint8_t hook) {
  return hook == 2 || hook == 3 || hook == 4;
}
constexpr size_t kIcmpHeader = 8;
constexpr size_t kRfc4884MinQuote = 128;

bool is_checked_error(Family family, uint8_t type) {
  if (family == Family::ipv4) return type == 3 || type == 4 || type == 11 || type == 12;
  return type >= 1 && type <= 4;
}

Finding drop(const char* reason, const char* signal, double value = 1, double threshold = 0) {
  Finding f;
  f.outcome = Outcome::drop;
  f.reason = reason;
  f.score = 1;
  f.signals.push_back({signal, value, threshold});
  return f;
}

// The RFC 4884 length attribute in bytes (0: none): ICMPv4 destination
// unreachable, time exceeded and parameter problem carry it in byte 5 (in
// 32-bit words), ICMPv6 destination unreachable and time exceeded in
// byte 4 (in 64-bit words).
size_t rfc4884_length(const Packet& p) {
  if (p.ip.family == Family::ipv4) {
    if (p.icmp.type != 3 && p.icmp.type != 11 && p.icmp.type != 12) return 0;
    return ((p.icmp.rest >> 16) & 0xff) * size_t{4};
  }
  if (p.icmp.type != 1 && p.icmp.type != 3) return 0;
  return (p.icmp.rest >> 24) * size_t{8};
}

// Bytes after the quoted datagram that are neither its own bytes nor
// RFC 4884 padding and extensions.
size_t appended_bytes(const Packet& p, const Embedded& e) {
  const size_t icmp_len = p.ip.total_len - p.ip.header_len;
  const size_t quote = icmp_len > kIcmpHeader ? icmp_len - kIcmpHeader : 0;
  const size_t own = e.ip.total_len;
  const size_t area = rfc4884_length(p);
  if (area == 0) return quote > own ? quote - own : 0;
  // The datagram area: the quote padded to a multiple of the unit and to
  // at least 128 bytes; an extension structure (version 2) may follow.
  const size_t unit = p.ip.family == Family::ipv4 ? 4 : 8;
  const size_t padded = std::max(kRfc4884MinQuote, (own + unit - 1) / unit * unit);
  if (area > padded) return area - padded;
  if (quote > area) {
    const bool extension = p.payload.size() > area && (p.payload[area] >> 4) == 2;
    if (!extension && p.payload.size() > area) return quote - area;
  }
  return 0;
}

// The flow conntrack would key the quoted datagram by; none for kinds it
// does not key by ports or ids.
std::optional<FlowTuple> quoted_flow(const Embedded& e) {
  FlowTuple t;
  t.src = e.ip.src;
  t.dst = e.ip.dst;
  t.protocol = e.ip.protocol;
  if (e.src_port && e.dst_port) {
    t.src_port = *e.src_port;
    t.dst_port = *e.dst_port;
    return t;
  }
  if (e.icmp && e.query_id) {
    t.icmp_type = e.icmp->type;
    t.icmp_code = e.icmp->code;
    t.icmp_id = *e.query_id;
    return t;
  }
  return std::nullopt;
}

}  // namespace

bool ForgedErrorValidator::applies(const Packet& packet) {
  return is_checked_error(packet.ip.family, packet.icmp.type);
}

Finding ForgedErrorValidator::check(const Packet& packet, const PacketContext& ctx) const {
  if (!applies(packet)) return Finding{};
  const size_t max_len = packet.ip.family == Family::ipv4 ? 576 : 1280;
  if (packet.ip.total_len > max_len)
    return drop("error-smuggling", "length", packet.ip.total_len, double(max_len));
  if (!packet.embedded) return Finding{};
  const Embedded& e = *packet.embedded;
  if (const size_t extra = appended_bytes(packet, e))
    return drop("error-smuggling", "appended", double(extra), 0);
  if (not_addressed_to_us(ctx.hook)) return Finding{};

  if (e.ip.family != packet.ip.family || !routes_.is_local(e.ip.src))
    return drop("error-not-ours", "quoted-source-not-local");
  if (config_.drop_quoted_errors && e.icmp) {
    const auto* info = policy::find_type(e.ip.family, e.icmp->type);
    if (info && info->error) return drop("error-not-ours", "quoted-icmp-error");
  }
  if (ctx.ct == Conntrack::none) return drop("error-no-flow", "ct-none");
  if (ctx.ct == Conntrack::unknown) {
    auto flow = quoted_flow(e);
    if (flow && routes_.flow_known(*flow) == false)
      return drop("error-no-flow", "no-conntrack-entry");
  }
  return Finding{};
}

}  // namespace icmpwall::inspect
