// SPDX-License-Identifier: GPL-2.0-or-later
// Reading network-order fields out of a span whose length the caller has
// already checked. Private to the inspect stage.
//
// Every accessor takes the span and an offset and requires offset + width
// <= span.size(); the decoders check that before calling, so these never
// read past the span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace icmpwall::inspect::wire {

using Bytes = std::span<const uint8_t>;

inline uint16_t be16(Bytes b, size_t off) {
  return static_cast<uint16_t>((b[off] << 8) | b[off + 1]);
}

inline uint32_t be32(Bytes b, size_t off) {
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
         uint32_t{b[off + 3]};
}

// True if `len` bytes starting at `off` lie within `b` (no overflow).
inline bool fits(Bytes b, size_t off, size_t len) {
  return off <= b.size() && len <= b.size() - off;
}

}  // namespace icmpwall::inspect::wire
