// Decoding of the packets NFQUEUE hands to the inspection worker: IPv4
// (with options, fragments), IPv6 (with its extension header chain), the
// ICMP / ICMPv6 header, and the datagram embedded in ICMP errors.
//
// Every length is checked against the bytes actually present; a packet
// that is truncated, malformed or inconsistent decodes to an error value,
// never to a read out of bounds. Views point into the caller's buffer and
// live as long as it does.
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
  uint8_t ttl = 0;             // IPv4 TTL / IPv6 hop limit
  uint8_t protocol = 0;        // IPv4 protocol / IPv6 final next header (upper layer)
  bool fragment = false;       // part of a fragmented datagram (v4 MF/offset, v6 fragment header)
  uint16_t fragment_offset = 0;  // in bytes; nonzero: the upper-layer header is not here
  uint32_t header_len = 0;     // IP header incl. options / extension headers
  uint32_t total_len = 0;      // as the header claims (v4 total length; v6 40 + payload length)
};

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
  // Ports / ICMP id of the quoted datagram, when its first 4 or 8 bytes are present.
  std::optional<uint16_t> src_port;
  std::optional<uint16_t> dst_port;
};

struct Packet {
  IpHeader ip;
  IcmpHeader icmp;
  std::span<const uint8_t> payload;  // ICMP body after the 8-byte header
  bool is_error = false;             // an ICMP error type (carries an embedded datagram)
  std::optional<Embedded> embedded;  // set for errors whose quote decodes
};

enum class DecodeError {
  truncated,        // fewer bytes than a header or length field needs
  bad_version,      // not IPv4 / IPv6
  bad_header_len,   // IHL < 5, or header longer than the packet
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

// Decodes a whole IP packet (as NFQUEUE delivers it: from the IP header).
Decoded<Packet> decode_packet(std::span<const uint8_t> bytes);

// Decodes only an IP header (v4 or v6) and walks IPv6 extension headers.
Decoded<IpHeader> decode_ip(std::span<const uint8_t> bytes);

}  // namespace icmpwall::inspect
