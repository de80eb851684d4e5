// SPDX-License-Identifier: GPL-2.0-or-later
// The tunnel detector inside the inspection engine, seen from the block
// callback: traffic aimed at getting an innocent address blocked gets
// packets dropped and nothing blocked. Unsolicited echo replies with text
// sent to a server (reply-only exfil, or an attempt to get the server
// blocked as the flow's "subject") and tunnel-like requests with a spoofed
// source that nobody answers never reach the block callback.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect_packets.h"
#include "engine_feed.h"
#include "icmpwall/inspect/engine.h"

namespace icmpwall::inspect {
namespace {

using namespace std::chrono_literals;
using detect_test::Bytes;
using detect_test::echo;
using detect_test::text;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

struct Recorder {
  std::vector<BlockedPrefix> blocks;
  int events = 0;
};

Engine engine_for(Recorder& r) {
  return Engine(
      EngineConfig{}, std::make_shared<StaticRouteView>(), [&r](const Event&) { ++r.events; },
      [&r](const BlockedPrefix& p, std::chrono::seconds) { r.blocks.push_back(p); });
}

TEST(TunnelEngine, UnsolicitedTextRepliesToAServerBlockNothing) {
  for (const char* server : {"198.18.1.10", "2001:db8:1::10"}) {
    const std::string sender =
        std::string(server).find(':') != std::string::npos ? "2001:db8::66" : "198.18.0.66";
    for (const Conntrack ct : {Conntrack::unknown, Conntrack::none}) {
      Recorder r;
      Engine engine = engine_for(r);
      int dropped = 0;
      for (int i = 0; i < 100; ++i) {
        const auto w = echo(sender, server, false, 7, static_cast<uint16_t>(i),
                            text("exfil chunk " + std::to_string(i * 104729) + " of secrets"));
        const Finding f =
            engine_feed(engine, w.bytes, PacketContext{.iif = 1, .ct = ct}, t0 + i * 100ms);
        dropped += f.outcome == Outcome::drop;
        EXPECT_NE(f.outcome, Outcome::block);
      }
      EXPECT_EQ(dropped, 100) << server;
      EXPECT_EQ(r.events, 100);
      EXPECT_TRUE(r.blocks.empty()) << server;
      EXPECT_EQ(engine.counters().block_requests, 0u);
    }
  }
}

// Shell text in requests "from" the server's (or the gateway's, or this
// host's) address to a destination that never answers: dropped, never a
// block, whatever the source claims to be.
TEST(TunnelEngine, SpoofedTunnelRequestsNobodyAnswersBlockNothing) {
  Recorder r;
  Engine engine = engine_for(r);
  int dropped = 0;
  int n = 0;
  for (const char* spoofed : {"198.18.1.10", "198.18.0.254", "198.18.0.1"}) {
    for (int i = 0; i < 50; ++i, ++n) {
      const auto w = echo(spoofed, "198.18.2.99", true, 9, static_cast<uint16_t>(i),
                          text("uid=0(root) gid=0(root) " + std::to_string(i)));
      const Finding f = engine_feed(engine, w.bytes, PacketContext{.iif = 1}, t0 + n * 50ms);
      dropped += f.outcome == Outcome::drop;
    }
  }
  EXPECT_EQ(dropped, n);
  EXPECT_TRUE(r.blocks.empty());
}

}  // namespace
}  // namespace icmpwall::inspect
