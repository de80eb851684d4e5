// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for the tunnel detector (src/inspect/detect/tunnel.cpp): real pings of
// every common implementation pass at normal rates; each signal fires when
// it should and not otherwise; known tools are detected and blocked.
#include "icmpwall/inspect/detect/tunnel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "detect_packets.h"

using namespace icmpwall::inspect;
using namespace detect_test;
using namespace std::chrono_literals;

namespace {

const Clock::time_point t0 = Clock::time_point{} + 1000h;

// Conntrack saw replies to this flow: an exchange completed.
const PacketContext kEstablished{.ct = Conntrack::established};

// One packet through the detector; conntrack unknown unless given.
Finding run(TunnelDetector& d, const Packet& p, Clock::time_point t, PacketContext ctx = {}) {
  return d.inspect(p, ctx, t);
}

std::set<std::string> names(const Finding& f) {
  std::set<std::string> out;
  for (const auto& s : f.signals) out.insert(s.name);
  out.erase("score");
  return out;
}

// A config where any signal drops, so each one shows in a finding.
TunnelConfig sensitive() {
  TunnelConfig c;
  c.drop_score = 0.1;
  c.block_score = 1e9;
  return c;
}

struct PingRun {
  std::string src;
  std::string dst;
  uint16_t id;
};

// Runs `count` request/reply pairs `interval` apart (reply 1 ms later,
// same payload) and returns how many packets did not pass.
int ping(TunnelDetector& d, const PingRun& s, int count, Clock::duration interval,
         const std::function<Bytes(int)>& payload, Clock::time_point start = t0) {
  int flagged = 0;
  for (int i = 0; i < count; ++i) {
    const Clock::time_point t = start + i * interval;
    const Bytes p = payload(i);
    auto req = echo(s.src, s.dst, true, s.id, static_cast<uint16_t>(i + 1), p);
    auto rep = echo(s.dst, s.src, false, s.id, static_cast<uint16_t>(i + 1), p);
    auto a = run(d, req.packet, t);
    auto b = run(d, rep.packet, t + 1ms);
    if (a.detected()) {
      ADD_FAILURE() << "request " << i << " " << a.reason << " " << *names(a).begin();
      ++flagged;
    }
    if (b.detected()) {
      ADD_FAILURE() << "reply " << i << " " << b.reason << " " << *names(b).begin();
      ++flagged;
    }
  }
  return flagged;
}

// timeval-ish stamps that change every packet
uint32_t sec(int i) {
  return 1700000000u + static_cast<uint32_t>(i);
}
uint32_t usec(int i) {
  return static_cast<uint32_t>(123457LL * i % 1000000);
}

// --- real pings pass -----------------------------------------------------

TEST(TunnelRealPings, IputilsDefaultBothFamilies) {
  TunnelDetector d(TunnelConfig{});
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 0x3c1}, 60, 1s,
                 [](int i) { return iputils(56, sec(i), usec(i)); }),
            0);
  EXPECT_EQ(ping(d, {"2001:db8::1", "2001:db8::2", 0x3c2}, 60, 1s,
                 [](int i) { return iputils(56, sec(i), usec(i)); }),
            0);
  EXPECT_EQ(d.counters().outcome(Outcome::pass), 240u);
  EXPECT_EQ(d.flows(), 2u);
}

TEST(TunnelRealPings, IputilsLargeSizes) {
  TunnelDetector d(TunnelConfig{});
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 1}, 20, 1s,
                 [](int i) { return iputils(1400, sec(i), usec(i)); }),
            0);
  // -s 65000 at 3/s for 20 s, both families (65507 is the IPv4 maximum)
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 2}, 60, 333ms,
                 [](int i) { return iputils(65000, sec(i), usec(i)); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 3}, 10, 1s,
                 [](int i) { return iputils(65507, sec(i), usec(i)); }),
            0);
  EXPECT_EQ(ping(d, {"2001:db8::1", "2001:db8::2", 4}, 30, 333ms,
                 [](int i) { return iputils(65000, sec(i), usec(i)); }),
            0);
  EXPECT_EQ(d.counters().reason(TunnelSignal::size), 0u);
  EXPECT_EQ(d.counters().reason(TunnelSignal::volume), 0u);
}

TEST(TunnelRealPings, IputilsPatternsAndIntervals) {
  TunnelDetector d(TunnelConfig{});
  const Bytes pat = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
                     0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 10}, 30, 1s,
                 [&](int i) { return iputils(56, sec(i), usec(i), pat); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 11}, 30, 1s,
                 [&](int i) { return iputils(1000, sec(i), usec(i), {0xff}); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 12}, 30, 1s,
                 [&](int i) { return iputils(100, sec(i), usec(i), text("ABC")); }),
            0);
  // -i 0.2 for a minute
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.3", 13}, 300, 200ms,
                 [&](int i) { return iputils(56, sec(i), usec(i)); }),
            0);
  // -s 8: no timestamp
  EXPECT_EQ(
      ping(d, {"198.18.0.1", "198.18.0.3", 14}, 30, 1s, [&](int) { return iputils(8, 0, 0); }), 0);
}

TEST(TunnelRealPings, BusyBoxMacOsWindows) {
  TunnelDetector d(TunnelConfig{});
  EXPECT_EQ(ping(d, {"198.18.0.5", "198.18.0.2", 20}, 30, 1s,
                 [](int i) { return busybox(56, 1000000u * static_cast<uint32_t>(i) + 17); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.5", "198.18.0.2", 21}, 30, 1s,
                 [](int i) { return busybox(4, 1000000u * static_cast<uint32_t>(i) + 17); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.5", "198.18.0.2", 22}, 30, 1s,
                 [](int i) { return busybox(1400, 777u * static_cast<uint32_t>(i), 0x5a); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.6", "198.18.0.2", 23}, 30, 1s,
                 [](int i) { return macos(56, sec(i), usec(i)); }),
            0);
  EXPECT_EQ(ping(d, {"2001:db8::6", "2001:db8::2", 24}, 30, 1s,
                 [](int i) { return macos(56, sec(i), usec(i)); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.7", "198.18.0.2", 25}, 30, 1s, [](int) { return windows(); }), 0);
  EXPECT_EQ(ping(d, {"198.18.0.7", "198.18.0.2", 26}, 30, 1s, [](int) { return windows(1472); }),
            0);
  EXPECT_EQ(ping(d, {"198.18.0.7", "198.18.0.2", 27}, 10, 1s, [](int) { return windows(65000); }),
            0);
}

TEST(TunnelRealPings, FloodPingOnlyRaisesRate) {
  TunnelDetector d(TunnelConfig{});
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 30}, 2000, 5ms,
                 [](int i) { return iputils(56, sec(i), usec(i)); }),
            0);
  EXPECT_GT(d.counters().reason(TunnelSignal::rate), 0u);
  EXPECT_EQ(d.counters().reason(TunnelSignal::variation), 0u);
  // ping -f on a fast link: 20 000 a second for 15 s, 16-byte timestamps
  // (320 KB/s of them): rate and volume, no drop.
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 31}, 300000, 50us,
                 [](int i) { return iputils(56, sec(i / 1000000), usec(i % 1000000)); }),
            0);
  EXPECT_GT(d.counters().reason(TunnelSignal::volume), 0u);
  EXPECT_EQ(d.counters().reason(TunnelSignal::bulk), 0u);
}

