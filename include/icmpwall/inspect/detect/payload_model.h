// SPDX-License-Identifier: GPL-2.0-or-later
// What real ping implementations put in an echo payload, and the test of
// whether a payload is one of them.
//
// Every common ping fills its payload with a fixed pattern, after an
// optional send timestamp:
//
//   Linux iputils   16-byte struct timeval, then bytes counting up from
//                   0x10 (byte i holds i mod 256); with -p, the pattern
//                   (up to 16 bytes) repeated from the start of the data.
//                   Payloads under 16 bytes carry no timestamp.
//   BusyBox         4-byte monotonic timestamp, then the -p byte (default
//                   0) repeated.
//   macOS / BSD     8-byte timestamp (two 32-bit words), then bytes
//                   counting up from 0x08.
//   Windows         "abcdefghijklmnopqrstuvw" repeated (32 bytes by
//                   default: abcdefghijklmnopqrstuvwabcdefghi), no timestamp.
//   Cisco, fping,   a repeated one- or two-byte pattern, zeros, or a short
//   nmap, traceroute  header before one.
//
// The ping-client corpus (tests/corpus/pings, real sessions) adds:
// inetutils and check_icmp (a 16-byte timeval, then bytes counting up or,
// for check_icmp, a 2-byte id and zeros), fping, mtr and scamper (zeros),
// hping3 ('X' repeated), Perl Net::Ping and traceroute -I (bytes counting
// up from 0 or 0x48), nmap and nping (nothing, or with --data-length one
// random block drawn per run), oping and the Prometheus blackbox exporter
// (a fixed string), and python3-icmplib (fresh random letters and digits
// per request: prober filler, see prober_fill.h). Fixed strings and fixed
// random blocks are not fills: the tunnel detector measures them once per
// flow side and then sees them repeat (tunnel.h).
//
// So a payload is explained when, after a header of 0 to 32 bytes (in
// steps of 4), the rest is either a repetition of a block of at most 64
// bytes (seen repeating for at least 8 bytes) or an arithmetic progression
// of bytes (the counting-up fill, which wraps mod 256) of at least 4 bytes.
// A payload made of such a fill carries no information beyond its header,
// whatever its length, so it is never counted as high entropy, text or
// volume: `ping -s 65000` passes.
//
// The repetition test is linear. The first p at which the rest's opening 8
// bytes recur (memchr finds the places) is the only candidate below the
// others; one memcmp of the rest against itself shifted by p settles the
// usual case, a fill of one byte or an alphabet. Failing that, the smallest
// period of the first 128 bytes comes from the prefix function (a fixed
// array on the stack); by the Fine-Wilf theorem any period up to 64 of the
// whole rest is a multiple of it, so one memcmp verifies it. The ramp test
// compares 8 bytes at a time (each word is the one before plus 8 * step in
// every byte lane).
#pragma once

#include <cstdint>
#include <span>

namespace icmpwall::inspect {

struct PingModel {
  enum class Fill : uint8_t {
    none,    // not explained by any model
    empty,   // no payload
    stamp,   // only a timestamp: exactly 4, 8 or 16 bytes, nothing after
    repeat,  // a repeated block of `period` bytes
    ramp,    // an arithmetic progression (step `period`, usually 1)
  };
  Fill fill = Fill::none;
  uint8_t header = 0;   // bytes before the fill (a timestamp)
  uint16_t period = 0;  // block length for repeat, byte step for ramp

  bool explained() const { return fill != Fill::none; }
  // Bytes that carry information: the header, or everything if unexplained.
  uint32_t information(uint32_t payload_len) const {
    return fill == Fill::none || fill == Fill::stamp ? payload_len : header;
  }
};

// Longest header (timestamp) a model allows before its fill.
inline constexpr uint32_t kMaxPingHeader = 32;
// Longest repeated block (iputils -p allows 16; Windows repeats 23).
inline constexpr uint32_t kMaxPingPeriod = 64;

// Classifies a payload. A payload of exactly 4, 8 or 16 bytes that fits no
// fill is `stamp` (BusyBox, BSD and iputils with -s at that size send only
// their timestamp); it counts as explained, but being so short, its bytes
// are still open to the text test.
PingModel match_ping_model(std::span<const uint8_t> payload);

// The length of a plausible send timestamp at the start of `payload`, as
// real pings write it, or 0:
//   16  a 64-bit Linux struct timeval (iputils, inetutils, check_icmp):
//       seconds little-endian with their high 4 bytes zero, microseconds
//       below 1 000 000 with their high 4 bytes zero;
//   8   two 32-bit words, seconds (a date from 2000 to 2106) and
//       microseconds below 1 000 000, in network order (BSD, macOS) or
//       little-endian (a 32-bit timeval).
// Random bytes pass the 16-byte test about once in 10^19 payloads and the
// 8-byte one about once in 3000. A payload that carries such a header and
// then text or random bytes imitates a real ping's layout with data in
// place of its fill (the tunnel detector's `mimicry`).
uint32_t timestamp_header(std::span<const uint8_t> payload);

}  // namespace icmpwall::inspect
