// SPDX-License-Identifier: GPL-2.0-or-later
// Decoding of the packets NFQUEUE hands to the inspection worker: IPv4
// (with options, fragments), IPv6 (with its extension header chain), the
// ICMP / ICMPv6 header, and the datagram embedded in ICMP errors.
//
// Every length is checked against the bytes actually present; a packet
// that is truncated, malformed or inconsistent decodes to an error value,
// never to a read out of bounds. Views point into the caller's buffer and
// live as long as it does. Decoding allocates nothing: it runs per packet.
//
// Lengths. decode_ip checks that a header is present and consistent with
// itself (IHL within the bytes, total length covering the header, the IPv6
// extension chain within the payload length) but not that the total length
// matches the bytes: a datagram quoted by an ICMP error is normally cut.
// decode_packet is strict about the packet NFQUEUE hands over: the bytes
// must be exactly the total length the IP header claims. A worker that asks
// NFQUEUE for only the first N bytes (a copy range) decodes with
// DecodeOptions::allow_truncated: fewer bytes than the total length are
// then accepted as long as the IP header, its extension headers and the
// 8-byte ICMP header are present; the payload spans what is there and
// Packet::truncated says it was cut. More bytes than the total length are
// never accepted (the kernel trims link padding before NFQUEUE sees it).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "icmpwall/policy/policy.h"

namespace icmpwall::inspect {

using policy::Family;

// An IP address of either family (IPv4 in the first 4 bytes).
struct Address {
  Family family = Family::ipv4;
  std::array<uint8_t, 16> bytes{};
  bool operator==(const Address&) const = default;
  auto operator<=>(const Address&) const = default;
};

struct IpHeader {
  Family family = Family::ipv4;
  Address src;
  Address dst;
  uint8_t ttl = 0;               // IPv4 TTL / IPv6 hop limit
  uint8_t protocol = 0;          // IPv4 protocol / IPv6 final next header (upper layer)
  bool fragment = false;         // part of a fragmented datagram (v4 MF/offset, v6 fragment header)
  uint16_t fragment_offset = 0;  // in bytes; nonzero: the upper-layer header is not here
  uint32_t header_len = 0;       // IP header incl. options / extension headers
  uint32_t total_len = 0;        // as the header claims (v4 total length; v6 40 + payload length)
};

// IPv6 extension headers that decode_ip walks, as the kernel's
// ipv6_skip_exthdr does: hop-by-hop (0, first only), routing (43), fragment
// (44), destination options (60) and AH (51). ESP (50), no-next-header (59)
// and anything else end the chain and become IpHeader::protocol. A chain of
// more than kMaxExtHeaders headers is refused. After a fragment header with
// a nonzero offset the chain stops: what follows is not a header.
inline constexpr int kMaxExtHeaders = 16;

struct IcmpHeader {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t checksum = 0;
  uint32_t rest = 0;  // bytes 4..7 in network order: id/seq, pointer, MTU, gateway, ...
  uint16_t id() const { return static_cast<uint16_t>(rest >> 16); }
  uint16_t seq() const { return static_cast<uint16_t>(rest & 0xffff); }
};

// The datagram an ICMP error quotes (RFC 792, RFC 4443 2.4(c)): its IP
// header and as much of its payload as was included.
struct Embedded {
  IpHeader ip;
  std::span<const uint8_t> l4;  // the quoted upper-layer bytes (may be short)
  // Ports of the quoted datagram (TCP, UDP, UDP-Lite, SCTP, DCCP), when its
  // first 4 bytes are present and it is a first fragment.
  std::optional<uint16_t> src_port;
  std::optional<uint16_t> dst_port;
  // The quoted ICMP / ICMPv6 header (of the quoted datagram's own family),
  // when its 8 bytes are present and it is a first fragment; query_id is
  // its identifier when it is a query that has one (echo, timestamp,
  // information, address mask; ICMPv6 echo).
  std::optional<IcmpHeader> icmp;
  std::optional<uint16_t> query_id;
};

enum class DecodeError;  // below

struct Packet {
  // User-provided, so that `Packet{}` (one per packet decoded) initialises
  // the members below, not first zeroing some 200 bytes with a `rep stos`
  // (slow to start) and most of them (the quote's) for nothing.
  Packet() {}

  IpHeader ip;
  IcmpHeader icmp;
  std::span<const uint8_t> payload;  // ICMP body after the 8-byte header
  bool is_error = false;             // an ICMP error type (carries an embedded datagram)
  std::optional<Embedded> embedded;  // set for errors whose quote decodes
  // Set for errors whose quote does not decode: why.
  std::optional<DecodeError> embedded_error;
  // Fewer bytes than ip.total_len were present (only with allow_truncated):
  // payload and the quote end where the bytes did.
  bool truncated = false;
};

enum class DecodeError {
  truncated,        // fewer bytes than a header or length field needs
  bad_version,      // not IPv4 / IPv6
  bad_header_len,   // IHL < 5, header longer than the packet, or an IPv4 option overrunning it
  bad_total_len,    // total/payload length disagrees with the bytes present
  not_icmp,         // upper layer is not ICMP / ICMPv6
  fragment,         // a non-first fragment: no ICMP header to read
  ext_header_loop,  // IPv6 extension chain too long or malformed
};
std::string_view to_string(DecodeError e);

template <typename T>
struct Decoded {
  std::optional<T> value;
  DecodeError error{};
  explicit operator bool() const { return value.has_value(); }
};

struct DecodeOptions {
  // Accept fewer bytes than the IP header's total length (NFQUEUE copy
  // range); the packet is then marked truncated.
  bool allow_truncated = false;
};

// Decodes a whole IP packet (as NFQUEUE delivers it: from the IP header).
// The quote of an ICMP error is bounded by the RFC 4884 length attribute
// when the message carries one, then decoded with decode_ip.
Decoded<Packet> decode_packet(std::span<const uint8_t> bytes);
Decoded<Packet> decode_packet(std::span<const uint8_t> bytes, DecodeOptions options);
// The same into `out`, which it replaces: a caller that keeps decoded
// packets (the queue worker's few decoded ahead) copies none (returned, a
// Packet is some 200 bytes copied twice, just after its fields were
// written one by one).
void decode_packet(std::span<const uint8_t> bytes, DecodeOptions options, Decoded<Packet>& out);

// Decodes only an IP header (v4 or v6) and walks IPv6 extension headers.
Decoded<IpHeader> decode_ip(std::span<const uint8_t> bytes);

// Verifies the ICMP checksum of a decoded packet: over the ICMP message
// for IPv4, with the pseudo-header (source, destination, upper-layer
// length, next header 58) for ICMPv6. `whole_packet` is the buffer the
// packet was decoded from. A checksum can only be verified over the whole
// message: for a truncated packet, a fragment, or a buffer that is not the
// one decoded (another length), the answer is false. The IPv6
// pseudo-header uses the destination in the header; a packet still carrying
// a routing header with segments left (not yet at its final destination)
// may verify false.
bool icmp_checksum_ok(const Packet& packet, std::span<const uint8_t> whole_packet);

}  // namespace icmpwall::inspect
