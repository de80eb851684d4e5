// SPDX-License-Identifier: GPL-2.0-or-later
// inspect/engine.h: mask_prefix clears the bits past the prefix; a block
// covers the sender's prefix of the configured length and is requested
// once per prefix while it lasts (a second address of a blocked IPv6 /64
// asks for nothing more, another /64 does); the block callback runs
// without the engine's lock, so another thread's inspect() goes on while
// it waits. The block guards: never the host's own addresses, its
// gateways and routers, link-local and other special addresses, never-block
// prefixes, nor a sender that is not proven by its link-layer address
// (verify link) or its reverse path (verify route); a prefix holding
// something protected is narrowed to the sender alone. The policy-wide
// enforce cap and the "would" it leaves in the event.
#include "icmpwall/inspect/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// The link-layer address every test sender's frames come from, on
// interface 1; another host's.
const LinkAddress kSenderMac{{0x02, 0, 0, 0, 0, 0x01}, 6};
const LinkAddress kOtherMac{{0x02, 0, 0, 0, 0, 0x99}, 6};

PacketContext ctx_from(const LinkAddress& mac, uint32_t iif = 1) {
  PacketContext ctx;
  ctx.iif = iif;
  std::copy_n(mac.bytes.begin(), mac.len, ctx.hwaddr.begin());
  ctx.hwaddr_len = mac.len;
  return ctx;
}
PacketContext ctx1() {
  return ctx_from(kSenderMac);
}

// Routes in which every test sender is proven: 198.18.0.0/15 and
// 2001:db8::/40 are connected to interface 1, and each sender's
// neighbour entry holds kSenderMac.
std::shared_ptr<StaticRouteView> senders_view(std::initializer_list<const char*> senders) {
  auto v = std::make_shared<StaticRouteView>();
  v->add_connected(addr("198.18.0.0"), 15, 1).add_connected(addr("2001:db8::"), 40, 1);
  for (const char* s : senders) v->add_neighbour(addr(s), 1, kSenderMac);
  return v;
}

struct Blocks {
  std::mutex mutex;
  std::vector<BlockedPrefix> prefixes;
  std::vector<std::chrono::seconds> periods;
};

// What the event callback saw, per event.
struct Seen {
  std::string reason;
  Outcome outcome;
  std::optional<Outcome> would;
  std::string withheld;
  std::optional<BlockedPrefix> block;
};

