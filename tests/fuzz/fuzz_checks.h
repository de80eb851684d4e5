// SPDX-License-Identifier: GPL-2.0-or-later
// What the fuzz targets check their results with.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>

namespace icmpwall::fuzz {

// A broken promise: abort, which libFuzzer reports with the input.
inline void require(bool ok) {
  if (!ok) abort();
}

// `inner` lies inside `outer` (an empty span anywhere).
inline bool within(std::span<const uint8_t> inner, std::span<const uint8_t> outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// Reads every byte, for ASan to see; the empty asm keeps the reads from
// being elided.
inline void touch(std::span<const uint8_t> s) {
  uint8_t x = 0;
  for (uint8_t c : s) x ^= c;
  __asm__ volatile("" : : "r"(x));
}

}  // namespace icmpwall::fuzz
