// SPDX-License-Identifier: GPL-2.0-or-later
// daemon/nflog_reader.cpp's handler: datagrams of NFLOG messages become
// events of the right rule, counted per rule, family and type, at most the
// configured rate; hostile bytes are counted, never trusted. And
// nflog_events.cpp: which rule a group and prefix name, and the lines.
#include "icmpwall/daemon/nflog_reader.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "../inspect/icmp_builder.h"
#include "icmpwall/policy/parser.h"
#include "nflog_test_messages.h"

namespace icmpwall::daemon {
namespace {

using namespace testing;
using inspect::testing::icmp4;
using inspect::testing::icmp6;
using inspect::testing::v4;
using inspect::testing::v6;
using json = nlohmann::json;
using Clock = NflogHandler::Clock;

policy::Policy parse_policy(const std::string& text) {
  Diagnostics diags;
  auto p = policy::parse_policy_text("p.toml", text, diags);
  EXPECT_TRUE(p);
  return p ? *p : policy::Policy{};
}

const char* kPolicy = R"([icmpwall]
log-group = 3
[hooks.input]
default = "drop"
log = true
[[rule]]
name = "no-ts"
type = "timestamp-request"
action = "drop"
log = true
[[rule]]
name = "custom"
type = "echo-request"
action = "allow"
log = { prefix = "pings: " }
)";

struct Seen {
  std::vector<json> lines;
  std::vector<json> eve;
};

NflogSink recorder(Seen& seen) {
  return [&seen](const NflogEvent& e) {
    seen.lines.push_back(json::parse(nflog_json(e)));
    seen.eve.push_back(json::parse(nflog_eve_json(e)));
  };
}

Bytes timestamp_request() {
  return icmp4(v4("198.18.1.2"), v4("198.18.2.2"), 13, 0, 0, Bytes(12, 0));
}

TEST(NflogSources, EveryLogWithAGroupNamesItsRule) {
  const auto p = parse_policy(kPolicy);
  const auto s = nflog_sources(p);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.at({3, "icmpwall no-ts "}).rule, "no-ts");
  EXPECT_TRUE(s.at({3, "icmpwall no-ts "}).blocked);
  EXPECT_EQ(s.at({3, "pings: "}).rule, "custom");
  EXPECT_EQ(s.at({3, "pings: "}).action, "allow");
  EXPECT_FALSE(s.at({3, "pings: "}).blocked);
  EXPECT_EQ(s.at({3, "icmpwall default.input "}).rule, "default.input");
  EXPECT_EQ(nflog_groups(p), std::set<uint16_t>{3});
  // Without log-group: the kernel log, no group to read.
  EXPECT_TRUE(nflog_groups(parse_policy("[hooks.input]\nlog = true\n[[rule]]\ntype = "
                                        "\"echo-request\"\naction = \"allow\"\nlog = true\n"))
                  .empty());
}

TEST(NflogHandler, PacketBecomesAStructuredEvent) {
  Seen seen;
  NflogHandler h(nflog_sources(parse_policy(kPolicy)), 100, recorder(seen));
  NflogMessageSpec s;
  s.payload = timestamp_request();
  s.indev = 1;  // lo
  h.datagram(nflog_message(s));
  ASSERT_EQ(seen.lines.size(), 1u);
  const json& l = seen.lines[0];
  EXPECT_EQ(l["event"], "log");
  EXPECT_EQ(l["rule"], "no-ts");
  EXPECT_EQ(l["action"], "drop");
  EXPECT_EQ(l["group"], 3);
  EXPECT_EQ(l["hook"], "input");
  EXPECT_EQ(l["family"], "ipv4");
  EXPECT_EQ(l["src"], "198.18.1.2");
  EXPECT_EQ(l["type"], 13);
  EXPECT_EQ(l["code"], 0);
  EXPECT_EQ(l["iif"], "lo");
  const json& e = seen.eve[0];
  EXPECT_EQ(e["event_type"], "alert");
  EXPECT_EQ(e["src_ip"], "198.18.1.2");
  EXPECT_EQ(e["dest_ip"], "198.18.2.2");
  EXPECT_EQ(e["proto"], "ICMP");
  EXPECT_EQ(e["icmp_type"], 13);
  EXPECT_EQ(e["icmp_code"], 0);
  EXPECT_EQ(e["in_iface"], "lo");
  EXPECT_EQ(e["alert"]["signature"], "no-ts");
  EXPECT_EQ(e["alert"]["action"], "blocked");
  EXPECT_EQ(e["icmpwall"]["rule"], "no-ts");
  EXPECT_EQ(e["icmpwall"]["prefix"], "icmpwall no-ts ");
  EXPECT_TRUE(e["timestamp"].get<std::string>().size() == 31) << e["timestamp"];
  const auto c = h.counters();
  EXPECT_EQ(c.received, 1u);
  EXPECT_EQ(c.events, 1u);
  EXPECT_EQ((c.packets.at({"no-ts", policy::Family::ipv4, 13})), 1u);
}

