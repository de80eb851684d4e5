// SPDX-License-Identifier: GPL-2.0-or-later
// Flow state under floods: the flow table never exceeds its cap and the
// detectors' heap use stays flat after warm-up, whatever the sources; a
// packet that passes costs no allocation at all (operator new is counted
// in this test binary: allocation_count.h).
// Heap use is read with mallinfo2 (glibc): bytes in use by malloc, in the
// heap and in blocks it mapped, plus the large tables' own mappings
// (table_memory.h).
#include <gtest/gtest.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "allocation_count.h"
#include "detect_packets.h"
#include "icmpwall/inspect/detect/flow_table.h"
#include "icmpwall/inspect/detect/sweep.h"
#include "icmpwall/inspect/detect/table_memory.h"
#include "icmpwall/inspect/detect/tunnel.h"

using namespace icmpwall::inspect;
using namespace detect_test;
using namespace std::chrono_literals;

namespace {

// malloc's bytes and the tables' own mappings (table_memory.h).
size_t heap_in_use() {
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd + table_memory::mapped_bytes();
}

// False under a sanitizer's allocator, which mallinfo2 does not see.
bool heap_measurable() {
  const size_t before = heap_in_use();
  auto* p = new std::vector<uint8_t>(1 << 20);
  const bool seen = heap_in_use() >= before + (1 << 20);
  delete p;
  return seen;
}

struct Key {
  uint32_t addr;
};
struct Value {
  uint64_t hits;
};

TEST(FlowTable, FindInsertEvictInLruOrder) {
  FlowTable<Key, Value> t(3, 42);
  t.find_or_insert({1}).value.hits = 1;
  t.find_or_insert({2}).value.hits = 2;
  t.find_or_insert({3}).value.hits = 3;
  EXPECT_EQ(t.size(), 3u);
  ASSERT_NE(t.find({1}), nullptr);  // 1 is now the most recent; 2 the least
  auto slot = t.find_or_insert({4});
  EXPECT_TRUE(slot.inserted);
  EXPECT_EQ(slot.value.hits, 0u);  // a reused node starts from Value{}
  EXPECT_EQ(t.peek({2}), nullptr);
  EXPECT_EQ(t.find({1})->hits, 1u);
  EXPECT_EQ(t.find({3})->hits, 3u);
  EXPECT_EQ(t.evictions(), 1u);
  EXPECT_FALSE(t.find_or_insert({3}).inserted);
  EXPECT_TRUE(t.erase({3}));
  EXPECT_FALSE(t.erase({3}));
  EXPECT_EQ(t.size(), 2u);
  // expire from the tail while stale: 4 is the least recent now
  t.find({1});
  EXPECT_EQ(t.expire([](const Value& v) { return v.hits == 0; }, 10), 1u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_NE(t.peek({1}), nullptr);
}

TEST(FlowTable, ProtectedEntriesOutliveProbationaryOnes) {
  FlowTable<Key, Value> t(4, 42, 2);
  EXPECT_EQ(t.protected_capacity(), 2u);
  auto one = t.find_or_insert({1});
  t.protect(one);
  EXPECT_TRUE(t.is_protected({1}));
  EXPECT_EQ(t.protected_size(), 1u);
  // Any number of new keys churn the other three nodes only.
  for (uint32_t k = 100; k < 1100; ++k) t.find_or_insert({k});
  EXPECT_NE(t.peek({1}), nullptr);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.evictions(), 997u);
  // Protecting twice is a no-op; a third protected key demotes the least
  // recently used one to the probationary head, where it is evicted last.
  auto two = t.find_or_insert({2});
  t.protect(two);
  t.protect(two);
  EXPECT_EQ(t.protected_size(), 2u);
  t.find({1});  // 2 is now the least recent protected entry
  t.protect(t.find_or_insert({3}));
  EXPECT_EQ(t.protected_size(), 2u);
  EXPECT_EQ(t.demotions(), 1u);
  EXPECT_FALSE(t.is_protected({2}));
  EXPECT_TRUE(t.is_protected({1}));
  EXPECT_TRUE(t.is_protected({3}));
  t.find_or_insert({4});  // evicts the last flood key, not 2
  EXPECT_NE(t.peek({2}), nullptr);
  t.find_or_insert({5});  // now 2, the probationary tail
  EXPECT_EQ(t.peek({2}), nullptr);
  EXPECT_NE(t.peek({1}), nullptr);
  // expire reaches the protected tail once the probationary one is fresh
  EXPECT_EQ(t.expire([](const Value& v) { return v.hits == 0; }, 10), 4u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.protected_size(), 0u);
}

TEST(FlowTable, ProtectedSegmentNeverExceedsItsCap) {
  FlowTable<Key, Value> t(1000, 3, protected_entries(1000, 0.25));
  EXPECT_EQ(t.protected_capacity(), 250u);
  for (uint32_t k = 0; k < 10000; ++k) {
    t.protect(t.find_or_insert({k}));
    ASSERT_LE(t.protected_size(), 250u);
    ASSERT_LE(t.size(), 1000u);
  }
  EXPECT_EQ(t.protected_size(), 250u);
  EXPECT_EQ(t.size(), 1000u);
  EXPECT_EQ(t.demotions(), 10000u - 250u);
  // A whole-table share still leaves a node to take for a new key.
  FlowTable<Key, Value> all(2, 3, 2);
  EXPECT_EQ(all.protected_capacity(), 1u);
  all.protect(all.find_or_insert({1}));
  all.protect(all.find_or_insert({2}));
  EXPECT_TRUE(all.find_or_insert({3}).inserted);
  EXPECT_EQ(all.size(), 2u);
}

TEST(FlowTable, ManyKeysCollidingBucketsStillFound) {
  FlowTable<Key, Value> t(5000, 7);
  for (uint32_t i = 0; i < 5000; ++i) t.find_or_insert({i * 65536}).value.hits = i;
  for (uint32_t i = 0; i < 5000; ++i) {
    const Value* v = t.peek({i * 65536});
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(v->hits, i);
  }
}

TEST(FlowTable, MillionRandomSourcesStayUnderCapAndFlat) {
  if (!heap_measurable()) GTEST_SKIP() << "mallinfo2 does not see this allocator";
  const size_t before = heap_in_use();
  FlowTable<TunnelDetector::FlowKey, Value> t(100000, random_seed(), 25000);
  const size_t allocated = heap_in_use() - before;
  EXPECT_GE(allocated, t.memory_bytes());
  std::mt19937 rng(1);
  TunnelDetector::FlowKey k{};
  size_t warm = 0;
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t r = rng();
    std::memcpy(k.initiator.data(), &r, 4);
    auto slot = t.find_or_insert(k);
    if (++slot.value.hits == 1 && (r & 1)) t.protect(slot);  // half of them, promoted
    ASSERT_LE(t.size(), 100000u);
    ASSERT_LE(t.protected_size(), 25000u);
    if (i == 200000) warm = heap_in_use();
  }
  EXPECT_EQ(heap_in_use(), warm);
  EXPECT_EQ(t.size(), 100000u);
}