// A fixed random payload (nping --data-length, fping -R: drawn once per
// run) or a fixed string (oping, the blackbox exporter), fast: measured
// once, then nothing new.
TEST(TunnelRealPings, FixedRandomOrTextPayloadAtHighRate) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(23);
  const Bytes random = random_bytes(1400, rng);
  const Bytes oping = text("liboping -- ICMP ping library <http://octo.it/liboping/>");
  EXPECT_EQ(ping(d, {"198.18.0.1", "198.18.0.2", 40}, 3000, 10ms, [&](int) { return random; }), 0);
  EXPECT_EQ(ping(d, {"2001:db8::1", "2001:db8::2", 41}, 3000, 10ms, [&](int) { return oping; }), 0);
  EXPECT_EQ(d.counters().reason(TunnelSignal::entropy), 1u);
  EXPECT_EQ(d.counters().reason(TunnelSignal::text), 1u);
}

// ... but a chunk that was dropped is judged again when sent again.
TEST(TunnelSignals, ADroppedPayloadSentAgainIsDroppedAgain) {
  TunnelDetector d(TunnelConfig{});
  for (int i = 0; i < 5; ++i) {
    auto f =
        run(d, echo("198.18.0.1", "198.18.0.2", true, 42, i, text("whoami\n")).packet, t0 + i * 1s);
    EXPECT_EQ(f.outcome, Outcome::drop) << i;
  }
}

// python3-icmplib: every request fresh random letters and digits
// (random.choices over [a-zA-Z0-9]), a fixed length, one id per session.
Bytes icmplib(size_t size, std::mt19937& rng) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890";
  Bytes b(size);
  for (auto& c : b) c = static_cast<uint8_t>(alphabet[rng() % 62]);
  return b;
}

TEST(TunnelRealPings, IcmplibRandomLettersBothFamilies) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(21);
  // 300 pings 10 ms apart (icmplib's multiping pace), a long session at
  // 1/s, large and small payloads
  struct Session {
    PingRun run;
    int count;
    Clock::duration interval;
    size_t size;
  };
  for (const Session& s : {Session{{"198.18.0.1", "198.18.0.2", 0x4c1}, 300, 10ms, 56},
                           Session{{"2001:db8::1", "2001:db8::2", 0x4c2}, 300, 1s, 56},
                           Session{{"198.18.0.1", "198.18.0.2", 0x4c3}, 30, 1s, 1400},
                           Session{{"2001:db8::1", "2001:db8::2", 0x4c4}, 20, 1s, 16}}) {
    EXPECT_EQ(ping(d, s.run, s.count, s.interval, [&](int) { return icmplib(s.size, rng); }), 0);
  }
  EXPECT_EQ(d.counters().reason(TunnelSignal::text), 0u);
  EXPECT_EQ(d.counters().reason(TunnelSignal::entropy), 0u);
  EXPECT_EQ(d.counters().reason(TunnelSignal::variation), 0u);
}

// A host inspecting its input sees only the replies to its own pings (the
// requests leave through the output hook); conntrack knows them. icmplib's
// replies are filler there too: nothing detected, nobody blocked.
TEST(TunnelRealPings, IcmplibRepliesSeenAloneOnAHost) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(24);
  const PacketContext reply_ct{.ct = Conntrack::reply};
  for (size_t size : {56, 1400}) {
    for (int i = 0; i < 300; ++i) {
      const auto id = static_cast<uint16_t>(0x4d0 + size);
      auto w = echo("2001:db8:1::10", "2001:db8::1", false, id, static_cast<uint16_t>(i),
                    icmplib(size, rng));
      EXPECT_FALSE(run(d, w.packet, t0 + i * 1s, reply_ct).detected()) << size << " " << i;
    }
  }
  // Without conntrack's word the same replies are unsolicited: dropped.
  auto w = echo("2001:db8:1::10", "2001:db8::1", false, 0x4ff, 1, icmplib(56, rng));
  EXPECT_EQ(run(d, w.packet, t0 + 400s).outcome, Outcome::drop);
}

// --- evidence direction ------------------------------------------------------

// Echo replies nobody asked for, carrying text, from a host on the client
// side to a server: each is dropped (unsolicited + text), none is a block,
// and nothing is held against the server, whose own pings still pass.
TEST(TunnelDirection, UnsolicitedTextRepliesDroppedNeverBlocked) {
  for (const PacketContext ctx : {PacketContext{}, PacketContext{.ct = Conntrack::none}}) {
    TunnelDetector d(TunnelConfig{});
    int dropped = 0;
    for (int i = 0; i < 60; ++i) {
      const std::string chunk = "secret chunk " + std::to_string(i * 7919) + " of the file";
      auto f = run(d, echo("198.18.0.66", "198.18.1.10", false, 7, i, text(chunk)).packet,
                   t0 + i * 100ms, ctx);
      EXPECT_NE(f.outcome, Outcome::block) << i;
      EXPECT_TRUE(names(f).count("unsolicited")) << i;
      dropped += f.outcome == Outcome::drop;
    }
    EXPECT_EQ(dropped, 60);
    EXPECT_EQ(d.counters().outcome(Outcome::block), 0u);
    // The server (the replies' destination) pings as before.
    EXPECT_EQ(ping(
                  d, {"198.18.1.10", "198.18.0.66", 7}, 10, 1s,
                  [](int i) { return iputils(56, sec(i), usec(i)); }, t0 + 10s),
              0);
  }
}

TEST(TunnelDirection, UnsolicitedRandomRepliesDropped) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(31);
  for (int i = 0; i < 20; ++i) {
    auto f =
        run(d, echo("2001:db8::66", "2001:db8:1::10", false, 9, i, random_bytes(256, rng)).packet,
            t0 + i * 1s);
    EXPECT_EQ(f.outcome, Outcome::drop) << i;
  }
}

