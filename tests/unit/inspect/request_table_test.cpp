// SPDX-License-Identifier: GPL-2.0-or-later
// The echo-request table: what a reply finds, what a full set gives up.
#include "icmpwall/inspect/detect/request_table.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

namespace icmpwall::inspect {
namespace {

using namespace std::chrono_literals;

struct Key {
  uint32_t flow;
  uint16_t seq;
  uint16_t unused;
};

const Clock::time_point t0 = Clock::time_point{} + 1000h;

RequestTable<Key>::Request at(Clock::time_point t, uint64_t hash = 7) {
  return {hash, 56, t};
}

TEST(RequestTable, AReplyTakesItsRequestOnce) {
  RequestTable<Key> t(16, 1);
  t.insert({1, 5, 0}, at(t0, 42));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_FALSE(t.take({1, 6, 0}));
  EXPECT_FALSE(t.take({2, 5, 0}));
  auto r = t.take({1, 5, 0});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hash, 42u);
  EXPECT_EQ(r->len, 56u);
  EXPECT_EQ(r->sent, t0);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.take({1, 5, 0}));
}

TEST(RequestTable, ARequestSentAgainReplacesTheFirst) {
  RequestTable<Key> t(16, 1);
  t.insert({1, 5, 0}, at(t0, 1));
  t.insert({1, 5, 0}, at(t0 + 1s, 2));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.take({1, 5, 0})->hash, 2u);
}

TEST(RequestTable, CapacityIsWholeSetsAndNeverExceeded) {
  EXPECT_EQ(RequestTable<Key>(500, 1).capacity(), 500u);
  EXPECT_EQ(RequestTable<Key>(502, 1).capacity(), 500u);
  EXPECT_EQ(RequestTable<Key>(1, 1).capacity(), 4u);
  RequestTable<Key> t(64, 3);
  for (uint16_t i = 0; i < 10000; ++i) t.insert({9, i, 0}, at(t0 + i * 1ms));
  EXPECT_EQ(t.size(), 64u);
  EXPECT_EQ(t.evictions(), 10000u - 64u);
  EXPECT_EQ(t.memory_bytes(), 16u * 128u);
}

TEST(RequestTable, AFullSetGivesUpItsOldestRequest) {
  // One set: every key lands in it.
  RequestTable<Key> t(4, 5);
  for (uint16_t i = 0; i < 4; ++i) t.insert({1, i, 0}, at(t0 + i * 1s));
  // The oldest is seq 0; a reply to seq 2 frees its entry first.
  ASSERT_TRUE(t.take({1, 2, 0}));
  t.insert({1, 10, 0}, at(t0 + 10s));  // takes the free entry
  EXPECT_EQ(t.evictions(), 0u);
  t.insert({1, 11, 0}, at(t0 + 11s));  // evicts seq 0, the oldest
  EXPECT_EQ(t.evictions(), 1u);
  EXPECT_FALSE(t.take({1, 0, 0}));
  for (uint16_t seq : {1, 3, 10, 11}) EXPECT_TRUE(t.take({1, seq, 0})) << seq;
}

TEST(RequestTable, RecentRequestsSurviveAFloodOfOthersInProportion) {
  // 16384 entries; a ping's request, then 1000 flood requests, then its
  // reply: the flood fills free entries and the ping's set is one of 4096.
  RequestTable<Key> t(16384, 11);
  t.insert({1, 1, 0}, at(t0));
  for (uint16_t i = 0; i < 1000; ++i) t.insert({2, i, 0}, at(t0 + 1ms));
  EXPECT_TRUE(t.take({1, 1, 0}));
}

}  // namespace
}  // namespace icmpwall::inspect
