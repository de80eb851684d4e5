// SPDX-License-Identifier: GPL-2.0-or-later
// ICMP / ICMPv6 decoding of a whole packet, the datagram an ICMP error
// quotes, and the ICMP checksum.
//
// decode_packet returns a Packet only when the IP header (and the IPv6
// extension chain) decodes, the length rule holds (bytes == total length,
// or fewer with DecodeOptions::allow_truncated), the packet is not a later
// fragment, the upper layer is ICMP of the packet's family, and the 8-byte
// ICMP header is present. Its spans are sub-spans of the input. For an
// error type the quote is decoded with decode_ip; a quote that does not
// decode leaves Packet::embedded empty and says why in embedded_error,
// but the packet itself still decodes: a detector decides what that means.
#include <algorithm>
#include <array>

#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/policy/icmp_types.h"
#include "wire.h"

namespace icmpwall::inspect {

namespace {

using wire::be16;
using wire::be32;
using wire::Bytes;

constexpr size_t kIcmpHeader = 8;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmpv6 = 58;

uint8_t icmp_protocol(Family f) {
  return f == Family::ipv4 ? kProtoIcmp : kProtoIcmpv6;
}

bool has_ports(uint8_t protocol) {
  switch (protocol) {
    case 6:    // TCP
    case 17:   // UDP
    case 33:   // DCCP
    case 132:  // SCTP
    case 136:  // UDP-Lite
      return true;
    default: return false;
  }
}

// Query types whose bytes 4-5 are an identifier: ICMPv6 echo; ICMP echo
// (0, 8), timestamp (13, 14), information (15, 16), address mask (17, 18).
bool has_identifier(Family f, uint8_t type) {
  if (f == Family::ipv6) return type == 128 || type == 129;
  return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

IcmpHeader read_icmp(Bytes b) {
  IcmpHeader h;
  h.type = b[0];
  h.code = b[1];
  h.checksum = be16(b, 2);
  h.rest = be32(b, 4);
  return h;
}

// RFC 4884: destination unreachable, time exceeded and (v4) parameter
// problem may carry the length of the original datagram field, so that
// extension objects after it are not taken for the quote. Honoured only
// when it is as long as RFC 4884 requires (128 bytes) and fits the body.
Bytes quote_of(Family f, const IcmpHeader& h, Bytes body) {
  size_t len = 0;
  if (f == Family::ipv4 && (h.type == 3 || h.type == 11 || h.type == 12))
    len = size_t{(h.rest >> 16) & 0xff} * 4;
  else if (f == Family::ipv6 && (h.type == 1 || h.type == 3))
    len = size_t{h.rest >> 24} * 8;
  if (len >= 128 && len <= body.size()) return body.first(len);
  return body;
}

Embedded decode_embedded(const IpHeader& inner, Bytes quote) {
  Embedded e;
  e.ip = inner;
  // decode_ip guarantees header_len <= quote.size() and <= total_len.
  size_t end = std::min<size_t>(quote.size(), inner.total_len);
  e.l4 = quote.subspan(inner.header_len, end - inner.header_len);
  if (inner.fragment_offset != 0) return e;  // no upper-layer header here
  if (has_ports(inner.protocol) && e.l4.size() >= 4) {
    e.src_port = be16(e.l4, 0);
    e.dst_port = be16(e.l4, 2);
  } else if (inner.protocol == icmp_protocol(inner.family) && e.l4.size() >= kIcmpHeader) {
    e.icmp = read_icmp(e.l4);
    if (has_identifier(inner.family, e.icmp->type)) e.query_id = e.icmp->id();
  }
  return e;
}

// Whether each type of each family is an ICMP error, from the type table
// once (the decoder asks for every packet). One pass at start-up, backwards
// so that the first entry of a type decides, as in policy::find_type.
const std::array<bool, 512> kErrorTypes = [] {
  std::array<bool, 512> out{};
  const auto types = policy::icmp_types();
  for (auto t = types.rbegin(); t != types.rend(); ++t)
    out[(t->family == Family::ipv4 ? 0 : 256) + t->type] = t->error;
  return out;
}();

bool is_error_type(Family f, uint8_t type) {
  return kErrorTypes[(f == Family::ipv4 ? 0 : 256) + type];
}

uint64_t sum16(Bytes b, uint64_t acc) {
  size_t i = 0;
  for (; i + 1 < b.size(); i += 2) acc += be16(b, i);
  if (i < b.size()) acc += uint64_t{b[i]} << 8;  // odd length: pad with a zero byte
  return acc;
}

uint16_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

}  // namespace

Decoded<Packet> decode_packet(std::span<const uint8_t> bytes) {
  return decode_packet(bytes, DecodeOptions{});
}

Decoded<Packet> decode_packet(std::span<const uint8_t> bytes, DecodeOptions options) {
  Decoded<Packet> out;
  decode_packet(bytes, options, out);
  return out;
}

void decode_packet(std::span<const uint8_t> bytes, DecodeOptions options, Decoded<Packet>& out) {
  auto fail_with = [&out](DecodeError e) {
    out.value.reset();
    out.error = e;
  };
  auto ip = decode_ip(bytes);
  if (!ip) return fail_with(ip.error);
  out.error = {};
  Packet& p = out.value.emplace();  // built in place: a Packet is some 200 bytes
  p.ip = *ip.value;
  if (bytes.size() > p.ip.total_len) return fail_with(DecodeError::bad_total_len);
  if (bytes.size() < p.ip.total_len) {
    if (!options.allow_truncated) return fail_with(DecodeError::bad_total_len);
    p.truncated = true;
  }
  if (p.ip.fragment_offset != 0) return fail_with(DecodeError::fragment);
  if (p.ip.protocol != icmp_protocol(p.ip.family)) return fail_with(DecodeError::not_icmp);

  Bytes l4 = bytes.subspan(p.ip.header_len);  // header_len <= bytes.size()
  if (l4.size() < kIcmpHeader) return fail_with(DecodeError::truncated);
  p.icmp = read_icmp(l4);
  p.payload = l4.subspan(kIcmpHeader);

  p.is_error = is_error_type(p.ip.family, p.icmp.type);
  if (p.is_error) {
    Bytes quote = quote_of(p.ip.family, p.icmp, p.payload);
    auto inner = decode_ip(quote);
    if (inner)
      p.embedded = decode_embedded(*inner.value, quote);
    else
      p.embedded_error = inner.error;
  }
}

bool icmp_checksum_ok(const Packet& packet, std::span<const uint8_t> whole_packet) {
  const IpHeader& ip = packet.ip;
  // A fragment holds only part of the message the checksum covers.
  if (packet.truncated || ip.fragment || whole_packet.size() != ip.total_len ||
      ip.header_len + kIcmpHeader > ip.total_len)
    return false;
  Bytes message = whole_packet.subspan(ip.header_len);
  if (be16(message, 2) != packet.icmp.checksum) return false;  // not the buffer decoded
  uint64_t acc = 0;
  if (ip.family == Family::ipv6) {
    acc = sum16(ip.src.bytes, acc);
    acc = sum16(ip.dst.bytes, acc);
    acc += message.size() >> 16;
    acc += message.size() & 0xffff;
    acc += kProtoIcmpv6;
  }
  return fold(sum16(message, acc)) == 0xffff;
}

}  // namespace icmpwall::inspect
