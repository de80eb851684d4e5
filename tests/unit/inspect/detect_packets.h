// SPDX-License-Identifier: GPL-2.0-or-later
// Packets for the detector tests: a tiny builder of IPv4/IPv6 ICMP query
// packets with valid checksums (decoded by the real decoder, so the
// detectors see what the worker would), and payload generators for the
// real ping implementations and the tunnel tools, written from their
// documented formats.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "icmpwall/inspect/decode/packet.h"

namespace detect_test {

using icmpwall::inspect::Address;
using icmpwall::inspect::Family;
using icmpwall::inspect::Packet;
using Bytes = std::vector<uint8_t>;

inline Address addr(std::string_view text) {
  Address a;
  std::string s(text);
  if (s.find(':') != std::string::npos) {
    a.family = Family::ipv6;
    inet_pton(AF_INET6, s.c_str(), a.bytes.data());
  } else {
    a.family = Family::ipv4;
    inet_pton(AF_INET, s.c_str(), a.bytes.data());
  }
  return a;
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

inline uint16_t checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n & 1) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// A whole IP packet carrying one ICMP / ICMPv6 message.
inline Bytes build(const Address& src, const Address& dst, uint8_t type, uint16_t id, uint16_t seq,
                   const Bytes& payload, uint8_t code = 0) {
  Bytes icmp(8 + payload.size());
  icmp[0] = type;
  icmp[1] = code;
  put16(icmp, 4, id);
  put16(icmp, 6, seq);
  if (!payload.empty()) std::memcpy(icmp.data() + 8, payload.data(), payload.size());
  Bytes out;
  if (src.family == Family::ipv4) {
    out.assign(20, 0);
    out[0] = 0x45;
    put16(out, 2, static_cast<uint16_t>(20 + icmp.size()));
    out[8] = 64;
    out[9] = 1;
    std::memcpy(out.data() + 12, src.bytes.data(), 4);
    std::memcpy(out.data() + 16, dst.bytes.data(), 4);
    put16(out, 10, checksum(out.data(), 20));
    put16(icmp, 2, checksum(icmp.data(), icmp.size()));
  } else {
    out.assign(40, 0);
    out[0] = 0x60;
    put16(out, 4, static_cast<uint16_t>(icmp.size()));
    out[6] = 58;
    out[7] = 64;
    std::memcpy(out.data() + 8, src.bytes.data(), 16);
    std::memcpy(out.data() + 24, dst.bytes.data(), 16);
    uint32_t sum = 0;
    for (size_t i = 8; i < 40; i += 2) sum += (out[i] << 8) | out[i + 1];
    sum += static_cast<uint32_t>(icmp.size()) + 58;
    put16(icmp, 2, checksum(icmp.data(), icmp.size(), sum));
  }
  out.insert(out.end(), icmp.begin(), icmp.end());
  return out;
}

// Bytes that outlive the Packet decoded from them.
struct Wire {
  Bytes bytes;
  Packet packet;
};

inline Wire wire(Bytes bytes) {
  Wire w{std::move(bytes), {}};
  auto d = icmpwall::inspect::decode_packet(w.bytes);
  if (!d) {
    ADD_FAILURE() << "test packet does not decode: " << icmpwall::inspect::to_string(d.error);
    return w;
  }
  w.packet = *d.value;
  return w;
}

inline Wire echo(std::string_view src, std::string_view dst, bool request, uint16_t id,
                 uint16_t seq, const Bytes& payload) {
  const Address s = addr(src);
  const bool v6 = s.family == Family::ipv6;
  const uint8_t type = request ? (v6 ? 128 : 8) : (v6 ? 129 : 0);
  return wire(build(s, addr(dst), type, id, seq, payload));
}

// Gives an IPv4 packet a random source address, as a spoofed flood does
// (straight into the decoded packet; the bytes are not rewritten).
inline void spoof_source(Wire& w, std::mt19937& rng) {
  const uint32_t r = rng();
  std::memcpy(w.packet.ip.src.bytes.data(), &r, 4);
}

inline Bytes from_hex(std::string_view hex) {
  Bytes b;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    b.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return b;
}

inline Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// --- real pings --------------------------------------------------------

// Linux iputils: 16-byte struct timeval (little-endian on x86-64), then
// byte i = i; with a -p pattern, the pattern repeated from byte 0 under the
// timestamp. Payloads under 16 bytes carry no timestamp.
inline Bytes iputils(size_t size, uint32_t seconds, uint32_t usec, const Bytes& pattern = {}) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) {
    b[i] = pattern.empty() ? static_cast<uint8_t>(i) : pattern[i % pattern.size()];
  }
  if (size >= 16) {
    std::memset(b.data(), 0, 16);
    std::memcpy(b.data(), &seconds, 4);
    std::memcpy(b.data() + 8, &usec, 4);
  }
  return b;
}

