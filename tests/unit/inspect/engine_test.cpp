// inspect/engine.h: mask_prefix clears the bits past the prefix; a block
// covers the sender's prefix of the configured length (a link-local
// sender's address alone) and is requested once per prefix while it lasts
// (a second address of a blocked IPv6 /64 asks for nothing more, another
// /64 does); the block callback runs without the engine's lock, so
// another thread's inspect() goes on while it waits.
#include "icmpwall/inspect/engine.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "detect_packets.h"

namespace icmpwall::inspect {
namespace {

using namespace std::chrono_literals;
using detect_test::addr;
using detect_test::Bytes;
using detect_test::iputils;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

// An iputils echo request from `src` to `dst`.
Bytes request(const std::string& src, const std::string& dst, uint16_t seq) {
  const Address s = addr(src);
  return detect_test::build(s, addr(dst), s.family == Family::ipv6 ? 128 : 8, 7, seq,
                            iputils(56, 1700000000, seq));
}

struct Blocks {
  std::mutex mutex;
  std::vector<BlockedPrefix> prefixes;
  std::vector<std::chrono::seconds> periods;
};

Engine engine_with(Blocks& blocks, EngineConfig config = {}) {
  return Engine(config, std::make_shared<StaticRouteView>(), {},
                [&blocks](const BlockedPrefix& p, std::chrono::seconds s) {
                  std::lock_guard lock(blocks.mutex);
                  blocks.prefixes.push_back(p);
                  blocks.periods.push_back(s);
                });
}

// `src` pings `count` neighbouring addresses of `net` (an IPv4 /24 as
// "a.b.c." or an IPv6 /64 as "p:q:r::"), one a millisecond from `start`.
// Returns the last outcome.
Outcome sweep(Engine& engine, const std::string& src, const std::string& net, int count,
              Clock::time_point start) {
  Outcome last = Outcome::pass;
  for (int i = 1; i <= count; ++i) {
    const Bytes b = request(src, net + std::to_string(i), static_cast<uint16_t>(i));
    last = engine.inspect(b, 1, start + i * 1ms).outcome;
  }
  return last;
}

TEST(MaskPrefixTest, ClearsTheBitsPastThePrefix) {
  EXPECT_EQ(mask_prefix(addr("2001:db8:1:2:3:4:5:6"), 64).address, addr("2001:db8:1:2::"));
  EXPECT_EQ(mask_prefix(addr("2001:db8:1:2:3:4:5:6"), 64).length, 64);
  EXPECT_EQ(mask_prefix(addr("2001:db8:1:ffff::1"), 52).address, addr("2001:db8:1:f000::"));
  EXPECT_EQ(mask_prefix(addr("198.18.7.200"), 24).address, addr("198.18.7.0"));
  EXPECT_EQ(mask_prefix(addr("198.18.7.200"), 31).address, addr("198.18.7.200"));
  EXPECT_EQ(mask_prefix(addr("198.18.7.201"), 31).address, addr("198.18.7.200"));
  EXPECT_EQ(mask_prefix(addr("198.18.7.201"), 0).address, addr("0.0.0.0"));
  // Longer than the family: the whole address.
  EXPECT_EQ(mask_prefix(addr("198.18.7.201"), 64).address, addr("198.18.7.201"));
  EXPECT_EQ(mask_prefix(addr("198.18.7.201"), 64).length, 32);
  EXPECT_EQ(mask_prefix(addr("2001:db8::1"), 200).length, 128);
}

TEST(EngineBlockTest, AnIpv4SweepBlocksItsSenderAlone) {
  Blocks blocks;
  Engine engine = engine_with(blocks);
  EXPECT_EQ(sweep(engine, "198.18.1.2", "198.18.2.", 40, t0), Outcome::drop);
  ASSERT_EQ(blocks.prefixes.size(), 1u);
  EXPECT_EQ(blocks.prefixes[0].address, addr("198.18.1.2"));
  EXPECT_EQ(blocks.prefixes[0].length, 32);
  EXPECT_EQ(blocks.periods[0], SweepConfig{}.block_for);
  EXPECT_EQ(engine.counters().block_requests, 1u);
}

TEST(EngineBlockTest, AnIpv6SweepBlocksItsSendersSlash64Once) {
  Blocks blocks;
  Engine engine = engine_with(blocks);
  sweep(engine, "2001:db8:1::2", "2001:db8:2::", 40, t0);
  ASSERT_EQ(blocks.prefixes.size(), 1u);
  EXPECT_EQ(blocks.prefixes[0].address, addr("2001:db8:1::"));
  EXPECT_EQ(blocks.prefixes[0].length, 64);

  // A second address of the same /64 sweeps on: the kernel holds the
  // prefix already, nothing more is asked.
  sweep(engine, "2001:db8:1::3", "2001:db8:4::", 40, t0 + 1s);
  EXPECT_EQ(blocks.prefixes.size(), 1u);

  // Another /64 is another block.
  sweep(engine, "2001:db8:3::2", "2001:db8:5::", 40, t0 + 2s);
  ASSERT_EQ(blocks.prefixes.size(), 2u);
  EXPECT_EQ(blocks.prefixes[1].address, addr("2001:db8:3::"));
  EXPECT_EQ(engine.counters().block_requests, 2u);

  // Once the block has run out, the prefix is asked for again.
  sweep(engine, "2001:db8:1::4", "2001:db8:6::", 40, t0 + SweepConfig{}.block_for + 10s);
  ASSERT_EQ(blocks.prefixes.size(), 3u);
  EXPECT_EQ(blocks.prefixes[2].address, addr("2001:db8:1::"));
}

TEST(EngineBlockTest, PrefixLengthsComeFromTheConfigButLinkLocalStandsAlone) {
  Blocks blocks;
  EngineConfig config;
  config.block.ipv4_prefix = 24;
  config.block.ipv6_prefix = 48;
  Engine engine = engine_with(blocks, config);
  sweep(engine, "198.18.1.2", "198.18.2.", 40, t0);
  sweep(engine, "2001:db8:1:77::2", "2001:db8:2::", 40, t0);
  ASSERT_EQ(blocks.prefixes.size(), 2u);
  EXPECT_EQ(blocks.prefixes[0].address, addr("198.18.1.0"));
  EXPECT_EQ(blocks.prefixes[0].length, 24);
  EXPECT_EQ(blocks.prefixes[1].address, addr("2001:db8:1::"));
  EXPECT_EQ(blocks.prefixes[1].length, 48);

  // A link-local source is blocked alone: fe80::/64 is every neighbour's.
  sweep(engine, "fe80::1:2", "2001:db8:3::", 40, t0);
  sweep(engine, "169.254.7.9", "198.18.3.", 40, t0);
  ASSERT_EQ(blocks.prefixes.size(), 4u);
  EXPECT_EQ(blocks.prefixes[2].address, addr("fe80::1:2"));
  EXPECT_EQ(blocks.prefixes[2].length, 128);
  EXPECT_EQ(blocks.prefixes[3].address, addr("169.254.7.9"));
  EXPECT_EQ(blocks.prefixes[3].length, 32);
}

// The block callback waits until another thread's inspect() has returned.
// Were the engine's mutex held across the callback, that inspect() could
// not return and the callback would give up at its (generous) bound.
TEST(EngineBlockTest, ASlowBlockDoesNotStallOtherInspections) {
  std::mutex m;
  std::condition_variable cv;
  bool entered = false;
  bool other_done = false;
  bool released = false;
  Engine engine(EngineConfig{}, std::make_shared<StaticRouteView>(), {},
                [&](const BlockedPrefix&, std::chrono::seconds) {
                  std::unique_lock lock(m);
                  entered = true;
                  cv.notify_all();
                  released = cv.wait_for(lock, 30s, [&] { return other_done; });
                });

  std::thread sweeper([&] { sweep(engine, "198.18.1.2", "198.18.2.", 40, t0); });
  {
    std::unique_lock lock(m);
    EXPECT_TRUE(cv.wait_for(lock, 30s, [&] { return entered; })) << "no block was requested";
  }
  // The sweeper sits in the block callback now.
  const Bytes b = request("198.18.1.9", "198.18.2.2", 1);
  EXPECT_EQ(engine.inspect(b, 1, t0 + 1s).outcome, Outcome::pass);
  {
    std::lock_guard lock(m);
    other_done = true;
  }
  cv.notify_all();
  sweeper.join();
  EXPECT_TRUE(released) << "inspect() waited for the block callback";
  EXPECT_GE(engine.counters().packets, 41u);
}

}  // namespace
}  // namespace icmpwall::inspect
