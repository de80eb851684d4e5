// SPDX-License-Identifier: GPL-2.0-or-later
// Per-detector counters: packets seen, packets per outcome, and how often
// each detection reason (a detector's signal) fired. Plain integers owned
// by the thread that runs the detector; whoever exports them reads them on
// that thread (or copies the struct there) and sums across workers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "icmpwall/inspect/finding.h"

namespace icmpwall::inspect {

inline constexpr size_t kOutcomeCount = 4;  // pass, log, drop, block

template <typename Reason, size_t N>
struct DetectionCounters {
  uint64_t packets = 0;                            // packets inspected
  std::array<uint64_t, kOutcomeCount> outcomes{};  // by Outcome
  std::array<uint64_t, N> reasons{};               // packets on which each reason fired
  uint64_t evictions = 0;                          // state entries evicted while full

  uint64_t outcome(Outcome o) const { return outcomes[static_cast<size_t>(o)]; }
  uint64_t reason(Reason r) const { return reasons[static_cast<size_t>(r)]; }
  void count(Outcome o) { ++outcomes[static_cast<size_t>(o)]; }
  void count(Reason r) { ++reasons[static_cast<size_t>(r)]; }

  DetectionCounters& operator+=(const DetectionCounters& o) {
    packets += o.packets;
    for (size_t i = 0; i < kOutcomeCount; ++i) outcomes[i] += o.outcomes[i];
    for (size_t i = 0; i < N; ++i) reasons[i] += o.reasons[i];
    evictions += o.evictions;
    return *this;
  }
};

}  // namespace icmpwall::inspect