// BusyBox: the -p byte (default 0) everywhere, a 4-byte monotonic
// microsecond stamp first.
inline Bytes busybox(size_t size, uint32_t monotonic_us, uint8_t pattern = 0) {
  Bytes b(size, pattern);
  if (size >= 4) std::memcpy(b.data(), &monotonic_us, 4);
  return b;
}

// macOS / FreeBSD: 8-byte timestamp (two 32-bit words, network order),
// then byte i = i.
inline Bytes macos(size_t size, uint32_t seconds, uint32_t usec) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(i);
  if (size >= 8) {
    uint32_t s = htonl(seconds), u = htonl(usec);
    std::memcpy(b.data(), &s, 4);
    std::memcpy(b.data() + 4, &u, 4);
  }
  return b;
}

// Windows: the alphabet a..w repeated (32 bytes by default).
inline Bytes windows(size_t size = 32) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>('a' + i % 23);
  return b;
}

inline Bytes random_bytes(size_t size, std::mt19937& rng) {
  Bytes b(size);
  for (auto& c : b) c = static_cast<uint8_t>(rng());
  return b;
}

// --- tunnel tools ---------------------------------------------------------

inline void append32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

// ptunnel / ptunnel-ng header (network order) and data.
inline Bytes ptunnel(uint32_t magic, uint32_t state, const Bytes& data, uint32_t dst_ip = 0,
                     uint32_t dst_port = 0, uint32_t ack = 0, uint16_t seq_no = 0,
                     uint16_t id_no = 0x1234) {
  Bytes b;
  append32(b, magic);
  append32(b, dst_ip);
  append32(b, dst_port);
  append32(b, state);
  append32(b, ack);
  append32(b, static_cast<uint32_t>(data.size()));
  b.push_back(static_cast<uint8_t>(seq_no >> 8));
  b.push_back(static_cast<uint8_t>(seq_no));
  b.push_back(static_cast<uint8_t>(id_no >> 8));
  b.push_back(static_cast<uint8_t>(id_no));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}
inline constexpr uint32_t kUserFlag = 1u << 30;
inline constexpr uint32_t kProxyFlag = 1u << 31;

// hans: 4-byte magic ("hanc" from clients, "hans" from servers), type, body.
inline Bytes hans(std::string_view magic, uint8_t type, const Bytes& body) {
  Bytes b(magic.begin(), magic.end());
  b.push_back(type);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// pingtunnel: a protocol-buffers MyMsg.
inline void varint(Bytes& b, uint64_t v) {
  while (v >= 0x80) {
    b.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  b.push_back(static_cast<uint8_t>(v));
}
inline Bytes pingtunnel(std::string_view id, int type, std::string_view target, const Bytes& data,
                        int32_t magic = 0xdead) {
  Bytes b;
  if (!id.empty()) {
    b.push_back(0x0a);
    varint(b, id.size());
    b.insert(b.end(), id.begin(), id.end());
  }
  if (type) {
    b.push_back(0x10);
    varint(b, static_cast<uint64_t>(type));
  }
  if (!target.empty()) {
    b.push_back(0x1a);
    varint(b, target.size());
    b.insert(b.end(), target.begin(), target.end());
  }
  if (!data.empty()) {
    b.push_back(0x22);
    varint(b, data.size());
    b.insert(b.end(), data.begin(), data.end());
  }
  b.push_back(0x30);  // magic, sint32 (zigzag)
  varint(b, (static_cast<uint32_t>(magic) << 1) ^ static_cast<uint32_t>(magic >> 31));
  b.push_back(0x38);  // key
  varint(b, 2 * 123456);
  b.push_back(0x40);  // timeout
  varint(b, 60);
  return b;
}

// An IPv4 TCP packet as a tun device hands it to icmptunnel / hans.
inline Bytes inner_ipv4_tcp(const Bytes& tcp_payload) {
  Bytes ip = build(addr("10.9.0.2"), addr("93.184.216.34"), 8, 0, 0, {});  // a header to reuse
  ip.resize(20);
  ip[9] = 6;
  Bytes tcp(20, 0);
  tcp[12] = 0x50;
  tcp.insert(tcp.end(), tcp_payload.begin(), tcp_payload.end());
  put16(ip, 2, static_cast<uint16_t>(20 + tcp.size()));
  put16(ip, 10, 0);
  put16(ip, 10, checksum(ip.data(), 20));
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

}  // namespace detect_test