// A reply conntrack knows (its request went out through the kernel, e.g.
// from this host) is not unsolicited even though the table never saw the
// request.
TEST(TunnelDirection, ConntrackKnownReplyIsSolicited) {
  TunnelDetector d(TunnelConfig{});
  auto f = run(d, echo("198.18.0.2", "198.18.0.1", false, 3, 1, iputils(56, 1, 1)).packet, t0,
               PacketContext{.ct = Conntrack::reply});
  EXPECT_FALSE(f.detected());
  EXPECT_EQ(d.counters().reason(TunnelSignal::unsolicited), 0u);
  f = run(d, echo("198.18.0.2", "198.18.0.1", false, 3, 2, iputils(56, 1, 1)).packet, t0 + 1s,
          PacketContext{.ct = Conntrack::none});
  EXPECT_FALSE(f.detected());  // unsolicited alone passes
  EXPECT_EQ(d.counters().reason(TunnelSignal::unsolicited), 1u);
}

// Requests nobody answers (a spoofed source's, or a tunnel whose server is
// unreachable) are dropped as long as they look like a tunnel, and never
// blocked: no exchange completed.
TEST(TunnelDirection, NoBlockWithoutACompletedExchange) {
  TunnelDetector d(TunnelConfig{});
  for (int i = 0; i < 100; ++i) {
    auto f = run(d, echo("198.18.0.1", "198.18.1.10", true, 4, i, text("whoami\n")).packet,
                 t0 + i * 200ms);
    EXPECT_EQ(f.outcome, Outcome::drop) << i;
  }
  EXPECT_EQ(d.counters().outcome(Outcome::block), 0u);
}

// A server whose replies carry data of their own (not echoes) is blocked
// for them; the client, whose requests are ordinary pings, never is.
TEST(TunnelDirection, EvidenceStaysWithItsSender) {
  TunnelDetector d(TunnelConfig{});
  int client_blocks = 0, server_blocks = 0;
  for (int i = 0; i < 20; ++i) {
    const auto t = t0 + i * 1s;
    auto a = run(
        d, echo("198.18.0.1", "198.18.1.10", true, 5, i, iputils(56, sec(i), usec(i))).packet, t);
    auto b = run(d,
                 echo("198.18.1.10", "198.18.0.1", false, 5, i,
                      text("uid=0(root) gid=0(root) groups=0(root) " + std::to_string(i)))
                     .packet,
                 t + 1ms);
    client_blocks += a.outcome == Outcome::block;
    server_blocks += b.outcome == Outcome::block;
    if (i == 0) {
      EXPECT_FALSE(a.detected());
    }
  }
  EXPECT_EQ(client_blocks, 0);
  EXPECT_EQ(server_blocks, 1);
}

// --- each signal ---------------------------------------------------------

TEST(TunnelSignals, EntropyOnlyOnUnexplainedPayloads) {
  TunnelDetector d(sensitive());
  std::mt19937 rng(1);
  auto f = run(d, echo("198.18.0.1", "198.18.0.2", true, 1, 1, random_bytes(64, rng)).packet, t0);
  EXPECT_EQ(names(f), std::set<std::string>{"entropy"});
  // 31 random bytes: too short to judge
  f = run(d, echo("198.18.0.1", "198.18.0.2", true, 2, 1, random_bytes(31, rng)).packet, t0);
  EXPECT_FALSE(f.detected());
  // iputils' counting bytes have 8 bits of histogram entropy, and pass
  f = run(d, echo("198.18.0.1", "198.18.0.2", true, 3, 1, iputils(4096, 1, 1)).packet, t0);
  EXPECT_FALSE(f.detected());
}

TEST(TunnelSignals, SizeOfUnexplainedPayload) {
  TunnelDetector d(sensitive());
  Bytes big = text(std::string(3000, 'x'));
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<uint8_t>(i);
  auto f = run(d, echo("198.18.0.1", "198.18.0.2", true, 1, 1, big).packet, t0);
  EXPECT_TRUE(names(f).count("size"));
  big.resize(1472);
  f = run(d, echo("198.18.0.1", "198.18.0.2", true, 2, 1, big).packet, t0);
  EXPECT_FALSE(names(f).count("size"));
}

TEST(TunnelSignals, TextAndShell) {
  TunnelDetector d(sensitive());
  auto f = run(d, echo("198.18.0.1", "198.18.0.2", true, 1, 1, text("hello there")).packet, t0);
  EXPECT_EQ(names(f), std::set<std::string>{"text"});
  f = run(d, echo("198.18.0.1", "198.18.0.2", true, 2, 1, text("whoami\n")).packet, t0);
  EXPECT_EQ(names(f), std::set<std::string>{"shell"});
  // Windows' alphabet is a fill, not text.
  f = run(d, echo("198.18.0.1", "198.18.0.2", true, 3, 1, windows()).packet, t0);
  EXPECT_FALSE(f.detected());
}

TEST(TunnelSignals, ShellTextDropsAtDefaults) {
  TunnelDetector d(TunnelConfig{});
  auto f = run(
      d, echo("198.18.0.1", "198.18.0.2", true, 1, 1, text("C:\\Windows\\system32>")).packet, t0);
  EXPECT_EQ(f.outcome, Outcome::drop);
  EXPECT_EQ(f.reason, "tunnel");
}

TEST(TunnelSignals, ReplyMismatch) {
  TunnelDetector d(sensitive());
  const Bytes req = iputils(56, 1, 1);
  EXPECT_FALSE(run(d, echo("198.18.0.1", "198.18.0.2", true, 9, 1, req).packet, t0).detected());
  // the same payload back: fine
  EXPECT_FALSE(
      run(d, echo("198.18.0.2", "198.18.0.1", false, 9, 1, req).packet, t0 + 1ms).detected());
  // a reply carrying other bytes than its request
  EXPECT_FALSE(
      run(d, echo("198.18.0.1", "198.18.0.2", true, 9, 2, req).packet, t0 + 1s).detected());
  Bytes other = iputils(56, 99, 99);
  auto f = run(d, echo("198.18.0.2", "198.18.0.1", false, 9, 2, other).packet, t0 + 1s + 1ms);
  EXPECT_TRUE(names(f).count("reply-mismatch"));
  // a reply of another length
  EXPECT_FALSE(
      run(d, echo("198.18.0.1", "198.18.0.2", true, 9, 3, req).packet, t0 + 2s).detected());
  f = run(d, echo("198.18.0.2", "198.18.0.1", false, 9, 3, iputils(64, 1, 1)).packet,
          t0 + 2s + 1ms);
  EXPECT_TRUE(names(f).count("reply-mismatch"));
  // unmatched replies (request unseen, or answered long after) say nothing
  f = run(d, echo("198.18.0.2", "198.18.0.1", false, 9, 77, other).packet, t0 + 3s);
  EXPECT_FALSE(names(f).count("reply-mismatch"));
  EXPECT_FALSE(
      run(d, echo("198.18.0.1", "198.18.0.2", true, 9, 4, req).packet, t0 + 4s).detected());
  f = run(d, echo("198.18.0.2", "198.18.0.1", false, 9, 4, other).packet, t0 + 64s);
  EXPECT_FALSE(names(f).count("reply-mismatch"));
  EXPECT_EQ(d.counters().reason(TunnelSignal::reply_mismatch), 2u);
}

