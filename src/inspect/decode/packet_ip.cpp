// SPDX-License-Identifier: GPL-2.0-or-later
// IP header decoding: IPv4 with its options, IPv6 with its extension
// header chain.
//
// decode_ip reads only bytes it has checked are present. It guarantees, for
// a value it returns: header_len <= bytes.size(), header_len <= total_len,
// and for IPv4 that the options are well formed (each option's length
// within the header). It does not compare total_len with bytes.size():
// quoted datagrams are cut, and decode_packet applies its own rule to the
// outer packet. The IPv6 walk follows the kernel's ipv6_skip_exthdr: the
// headers it skips are the ones it knows the length of, everything else is
// the upper layer, and the walk is bounded by kMaxExtHeaders.
#include <algorithm>

#include "icmpwall/inspect/decode/packet.h"
#include "wire.h"

namespace icmpwall::inspect {

namespace {

using wire::be16;
using wire::Bytes;
using wire::fits;

constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;

enum : uint8_t {
  kHopByHop = 0,
  kRouting = 43,
  kFragment = 44,
  kEsp = 50,
  kAh = 51,
  kNoNext = 59,
  kDestOpts = 60,
};

Decoded<IpHeader> fail(DecodeError e) {
  return {std::nullopt, e};
}

// IPv4 options (RFC 791): end-of-list (0) ends them, no-operation (1) is
// one byte, every other option has a length byte >= 2 that must stay
// within the options area.
bool ipv4_options_ok(Bytes options) {
  size_t i = 0;
  while (i < options.size()) {
    uint8_t kind = options[i];
    if (kind == 0) return true;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) return false;
    uint8_t len = options[i + 1];
    if (len < 2 || len > options.size() - i) return false;
    i += len;
  }
  return true;
}

Decoded<IpHeader> decode_ipv4(Bytes b) {
  if (b.size() < kIpv4MinHeader) return fail(DecodeError::truncated);
  IpHeader ip;
  ip.family = Family::ipv4;
  ip.header_len = uint32_t{b[0] & 0x0fu} * 4;
  if (ip.header_len < kIpv4MinHeader || ip.header_len > b.size())
    return fail(DecodeError::bad_header_len);
  if (!ipv4_options_ok(b.subspan(kIpv4MinHeader, ip.header_len - kIpv4MinHeader)))
    return fail(DecodeError::bad_header_len);
  ip.total_len = be16(b, 2);
  if (ip.total_len < ip.header_len) return fail(DecodeError::bad_total_len);
  uint16_t frag = be16(b, 6);
  bool more_fragments = (frag & 0x2000) != 0;
  ip.fragment_offset = static_cast<uint16_t>((frag & 0x1fff) * 8);
  ip.fragment = more_fragments || ip.fragment_offset != 0;
  ip.ttl = b[8];
  ip.protocol = b[9];
  ip.src.family = ip.dst.family = Family::ipv4;
  std::copy_n(b.begin() + 12, 4, ip.src.bytes.begin());
  std::copy_n(b.begin() + 16, 4, ip.dst.bytes.begin());
  return {ip, {}};
}

Decoded<IpHeader> decode_ipv6(Bytes b) {
  if (b.size() < kIpv6Header) return fail(DecodeError::truncated);
  IpHeader ip;
  ip.family = Family::ipv6;
  ip.total_len = kIpv6Header + be16(b, 4);
  ip.ttl = b[7];
  ip.src.family = ip.dst.family = Family::ipv6;
  std::copy_n(b.begin() + 8, 16, ip.src.bytes.begin());
  std::copy_n(b.begin() + 24, 16, ip.dst.bytes.begin());

  uint8_t next = b[6];
  size_t pos = kIpv6Header;
  for (int count = 0;; ++count) {
    size_t len;
    switch (next) {
      case kHopByHop:
        if (count != 0) return fail(DecodeError::ext_header_loop);  // RFC 8200 4.1: first only
        [[fallthrough]];
      case kRouting:
      case kDestOpts:
      case kAh:
      case kFragment: break;
      default:  // ESP, no-next-header, an upper layer, or an unknown header
        ip.protocol = next;
        ip.header_len = static_cast<uint32_t>(pos);
        return {ip, {}};
    }
    if (count >= kMaxExtHeaders) return fail(DecodeError::ext_header_loop);
    // Every extension header starts with next header and a length byte.
    if (pos + 2 > ip.total_len) return fail(DecodeError::bad_total_len);
    if (!fits(b, pos, 2)) return fail(DecodeError::truncated);
    if (next == kFragment)
      len = 8;
    else if (next == kAh)
      len = (size_t{b[pos + 1]} + 2) * 4;  // RFC 4302: 4-byte units, minus 2
    else
      len = (size_t{b[pos + 1]} + 1) * 8;  // 8-byte units, not counting the first 8
    if (pos + len > ip.total_len) return fail(DecodeError::bad_total_len);
    if (!fits(b, pos, len)) return fail(DecodeError::truncated);
    uint8_t following = b[pos];
    if (next == kFragment) {
      uint16_t off_flags = be16(b, pos + 2);
      ip.fragment_offset = static_cast<uint16_t>(off_flags & 0xfff8);
      bool more_fragments = (off_flags & 1) != 0;
      ip.fragment = ip.fragment || more_fragments || ip.fragment_offset != 0;
      if (ip.fragment_offset != 0) {
        // A later fragment: the bytes after this header continue a payload
        // that started in the first fragment; nothing more to walk.
        ip.protocol = following;
        ip.header_len = static_cast<uint32_t>(pos + len);
        return {ip, {}};
      }
    }
    pos += len;
    next = following;
  }
}

}  // namespace

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::truncated: return "truncated";
    case DecodeError::bad_version: return "bad IP version";
    case DecodeError::bad_header_len: return "bad header length";
    case DecodeError::bad_total_len: return "bad total length";
    case DecodeError::not_icmp: return "not ICMP";
    case DecodeError::fragment: return "non-first fragment";
    case DecodeError::ext_header_loop: return "IPv6 extension header chain too long or malformed";
  }
  return "unknown decode error";
}

Decoded<IpHeader> decode_ip(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return fail(DecodeError::truncated);
  switch (bytes[0] >> 4) {
    case 4: return decode_ipv4(bytes);
    case 6: return decode_ipv6(bytes);
    default: return fail(DecodeError::bad_version);
  }
}

}  // namespace icmpwall::inspect
