// SPDX-License-Identifier: GPL-2.0-or-later
// Per (source, destination) history across flows (see pair_history.h).
#include "icmpwall/inspect/detect/pair_history.h"

#include <algorithm>

namespace icmpwall::inspect {

PairHistory::PairHistory(uint32_t capacity, uint64_t seed) : table_(capacity, seed) {}

PairHistory::Record& PairHistory::find(const Address& source, const Address& destination) {
  const Key key{source.bytes, destination.bytes, static_cast<uint8_t>(source.family)};
  return table_.find_or_insert(key).value;
}

uint32_t PairHistory::record_pattern(const Address& source, const Address& destination,
                                     uint32_t pattern, Clock::time_point now,
                                     Clock::duration window) {
  Record& r = find(source, destination);
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

PairHistory::Novelty PairHistory::record_content(const Address& source, const Address& destination,
                                                 uint32_t fingerprint, Clock::time_point now,
                                                 Clock::duration horizon) {
  Record& r = find(source, destination);
  if (r.recent_used == 0 || now - r.content_seen > horizon) {
    r.novelty = {};
    r.recent_used = 0;
    r.recent_next = 0;
  } else {
    const auto end = r.recent.begin() + r.recent_used;
    const bool fresh = std::find(r.recent.begin(), end, fingerprint) == end;
    r.novelty.bits = static_cast<uint8_t>((r.novelty.bits << 1) | (fresh ? 1 : 0));
    r.novelty.count = static_cast<uint8_t>(std::min(r.novelty.count + 1, 8));
  }
  r.recent[r.recent_next] = fingerprint;
  r.recent_next = static_cast<uint8_t>((r.recent_next + 1) % kRecent);
  r.recent_used = static_cast<uint8_t>(std::min<uint32_t>(r.recent_used + 1u, kRecent));
  r.content_seen = now;
  return r.novelty;
}

}  // namespace icmpwall::inspect
