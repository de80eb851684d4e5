// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for the ping sweep detector (src/inspect/detect/sweep.cpp).
#include "icmpwall/inspect/detect/sweep.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "detect_packets.h"

using namespace icmpwall::inspect;
using namespace detect_test;
using namespace std::chrono_literals;

namespace {

const Clock::time_point t0 = Clock::time_point{} + 1000h;

std::string v4(uint32_t host) {
  in_addr a{htonl(host)};
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, buf, sizeof buf);
}

bool has_signal(const Finding& f, std::string_view name) {
  return std::any_of(f.signals.begin(), f.signals.end(),
                     [&](const Signal& s) { return s.name == name; });
}

// Sends one echo request from `src` to each of `dsts`, `gap` apart, and
// returns the index of the first that was not passed (-1 if none).
int probe(SweepDetector& d, std::string_view src, const std::vector<std::string>& dsts,
          Clock::duration gap, Clock::time_point start = t0, Finding* out = nullptr) {
  for (size_t i = 0; i < dsts.size(); ++i) {
    auto w = echo(src, dsts[i], true, 7, static_cast<uint16_t>(i), iputils(56, 1, 1));
    Finding f = d.inspect(w.packet, start + static_cast<int>(i) * gap);
    if (f.detected()) {
      if (out) *out = f;
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::vector<std::string> scattered(size_t n, uint32_t seed) {
  // distinct addresses in no rising order
  std::vector<uint32_t> hosts(4096);
  std::iota(hosts.begin(), hosts.end(), 0x0a000000u);
  std::mt19937 rng(seed);
  std::shuffle(hosts.begin(), hosts.end(), rng);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(v4(hosts[i] * 37 % 0x1000 + 0x0a100000u));
  return out;
}

TEST(Sweep, OneHostPingedRepeatedlyIsNotASweep) {
  SweepDetector d(SweepConfig{});
  EXPECT_EQ(probe(d, "198.18.0.1", std::vector<std::string>(3000, "198.18.0.2"), 10ms), -1);
  EXPECT_EQ(d.counters().outcome(Outcome::pass), 3000u);
  EXPECT_EQ(d.sources(), 1u);
}

TEST(Sweep, AFewDestinationsAreNotASweep) {
  SweepDetector d(SweepConfig{});
  // gateway, resolvers and a handful of servers, over and over
  std::vector<std::string> dsts;
  for (int r = 0; r < 50; ++r) {
    for (auto s : {"198.18.0.254", "198.18.1.53", "198.18.2.53", "198.18.9.1", "198.18.9.7",
                   "198.18.9.12", "198.18.9.30", "198.18.40.2", "198.18.77.1", "198.18.77.2"}) {
      dsts.push_back(s);
    }
  }
  EXPECT_EQ(probe(d, "198.18.0.1", dsts, 100ms), -1);
}

TEST(Sweep, ManyScatteredDestinationsAreASweep) {
  SweepDetector d(SweepConfig{});
  Finding f;
  const int at = probe(d, "198.18.0.1", scattered(200, 1), 50ms, t0, &f);
  EXPECT_GE(at, 28);  // the 32nd distinct destination, give or take the estimate
  EXPECT_LE(at, 34);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_EQ(f.reason, "sweep");
  EXPECT_EQ(f.subject_prefix, 32);
  EXPECT_EQ(f.block_for, 600s);
  EXPECT_TRUE(has_signal(f, "destinations"));
  EXPECT_FALSE(has_signal(f, "rising-sequence"));
}

TEST(Sweep, BelowTheThresholdInScatteredOrderIsNot) {
  SweepDetector d(SweepConfig{});
  EXPECT_EQ(probe(d, "198.18.0.1", scattered(20, 2), 100ms), -1);
}

TEST(Sweep, RisingSequenceIsASweepSooner) {
  SweepDetector d(SweepConfig{});
  std::vector<std::string> dsts;
  for (uint32_t h = 1; h < 255; ++h) dsts.push_back(v4(0xc6120100u + h));  // 198.18.1.1, .2, ...
  Finding f;
  EXPECT_EQ(probe(d, "198.18.0.1", dsts, 20ms, t0, &f), 15);  // the 16th
  EXPECT_TRUE(has_signal(f, "rising-sequence"));
  EXPECT_EQ(d.counters().reason(SweepSignal::rising_sequence), 1u);
}

TEST(Sweep, RisingWithGapsWithinTheLimit) {
  SweepDetector d(SweepConfig{});
  std::vector<std::string> dsts;
  for (uint32_t h = 0; h < 20; ++h) dsts.push_back(v4(0xc6120100u + 3 * h));
  EXPECT_EQ(probe(d, "198.18.0.1", dsts, 20ms), 15);
  // gaps of 100: not a rising run, and 20 destinations are too few
  SweepDetector e(SweepConfig{});
  dsts.clear();
  for (uint32_t h = 0; h < 20; ++h) dsts.push_back(v4(0xc6120000u + 100 * h));
  EXPECT_EQ(probe(e, "198.18.0.1", dsts, 20ms), -1);
}

TEST(Sweep, WindowSlides) {
  const auto all = scattered(40, 3);
  const std::vector<std::string> first(all.begin(), all.begin() + 20);
  const std::vector<std::string> second(all.begin() + 20, all.end());
  // 20 destinations, then 20 others long after: the window has moved on
  SweepDetector d(SweepConfig{});  // 30 s
  EXPECT_EQ(probe(d, "198.18.0.1", first, 100ms), -1);
  EXPECT_EQ(probe(d, "198.18.0.1", second, 100ms, t0 + 120s), -1);
  // the same 40 within one window: a sweep
  SweepDetector e(SweepConfig{});
  EXPECT_EQ(probe(e, "198.18.0.1", first, 100ms), -1);
  EXPECT_GE(probe(e, "198.18.0.1", second, 100ms, t0 + 5s), 8);
}

TEST(Sweep, SlowSweepOutsideTheWindowIsNot) {
  SweepDetector d(SweepConfig{});
  // one new scattered destination every 2 s: about 15 per window
  EXPECT_EQ(probe(d, "198.18.0.1", scattered(300, 5), 2s), -1);
}

TEST(Sweep, Ipv6SourcesGroupedByPrefix) {
  SweepDetector d(SweepConfig{});
  // one host rotating its source address inside its /64
  int detected_at = -1;
  Finding f;
  for (int i = 0; i < 100 && detected_at < 0; ++i) {
    char src[64], dst[64];
    snprintf(src, sizeof src, "2001:db8:1:2::%x:%x", i * 7919 % 65536, i);
    snprintf(dst, sizeof dst, "2001:db8:99::%x", (i * 2654435761u) % 65536);
    auto w = echo(src, dst, true, 1, i, iputils(56, 1, 1));
    f = d.inspect(w.packet, t0 + i * 10ms);
    if (f.detected()) detected_at = i;
  }
  EXPECT_GE(detected_at, 28);
  EXPECT_LE(detected_at, 34);
  EXPECT_EQ(d.sources(), 1u);
  EXPECT_EQ(f.subject_prefix, 64);
  // other /64s are other sources
  SweepDetector e(SweepConfig{});
  for (int i = 0; i < 100; ++i) {
    char src[64], dst[64];
    snprintf(src, sizeof src, "2001:db8:1:%x::1", i);
    snprintf(dst, sizeof dst, "2001:db8:99::%x", (i * 2654435761u) % 65536);
    EXPECT_FALSE(e.inspect(echo(src, dst, true, 1, i, iputils(56, 1, 1)).packet, t0).detected());
  }
  EXPECT_EQ(e.sources(), 100u);
}

TEST(Sweep, OtherProbeTypesCountRepliesDoNot) {
  SweepDetector d(SweepConfig{});
  const Address src = addr("198.18.0.1");
  int first = -1;
  for (int i = 0; i < 60 && first < 0; ++i) {
    const Address dst = addr(scattered(60, 6)[i]);
    const uint8_t type = i % 3 == 0 ? 13 : (i % 3 == 1 ? 17 : 15);
    const Bytes body = type == 13 ? Bytes(12, 0) : (type == 17 ? Bytes(4, 0) : Bytes{});
    if (d.inspect(wire(build(src, dst, type, 1, i, body)).packet, t0 + i * 10ms).detected())
      first = i;
  }
  EXPECT_GT(first, 0);
  // echo replies from many hosts to one (the answers to someone's sweep) are not probes
  SweepDetector e(SweepConfig{});
  for (auto& s : scattered(200, 7)) {
    EXPECT_FALSE(
        e.inspect(echo(s, "198.18.0.1", false, 1, 1, iputils(56, 1, 1)).packet, t0).detected());
  }
  EXPECT_EQ(e.sources(), 0u);
  // ICMPv6 node information queries count
  SweepDetector n(SweepConfig{});
  first = -1;
  for (int i = 0; i < 60 && first < 0; ++i) {
    char dst[64];
    snprintf(dst, sizeof dst, "2001:db8:5::%x", (i * 40503u) % 65536);
    auto w = wire(build(addr("2001:db8::1"), addr(dst), 139, 0, 0, Bytes(24, 0)));
    if (n.inspect(w.packet, t0 + i * 10ms).detected()) first = i;
  }
  EXPECT_GT(first, 0);
}

TEST(Sweep, BlockedSourceDropsThenBlockExpires) {
  SweepConfig c;
  c.block_for = 60s;
  SweepDetector d(c);
  std::vector<std::string> dsts;
  for (uint32_t h = 1; h < 100; ++h) dsts.push_back(v4(0xc6120100u + h));
  ASSERT_EQ(probe(d, "198.18.0.1", dsts, 10ms), 15);
  auto f =
      d.inspect(echo("198.18.0.1", "198.18.3.3", true, 1, 1, iputils(56, 1, 1)).packet, t0 + 1s);
  EXPECT_EQ(f.outcome, Outcome::drop);
  EXPECT_TRUE(has_signal(f, "blocked"));
  EXPECT_EQ(d.counters().outcome(Outcome::block), 1u);
  // long after: a fresh window, one destination passes
  f = d.inspect(echo("198.18.0.1", "198.18.3.3", true, 1, 1, iputils(56, 1, 1)).packet, t0 + 90s);
  EXPECT_EQ(f.outcome, Outcome::pass);
}

TEST(Sweep, EnforceLogOnly) {
  SweepConfig c;
  c.enforce = Enforce::log;
  SweepDetector d(c);
  Finding f;
  EXPECT_GE(probe(d, "198.18.0.1", scattered(100, 8), 10ms, t0, &f), 0);
  EXPECT_EQ(f.outcome, Outcome::log);
}

TEST(Sweep, SourcesStayWithinTheCap) {
  SweepConfig c;
  c.max_sources = 256;
  SweepDetector d(c);
  auto w = echo("198.18.0.1", "198.18.0.2", true, 1, 1, iputils(56, 1, 1));
  std::mt19937 rng(9);
  for (int i = 0; i < 10000; ++i) {
    const uint32_t r = rng();
    std::memcpy(w.packet.ip.src.bytes.data(), &r, 4);
    EXPECT_FALSE(d.inspect(w.packet, t0 + i * 1ms).detected());
    ASSERT_LE(d.sources(), 256u);
  }
  EXPECT_GT(d.counters().evictions, 9000u);
}

// A slow sweep beside a spoofed flood: one source probes `dsts` half a
// second apart; after its second probe, `flood_between` one-packet probes
// from random sources come before each further one. Returns the index of
// the first probe not passed (-1 if none).
int sweep_under_flood(SweepDetector& d, const std::vector<std::string>& dsts, int flood_between) {
  auto spoofed = echo("198.18.0.3", "198.18.0.2", true, 1, 1, iputils(56, 1, 1));
  std::mt19937 rng(13);
  for (size_t p = 0; p < dsts.size(); ++p) {
    const Clock::time_point start = t0 + static_cast<int>(p) * 500ms;
    for (int i = 0; p >= 2 && i < flood_between; ++i) {
      spoof_source(spoofed, rng);
      EXPECT_FALSE(d.inspect(spoofed.packet, start + i * 10us).detected());
    }
    auto w = echo("198.18.0.1", dsts[p], true, 7, static_cast<uint16_t>(p), iputils(56, 1, 1));
    if (d.inspect(w.packet, start + 400ms).detected()) return static_cast<int>(p);
  }
  return -1;
}

TEST(Sweep, SourceMidSweepSurvivesFloodOfRandomSources) {
  SweepConfig c;
  c.max_sources = 256;
  SweepDetector d(c);
  // 40 x 300 new sources: each gap alone flushes a plain LRU table.
  const int at = sweep_under_flood(d, scattered(40, 14), 300);
  EXPECT_GE(at, 25);  // about max_destinations, as without the flood
  EXPECT_LT(at, 40);
  EXPECT_GT(d.counters().evictions, 8000u);
  EXPECT_EQ(d.protected_sources(), 1u);
}

TEST(Sweep, WithoutProtectedShareTheFloodHidesTheSweep) {
  SweepConfig c;
  c.max_sources = 256;
  c.protected_share = 0;
  SweepDetector d(c);
  EXPECT_EQ(sweep_under_flood(d, scattered(40, 14), 300), -1);
  EXPECT_EQ(d.protected_sources(), 0u);
}

TEST(Sweep, SourcesWithTwoDestinationsTakeAtMostTheProtectedShare) {
  SweepConfig c;
  c.max_sources = 256;
  SweepDetector d(c);
  auto a = echo("198.18.0.1", "198.18.0.2", true, 1, 1, iputils(56, 1, 1));
  auto b = echo("198.18.0.1", "198.18.9.9", true, 1, 1, iputils(56, 1, 1));
  std::mt19937 rng(15);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t r = rng();
    std::memcpy(a.packet.ip.src.bytes.data(), &r, 4);
    std::memcpy(b.packet.ip.src.bytes.data(), &r, 4);
    EXPECT_FALSE(d.inspect(a.packet, t0 + i * 1ms).detected());
    EXPECT_FALSE(d.inspect(b.packet, t0 + i * 1ms).detected());
    ASSERT_LE(d.protected_sources(), 64u);
    ASSERT_LE(d.sources(), 256u);
  }
  EXPECT_EQ(d.protected_sources(), 64u);
}

TEST(SweepConfigCheck, Validate) {
  EXPECT_TRUE(validate(SweepConfig{}).ok());
  SweepConfig c;
  c.max_destinations = 1000;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.ipv6_prefix = 0;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.window = 1s;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.protected_share = -0.1;
  EXPECT_FALSE(validate(c).ok());
}

}  // namespace