// Large explained payloads are compared by their model and defining
// bytes: a reply whose fill differs from its request's (another step,
// another repeated byte) still mismatches; the same fill matches.
TEST(TunnelSignals, ReplyMismatchOfLargeFills) {
  TunnelDetector d(sensitive());
  auto exchange = [&](uint16_t seq, const Bytes& request, const Bytes& reply) {
    const auto at = t0 + std::chrono::seconds(seq);
    run(d, echo("198.18.0.1", "198.18.0.2", true, 5, seq, request).packet, at);
    return names(run(d, echo("198.18.0.2", "198.18.0.1", false, 5, seq, reply).packet, at + 1ms))
        .count("reply-mismatch");
  };
  const Bytes ramp = iputils(1400, 1, 1);
  Bytes ramp2(ramp);
  for (size_t i = 16; i < ramp2.size(); ++i) ramp2[i] = static_cast<uint8_t>(16 + 2 * (i - 16));
  EXPECT_EQ(exchange(1, ramp, ramp), 0u);
  EXPECT_EQ(exchange(2, ramp, ramp2), 1u);
  EXPECT_EQ(exchange(3, busybox(1400, 9, 0), busybox(1400, 9, 0)), 0u);
  EXPECT_EQ(exchange(4, busybox(1400, 9, 0), busybox(1400, 9, 1)), 1u);
  EXPECT_EQ(exchange(5, iputils(1400, 1, 1, {0xab, 0xcd}), iputils(1400, 1, 1, {0xab, 0xce})), 1u);
  EXPECT_EQ(exchange(6, iputils(1400, 1, 1, {0xab, 0xcd}), iputils(1400, 1, 1, {0xab, 0xcd, 0xab})),
            1u);
}

TEST(TunnelSignals, VariationNeedsChangingPayloads) {
  TunnelDetector d(sensitive());
  // the same unexplained (text) payload eight times: no variation
  for (int i = 0; i < 8; ++i) {
    auto f = run(
        d,
        echo("198.18.0.1", "198.18.0.2", true, 1, i, text("status probe 0001 from monitor")).packet,
        t0 + i * 1s);
    EXPECT_FALSE(names(f).count("variation"));
  }
  // payloads that differ past 16 bytes each time: fires once the first
  // two changes are both changes
  int first = -1;
  for (int i = 0; i < 8; ++i) {
    std::string s = "status probe 0001 from monitor " + std::to_string(i);
    auto f = run(d, echo("198.18.0.1", "198.18.0.2", true, 2, i, text(s)).packet, t0 + i * 1s);
    if (names(f).count("variation") && first < 0) first = i;
  }
  EXPECT_EQ(first, 2);
  // one change, then the same again: a new fill chosen once, no variation
  // (to another destination: the one above has seen new payloads lately)
  for (int i = 0; i < 8; ++i) {
    std::string s = i < 1 ? "status probe 0001 from monitor A" : "status probe 0001 from monitor B";
    auto f = run(d, echo("198.18.0.1", "198.18.0.3", true, 3, i, text(s)).packet, t0 + i * 1s);
    EXPECT_FALSE(names(f).count("variation")) << i;
  }
}

TEST(TunnelSignals, RateAndVolume) {
  TunnelDetector d(sensitive());
  // 30 requests per second with a fill: rate only
  std::set<std::string> seen;
  for (int i = 0; i < 600; ++i) {
    auto f = run(d, echo("198.18.0.1", "198.18.0.2", true, 1, i, iputils(56, sec(i), 1)).packet,
                 t0 + i * 33ms);
    for (auto& n : names(f)) seen.insert(n);
  }
  EXPECT_EQ(seen, std::set<std::string>{"rate"});
  // 1000-byte unexplained (text) payloads at 10/s: volume, not rate
  seen.clear();
  Bytes payload = text(std::string(1000, 'q'));
  for (int i = 0; i < 100; ++i) {
    payload[i % 16 + 100] = static_cast<uint8_t>('a' + i % 26);  // not a fill
    payload[0] = static_cast<uint8_t>('a' + i % 3);
    payload[500] = static_cast<uint8_t>('b' + i % 5);
    auto f = run(d, echo("198.18.0.1", "198.18.0.9", true, 2, i, payload).packet, t0 + i * 100ms);
    for (auto& n : names(f)) seen.insert(n);
  }
  EXPECT_TRUE(seen.count("volume"));
  EXPECT_FALSE(seen.count("rate"));
}

TEST(TunnelSignals, QuerySizes) {
  TunnelDetector d(TunnelConfig{});
  const Address a = addr("198.18.0.1"), b = addr("198.18.0.2");
  EXPECT_FALSE(run(d, wire(build(a, b, 13, 5, 1, Bytes(12, 0))).packet, t0).detected());
  EXPECT_FALSE(run(d, wire(build(b, a, 14, 5, 1, Bytes(12, 0))).packet, t0).detected());
  EXPECT_FALSE(run(d, wire(build(a, b, 17, 5, 1, Bytes(4, 0))).packet, t0).detected());
  EXPECT_FALSE(run(d, wire(build(a, b, 15, 5, 1, {})).packet, t0).detected());
  auto f = run(d, wire(build(a, b, 13, 6, 1, Bytes(200, 0x41))).packet, t0);
  EXPECT_EQ(f.outcome, Outcome::drop);
  EXPECT_TRUE(names(f).count("query-size"));
  f = run(d, wire(build(a, b, 15, 6, 1, Bytes(8, 1))).packet, t0);
  EXPECT_TRUE(names(f).count("query-size"));
  f = run(d, wire(build(b, a, 18, 6, 1, Bytes(64, 1))).packet, t0);
  EXPECT_TRUE(names(f).count("query-size"));
  // ICMPv6 node information: a nonce and an IPv6 subject is normal
  const Address a6 = addr("2001:db8::1"), b6 = addr("2001:db8::2");
  EXPECT_FALSE(run(d, wire(build(a6, b6, 139, 3, 0, Bytes(24, 0))).packet, t0).detected());
  f = run(d, wire(build(a6, b6, 139, 3, 0, Bytes(1200, 0x77))).packet, t0);
  EXPECT_TRUE(names(f).count("query-size"));
}

TEST(TunnelSignals, NotQueriesPassUntouched) {
  TunnelDetector d(sensitive());
  const Address a = addr("198.18.0.1"), b = addr("198.18.0.2");
  std::mt19937 rng(5);
  // a router advertisement-ish type and a destination unreachable
  EXPECT_FALSE(run(d, wire(build(a, b, 9, 0, 0, random_bytes(100, rng))).packet, t0).detected());
  Bytes quote = inner_ipv4_tcp({});
  EXPECT_FALSE(run(d, wire(build(a, b, 3, 0, 0, quote, 1)).packet, t0).detected());
  EXPECT_EQ(d.flows(), 0u);
  EXPECT_EQ(d.counters().packets, 2u);
}