TEST(DetectorMemory, MillionPacketsFromRandomSources) {
  if (!heap_measurable()) GTEST_SKIP() << "mallinfo2 does not see this allocator";
  TunnelConfig tc;
  tc.max_flows = 100000;
  tc.max_pending_requests = 100000;
  SweepConfig sc;
  sc.max_sources = 100000;
  const size_t before = heap_in_use();
  TunnelDetector tunnel(tc);
  SweepDetector sweep(sc);
  const size_t state = heap_in_use() - before;

  // A real ping, a tunnel packet and a sweep probe, with random sources
  // and destinations written straight into the decoded packets.
  std::mt19937 rng(2);
  auto ping = echo("198.18.0.1", "198.18.0.2", true, 1, 1, iputils(56, 1, 1));
  auto reply = echo("198.18.0.2", "198.18.0.1", false, 1, 1, iputils(56, 1, 1));
  auto tun = echo("198.18.0.1", "198.18.0.2", true, 1, 1, inner_ipv4_tcp(random_bytes(200, rng)));
  auto v6 = echo("2001:db8::1", "2001:db8::2", true, 1, 1, macos(56, 1, 1));
  Wire* kinds[] = {&ping, &reply, &tun, &v6};

  size_t warm = 0;
  uint64_t detections = 0;
  const auto start = std::chrono::steady_clock::now();
  const Clock::time_point t0 = Clock::time_point{} + 1000h;
  for (int i = 0; i < 1000000; ++i) {
    Wire& w = *kinds[i & 3];
    const uint32_t a = rng(), b = rng();
    std::memcpy(w.packet.ip.src.bytes.data(), &a, 4);
    std::memcpy(w.packet.ip.dst.bytes.data() + (i & 1) * 4, &b, 4);
    const auto now = t0 + i * 1us;
    detections += tunnel.inspect(w.packet, {}, now).detected();
    detections += sweep.inspect(w.packet, now).detected();
    ASSERT_LE(tunnel.flows(), 100000u);
    ASSERT_LE(tunnel.pending_requests(), 100000u);
    ASSERT_LE(sweep.sources(), 100000u);
    if (i == 200000) warm = heap_in_use();
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(heap_in_use(), warm);
  EXPECT_EQ(tunnel.flows(), 100000u);
  EXPECT_EQ(tunnel.protected_flows(), 25000u);  // the tunnel packets' flows, capped
  EXPECT_EQ(sweep.sources(), 100000u);
  EXPECT_LE(state, 64u << 20);  // tables for 100 000 flows, pending replies and sources
  std::printf("state %.1f MiB, %.0f ns per packet (both detectors), %llu detections\n",
              state / 1048576.0, ns / 1e6, static_cast<unsigned long long>(detections));
}

// The pass path allocates nothing: real pings of every kind (fixed fills,
// prober filler, a reply to no request that is a plain ping, fill
// patterns recorded) through a warm detector.
TEST(DetectorMemory, PassingPacketsAllocateNothing) {
  TunnelDetector tunnel(TunnelConfig{});
  std::mt19937 rng(3);
  static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890";
  std::vector<Wire> packets;
  for (uint16_t seq = 1; seq <= 50; ++seq) {
    Bytes letters(56);
    for (auto& c : letters) c = static_cast<uint8_t>(alnum[rng() % 62]);
    uint16_t id = 0;
    for (const Bytes& p : {iputils(56, 1764921600 + seq, seq), windows(), busybox(56, seq), letters,
                           iputils(1000, 1764921600 + seq, seq, {0xff})}) {
      ++id;
      packets.push_back(echo("198.18.0.1", "198.18.0.2", true, id, seq, p));
      packets.push_back(echo("198.18.0.2", "198.18.0.1", false, id, seq, p));
    }
    packets.push_back(echo("2001:db8::2", "2001:db8::1", false, 9, seq, macos(56, seq, seq)));
  }
  const Clock::time_point t0 = Clock::time_point{} + 1000h;
  int detections = 0;
  for (int round = 0; round < 2; ++round) {
    const uint64_t before = alloc_test::allocations();
    for (size_t i = 0; i < packets.size(); ++i) {
      detections += tunnel.inspect(packets[i].packet, {}, t0 + round * 1h + i * 1ms).detected();
    }
    if (round == 1) {
      EXPECT_EQ(alloc_test::allocations() - before, 0u);
    }
  }
  EXPECT_EQ(detections, 0);
  EXPECT_EQ(tunnel.flows(), 6u);
}

}  // namespace