TEST(NflogHandler, Ipv6AndACustomPrefix) {
  Seen seen;
  NflogHandler h(nflog_sources(parse_policy(kPolicy)), 100, recorder(seen));
  NflogMessageSpec s;
  s.family = NFPROTO_IPV6;
  s.prefix = "pings: ";
  s.indev = 0;
  s.payload = icmp6(v6("2001:db8::1"), v6("2001:db8::2"), 128, 0, 0x00010001, Bytes(8, 1));
  h.datagram(nflog_message(s));
  ASSERT_EQ(seen.eve.size(), 1u);
  EXPECT_EQ(seen.eve[0]["alert"]["signature"], "custom");
  EXPECT_EQ(seen.eve[0]["alert"]["action"], "allowed");
  EXPECT_EQ(seen.eve[0]["proto"], "IPv6-ICMP");
  EXPECT_EQ(seen.eve[0]["icmp_type"], 128);
  EXPECT_FALSE(seen.eve[0].contains("in_iface"));
}

TEST(NflogHandler, UnknownPrefixAndUndecodablePayload) {
  Seen seen;
  NflogHandler h(nflog_sources(parse_policy(kPolicy)), 100, recorder(seen));
  NflogMessageSpec s;
  s.prefix = "someone else ";
  s.payload = timestamp_request();
  h.datagram(nflog_message(s));
  NflogMessageSpec junk;
  junk.payload = Bytes{0x45, 0, 0};  // not even an IP header
  h.datagram(nflog_message(junk));
  ASSERT_EQ(seen.lines.size(), 2u);
  EXPECT_EQ(seen.lines[0]["rule"], "someone else ");
  EXPECT_FALSE(seen.lines[0].contains("action"));
  EXPECT_EQ(seen.eve[0]["icmpwall"]["rule"], "other");
  EXPECT_EQ(seen.lines[1]["rule"], "no-ts");
  EXPECT_FALSE(seen.lines[1].contains("type"));
  EXPECT_FALSE(seen.eve[1].contains("src_ip"));
  const auto c = h.counters();
  EXPECT_EQ(c.unknown_rule, 1u);
  EXPECT_EQ(c.undecoded, 1u);
  EXPECT_EQ((c.packets.at({"other", policy::Family::ipv4, 13})), 1u);
}

// The daemon's own bound: a burst of 50 at one instant gives the bucket's
// 10 events; a second later 10 more; every packet is counted.
TEST(NflogHandler, EventRateIsBounded) {
  Seen seen;
  NflogHandler h(nflog_sources(parse_policy(kPolicy)), 10, recorder(seen));
  NflogMessageSpec s;
  s.payload = timestamp_request();
  const Bytes one = nflog_message(s);
  const auto t0 = Clock::now();
  for (int i = 0; i < 50; ++i) h.datagram(one, t0);
  EXPECT_EQ(seen.lines.size(), 10u);
  for (int i = 0; i < 50; ++i) h.datagram(one, t0 + std::chrono::seconds(1));
  EXPECT_EQ(seen.lines.size(), 20u);
  const auto c = h.counters();
  EXPECT_EQ(c.received, 100u);
  EXPECT_EQ(c.events, 20u);
  EXPECT_EQ(c.suppressed, 80u);
  EXPECT_EQ((c.packets.at({"no-ts", policy::Family::ipv4, 13})), 100u);
}

// Several messages in one datagram; bytes after them that are not a whole
// message are ignored; a message of the wrong type is malformed.
TEST(NflogHandler, DatagramOfSeveralMessagesAndATail) {
  Seen seen;
  NflogHandler h(nflog_sources(parse_policy(kPolicy)), 100, recorder(seen));
  NflogMessageSpec s;
  s.payload = timestamp_request();
  Bytes d = nflog_message(s);
  const Bytes one = d;
  d.insert(d.end(), one.begin(), one.end());
  Bytes other = one;
  reinterpret_cast<nlmsghdr*>(other.data())->nlmsg_type = 0x7777;
  d.insert(d.end(), other.begin(), other.end());
  d.insert(d.end(), one.begin(), one.begin() + 20);  // cut
  h.datagram(d);
  EXPECT_EQ(seen.lines.size(), 2u);
  EXPECT_EQ(h.counters().malformed, 1u);
}

// Random and mangled bytes: never a crash or an out-of-bounds read (the
// sanitizer build checks the latter), at most one event per message.
TEST(NflogHandler, HostileDatagramsNeverCrash) {
  Seen seen;
  NflogHandler h(nflog_sources(parse_policy(kPolicy)), 1000, recorder(seen));
  NflogMessageSpec s;
  s.payload = timestamp_request();
  const Bytes good = nflog_message(s);
  std::mt19937 rng(12);
  for (int i = 0; i < 2000; ++i) {
    Bytes b = good;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    h.datagram(b);
  }
  for (int i = 0; i < 200; ++i) {
    Bytes b(rng() % 300);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    h.datagram(b);
  }
  h.datagram({});
  EXPECT_LE(seen.lines.size(), 2000u);
  const auto c = h.counters();
  EXPECT_EQ(c.events + c.suppressed, c.received);
}

TEST(NflogCounters, AddUp) {
  NflogCounters a, b;
  a.received = 2;
  a.packets[{"r", policy::Family::ipv6, 128}] = 2;
  b.received = 3;
  b.overflows = 1;
  b.packets[{"r", policy::Family::ipv6, 128}] = 3;
  add_counters(a, b);
  EXPECT_EQ(a.received, 5u);
  EXPECT_EQ(a.overflows, 1u);
  EXPECT_EQ((a.packets[{"r", policy::Family::ipv6, 128}]), 5u);
}

}  // namespace
}  // namespace icmpwall::daemon