// --- misses closed -----------------------------------------------------------

// Sends requests only (the router drops what it drops; a passing request is
// answered with its echo) and counts the requests that did not pass.
int exfil(TunnelDetector& d, const PingRun& s, int count,
          const std::function<Clock::duration(int)>& at, const std::function<Bytes(int)>& payload,
          int* blocks = nullptr) {
  int dropped = 0;
  for (int i = 0; i < count; ++i) {
    const Bytes p = payload(i);
    auto req = echo(s.src, s.dst, true, s.id, static_cast<uint16_t>(i + 1), p);
    auto f = run(d, req.packet, t0 + at(i));
    if (blocks && f.outcome == Outcome::block) ++*blocks;
    if (f.detected()) {
      ++dropped;
      continue;
    }
    auto rep = echo(s.dst, s.src, false, s.id, static_cast<uint16_t>(i + 1), p);
    EXPECT_NE(run(d, rep.packet, t0 + at(i) + 1ms).outcome, Outcome::block);
  }
  return dropped;
}

Bytes encode(std::string_view alphabet, size_t n, std::mt19937& rng) {
  Bytes b(n);
  for (auto& c : b) c = static_cast<uint8_t>(alphabet[rng() % alphabet.size()]);
  return b;
}

// iputils' layout (timeval, then 40 bytes) with hex or base32 text where
// its counting fill belongs, 10 a second: every request dropped (the
// first base32 one may pass as filler: its class skew shows over two).
TEST(TunnelMisses, MimicryTimevalThenText) {
  for (const char* src : {"198.18.0.1", "2001:db8::1"}) {
    const std::string dst =
        std::string(src).find(':') != std::string::npos ? "2001:db8::9" : "198.18.0.9";
    for (std::string_view alphabet : {"0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"}) {
      TunnelDetector d(TunnelConfig{});
      std::mt19937 rng(41);
      const int dropped = exfil(
          d, {src, dst, 0x777}, 50, [](int i) { return i * 100ms; },
          [&](int i) {
            Bytes p = iputils(56, sec(i), usec(i));
            const Bytes data = encode(alphabet, 40, rng);
            std::copy(data.begin(), data.end(), p.begin() + 16);
            return p;
          });
      EXPECT_GE(dropped, 49) << src << " " << alphabet;
      EXPECT_GT(d.counters().reason(TunnelSignal::mimicry), 0u);
    }
  }
}

// 24 runs of `ping -c 1 -p <16 secret bytes>` from one source to one
// destination, each a new identifier and one packet: past the fourth
// distinct pattern every one is dropped.
TEST(TunnelMisses, PingPatternExfil) {
  for (const char* src : {"198.18.0.1", "2001:db8::1"}) {
    const std::string dst =
        std::string(src).find(':') != std::string::npos ? "2001:db8::9" : "198.18.0.9";
    TunnelDetector d(TunnelConfig{});
    std::mt19937 rng(42);
    int dropped = 0;
    for (int run_no = 0; run_no < 24; ++run_no) {
      const Bytes secret = random_bytes(16, rng);
      const auto id = static_cast<uint16_t>(1000 + run_no * 17);
      dropped += exfil(
          d, {src, dst, id}, 1, [&](int) { return run_no * 1s; },
          [&](int i) { return iputils(56, sec(run_no), usec(i), secret); });
    }
    EXPECT_EQ(dropped, 20) << src;
    EXPECT_EQ(d.counters().reason(TunnelSignal::pattern_variety), 20u);
  }
}

// An admin trying patterns: the default fill, -p ff, -p 00, -p aa55, -p
// 1234, -p deadbeef, a few pings each, some twice: nothing is dropped
// (four chosen patterns; counting bytes and zeros are nobody's choice).
TEST(TunnelMisses, AFewPingPatternsPass) {
  TunnelDetector d(TunnelConfig{});
  const std::vector<Bytes> patterns = {{},     {0xff},       {0x00}, {0xaa, 0x55},
                                       {0xff}, {0x12, 0x34}, {},     {0xde, 0xad, 0xbe, 0xef}};
  for (size_t k = 0; k < patterns.size(); ++k) {
    const auto id = static_cast<uint16_t>(300 + k);
    EXPECT_EQ(ping(
                  d, {"198.18.0.1", "198.18.0.9", id}, 3, 1s,
                  [&](int i) { return iputils(56, sec(i), usec(i), patterns[k]); }, t0 + k * 10s),
              0);
  }
  EXPECT_EQ(d.counters().reason(TunnelSignal::pattern_variety), 0u);
  EXPECT_EQ(d.pattern_pairs(), 1u);
}

// Slow exfil: one echo every 1 to 5 s, each a new encrypted or text chunk.
// Dropped from the third packet on (the first two cannot show a change).
TEST(TunnelMisses, SlowExfil) {
  std::mt19937 rng(43);
  std::uniform_int_distribution<int> gap(1000, 5000);
  std::vector<Clock::duration> at(40);
  for (size_t i = 1; i < at.size(); ++i) at[i] = at[i - 1] + std::chrono::milliseconds(gap(rng));
  const std::vector<std::string> lines = {
      "4711;Jane Doe;jane@example.com;4929 1234 5678 9012", "4712;John Roe;john@example.org;12/29",
      "4713;Erika Mustermann;erika@example.net;5500 0000 0000 0004",
      "4714;Max Mustermann;max@example.com;3400 0000 0000 009"};
  for (const char* src : {"198.18.0.1", "2001:db8::1"}) {
    const std::string dst =
        std::string(src).find(':') != std::string::npos ? "2001:db8::9" : "198.18.0.9";
    TunnelDetector encrypted(TunnelConfig{});
    EXPECT_EQ(exfil(
                  encrypted, {src, dst, 5}, 40, [&](int i) { return at[i]; },
                  [&](int) { return random_bytes(64, rng); }),
              38)
        << src;
    TunnelDetector plain(TunnelConfig{});
    EXPECT_EQ(exfil(
                  plain, {src, dst, 6}, 40, [&](int i) { return at[i]; },
                  [&](int i) { return text(lines[i % lines.size()] + " #" + std::to_string(i)); }),
              38)
        << src;
  }
}