Engine engine_with(Blocks& blocks, EngineConfig config = {},
                   std::shared_ptr<RouteView> routes = nullptr,
                   std::vector<Seen>* events = nullptr) {
  if (!routes)
    routes = senders_view({"198.18.1.2", "2001:db8:1::2", "2001:db8:1::3", "2001:db8:3::2",
                           "2001:db8:1::4", "2001:db8:1:77::2"});
  Engine::EventFn on_event;
  if (events)
    on_event = [events](const Event& e) {
      events->push_back({e.finding->reason, e.finding->outcome, e.would,
                         e.block_withheld ? e.block_withheld : "", e.block});
    };
  return Engine(config, std::move(routes), std::move(on_event),
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
              Clock::time_point start, const PacketContext& ctx = ctx1()) {
  Outcome last = Outcome::pass;
  for (int i = 1; i <= count; ++i) {
    const Bytes b = request(src, net + std::to_string(i), static_cast<uint16_t>(i));
    last = engine.inspect(b, ctx, start + i * 1ms).outcome;
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

TEST(EngineBlockTest, PrefixLengthsComeFromTheConfig) {
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
  Engine engine(EngineConfig{}, senders_view({"198.18.1.2"}), {},
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
  EXPECT_EQ(engine.inspect(b, ctx1(), t0 + 1s).outcome, Outcome::pass);
  {
    std::lock_guard lock(m);
    other_done = true;
  }
  cv.notify_all();
  sweeper.join();
  EXPECT_TRUE(released) << "inspect() waited for the block callback";
  EXPECT_GE(engine.counters().packets, 41u);
}

// --- who may be blocked ---------------------------------------------------

// Sweeps from `src` (40 destinations of `net`, enough for a block) with
// `routes`; expects nothing blocked and returns the guard named by the
// first detection's event.
std::string withheld(const std::string& src, const std::string& net,
                     std::shared_ptr<StaticRouteView> routes, EngineConfig config = {},
                     const PacketContext& ctx = ctx1()) {
  Blocks blocks;
  std::vector<Seen> events;
  Engine engine = engine_with(blocks, config, std::move(routes), &events);
  EXPECT_EQ(sweep(engine, src, net, 40, t0, ctx), Outcome::drop) << src;
  EXPECT_TRUE(blocks.prefixes.empty()) << src;
  EXPECT_EQ(engine.counters().blocked, 0u) << src;
  EXPECT_EQ(engine.counters().block_requests, 0u) << src;
  if (events.empty()) return "(no event)";
  EXPECT_EQ(events.front().outcome, Outcome::drop);
  EXPECT_FALSE(events.front().block);
  return events.front().withheld;
}

TEST(EngineBlockGuardTest, TheHostsOwnAddressIsNeverBlocked) {
  for (const char* self : {"198.18.1.2", "2001:db8:1::2"}) {
    auto routes = senders_view({self});
    routes->add_local(addr(self));
    const std::string net = addr(self).family == Family::ipv4 ? "198.18.2." : "2001:db8:2::";
    EXPECT_EQ(withheld(self, net, routes), "own-address") << self;
  }
}

TEST(EngineBlockGuardTest, GatewaysAndRoutersAreNeverBlocked) {
  // IPv4: the gateway of the default route.
  auto v4 = senders_view({"198.18.1.1"});
  v4->add_route(addr("0.0.0.0"), 0, Route{addr("198.18.1.1"), 1});
  EXPECT_EQ(withheld("198.18.1.1", "198.18.2.", v4), "gateway");
  // IPv6: a global gateway of a route, and a neighbour flagged as router
  // that no route names.
  auto v6 = senders_view({"2001:db8:1::1"});
  v6->add_route(addr("2001:db8:9::"), 48, Route{addr("2001:db8:1::1"), 1});
  EXPECT_EQ(withheld("2001:db8:1::1", "2001:db8:2::", v6), "gateway");
  auto ra = senders_view({});
  ra->add_neighbour(addr("2001:db8:1::fe"), 1, kSenderMac, /*router=*/true);
  EXPECT_EQ(withheld("2001:db8:1::fe", "2001:db8:2::", ra), "gateway");
}

TEST(EngineBlockGuardTest, SpecialAddressesAreNeverBlocked) {
  auto routes = senders_view({"fe80::1:2", "169.254.7.9", "127.0.0.9", "::1", "0.0.0.0"});
  EXPECT_EQ(withheld("fe80::1:2", "2001:db8:3::", routes), "link-local");
  EXPECT_EQ(withheld("169.254.7.9", "198.18.3.", routes), "link-local");
  EXPECT_EQ(withheld("127.0.0.9", "198.18.3.", routes), "loopback");
  EXPECT_EQ(withheld("::1", "2001:db8:3::", routes), "loopback");
  EXPECT_EQ(withheld("0.0.0.0", "198.18.3.", routes), "unspecified");
  EXPECT_EQ(withheld("::", "2001:db8:3::", routes), "unspecified");
  EXPECT_EQ(withheld("224.0.0.9", "198.18.3.", routes), "multicast");
  EXPECT_EQ(withheld("ff02::9", "2001:db8:3::", routes), "multicast");
  EXPECT_EQ(withheld("255.255.255.255", "198.18.3.", routes), "broadcast");
}

TEST(EngineBlockGuardTest, NeverBlockPrefixesAreNeverBlocked) {
  EngineConfig config;
  config.block.never_block = {{addr("198.18.1.0"), 24}, {addr("2001:db8:1::"), 48}};
  auto routes = senders_view({"198.18.1.2", "2001:db8:1:5::2"});
  EXPECT_EQ(withheld("198.18.1.2", "198.18.2.", routes, config), "never-block");
  EXPECT_EQ(withheld("2001:db8:1:5::2", "2001:db8:2::", routes, config), "never-block");
}

TEST(EngineBlockGuardTest, LinkVerificationWantsTheNeighboursOwnLinkLayerAddress) {
  for (const char* src : {"198.18.1.2", "2001:db8:1::2"}) {
    const std::string net = addr(src).family == Family::ipv4 ? "198.18.2." : "2001:db8:2::";
    // Another host's frame carrying the sender's address.
    EXPECT_EQ(withheld(src, net, senders_view({src}), {}, ctx_from(kOtherMac)), "unverified-sender")
        << src;
    // No neighbour entry: unproven.
    EXPECT_EQ(withheld(src, net, senders_view({})), "unverified-sender") << src;
    // No link-layer address reported, or no input interface.
    PacketContext bare;
    bare.iif = 1;
    EXPECT_EQ(withheld(src, net, senders_view({src}), {}, bare), "unverified-sender") << src;
    EXPECT_EQ(withheld(src, net, senders_view({src}), {}, PacketContext{}), "unverified-sender")
        << src;
    // The entry is on another interface than the packet came in on.
    EXPECT_EQ(withheld(src, net, senders_view({src}), {}, ctx_from(kSenderMac, 2)),
              "unverified-sender")
        << src;
  }
}

TEST(EngineBlockGuardTest, OffLinkSendersNeedTheReversePathCheck) {
  for (const char* src : {"203.0.113.7", "2001:db8:ff00::7"}) {
    const Address a = addr(src);
    const std::string net = a.family == Family::ipv4 ? "198.18.2." : "2001:db8:2::";
    auto routes = [&](uint32_t back_oif) {
      auto v = senders_view({});
      v->add_route(
          a.family == Family::ipv4 ? addr("0.0.0.0") : addr("::"), 0,
          Route{a.family == Family::ipv4 ? addr("198.18.0.1") : addr("2001:db8::1"), back_oif});
      return v;
    };
    // A frame from the gateway's MAC, off-link source: `link` never blocks it.
    EXPECT_EQ(withheld(src, net, routes(1)), "unverified-sender") << src;
    // `route`: the way back leaves by another interface: spoofed.
    EngineConfig config;
    config.block.verify = BlockConfig::Verify::route;
    EXPECT_EQ(withheld(src, net, routes(2), config), "unverified-sender") << src;
    // `route`, and the way back leaves by the interface it came in on.
    Blocks blocks;
    std::vector<Seen> events;
    Engine engine = engine_with(blocks, config, routes(1), &events);
    EXPECT_EQ(sweep(engine, src, net, 40, t0), Outcome::drop);
    ASSERT_EQ(blocks.prefixes.size(), 1u) << src;
    EXPECT_EQ(blocks.prefixes[0], mask_prefix(a, a.family == Family::ipv4 ? 32 : 64));
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front().outcome, Outcome::block);
    EXPECT_EQ(events.front().withheld, "");
  }
}

TEST(EngineBlockGuardTest, RouteVerificationStillChecksOnLinkSendersByLinkLayer) {
  EngineConfig config;
  config.block.verify = BlockConfig::Verify::route;
  auto routes = senders_view({"198.18.1.2", "2001:db8:1::2"});
  routes->add_route(addr("198.18.0.0"), 15, Route{std::nullopt, 1});
  routes->add_route(addr("2001:db8::"), 40, Route{std::nullopt, 1});
  EXPECT_EQ(withheld("198.18.1.2", "198.18.2.", routes, config, ctx_from(kOtherMac)),
            "unverified-sender");
  EXPECT_EQ(withheld("2001:db8:1::2", "2001:db8:2::", routes, config, ctx_from(kOtherMac)),
            "unverified-sender");
}

TEST(EngineBlockGuardTest, APrefixHoldingSomethingProtectedIsNarrowedToTheSender) {
  // The /64 holds the host's own address; the /24 (configured) the gateway;
  // another /64 a never-block /128.
  EngineConfig config;
  config.block.ipv4_prefix = 24;
  config.block.never_block = {{addr("2001:db8:3::53"), 128}};
  auto routes = senders_view({"2001:db8:1::2", "198.18.1.2", "2001:db8:3::2", "2001:db8:4::2"});
  routes->add_local(addr("2001:db8:1::1"));
  routes->add_route(addr("0.0.0.0"), 0, Route{addr("198.18.1.1"), 1});
  Blocks blocks;
  Engine engine = engine_with(blocks, config, routes);
  sweep(engine, "2001:db8:1::2", "2001:db8:2::", 40, t0);
  sweep(engine, "198.18.1.2", "198.18.2.", 40, t0);
  sweep(engine, "2001:db8:3::2", "2001:db8:5::", 40, t0);
  sweep(engine, "2001:db8:4::2", "2001:db8:6::", 40, t0);
  ASSERT_EQ(blocks.prefixes.size(), 4u);
  EXPECT_EQ(blocks.prefixes[0], (BlockedPrefix{addr("2001:db8:1::2"), 128}));
  EXPECT_EQ(blocks.prefixes[1], (BlockedPrefix{addr("198.18.1.2"), 32}));
  EXPECT_EQ(blocks.prefixes[2], (BlockedPrefix{addr("2001:db8:3::2"), 128}));
  // Nothing protected in it: the whole /64.
  EXPECT_EQ(blocks.prefixes[3], (BlockedPrefix{addr("2001:db8:4::"), 64}));
}

// --- dry run ---------------------------------------------------------------

// A tunnel's block that the engine withholds (the frame did not come from
// the sender's own link-layer address: spoofable) drops the packet that
// asked for it, but does not condemn the flow: the next clean packet of
// the same session passes. Spoofed evidence cannot cut off the session of
// the address it names.
TEST(EngineBlockGuardTest, AWithheldTunnelBlockDoesNotCondemnTheFlow) {
  for (const char* src : {"198.18.1.2", "2001:db8:1::2"}) {
    const bool v4 = addr(src).family == Family::ipv4;
    const std::string dst = v4 ? "198.18.2.2" : "2001:db8:2::2";
    const uint8_t req = v4 ? 8 : 128, rep = v4 ? 0 : 129;
    Blocks blocks;
    std::vector<Seen> events;
    Engine engine = engine_with(blocks, {}, nullptr, &events);
    const PacketContext spoofed = ctx_from(kOtherMac);
    auto clean = [&](uint16_t seq) { return iputils(56, 1700000000, seq); };
    // A completed exchange, so the flow may lead to a block.
    Finding f =
        engine.inspect(detect_test::build(addr(src), addr(dst), req, 7, 1, clean(1)), spoofed, t0);
    ASSERT_EQ(f.outcome, Outcome::pass) << src;
    f = engine.inspect(detect_test::build(addr(dst), addr(src), rep, 7, 1, clean(1)), ctx1(),
                       t0 + 1ms);
    ASSERT_EQ(f.outcome, Outcome::pass) << src;
    // An IP packet inside an echo request: block-worthy on its own.
    Bytes data(64);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * i * 131 + 7);
    const Bytes inner = detect_test::build(addr(src), addr(dst), req, 9, 9, data);
    f = engine.inspect(detect_test::build(addr(src), addr(dst), req, 7, 2, inner), spoofed,
                       t0 + 1s);
    EXPECT_EQ(f.outcome, Outcome::drop) << src;
    ASSERT_FALSE(events.empty()) << src;
    EXPECT_EQ(events.back().withheld, "unverified-sender") << src;
    EXPECT_TRUE(blocks.prefixes.empty()) << src;
    // The session's next ordinary ping passes.
    f = engine.inspect(detect_test::build(addr(src), addr(dst), req, 7, 3, clean(3)), spoofed,
                       t0 + 2s);
    EXPECT_EQ(f.outcome, Outcome::pass) << src;
  }
}

TEST(EngineEnforceTest, LogPassesEverythingAndSaysWhatWouldHaveHappened) {
  EngineConfig config;
  config.enforce = Enforce::log;
  Blocks blocks;
  std::vector<Seen> events;
  Engine engine = engine_with(blocks, config, nullptr, &events);
  EXPECT_EQ(sweep(engine, "198.18.1.2", "198.18.2.", 40, t0), Outcome::log);
  EXPECT_EQ(sweep(engine, "2001:db8:1::2", "2001:db8:2::", 40, t0), Outcome::log);
  EXPECT_TRUE(blocks.prefixes.empty());
  const auto c = engine.counters();
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.blocked, 0u);
  EXPECT_EQ(c.passed, c.packets);
  ASSERT_GE(events.size(), 4u);
  // First the block that was not made, then the drops that were not made.
  EXPECT_EQ(events[0].outcome, Outcome::log);
  EXPECT_EQ(events[0].would, Outcome::block);
  EXPECT_EQ(events[1].would, Outcome::drop);
  for (const auto& e : events) EXPECT_EQ(e.outcome, Outcome::log);
  // Malformed packets pass too.
  EXPECT_EQ(engine.inspect(Bytes{0x45, 0}, ctx1(), t0 + 1s).outcome, Outcome::log);
  EXPECT_EQ(events.back().reason, "malformed");
  EXPECT_EQ(events.back().would, Outcome::drop);
}

TEST(EngineEnforceTest, DropBlocksNobodyAndAWithheldBlockStaysAWithheldDrop) {
  EngineConfig config;
  config.enforce = Enforce::drop;
  Blocks blocks;
  std::vector<Seen> events;
  auto routes = senders_view({"198.18.1.2", "2001:db8:1::2"});
  routes->add_local(addr("2001:db8:1::2"));
  Engine engine = engine_with(blocks, config, routes, &events);
  EXPECT_EQ(sweep(engine, "198.18.1.2", "198.18.2.", 40, t0), Outcome::drop);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].outcome, Outcome::drop);
  EXPECT_EQ(events[0].would, Outcome::block);
  events.clear();
  EXPECT_EQ(sweep(engine, "2001:db8:1::2", "2001:db8:2::", 40, t0), Outcome::drop);
  ASSERT_FALSE(events.empty());
  // The guard lowered it first: nothing left for the cap to lower.
  EXPECT_EQ(events[0].withheld, "own-address");
  EXPECT_FALSE(events[0].would);
  EXPECT_TRUE(blocks.prefixes.empty());
  EXPECT_EQ(engine.counters().blocked, 0u);
}

TEST(ConntrackFromCtinfoTest, MapsTheKernelsValues) {
  EXPECT_EQ(conntrack_from_ctinfo(0), Conntrack::established);
  EXPECT_EQ(conntrack_from_ctinfo(1), Conntrack::related);
  EXPECT_EQ(conntrack_from_ctinfo(2), Conntrack::new_flow);
  EXPECT_EQ(conntrack_from_ctinfo(3), Conntrack::reply);
  EXPECT_EQ(conntrack_from_ctinfo(4), Conntrack::related);
  EXPECT_EQ(conntrack_from_ctinfo(7), Conntrack::unknown);
  EXPECT_EQ(conntrack_from_ctinfo(5), Conntrack::unknown);
}

}  // namespace
}  // namespace icmpwall::inspect
