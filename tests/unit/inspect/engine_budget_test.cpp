// SPDX-License-Identifier: GPL-2.0-or-later
// inspect/engine_budget.h: the detector tables' memory is known before an
// engine is built (an upper bound of what the detectors really allocate),
// the defaults fit the budget with room to spare, and tables over the
// budget are an error at the policy setting that weighs most.
#include "icmpwall/inspect/engine_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "icmpwall/inspect/detect/sweep.h"
#include "icmpwall/inspect/detect/tunnel.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::inspect {
namespace {

using ::testing::HasSubstr;

constexpr char kInspectRule[] = "[[rule]]\ntype = \"echo-request\"\naction = \"inspect\"\n";

TEST(EngineBudget, BoundsWhatTheDetectorsAllocate) {
  for (uint32_t n : {1u, 1000u, 65536u, 100000u}) {
    SCOPED_TRACE(n);
    EngineConfig c;
    c.tunnel.max_flows = n;
    c.tunnel.max_pending_requests = n / 2 + 1;
    c.tunnel.max_pattern_pairs = n / 3 + 1;
    c.sweep.max_sources = n;
    const uint64_t real =
        TunnelDetector(c.tunnel, 1).memory_bytes() + SweepDetector(c.sweep, 1).memory_bytes();
    const uint64_t estimate = engine_table_bytes(c);
    EXPECT_GE(estimate, real);
    EXPECT_LE(estimate, real + real / 4) << "a bound, not a guess";
  }
}

TEST(EngineBudget, DefaultsFitWithRoomToSpare) {
  const uint64_t bytes = engine_table_bytes(EngineConfig{});
  std::printf("default detector tables: %.1f MiB of a %llu MiB budget\n", bytes / 1048576.0,
              static_cast<unsigned long long>(kEngineTableBudget >> 20));
  EXPECT_LT(bytes * 16, kEngineTableBudget);
  EngineConfig most;
  most.tunnel.max_flows = most.tunnel.max_pending_requests = most.tunnel.max_pattern_pairs =
      most.sweep.max_sources = 1u << 24;
  EXPECT_GT(engine_table_bytes(most), kEngineTableBudget) << "the settings' maxima are over it";
}

TEST(EngineBudget, TablesOverTheBudgetAreAnErrorAtTheLargestSetting) {
  const std::string text =
      std::string(kInspectRule) +
      "\n[inspect.sweep]\nmax-sources = 16777216\n"
      "\n[inspect.tunnel]\nmax-pending-requests = 16777216\nmax-flows = 16777216\n";
  Diagnostics parsed;
  auto p = policy::parse_policy_text("p.toml", text, parsed);
  ASSERT_TRUE(p);
  Diagnostics diags;
  EXPECT_FALSE(engine_settings(*p, diags));
  ASSERT_EQ(diags.items().size(), 1u);
  const auto& d = diags.items()[0];
  EXPECT_EQ(d.loc.line, 10u) << "at max-flows, the largest table";
  EXPECT_EQ(d.loc.col, 13u);
  EXPECT_THAT(d.message, HasSubstr("over the budget of 2048 MiB"));
  EXPECT_THAT(d.message, HasSubstr("max-flows"));
  EXPECT_THAT(d.message, HasSubstr("max-sources"));
}

TEST(EngineBudget, WithinTheBudgetGivesTheConfig) {
  Diagnostics parsed;
  auto p = policy::parse_policy_text(
      "p.toml", std::string(kInspectRule) + "\n[inspect.tunnel]\nmax-flows = 1000000\n", parsed);
  ASSERT_TRUE(p);
  Diagnostics diags;
  auto c = engine_settings(*p, diags);
  ASSERT_TRUE(c);
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(c->tunnel.max_flows, 1000000u);
}

}  // namespace
}  // namespace icmpwall::inspect