// The same, with a new identifier for every packet (a flow each): the
// sender's payloads to that destination are new every time, across flows.
TEST(TunnelMisses, SlowExfilRotatingIdentifiers) {
  std::mt19937 rng(45);
  std::uniform_int_distribution<int> gap(1000, 5000);
  for (const char* src : {"198.18.0.1", "2001:db8::1"}) {
    const std::string dst =
        std::string(src).find(':') != std::string::npos ? "2001:db8::9" : "198.18.0.9";
    TunnelDetector d(TunnelConfig{});
    Clock::duration at{};
    int dropped = 0;
    for (int i = 0; i < 40; ++i) {
      at += std::chrono::milliseconds(gap(rng));
      const auto id = static_cast<uint16_t>(rng());
      dropped += exfil(
          d, {src, dst, id}, 1, [&](int) { return at; },
          [&](int) { return random_bytes(64, rng); });
    }
    EXPECT_EQ(dropped, 38) << src;
  }
}

// Fixed strings of two tools that probe one target with a new identifier
// each time (oping -c 1, a blackbox probe), alternating, are not new: they
// pass. So does a fresh random block drawn once a minute (nping
// --data-length run from cron).
TEST(TunnelRealPings, FixedStringsOfSeveralToolsAcrossFlows) {
  TunnelDetector d(TunnelConfig{});
  const Bytes oping = text("liboping -- ICMP ping library <http://octo.it/liboping/>");
  const Bytes blackbox = text("Prometheus Blackbox Exporter");
  for (int i = 0; i < 100; ++i) {
    const auto id = static_cast<uint16_t>(100 + i);
    EXPECT_EQ(ping(
                  d, {"198.18.0.1", "198.18.0.2", id}, 1, 1s,
                  [&](int) { return i % 2 ? oping : blackbox; }, t0 + i * 2s),
              0);
  }
  std::mt19937 rng(25);
  for (int i = 0; i < 20; ++i) {
    const auto id = static_cast<uint16_t>(300 + i);
    EXPECT_EQ(ping(
                  d, {"198.18.0.1", "198.18.0.3", id}, 1, 1s,
                  [&](int) { return random_bytes(100, rng); }, t0 + 1000s + i * 60s),
              0);
  }
}

// IPv6 bulk exfil: 1400-byte random payloads, 20 a second. Dropped from
// the third, and the client blocked once its own packets scored enough (the
// first two were answered: an exchange completed).
TEST(TunnelMisses, Ipv6BulkExfil) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(44);
  int blocks = 0;
  EXPECT_EQ(exfil(
                d, {"2001:db8::1", "2001:db8:1::9", 11}, 100, [](int i) { return i * 50ms; },
                [&](int) { return random_bytes(1400, rng); }, &blocks),
            98);
  EXPECT_GE(blocks, 1);
  // Larger than the copy range: the first packet is dropped already.
  TunnelDetector big(TunnelConfig{});
  auto w = echo("2001:db8::1", "2001:db8:1::9", true, 12, 1, random_bytes(8000, rng));
  auto cut = decode_packet(std::span(w.bytes).first(1500), DecodeOptions{.allow_truncated = true});
  ASSERT_TRUE(cut);
  EXPECT_EQ(run(big, *cut.value, t0).outcome, Outcome::drop);
}

// A packet of `size` payload bytes cut to the 1500-byte copy range.
struct Cut {
  Bytes bytes;
  Packet packet;
};
Cut cut_echo(const std::string& src, const std::string& dst, bool request, uint16_t id,
             uint16_t seq, const Bytes& payload) {
  Cut c{echo(src, dst, request, id, seq, payload).bytes, {}};
  c.bytes.resize(1500);
  auto d = decode_packet(c.bytes, DecodeOptions{.allow_truncated = true});
  EXPECT_TRUE(d);
  if (d) c.packet = *d.value;
  return c;
}

// Bytes past the copy range are unseen and may hold anything: they count
// as information. `ping -s 65000` at 1/s (64 KB/s) passes; the same fill
// in the first 1500 bytes of big pings at 10/s (635 KB/s) is dropped once
// the window shows it.
TEST(TunnelMisses, UnseenBytesCount) {
  for (const char* src : {"198.18.0.1", "2001:db8::1"}) {
    const std::string dst =
        std::string(src).find(':') != std::string::npos ? "2001:db8::9" : "198.18.0.9";
    TunnelDetector d(TunnelConfig{});
    for (int i = 0; i < 60; ++i) {
      const Bytes p = iputils(65000, sec(i), usec(i));
      auto req = cut_echo(src, dst, true, 1, static_cast<uint16_t>(i), p);
      auto rep = cut_echo(dst, src, false, 1, static_cast<uint16_t>(i), p);
      EXPECT_FALSE(run(d, req.packet, t0 + i * 1s).detected()) << i;
      EXPECT_FALSE(run(d, rep.packet, t0 + i * 1s + 1ms).detected()) << i;
    }
    int passed = 0, dropped_late = 0;
    for (int i = 0; i < 100; ++i) {
      const Bytes p = iputils(65000, sec(i), usec(i));
      auto req = cut_echo(src, dst, true, 2, static_cast<uint16_t>(i), p);
      const auto f = run(d, req.packet, t0 + 100s + i * 100ms);
      passed += !f.detected();
      dropped_late += i >= 50 && f.detected();
    }
    EXPECT_LE(passed, 45) << src;
    EXPECT_EQ(dropped_late, 50) << src;
    EXPECT_GT(d.counters().reason(TunnelSignal::bulk), 0u);
  }
}

// Random letters shaped like icmplib's, but fast: a channel of base62
// data. Explained only while within the volume budget (4 KB/s): 1400
// bytes at 10/s (14 KB/s) is judged as data once the window shows it.
TEST(TunnelMisses, FillerBeyondTheVolumeBudgetIsData) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(22);
  const int dropped = exfil(
      d, {"198.18.0.1", "198.18.0.2", 0x4c5}, 100, [](int i) { return i * 100ms; },
      [&](int) { return icmplib(1400, rng); });
  EXPECT_GE(dropped, 65);  // all but the first 3 s or so: 40 KB in the 10 s window
  EXPECT_GT(d.counters().reason(TunnelSignal::text), 0u);
}

// --- tools -----------------------------------------------------------------

