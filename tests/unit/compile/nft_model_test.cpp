// SPDX-License-Identifier: GPL-2.0-or-later
// The nft model's helpers: counting rules and elements, finding a queue.
#include "icmpwall/compile/nft_model.h"

#include <gtest/gtest.h>

namespace icmpwall::nft {
namespace {

Table two_chains() {
  Table t;
  t.chains.resize(2);
  t.chains[0].rules.resize(3);
  t.chains[1].rules.resize(2);
  t.sets.resize(2);
  t.sets[0].elements.resize(4);
  t.sets[1].elements.resize(1);
  return t;
}

TEST(NftModel, CountsTheRulesOfEveryChain) {
  EXPECT_EQ(count_rules(two_chains()), 5u);
  EXPECT_EQ(count_rules(Table{}), 0u);
}

TEST(NftModel, CountsTheElementsOfEverySet) {
  EXPECT_EQ(count_elements(two_chains()), 5u);
  EXPECT_EQ(count_elements(Table{}), 0u);
}

TEST(NftModel, UsesQueueOnlyWithAQueueStatement) {
  Table t = two_chains();
  EXPECT_FALSE(uses_queue(t));
  t.chains[1].rules[0].stmts.push_back(Queue{});
  EXPECT_TRUE(uses_queue(t));
}

}  // namespace
}  // namespace icmpwall::nft
