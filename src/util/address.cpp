// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/address.h"

#include <arpa/inet.h>
#include <endian.h>

#include <algorithm>
#include <cstring>

namespace icmpwall {

// IPv4 and IPv6 addresses (4 and 16 bytes) as whole big-endian words;
// other lengths byte by byte.
U128 addr_to_int(const uint8_t* bytes, size_t len) {
  if (len == 4) {
    uint32_t w;
    std::memcpy(&w, bytes, 4);
    return be32toh(w);
  }
  if (len == 16) {
    uint64_t hi, lo;
    std::memcpy(&hi, bytes, 8);
    std::memcpy(&lo, bytes + 8, 8);
    return U128{be64toh(hi)} << 64 | be64toh(lo);
  }
  U128 v = 0;
  for (size_t i = 0; i < len; ++i) v = (v << 8) | bytes[i];
  return v;
}

void int_to_addr(U128 v, uint8_t* bytes, size_t len) {
  if (len == 4) {
    const uint32_t w = htobe32(static_cast<uint32_t>(v));
    std::memcpy(bytes, &w, 4);
    return;
  }
  if (len == 16) {
    const uint64_t hi = htobe64(static_cast<uint64_t>(v >> 64));
    const uint64_t lo = htobe64(static_cast<uint64_t>(v));
    std::memcpy(bytes, &hi, 8);
    std::memcpy(bytes + 8, &lo, 8);
    return;
  }
  for (size_t i = len; i-- > 0;) {
    bytes[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

namespace {
U128 all_ones(size_t bits) {
  return bits >= 128 ? ~U128{0} : (U128{1} << bits) - 1;
}
}  // namespace

AddrRange prefix_range(const uint8_t* bytes, size_t addr_len, uint8_t prefix_len) {
  size_t bits = addr_len * 8;
  U128 host_mask = all_ones(bits - std::min<size_t>(prefix_len, bits));
  U128 v = addr_to_int(bytes, addr_len);
  return {v & ~host_mask & all_ones(bits), (v & all_ones(bits)) | host_mask};
}

std::vector<AddrRange> merge_ranges(std::vector<AddrRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const AddrRange& a, const AddrRange& b) { return a.first < b.first; });
  std::vector<AddrRange> out;
  for (const auto& r : ranges) {
    // Join when overlapping or adjacent (r.first == last + 1), minding overflow.
    if (!out.empty() && (r.first <= out.back().last || r.first - 1 == out.back().last)) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::optional<uint8_t> range_as_prefix(const AddrRange& r, size_t addr_len) {
  size_t bits = addr_len * 8;
  for (size_t host = 0; host <= bits; ++host) {
    U128 mask = all_ones(host);
    if ((r.first & mask) == 0 && r.last == (r.first | mask))
      return static_cast<uint8_t>(bits - host);
    if (r.first & (U128{1} << std::min<size_t>(host, 127))) break;
  }
  return std::nullopt;
}

std::string format_addr(const uint8_t* bytes, size_t len) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(len == 4 ? AF_INET : AF_INET6, bytes, buf, sizeof buf);
  return buf;
}

}  // namespace icmpwall