TEST(TunnelTools, PtunnelBlocksItsInitiator) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(6);
  const Bytes p = ptunnel(0xDEADC0DE, 2 | kUserFlag, random_bytes(1024, rng), 0, 0, 0, 1, 0x77);
  // ptunnel's own layout in the initiator's first packet pins it, with no
  // completed exchange (the proxy never answers a dropped request): the
  // detector asks for a block of this request's source; the engine grants
  // it only to a sender it can prove (see engine_test).
  auto f = run(d, echo("198.18.0.1", "203.0.113.9", true, 0x4321, 1, p).packet, t0);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_EQ(f.reason, "tunnel");
  EXPECT_TRUE(names(f).count("ptunnel"));
  EXPECT_EQ(f.block_for, 600s);
  // Shell text without a completed exchange (a spoofed source looks like
  // this) is dropped, never blocked: that evidence does not pin a sender.
  for (int i = 0; i < 6; ++i) {
    const std::string cmd =
        "uid=0(root) gid=0(root) groups=0(root) $ cat /etc/shadow #" + std::to_string(i);
    f = run(d,
            echo("198.18.0.5", "203.0.113.9", true, 0x99, static_cast<uint16_t>(i),
                 Bytes(cmd.begin(), cmd.end()))
                .packet,
            t0 + i * 10ms);
    EXPECT_NE(f.outcome, Outcome::block) << i;
  }
  // The initiator's next packet: dropped, its block already asked for.
  f = run(d, echo("198.18.0.1", "203.0.113.9", true, 0x4321, 3, p).packet, t0 + 2ms, kEstablished);
  EXPECT_EQ(f.outcome, Outcome::drop);
  EXPECT_TRUE(names(f).count("blocked"));
  // The proxy's answer carries ptunnel's layout itself: the proxy is blocked
  // for its own packets (the block names this reply's source), once.
  const Bytes back = ptunnel(0xDEADC0DE, 2 | kProxyFlag, random_bytes(900, rng));
  f = run(d, echo("203.0.113.9", "198.18.0.1", false, 0x4321, 1, back).packet, t0 + 10ms);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_TRUE(names(f).count("ptunnel"));
  f = run(d, echo("203.0.113.9", "198.18.0.1", false, 0x4321, 2, back).packet, t0 + 11ms);
  EXPECT_EQ(f.outcome, Outcome::drop);
  EXPECT_TRUE(names(f).count("blocked"));
  EXPECT_EQ(d.counters().outcome(Outcome::block), 2u);
}

TEST(TunnelTools, PtunnelWithChangedMagic) {
  TunnelDetector d(TunnelConfig{});
  auto f = run(d,
               echo("2001:db8::1", "2001:db8::9", true, 7, 1,
                    ptunnel(0x0badf00d, 0 | kUserFlag, {}, 0xc0000201, 22))
                   .packet,
               t0, kEstablished);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_TRUE(names(f).count("ptunnel"));
}

TEST(TunnelTools, HansPingtunnelIcmptunnel) {
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(7);
  auto f = run(d,
               echo("198.18.0.1", "198.18.0.2", true, 1, 1,
                    hans("hanc", 7, inner_ipv4_tcp(random_bytes(200, rng))))
                   .packet,
               t0, kEstablished);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_TRUE(names(f).count("hans"));
  f = run(d,
          echo("198.18.0.3", "198.18.0.2", true, 1, 1,
               pingtunnel("0f0e0d0c-0b0a-0908-0706-050403020100", 0, "10.1.1.1:22",
                          random_bytes(500, rng)))
              .packet,
          t0, kEstablished);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_TRUE(names(f).count("pingtunnel"));
  f = run(
      d, echo("198.18.0.4", "198.18.0.2", true, 1, 1, inner_ipv4_tcp(text("SSH-2.0-x\r\n"))).packet,
      t0, kEstablished);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_TRUE(names(f).count("ip-packet"));
}

TEST(TunnelTools, IcmpshExchange) {
  TunnelDetector d(TunnelConfig{});
  // The slave polls with echo requests carrying command output (or
  // nothing); the master answers with the next command.
  const char* outputs[] = {
      "Microsoft Windows [Version 10.0.19045.3570]\r\n"
      "(c) Microsoft Corporation. All rights reserved.\r\n\r\nC:\\Users\\bob>",
      "",
      "desktop-7\\bob\r\n\r\nC:\\Users\\bob>",
      "",
      "Windows IP Configuration\r\n\r\nC:\\Users\\bob>",
      ""};
  const char* commands[] = {"whoami\n", "", "ipconfig\n", "", "dir\n", ""};
  Outcome worst = Outcome::pass;
  int dropped = 0;
  for (int i = 0; i < 6; ++i) {
    auto req = echo("198.18.0.50", "203.0.113.66", true, 1, i, text(outputs[i]));
    auto rep = echo("203.0.113.66", "198.18.0.50", false, 1, i, text(commands[i]));
    for (auto* w : {&req, &rep}) {
      auto f = run(d, w->packet, t0 + i * 200ms);
      if (f.outcome != Outcome::pass) ++dropped;
      worst = std::max(worst, f.outcome);
    }
  }
  EXPECT_GE(dropped, 4);
  EXPECT_EQ(worst, Outcome::block);
  EXPECT_GT(d.counters().reason(TunnelSignal::shell), 0u);
  EXPECT_GT(d.counters().reason(TunnelSignal::reply_mismatch), 0u);
}

TEST(TunnelTools, EncryptedTunnelWithoutKnownLayout) {
  // e.g. pingtunnel with encryption, or a home-made tool: random-looking
  // payloads, replies that are not echoes. Each side is blocked for what
  // its own packets carried: the server for its replies (random, not
  // echoes), the client for its requests (random, every one different).
  TunnelDetector d(TunnelConfig{});
  std::mt19937 rng(8);
  int first_drop = -1;
  std::map<std::string, int> first_block;  // sender -> exchange
  for (int i = 0; i < 30; ++i) {
    auto req = echo("198.18.0.8", "203.0.113.5", true, 99, i, random_bytes(512, rng));
    auto rep = echo("203.0.113.5", "198.18.0.8", false, 99, i, random_bytes(512, rng));
    auto a = run(d, req.packet, t0 + i * 100ms);
    auto b = run(d, rep.packet, t0 + i * 100ms + 20ms);
    if (first_drop < 0 && (a.detected() || b.detected())) first_drop = i;
    if (a.outcome == Outcome::block) first_block.emplace("client", i);
    if (b.outcome == Outcome::block) first_block.emplace("server", i);
  }
  EXPECT_EQ(first_drop, 0);  // the first reply: entropy + mismatch
  ASSERT_TRUE(first_block.count("server"));
  ASSERT_TRUE(first_block.count("client"));
  EXPECT_LE(first_block["server"], 2);
  EXPECT_LE(first_block["client"], 5);
}

// --- verdict policy ---------------------------------------------------------

TEST(TunnelVerdicts, EnforceCapsTheOutcome) {
  const Bytes p = inner_ipv4_tcp(text("x"));
  TunnelConfig log_only;
  log_only.enforce = Enforce::log;
  TunnelDetector a(log_only);
  EXPECT_EQ(run(a, echo("198.18.0.1", "198.18.0.2", true, 1, 1, p).packet, t0).outcome,
            Outcome::log);
  TunnelConfig drop_only;
  drop_only.enforce = Enforce::drop;
  TunnelDetector b(drop_only);
  auto f = run(b, echo("198.18.0.1", "198.18.0.2", true, 1, 1, p).packet, t0);
  EXPECT_EQ(f.outcome, Outcome::drop);
  EXPECT_EQ(f.block_for, 0s);
}

