// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target for the inspect stage's packet decoder: arbitrary bytes
// through decode_packet (strict and with allow_truncated), decode_ip and
// icmp_checksum_ok. Whatever the input, they must return a value or an
// error, never read out of bounds, hang or hit undefined behaviour.
//
// The input is also decoded with its first byte forced to 0x45 and 0x60, so
// that mutations spent on the version nibble still reach the IPv4 options,
// the IPv6 extension chain and the quoted datagram. Every byte of every
// span the decoder returns is read, so that ASan checks the spans' bounds,
// and the spans must lie inside the input.
//
// Seeds: tests/fuzz/corpus/packet_decode/. Build with -DICMPWALL_FUZZ=ON and
// clang; add -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined
// so that the inspect library itself is instrumented too.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_checks.h"
#include "icmpwall/inspect/decode/packet.h"

namespace {

using namespace icmpwall::inspect;
using Bytes = std::span<const uint8_t>;
using icmpwall::fuzz::require;
using icmpwall::fuzz::touch;
using icmpwall::fuzz::within;

void check_ip(const IpHeader& ip, Bytes bytes) {
  require(ip.header_len <= bytes.size());
  require(ip.header_len <= ip.total_len);
  require(ip.fragment_offset == 0 || ip.fragment);
}

void decode_all(Bytes bytes) {
  for (bool cut : {false, true}) {
    auto d = decode_packet(bytes, {.allow_truncated = cut});
    if (!d) continue;
    const Packet& p = *d.value;
    check_ip(p.ip, bytes);
    require(p.ip.fragment_offset == 0);
    require(p.truncated == (bytes.size() < p.ip.total_len));
    require(cut || !p.truncated);
    require(within(p.payload, bytes));
    require(p.payload.size() + p.ip.header_len + 8 == bytes.size());
    touch(p.payload);
    require(!(p.embedded && p.embedded_error));
    require(p.is_error || (!p.embedded && !p.embedded_error));
    if (p.embedded) {
      require(within(p.embedded->l4, p.payload));
      touch(p.embedded->l4);
      require(p.embedded->src_port.has_value() == p.embedded->dst_port.has_value());
      require(!p.embedded->query_id || p.embedded->icmp);
    }
    bool sum_ok = icmp_checksum_ok(p, bytes);
    require(!sum_ok || (!p.truncated && !p.ip.fragment));
    // A buffer one byte short is never the one decoded.
    if (!bytes.empty()) require(!icmp_checksum_ok(p, bytes.first(bytes.size() - 1)));
  }
  auto ip = decode_ip(bytes);
  if (ip) check_ip(*ip.value, bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // NFQUEUE hands over at most one IP packet (64 KiB).
  if (size > 65535 + 40) return -1;
  Bytes bytes(data, size);
  decode_all(bytes);
  if (size == 0) return 0;
  // An exactly sized heap copy, so that ASan sees the end of the buffer.
  std::vector<uint8_t> forced(bytes.begin(), bytes.end());
  for (uint8_t first : {uint8_t{0x45}, uint8_t{0x60}}) {
    forced[0] = first;
    decode_all(forced);
  }
  return 0;
}
