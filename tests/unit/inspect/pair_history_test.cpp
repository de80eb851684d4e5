// SPDX-License-Identifier: GPL-2.0-or-later
// pair_history.h: distinct patterns per (source, destination) within a
// window; a pattern seen again is not new; old ones fall out of the count;
// a full record forgets the pattern seen longest ago; the table is bounded.
#include "icmpwall/inspect/detect/pair_history.h"

#include <gtest/gtest.h>

#include "detect_packets.h"

namespace icmpwall::inspect {
namespace {

using namespace std::chrono_literals;
using detect_test::addr;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(PairHistory, CountsDistinctPatternsWithinTheWindow) {
  PairHistory p(16, 1);
  const Address a = addr("198.18.0.1"), b = addr("198.18.0.2"), c = addr("198.18.0.3");
  EXPECT_EQ(p.record_pattern(a, b, 11, t0, 600s), 1u);
  EXPECT_EQ(p.record_pattern(a, b, 11, t0 + 1s, 600s), 1u);  // the same again
  EXPECT_EQ(p.record_pattern(a, b, 22, t0 + 2s, 600s), 2u);
  EXPECT_EQ(p.record_pattern(a, c, 33, t0 + 3s, 600s), 1u);  // another destination
  EXPECT_EQ(p.record_pattern(c, b, 44, t0 + 3s, 600s), 1u);  // another source
  // 11 last seen at t0 + 1s, 22 at t0 + 2s: both out of a window ending at t0 + 603s
  EXPECT_EQ(p.record_pattern(a, b, 55, t0 + 603s, 600s), 1u);
  EXPECT_EQ(p.pairs(), 3u);
}

TEST(PairHistory, AFullRecordReplacesTheOldest) {
  PairHistory p(4, 2);
  const Address a = addr("2001:db8::1"), b = addr("2001:db8::2");
  for (uint32_t i = 0; i < 20; ++i) {
    EXPECT_EQ(p.record_pattern(a, b, 100 + i, t0 + i * 1s, 600s),
              std::min(i + 1, PairHistory::kSlots));
  }
  // pattern 100 was replaced: it is new again
  EXPECT_EQ(p.record_pattern(a, b, 100, t0 + 30s, 600s), PairHistory::kSlots);
  const size_t memory = p.memory_bytes();
  for (uint32_t i = 0; i < 1000; ++i) {
    Address s = a;
    s.bytes[15] = static_cast<uint8_t>(i);
    s.bytes[14] = static_cast<uint8_t>(i >> 8);
    p.record_pattern(s, b, i, t0 + 40s, 600s);
  }
  EXPECT_EQ(p.pairs(), 4u);
  EXPECT_EQ(p.memory_bytes(), memory);
}

TEST(PairHistory, ContentNoveltyAcrossFlows) {
  PairHistory p(16, 3);
  const Address a = addr("198.18.0.1"), b = addr("198.18.0.2");
  EXPECT_EQ(p.record_content(a, b, 1, t0, 10s).count, 0);  // the first: nothing to compare
  auto n = p.record_content(a, b, 2, t0 + 1s, 10s);
  EXPECT_EQ(n.count, 1);
  EXPECT_EQ(n.bits, 1);
  n = p.record_content(a, b, 1, t0 + 2s, 10s);  // seen lately: not new
  EXPECT_EQ(n.count, 2);
  EXPECT_EQ(n.bits, 0b10);
  n = p.record_content(a, b, 3, t0 + 3s, 10s);
  EXPECT_EQ(n.bits, 0b101);
  n = p.record_content(a, b, 4, t0 + 20s, 10s);  // past the horizon: afresh
  EXPECT_EQ(n.count, 0);
  EXPECT_EQ(n.bits, 0);
  for (uint32_t i = 0; i < 20; ++i) n = p.record_content(a, b, 100 + i, t0 + 21s + i * 1s, 10s);
  EXPECT_EQ(n.count, 8);
  EXPECT_EQ(n.bits, 0xff);
}

}  // namespace
}  // namespace icmpwall::inspect
