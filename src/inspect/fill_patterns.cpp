// Per-pair fill pattern record (see fill_patterns.h).
#include "icmpwall/inspect/fill_patterns.h"

namespace icmpwall::inspect {

FillPatterns::FillPatterns(uint32_t capacity, uint64_t seed) : table_(capacity, seed) {}

uint32_t FillPatterns::record(const Address& source, const Address& destination, uint32_t pattern,
                              Clock::time_point now, Clock::duration window) {
  const Key key{source.bytes, destination.bytes, static_cast<uint8_t>(source.family)};
  Record& r = table_.find_or_insert(key).value;
  uint32_t slot = r.used;
  uint32_t oldest = 0;
  for (uint32_t i = 0; i < r.used; ++i) {
    if (r.pattern[i] == pattern) slot = i;
    if (r.seen[i] < r.seen[oldest]) oldest = i;
  }
  if (slot == r.used) {
    if (r.used < kSlots) {
      ++r.used;
    } else {
      slot = oldest;
    }
  }
  r.pattern[slot] = pattern;
  r.seen[slot] = now;
  uint32_t recent = 0;
  for (uint32_t i = 0; i < r.used; ++i) recent += now - r.seen[i] <= window;
  return recent;
}

}  // namespace icmpwall::inspect
