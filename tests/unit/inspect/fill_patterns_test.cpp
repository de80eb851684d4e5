// fill_patterns.h: distinct patterns per (source, destination) within a
// window; a pattern seen again is not new; old ones fall out of the count;
// a full record forgets the pattern seen longest ago; the table is bounded.
#include "icmpwall/inspect/fill_patterns.h"

#include <gtest/gtest.h>

#include "detect_packets.h"

namespace icmpwall::inspect {
namespace {

using namespace std::chrono_literals;
using detect_test::addr;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(FillPatterns, CountsDistinctPatternsWithinTheWindow) {
  FillPatterns p(16, 1);
  const Address a = addr("198.18.0.1"), b = addr("198.18.0.2"), c = addr("198.18.0.3");
  EXPECT_EQ(p.record(a, b, 11, t0, 600s), 1u);
  EXPECT_EQ(p.record(a, b, 11, t0 + 1s, 600s), 1u);  // the same again
  EXPECT_EQ(p.record(a, b, 22, t0 + 2s, 600s), 2u);
  EXPECT_EQ(p.record(a, c, 33, t0 + 3s, 600s), 1u);  // another destination
  EXPECT_EQ(p.record(c, b, 44, t0 + 3s, 600s), 1u);  // another source
  // 11 last seen at t0 + 1s, 22 at t0 + 2s: both out of a window ending at t0 + 603s
  EXPECT_EQ(p.record(a, b, 55, t0 + 603s, 600s), 1u);
  EXPECT_EQ(p.pairs(), 3u);
}

TEST(FillPatterns, AFullRecordReplacesTheOldest) {
  FillPatterns p(4, 2);
  const Address a = addr("2001:db8::1"), b = addr("2001:db8::2");
  for (uint32_t i = 0; i < 20; ++i) {
    EXPECT_EQ(p.record(a, b, 100 + i, t0 + i * 1s, 600s), std::min(i + 1, FillPatterns::kSlots));
  }
  // pattern 100 was replaced: it is new again
  EXPECT_EQ(p.record(a, b, 100, t0 + 30s, 600s), FillPatterns::kSlots);
  const size_t memory = p.memory_bytes();
  for (uint32_t i = 0; i < 1000; ++i) {
    Address s = a;
    s.bytes[15] = static_cast<uint8_t>(i);
    s.bytes[14] = static_cast<uint8_t>(i >> 8);
    p.record(s, b, i, t0 + 40s, 600s);
  }
  EXPECT_EQ(p.pairs(), 4u);
  EXPECT_EQ(p.memory_bytes(), memory);
}

}  // namespace
}  // namespace icmpwall::inspect
