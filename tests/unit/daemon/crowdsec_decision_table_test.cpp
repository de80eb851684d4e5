// SPDX-License-Identifier: GPL-2.0-or-later
// The decisions held and the kernel changes they ask for: one element per
// prefix with the latest end of its decisions and of a local block, kept
// across deletes while another decision or a local block holds it,
// re-added after a reload or a refusal, forgotten when expired.
#include "icmpwall/daemon/crowdsec_decision_table.h"

#include <gtest/gtest.h>

#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = DecisionTable::Clock;

Decision decision(uint64_t id, const char* addr, uint8_t len, std::chrono::milliseconds left) {
  return {id, inspect::mask_prefix(*inspect::parse_address(addr), len), left, "cscli", "test"};
}

const Clock::time_point t0 = Clock::time_point(1000h);

TEST(CrowdSecDecisionTable, AddsOnceThenNothingUntilSomethingChanges) {
  DecisionTable t(10);
  ASSERT_TRUE(t.add(decision(1, "198.18.7.7", 32, 60s), t0));
  auto c = t.take_changes(t0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0].remove);
  EXPECT_EQ(c[0].timeout, 60s);
  EXPECT_TRUE(t.take_changes(t0 + 1s).empty());
  t.reapply_all();
  c = t.take_changes(t0 + 10s);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].timeout, 50s) << "the remaining time";
}

TEST(CrowdSecDecisionTable, DeleteRemovesOnlyWithTheLastDecision) {
  DecisionTable t(10);
  t.add(decision(1, "198.18.7.7", 32, 60s), t0);
  t.add(decision(2, "198.18.7.7", 32, 30s), t0);
  EXPECT_EQ(t.size(), 1u);
  ASSERT_EQ(t.take_changes(t0)[0].timeout, 60s);
  t.remove(decision(1, "198.18.7.7", 32, 0s), t0 + 1s);
  auto c = t.take_changes(t0 + 1s);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0].remove) << "decision 2 still holds it";
  EXPECT_EQ(c[0].timeout, 29s);
  EXPECT_TRUE(t.remove(decision(2, "198.18.7.7", 32, 0s), t0 + 2s));
  c = t.take_changes(t0 + 2s);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].remove);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.remove(decision(3, "198.18.7.7", 32, 0s), t0 + 3s));
  EXPECT_FALSE(t.remove(decision(2, "198.18.7.7", 32, 0s), t0 + 3s)) << "deleted twice";
  EXPECT_TRUE(t.take_changes(t0 + 3s).empty()) << "an unknown decision changes nothing";
}

TEST(CrowdSecDecisionTable, LocalBlockAndDecisionKeepTheLaterEnd) {
  DecisionTable t(10);
  // A local block of 300 s, then a decision of 60 s: the element keeps 300 s.
  t.local_block(decision(0, "198.18.1.2", 32, 0s).prefix, t0 + 300s, t0);
  t.add(decision(1, "198.18.1.2", 32, 60s), t0);
  auto c = t.take_changes(t0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].timeout, 300s);
  // Deleting the decision leaves the local block's end, not a removal.
  t.remove(decision(1, "198.18.1.2", 32, 0s), t0 + 10s);
  c = t.take_changes(t0 + 10s);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0].remove);
  EXPECT_EQ(c[0].timeout, 290s);

  // A decision of an hour, then a local block of 60 s of the same prefix
  // (which set the kernel's timeout to 60 s): the hour comes back.
  t.add(decision(2, "198.18.1.3", 32, 3600s), t0);
  t.take_changes(t0);
  t.local_block(decision(0, "198.18.1.3", 32, 0s).prefix, t0 + 60s, t0);
  c = t.take_changes(t0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].timeout, 3600s);
}

TEST(CrowdSecDecisionTable, RefusedChangesAreRetried) {
  DecisionTable t(10);
  t.add(decision(1, "198.18.0.0", 24, 60s), t0);
  auto c = t.take_changes(t0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(t.failed(c[0]));
  c = t.take_changes(t0 + 1s);
  ASSERT_EQ(c.size(), 1u) << "again";
  EXPECT_FALSE(t.failed(c[0])) << "reported once";
}

TEST(CrowdSecDecisionTable, ExpiredAndFull) {
  DecisionTable t(2);
  EXPECT_FALSE(t.add(decision(1, "198.18.7.1", 32, 0s), t0)) << "expired already";
  EXPECT_TRUE(t.add(decision(2, "198.18.7.2", 32, 10s), t0));
  EXPECT_TRUE(t.add(decision(3, "198.18.7.3", 32, 100s), t0));
  EXPECT_FALSE(t.add(decision(4, "198.18.7.4", 32, 10s), t0)) << "full";
  EXPECT_TRUE(t.add(decision(5, "198.18.7.3", 32, 10s), t0)) << "a held prefix still takes more";
  t.take_changes(t0);
  t.take_changes(t0 + 20s);
  EXPECT_EQ(t.size(), 1u) << "the 10 s decision is forgotten; the kernel expired it";
  EXPECT_TRUE(t.add(decision(4, "198.18.7.4", 32, 10s), t0 + 20s));
}

TEST(CrowdSecDecisionTable, AnIdThatMovesLeavesItsOldPrefix) {
  DecisionTable t(10);
  t.add(decision(1, "198.18.7.1", 32, 60s), t0);
  t.take_changes(t0);
  t.add(decision(1, "198.18.7.2", 32, 60s), t0);
  auto c = t.take_changes(t0);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_TRUE(c[0].remove);
  EXPECT_EQ(inspect::to_string(c[0].prefix.address), "198.18.7.1");
  EXPECT_EQ(inspect::to_string(c[1].prefix.address), "198.18.7.2");
}

}  // namespace
}  // namespace icmpwall::daemon
