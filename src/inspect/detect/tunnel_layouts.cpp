// SPDX-License-Identifier: GPL-2.0-or-later
// Layout tests for known ICMP tunnel tools (see tunnel_layouts.h for the
// formats). Every read is bounds-checked against the bytes present.
#include "icmpwall/inspect/detect/tunnel_layouts.h"

#include <algorithm>
#include <array>

#include "../decode/wire.h"

namespace icmpwall::inspect {

namespace {

using wire::be16;
using wire::be32;
using wire::Bytes;
using wire::fits;

constexpr uint32_t kPtunnelMagic = 0xD5200880;
constexpr uint32_t kPtunnelNgMagic = 0xDEADC0DE;
constexpr uint32_t kPtunnelUserFlag = 1u << 30;
constexpr uint32_t kPtunnelProxyFlag = 1u << 31;
constexpr uint32_t kPtunnelMaxState = 4;  // kProto_authenticate

bool printable(Bytes b) {
  for (uint8_t c : b) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Reads a protobuf varint at `pos`; false if it runs past the bytes or 10.
bool read_varint(Bytes b, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= b.size()) return false;
    uint8_t c = b[pos++];
    value |= uint64_t{c & 0x7fu} << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

uint16_t ones_complement_sum(Bytes b) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < b.size(); i += 2) sum += be16(b, i);
  if (b.size() & 1) sum += uint32_t{b.back()} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

bool ipv6_next_header_plausible(uint8_t nh) {
  switch (nh) {
    case 0:
    case 6:
    case 17:
    case 43:
    case 44:
    case 50:
    case 51:
    case 58:
    case 59:
    case 60:
    case 132:
    case 136: return true;
    default: return false;
  }
}

bool ip_packet_at(Bytes p, size_t off, size_t full_len) {
  const size_t len = full_len - off;
  const uint8_t version = p[off] >> 4;
  if (version == 4) {
    const size_t ihl = (p[off] & 0x0f) * 4u;
    if (ihl < 20 || len < ihl || !fits(p, off, ihl)) return false;
    if (be16(p, off + 2) != len) return false;
    return ones_complement_sum(p.subspan(off, ihl)) == 0xffff;
  }
  if (version == 6) {
    if (len < 40 || !fits(p, off, 40)) return false;
    if (be16(p, off + 4) + 40u != len) return false;
    return ipv6_next_header_plausible(p[off + 6]);
  }
  return false;
}

}  // namespace

const char* to_string(TunnelLayout layout) {
  switch (layout) {
    case TunnelLayout::none: return "none";
    case TunnelLayout::ptunnel: return "ptunnel";
    case TunnelLayout::hans: return "hans";
    case TunnelLayout::pingtunnel: return "pingtunnel";
    case TunnelLayout::ip_packet: return "ip-packet";
  }
  return "?";
}

LayoutMatch match_ptunnel(Bytes p, size_t full_len) {
  if (p.size() < kPtunnelHeader || full_len < p.size()) return {};
  const uint32_t magic = be32(p, 0);
  const uint32_t dst_port = be32(p, 8);
  const uint32_t state = be32(p, 12);
  const uint32_t data_len = be32(p, 20);
  const uint32_t flags = state & (kPtunnelUserFlag | kPtunnelProxyFlag);
  if (dst_port > 0xffff) return {};
  if (flags != kPtunnelUserFlag && flags != kPtunnelProxyFlag) return {};
  if ((state & ~flags) > kPtunnelMaxState) return {};
  if (data_len != full_len - kPtunnelHeader) return {};
  return {TunnelLayout::ptunnel, 0, magic == kPtunnelMagic || magic == kPtunnelNgMagic};
}

LayoutMatch match_hans(Bytes p, size_t full_len) {
  if (p.size() < 5) return {};
  const bool client = p[0] == 'h' && p[1] == 'a' && p[2] == 'n' && p[3] == 'c';
  const bool server = p[0] == 'h' && p[1] == 'a' && p[2] == 'n' && p[3] == 's';
  if (!client && !server) return {};
  const size_t body = full_len - 5;
  switch (p[4]) {
    case 1:  // reset connection
    case 6:  // challenge error
    case 8:  // poll
    case 9:  // server full
      if (body != 0) return {};
      break;
    case 2:  // connection request: max polls, desired address (8 bytes padded)
      if (body != 8 && body != 5) return {};
      break;
    case 4:  // challenge response: a SHA-1 digest
      if (body != 20) return {};
      break;
    case 5:  // connection accept: the tunnel address
      if (body != 4) return {};
      break;
    case 3:  // challenge: random bytes
      if (body == 0) return {};
      break;
    case 7:  // data: an IP packet
      if (p.size() > 5 && !ip_packet_at(p, 5, full_len)) return {};
      break;
    default: return {};
  }
  return {TunnelLayout::hans, 0, true};
}

LayoutMatch match_pingtunnel(Bytes p, size_t full_len) {
  if (p.size() < 8) return {};
  const bool cut = p.size() < full_len;
  size_t pos = 0;
  uint32_t last_field = 0;
  int fields = 0;
  bool has_id = false;
  bool has_magic = false;
  bool default_magic = false;
  while (pos < p.size()) {
    const uint8_t tag = p[pos++];
    const uint32_t field = tag >> 3;
    const uint32_t wire_type = tag & 7;
    if (field < 1 || field > 14 || field <= last_field) return {};
    const bool bytes_field = field == 1 || field == 3 || field == 4;
    if (wire_type != (bytes_field ? 2u : 0u)) return {};
    uint64_t value = 0;
    if (!read_varint(p, pos, value)) {
      if (cut) break;
      return {};
    }
    if (bytes_field) {
      if (value > full_len - pos) return {};
      if (field == 1) {
        const size_t present = std::min<size_t>(value, p.size() - pos);
        if (value == 0 || !printable(p.subspan(pos, present))) return {};
        has_id = true;
      }
      if (value > p.size() - pos) {
        if (!cut) return {};
        pos = p.size();
      } else {
        pos += value;
      }
    } else if (field == 6) {
      has_magic = true;
      // sint32, zigzag: 0xdead encodes as 0x1bd5a
      default_magic = value == 0x1bd5a;
    }
    last_field = field;
    ++fields;
  }
  if (fields < 2 || (!has_id && !has_magic)) return {};
  return {TunnelLayout::pingtunnel, 0, default_magic};
}

LayoutMatch find_ip_packet(Bytes p, size_t full_len) {
  if (full_len < p.size()) return {};
  for (size_t off = 0; off <= kMaxIpPacketOffset && off < p.size(); ++off) {
    if (ip_packet_at(p, off, full_len)) {
      return {TunnelLayout::ip_packet, static_cast<uint32_t>(off), false};
    }
  }
  return {};
}

LayoutMatch match_tunnel_layout(Bytes p, size_t full_len) {
  if (auto m = match_ptunnel(p, full_len)) return m;
  if (auto m = match_hans(p, full_len)) return m;
  if (auto m = match_pingtunnel(p, full_len)) return m;
  return find_ip_packet(p, full_len);
}

}  // namespace icmpwall::inspect
