// SPDX-License-Identifier: GPL-2.0-or-later
// Recognising the packet layouts of known ICMP tunnel tools by the
// consistency of their fields, not by a magic number alone (ptunnel lets
// its user choose the magic).
//
//   ptunnel, ptunnel-ng  a 28-byte header in network order: magic, dst ip,
//                        dst port, state, ack, data length, seq, id. The
//                        state holds a protocol state 0..4 (start, ack,
//                        data, close, authenticate) and exactly one of two
//                        direction flags (bit 30 from the user, bit 31 from
//                        the proxy); the port fits 16 bits; the data length
//                        equals the payload length minus 28. Default magics
//                        0xD5200880 (ptunnel) and 0xDEADC0DE (ptunnel-ng).
//   hans                 "hanc" (client) or "hans" (server), a type 1..9,
//                        then that type's body; data packets carry a whole
//                        IP packet after the 5-byte header.
//   pingtunnel           a protocol-buffers message (MyMsg): fields 1..14,
//                        strings/bytes on 1, 3, 4 and varints elsewhere,
//                        emitted in field order, spanning the payload
//                        exactly, with the connection id (1) or the magic
//                        (6, 0xdead) present.
//   icmptunnel, icmptx,  an IPv4 or IPv6 packet, whole, at the start of the
//   hans, Skeeve ...     payload or after a short tool header (up to 32
//                        bytes): version, a header checksum that verifies
//                        (IPv4) or a known next header (IPv6), and a total
//                        length that reaches exactly the end of the payload.
//
// Each test reads only the bytes present; `full_len` is the payload length
// the IP header claims (larger than the span when NFQUEUE copied only the
// start of the packet), and length fields are checked against it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace icmpwall::inspect {

enum class TunnelLayout : uint8_t { none, ptunnel, hans, pingtunnel, ip_packet };
const char* to_string(TunnelLayout layout);  // "ptunnel", "hans", "pingtunnel", "ip-packet"

struct LayoutMatch {
  TunnelLayout layout = TunnelLayout::none;
  uint32_t offset = 0;         // ip_packet: where the packet starts
  bool default_magic = false;  // the tool's default magic was seen (else layout alone)
  explicit operator bool() const { return layout != TunnelLayout::none; }
};

inline constexpr uint32_t kPtunnelHeader = 28;
inline constexpr uint32_t kMaxIpPacketOffset = 32;

LayoutMatch match_ptunnel(std::span<const uint8_t> payload, size_t full_len);
LayoutMatch match_hans(std::span<const uint8_t> payload, size_t full_len);
LayoutMatch match_pingtunnel(std::span<const uint8_t> payload, size_t full_len);
LayoutMatch find_ip_packet(std::span<const uint8_t> payload, size_t full_len);

// All of the above, in that order; the first that matches.
LayoutMatch match_tunnel_layout(std::span<const uint8_t> payload, size_t full_len);

}  // namespace icmpwall::inspect
