// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/backoff.h"

#include <gtest/gtest.h>

namespace icmpwall::daemon {
namespace {

using namespace std::chrono_literals;

TEST(CrowdSecBackoff, DoublesUpToTheCapAndStartsOverAfterASuccess) {
  Backoff b(1s, 5s);
  EXPECT_EQ(b.failed(), 1s);
  EXPECT_EQ(b.failed(), 2s);
  EXPECT_EQ(b.failed(), 4s);
  EXPECT_EQ(b.failed(), 5s);
  EXPECT_EQ(b.failed(), 5s);
  EXPECT_EQ(b.failures(), 5u);
  b.reset();
  EXPECT_EQ(b.failures(), 0u);
  EXPECT_EQ(b.failed(), 1s);
}

TEST(CrowdSecBackoff, ACapBelowTheFirstDelayIsTheFirstDelay) {
  Backoff b(10s, 1s);
  EXPECT_EQ(b.failed(), 10s);
  EXPECT_EQ(b.failed(), 10s);
}

TEST(CrowdSecBackoff, NeverOverflows) {
  Backoff b(1ms, std::chrono::milliseconds::max());
  for (int i = 0; i < 200; ++i) EXPECT_GT(b.failed().count(), 0);
}

}  // namespace
}  // namespace icmpwall::daemon