TEST(TunnelVerdicts, BlockExpiresAndScoreDecays) {
  TunnelConfig c;
  c.block_for = 60s;
  TunnelDetector d(c);
  const Bytes p = inner_ipv4_tcp(text("x"));
  EXPECT_EQ(
      run(d, echo("198.18.0.1", "198.18.0.2", true, 1, 1, p).packet, t0, kEstablished).outcome,
      Outcome::block);
  EXPECT_EQ(run(d, echo("198.18.0.1", "198.18.0.2", true, 1, 2, p).packet, t0 + 30s, kEstablished)
                .outcome,
            Outcome::drop);
  EXPECT_EQ(run(d, echo("198.18.0.1", "198.18.0.2", true, 1, 3, p).packet, t0 + 61s, kEstablished)
                .outcome,
            Outcome::block);
  // After a long quiet spell (decayed score, and an idle flow starts afresh)
  // a real ping in the same flow passes.
  EXPECT_EQ(
      run(d, echo("198.18.0.1", "198.18.0.2", true, 1, 4, iputils(56, 1, 1)).packet, t0 + 1000s)
          .outcome,
      Outcome::pass);
}

TEST(TunnelConfigCheck, Validate) {
  EXPECT_TRUE(validate(TunnelConfig{}).ok());
  TunnelConfig c;
  c.entropy_bits = 9;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.max_flows = 0;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.variation_changes = 9;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.rate_window = 0s;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.protected_share = 0.95;
  EXPECT_FALSE(validate(c).ok());
  c.protected_share = 0;
  EXPECT_TRUE(validate(c).ok());
}

TEST(TunnelState, FlowsStayWithinTheCap) {
  TunnelConfig c;
  c.max_flows = 1000;
  c.max_pending_requests = 500;
  TunnelDetector d(c);
  auto w = echo("198.18.0.1", "198.18.0.2", true, 1, 1, iputils(56, 1, 1));
  std::mt19937 rng(9);
  for (int i = 0; i < 20000; ++i) {
    uint32_t r = rng();
    std::memcpy(w.packet.ip.src.bytes.data(), &r, 4);
    run(d, w.packet, t0 + i * 1ms);
    ASSERT_LE(d.flows(), 1000u);
    ASSERT_LE(d.pending_requests(), 500u);
  }
  EXPECT_EQ(d.flows(), 1000u);
  EXPECT_GT(d.counters().evictions, 18000u);
  EXPECT_EQ(d.pattern_pairs(), 0u);  // a default fill is not recorded per source
}

// A slow tunnel beside a spoofed flood: `packets` shell packets (each
// drop-worthy, none a block alone), one a second from one flow, with
// `flood_between` one-packet pings from random sources before each.
// Returns the outcome and flow score of each tunnel packet.
std::vector<Finding> tunnel_under_flood(TunnelDetector& d, int packets, int flood_between) {
  auto tun = echo("198.18.0.1", "198.18.0.2", true, 9, 1, text("whoami\n"));
  auto spoofed = echo("198.18.0.3", "198.18.0.2", true, 1, 1, iputils(56, 1, 1));
  std::mt19937 rng(11);
  std::vector<Finding> out;
  for (int p = 0; p < packets; ++p) {
    const Clock::time_point start = t0 + p * 1s;
    for (int i = 0; i < flood_between; ++i) {
      spoof_source(spoofed, rng);
      EXPECT_FALSE(run(d, spoofed.packet, start + i * 10us).detected());
    }
    out.push_back(run(d, tun.packet, start + 500ms, kEstablished));
  }
  return out;
}

TEST(TunnelState, ScoringFlowSurvivesFloodOfRandomSources) {
  TunnelConfig c;
  c.max_flows = 1000;
  TunnelDetector d(c);
  // 10 x 1000 new sources: each gap alone flushes a plain LRU table.
  const auto found = tunnel_under_flood(d, 10, 1000);
  ASSERT_EQ(found.size(), 10u);
  EXPECT_EQ(found[0].outcome, Outcome::drop);
  for (size_t i = 1; i < found.size(); ++i) {
    EXPECT_GT(found[i].score, found[i - 1].score) << "packet " << i;
  }
  EXPECT_TRUE(std::any_of(found.begin(), found.end(),
                          [](const Finding& f) { return f.outcome == Outcome::block; }));
  EXPECT_GT(d.counters().evictions, 8000u);  // the flood did churn the table
  EXPECT_EQ(d.protected_flows(), 1u);        // and none of it was promoted
}

TEST(TunnelState, WithoutProtectedShareTheFloodResetsTheScore) {
  TunnelConfig c;
  c.max_flows = 1000;
  c.protected_share = 0;
  TunnelDetector d(c);
  const auto found = tunnel_under_flood(d, 10, 1000);
  ASSERT_EQ(found.size(), 10u);
  for (const Finding& f : found) {
    EXPECT_EQ(f.outcome, Outcome::drop);
    EXPECT_EQ(f.score, c.weights.shell);  // a fresh flow every time
  }
  EXPECT_EQ(d.protected_flows(), 0u);
}

TEST(TunnelState, ScoringFloodTakesAtMostTheProtectedShare) {
  TunnelConfig c;
  c.max_flows = 1000;
  TunnelDetector d(c);
  auto w = echo("198.18.0.1", "198.18.0.2", true, 1, 1, text("whoami\n"));
  std::mt19937 rng(12);
  for (int i = 0; i < 10000; ++i) {
    spoof_source(w, rng);
    EXPECT_TRUE(run(d, w.packet, t0 + i * 100us).detected());
    ASSERT_LE(d.protected_flows(), 250u);
    ASSERT_LE(d.flows(), 1000u);
  }
  EXPECT_EQ(d.protected_flows(), 250u);
  EXPECT_EQ(d.flows(), 1000u);  // demoted flows wait in the probationary part
}

TEST(TunnelState, RealPingsAndFloodPingsAreNotPromoted) {
  TunnelDetector d(TunnelConfig{});
  ping(d, {"198.18.0.1", "198.18.0.2", 0x3c1}, 20, 1s,
       [](int i) { return iputils(56, sec(i), usec(i)); });
  EXPECT_EQ(d.protected_flows(), 0u);
  // A flood ping: rate fires on every packet, and is no evidence alone.
  for (int i = 0; i < 500; ++i) {
    auto req = echo("198.18.0.5", "198.18.0.2", true, 4, static_cast<uint16_t>(i + 1),
                    iputils(56, sec(0), usec(i)));
    run(d, req.packet, t0 + i * 5ms);
  }
  EXPECT_GT(d.counters().reason(TunnelSignal::rate), 0u);
  EXPECT_EQ(d.protected_flows(), 0u);
}

}  // namespace
