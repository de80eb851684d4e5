// SPDX-License-Identifier: GPL-2.0-or-later
// plan_verdicts: which runs of decisions become batch verdicts, and which
// must stay single verdicts.
#include "icmpwall/queue/verdict_plan.h"

#include <gtest/gtest.h>

#include <vector>

namespace icmpwall::queue {
namespace {

constexpr Verdict A = Verdict::accept;
constexpr Verdict D = Verdict::drop;

std::vector<Decision> seq(uint32_t first, uint32_t last, Verdict v) {
  std::vector<Decision> out;
  for (uint32_t id = first;; ++id) {
    out.push_back({id, v});
    if (id == last) break;
  }
  return out;
}

std::vector<Decision> concat(std::initializer_list<std::vector<Decision>> parts) {
  std::vector<Decision> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

VerdictMsg batch(uint32_t id, Verdict v) {
  return {id, v, true};
}
VerdictMsg single(uint32_t id, Verdict v) {
  return {id, v, false};
}

TEST(PlanVerdicts, Empty) {
  EXPECT_TRUE(plan_verdicts({}).empty());
}

TEST(PlanVerdicts, OnePacketIsASingleVerdict) {
  std::vector<Decision> d{{7, D}};
  EXPECT_EQ(plan_verdicts(d), (std::vector{single(7, D)}));
}

TEST(PlanVerdicts, AllAcceptIsOneBatch) {
  auto d = seq(1, 64, A);
  EXPECT_EQ(plan_verdicts(d), (std::vector{batch(64, A)}));
}

TEST(PlanVerdicts, DropBetweenAcceptRuns) {
  // accept 1..5, drop 6, accept 7..9 -> batch <=5, single 6, batch <=9
  auto d = concat({seq(1, 5, A), seq(6, 6, D), seq(7, 9, A)});
  EXPECT_EQ(plan_verdicts(d), (std::vector{batch(5, A), single(6, D), batch(9, A)}));
}

TEST(PlanVerdicts, RunsOfDropsAreBatchedToo) {
  auto d = concat({seq(10, 12, D), seq(13, 13, A), seq(14, 20, D)});
  EXPECT_EQ(plan_verdicts(d), (std::vector{batch(12, D), single(13, A), batch(20, D)}));
}

TEST(PlanVerdicts, AlternatingVerdictsAreAllSingles) {
  std::vector<Decision> d{{1, A}, {2, D}, {3, A}, {4, D}};
  EXPECT_EQ(plan_verdicts(d),
            (std::vector{single(1, A), single(2, D), single(3, A), single(4, D)}));
}

TEST(PlanVerdicts, GapsInIdsStillBatch) {
  // Ids the kernel never delivered (lost to an overflow) are not in the
  // queue, so a gap does not stop a batch.
  std::vector<Decision> d{{3, A}, {9, A}, {10, A}};
  EXPECT_EQ(plan_verdicts(d), (std::vector{batch(10, A)}));
}

TEST(PlanVerdicts, IdsWrapAround) {
  auto d = concat({seq(0xfffffffd, 0xffffffff, A), seq(0, 2, A)});
  EXPECT_EQ(plan_verdicts(d), (std::vector{batch(2, A)}));
}

TEST(PlanVerdicts, OutOfOrderIdsFallBackToSingles) {
  // Once an id stops growing, a batch could cover a packet with a smaller
  // id that comes later with another verdict (here 3): from the first id
  // that does not grow, every verdict is single.
  std::vector<Decision> d{{6, D}, {7, D}, {4, A}, {5, A}, {3, D}, {8, A}, {9, A}};
  EXPECT_EQ(plan_verdicts(d), (std::vector{batch(7, D), single(4, A), single(5, A), single(3, D),
                                           single(8, A), single(9, A)}));
}

TEST(PlanVerdicts, EveryDecisionIsCoveredExactlyOnceWithItsOwnVerdict) {
  // Apply the plan the way the kernel does to a queue holding the ids, and
  // compare with the decisions.
  std::vector<Decision> d;
  uint32_t id = 100;
  for (int i = 0; i < 500; ++i) {
    id += 1 + (i % 3 == 0);  // some gaps
    d.push_back({id, (i * 7919) % 5 == 0 ? D : A});
  }
  std::vector<std::pair<uint32_t, Verdict>> queue;
  for (const auto& x : d) queue.push_back({x.id, x.verdict});
  std::vector<std::pair<uint32_t, Verdict>> applied;
  for (const auto& m : plan_verdicts(d)) {
    for (auto it = queue.begin(); it != queue.end();) {
      bool hit = m.batch ? !id_after(it->first, m.id) : it->first == m.id;
      if (hit) {
        applied.push_back({it->first, m.verdict});
        it = queue.erase(it);
      } else {
        ++it;
      }
    }
  }
  EXPECT_TRUE(queue.empty());
  ASSERT_EQ(applied.size(), d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(applied[i].first, d[i].id);
    EXPECT_EQ(applied[i].second, d[i].verdict) << "id " << d[i].id;
  }
  EXPECT_LT(plan_verdicts(d).size(), d.size());
}

TEST(SingleVerdicts, OnePerDecisionInOrder) {
  std::vector<Decision> d{{1, A}, {2, A}, {3, D}};
  EXPECT_EQ(single_verdicts(d), (std::vector{single(1, A), single(2, A), single(3, D)}));
}

TEST(IdAfter, Wraps) {
  EXPECT_TRUE(id_after(1, 0));
  EXPECT_FALSE(id_after(0, 0));
  EXPECT_FALSE(id_after(0, 1));
  EXPECT_TRUE(id_after(0, 0xffffffff));
  EXPECT_FALSE(id_after(0xffffffff, 0));
}

}  // namespace
}  // namespace icmpwall::queue
