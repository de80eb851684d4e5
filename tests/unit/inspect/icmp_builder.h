// SPDX-License-Identifier: GPL-2.0-or-later
// A small builder of IPv4/IPv6 ICMP packets for the validator tests: IP
// headers with correct lengths and checksums, ICMP and ICMPv6 messages
// with correct checksums (ICMPv6 over the pseudo-header), and the pieces
// of redirects and errors. builder_test.cpp checks its output byte for
// byte against packets scapy built.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "icmpwall/inspect/decode/packet.h"

namespace icmpwall::inspect::testing {

using Bytes = std::vector<uint8_t>;

inline Address v4(const char* text) {
  Address a{Family::ipv4, {}};
  inet_pton(AF_INET, text, a.bytes.data());
  return a;
}

inline Address v6(const char* text) {
  Address a{Family::ipv6, {}};
  inet_pton(AF_INET6, text, a.bytes.data());
  return a;
}

inline void put16(Bytes& b, size_t off, uint16_t v) {
  b.at(off) = static_cast<uint8_t>(v >> 8);
  b.at(off + 1) = static_cast<uint8_t>(v);
}

inline void append(Bytes& b, const Bytes& more) {
  b.insert(b.end(), more.begin(), more.end());
}

inline void append_addr(Bytes& b, const Address& a) {
  const size_t n = a.family == Family::ipv4 ? 4 : 16;
  b.insert(b.end(), a.bytes.begin(), a.bytes.begin() + n);
}

inline uint16_t checksum(const Bytes& b, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < b.size(); i += 2) acc += (uint32_t{b[i]} << 8) | b[i + 1];
  if (b.size() % 2) acc += uint32_t{b.back()} << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

// An IPv4 header (no options, DF clear, id 1) in front of `payload`.
inline Bytes ipv4(const Address& src, const Address& dst, uint8_t protocol, const Bytes& payload,
                  uint8_t ttl = 64) {
  Bytes b{0x45, 0, 0, 0, 0, 1, 0, 0, ttl, protocol, 0, 0};
  put16(b, 2, static_cast<uint16_t>(20 + payload.size()));
  append_addr(b, src);
  append_addr(b, dst);
  put16(b, 10, checksum(b));
  append(b, payload);
  return b;
}

// An IPv6 header in front of `payload`.
inline Bytes ipv6(const Address& src, const Address& dst, uint8_t next_header, const Bytes& payload,
                  uint8_t hop_limit = 64) {
  Bytes b{0x60, 0, 0, 0, 0, 0, next_header, hop_limit};
  put16(b, 4, static_cast<uint16_t>(payload.size()));
  append_addr(b, src);
  append_addr(b, dst);
  append(b, payload);
  return b;
}

// An ICMP header (type, code, checksum, 4 bytes `rest`) and body; the
// checksum is left 0 (filled by icmp4 / icmp6).
inline Bytes icmp_message(uint8_t type, uint8_t code, uint32_t rest, const Bytes& body) {
  Bytes b{type, code, 0, 0, 0, 0, 0, 0};
  put16(b, 4, static_cast<uint16_t>(rest >> 16));
  put16(b, 6, static_cast<uint16_t>(rest));
  append(b, body);
  return b;
}

// A whole ICMPv4 packet.
inline Bytes icmp4(const Address& src, const Address& dst, uint8_t type, uint8_t code,
                   uint32_t rest, const Bytes& body, uint8_t ttl = 64) {
  Bytes m = icmp_message(type, code, rest, body);
  put16(m, 2, checksum(m));
  return ipv4(src, dst, 1, m, ttl);
}

// A whole ICMPv6 packet, checksum over the pseudo-header.
inline Bytes icmp6(const Address& src, const Address& dst, uint8_t type, uint8_t code,
                   uint32_t rest, const Bytes& body, uint8_t hop_limit = 64) {
  Bytes m = icmp_message(type, code, rest, body);
  Bytes pseudo;
  append_addr(pseudo, src);
  append_addr(pseudo, dst);
  pseudo.insert(pseudo.end(), {0, 0, static_cast<uint8_t>(m.size() >> 8),
                               static_cast<uint8_t>(m.size()), 0, 0, 0, 58});
  append(pseudo, m);
  put16(m, 2, checksum(pseudo));
  return ipv6(src, dst, 58, m, hop_limit);
}

// The 8 bytes of an ICMP echo header (no data), as quoted in errors.
inline Bytes echo_header(uint8_t type, uint16_t id, uint16_t seq) {
  return icmp_message(type, 0, (uint32_t{id} << 16) | seq, {});
}

// The 8 bytes of a UDP header (length 8 + data_len, checksum 0).
inline Bytes udp_header(uint16_t sport, uint16_t dport, uint16_t data_len = 0) {
  Bytes b(8, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<uint16_t>(8 + data_len));
  return b;
}

// A datagram as an error quotes it: its IP header claiming `claimed_len`
// bytes of upper layer, followed by only `l4` (the quote is cut).
inline Bytes quoted_v4(const Address& src, const Address& dst, uint8_t protocol, const Bytes& l4,
                       uint16_t claimed_len) {
  Bytes b = ipv4(src, dst, protocol, l4);
  put16(b, 2, static_cast<uint16_t>(20 + claimed_len));
  put16(b, 10, 0);
  Bytes header(b.begin(), b.begin() + 20);
  put16(b, 10, checksum(header));
  return b;
}

inline Bytes quoted_v6(const Address& src, const Address& dst, uint8_t next_header, const Bytes& l4,
                       uint16_t claimed_len) {
  Bytes b = ipv6(src, dst, next_header, l4);
  put16(b, 4, claimed_len);
  return b;
}

// ICMPv6 redirect body: target, destination, then options as given.
inline Bytes redirect_v6_body(const Address& target, const Address& destination,
                              const Bytes& options) {
  Bytes b;
  append_addr(b, target);
  append_addr(b, destination);
  append(b, options);
  return b;
}

// Target link-layer address option (type 2, 8 bytes, Ethernet).
inline Bytes tlla_option(std::initializer_list<uint8_t> mac) {
  Bytes b{2, 1};
  b.insert(b.end(), mac);
  return b;
}

// Redirected header option (type 4): 6 reserved bytes, then `datagram`
// padded with zeros to a multiple of 8.
inline Bytes redirected_header_option(const Bytes& datagram) {
  Bytes b{4, 0, 0, 0, 0, 0, 0, 0};
  append(b, datagram);
  while (b.size() % 8) b.push_back(0);
  b[1] = static_cast<uint8_t>(b.size() / 8);
  return b;
}

inline Bytes hex(const std::string& h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::string to_hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

}  // namespace icmpwall::inspect::testing
