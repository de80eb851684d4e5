// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's detection event: what the engine's Event says becomes JSON
// fields (the packet, the context the kernel reported, the block and what
// the enforce cap or a block guard changed).
#include "icmpwall/daemon/events.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../inspect/icmp_builder.h"

namespace icmpwall::daemon {
namespace {

using namespace inspect::testing;
using json = nlohmann::json;

struct Detected {
  inspect::Packet packet;
  inspect::Finding finding;
  inspect::PacketContext ctx;
  Bytes bytes;
};

Detected detected(inspect::Outcome outcome) {
  Detected d;
  d.bytes = icmp4(v4("198.18.1.2"), v4("198.18.2.2"), 8, 0, 0x00010001, Bytes(16, 0x61));
  d.packet = *inspect::decode_packet(d.bytes).value;
  d.finding.outcome = outcome;
  d.finding.reason = "sweep";
  d.finding.block_for = std::chrono::seconds(600);
  d.ctx.iif = 4;
  d.ctx.hwaddr = {0x02, 0, 0, 0, 0xab, 0x01};
  d.ctx.hwaddr_len = 6;
  d.ctx.ct = inspect::Conntrack::related;
  return d;
}

TEST(DriftJson, CountsAndABoundedListOfDetails) {
  DriftFinding f;
  f.table = "icmpwall";
  f.counts.extra = 1;
  f.counts.overrides = 24;
  f.lines.push_back("chain input: rule 4 (handle 9) extra: live \"icmp type echo-request drop\"");
  for (int i = 0; i < 24; ++i) f.lines.push_back("override: ipv4 input type " + std::to_string(i));
  const auto j = json::parse(drift_json(f));
  EXPECT_EQ(j["event"], "drift");
  EXPECT_EQ(j["table"], "icmpwall");
  EXPECT_EQ(j["drift"], true);
  EXPECT_EQ(j["extra"], 1);
  EXPECT_EQ(j["overrides"], 24);
  ASSERT_EQ(j["details"].size(), kDriftDetails);
  EXPECT_EQ(j["details"][0], f.lines[0]);
  EXPECT_EQ(j["details_omitted"], 25 - kDriftDetails);

  const auto clean = json::parse(drift_json({"icmpwall", {}, {}}));
  EXPECT_EQ(clean["drift"], false);
  EXPECT_TRUE(clean["details"].empty());
  EXPECT_FALSE(clean.contains("details_omitted"));
}

TEST(DetectionJson, CarriesTheContextAndTheBlock) {
  Detected d = detected(inspect::Outcome::block);
  inspect::Event e{&d.packet, &d.finding, &d.ctx};
  e.block = inspect::BlockedPrefix{v4("198.18.1.2"), 32};
  auto j = json::parse(detection_json(e));
  EXPECT_EQ(j["action"], "block");
  EXPECT_EQ(j["src"], "198.18.1.2");
  EXPECT_EQ(j["iif"], 4);
  EXPECT_EQ(j["hwaddr"], "02:00:00:00:ab:01");
  EXPECT_EQ(j["ct"], "related");
  EXPECT_EQ(j["block_s"], 600);
  EXPECT_EQ(j["block_prefix"], "198.18.1.2/32");
  EXPECT_FALSE(j.contains("block_withheld"));
  EXPECT_FALSE(j.contains("would"));
  EXPECT_FALSE(j.contains("subject"));
}

TEST(DetectionJson, SaysWhatWasWithheldAndWhatWouldHaveHappened) {
  Detected d = detected(inspect::Outcome::drop);
  d.ctx = {};
  inspect::Event e{&d.packet, &d.finding, &d.ctx};
  e.block_withheld = "unverified-sender";
  auto j = json::parse(detection_json(e));
  EXPECT_EQ(j["action"], "drop");
  EXPECT_EQ(j["block_withheld"], "unverified-sender");
  EXPECT_FALSE(j.contains("block_prefix"));
  EXPECT_FALSE(j.contains("hwaddr"));
  EXPECT_FALSE(j.contains("ct")) << "unknown is not reported";

  Detected l = detected(inspect::Outcome::log);
  inspect::Event dry{&l.packet, &l.finding, &l.ctx};
  dry.would = inspect::Outcome::block;
  j = json::parse(detection_json(dry));
  EXPECT_EQ(j["action"], "log");
  EXPECT_EQ(j["would"], "block");
}

// The eve-style line: every field SIEMs map from Suricata's eve.json.
EveTime at_utc() {
  // 2026-12-05T19:38:44.000042 UTC
  return {std::chrono::system_clock::time_point(std::chrono::seconds(1796499524) +
                                                std::chrono::microseconds(42)),
          0};
}

TEST(EveJson, EveryFieldOfABlockedTunnel) {
  Detected d = detected(inspect::Outcome::block);
  d.finding.reason = "tunnel";
  d.finding.score = 0.75;
  inspect::Event e{&d.packet, &d.finding, &d.ctx};
  e.block = inspect::BlockedPrefix{v4("198.18.1.2"), 32};
  auto j = json::parse(eve_json(e, "eth0", at_utc()));
  EXPECT_EQ(j["timestamp"], "2026-12-05T19:38:44.000042+0000");
  EXPECT_EQ(j["event_type"], "alert");
  EXPECT_EQ(j["src_ip"], "198.18.1.2");
  EXPECT_EQ(j["dest_ip"], "198.18.2.2");
  EXPECT_EQ(j["proto"], "ICMP");
  EXPECT_EQ(j["icmp_type"], 8);
  EXPECT_EQ(j["icmp_code"], 0);
  EXPECT_EQ(j["in_iface"], "eth0");
  EXPECT_EQ(j["alert"]["action"], "blocked");
  EXPECT_EQ(j["alert"]["signature_id"], 9100001);
  EXPECT_EQ(j["alert"]["signature"], "ICMPWALL ICMP tunnel");
  EXPECT_EQ(j["alert"]["category"], "Potential Corporate Privacy Violation");
  EXPECT_EQ(j["alert"]["severity"], 1);
  EXPECT_EQ(j["icmpwall"]["reason"], "tunnel");
  EXPECT_EQ(j["icmpwall"]["outcome"], "block");
  EXPECT_EQ(j["icmpwall"]["score"], 0.75);
  EXPECT_EQ(j["icmpwall"]["block_prefix"], "198.18.1.2/32");
  EXPECT_EQ(j["icmpwall"]["block_seconds"], 600);
}

TEST(EveJson, Ipv6AndALoggedSweepIsAllowed) {
  Detected d;
  d.bytes = icmp6(v6("2001:db8::1"), v6("2001:db8:0:2::2"), 128, 0, 0x00010001, Bytes(8, 0));
  d.packet = *inspect::decode_packet(d.bytes).value;
  d.finding.outcome = inspect::Outcome::log;
  d.finding.reason = "sweep";
  inspect::Event e{&d.packet, &d.finding, &d.ctx};
  e.would = inspect::Outcome::block;
  auto j = json::parse(eve_json(e, "", at_utc()));
  EXPECT_EQ(j["proto"], "IPv6-ICMP");
  EXPECT_EQ(j["src_ip"], "2001:db8::1");
  EXPECT_EQ(j["dest_ip"], "2001:db8:0:2::2");
  EXPECT_EQ(j["icmp_type"], 128);
  EXPECT_EQ(j["alert"]["action"], "allowed");
  EXPECT_EQ(j["alert"]["category"], "Detection of a Network Scan");
  EXPECT_EQ(j["icmpwall"]["would"], "block");
  EXPECT_FALSE(j.contains("in_iface")) << "no interface: no field";
  EXPECT_FALSE(j["icmpwall"].contains("block_prefix"));
}

TEST(EveJson, SignaturesByReasonFamily) {
  Detected d = detected(inspect::Outcome::drop);
  inspect::Event e{&d.packet, &d.finding, &d.ctx};
  const std::pair<const char*, int> cases[] = {
      {"redirect-bad-target", 9100003}, {"error-smuggling", 9100004}, {"something-new", 9100000}};
  for (const auto& [reason, sid] : cases) {
    d.finding.reason = reason;
    auto j = json::parse(eve_json(e, "", at_utc()));
    EXPECT_EQ(j["alert"]["signature_id"], sid) << reason;
    EXPECT_EQ(j["icmpwall"]["reason"], reason);
  }
}

TEST(EveJson, MalformedHasNoPacketFields) {
  Detected d = detected(inspect::Outcome::drop);
  d.finding.reason = "malformed";
  inspect::Event e{nullptr, &d.finding, &d.ctx};
  auto j = json::parse(eve_json(e, "eth0", at_utc()));
  for (const char* k : {"src_ip", "dest_ip", "proto", "icmp_type", "icmp_code"})
    EXPECT_FALSE(j.contains(k)) << k;
  EXPECT_EQ(j["alert"]["signature"], "ICMPWALL malformed ICMP packet");
}

// Linux lets an interface name hold quotes, backslashes and bytes that are
// not UTF-8; the line stays one valid JSON object.
TEST(EveJson, OddInterfaceNamesAreEscaped) {
  Detected d = detected(inspect::Outcome::drop);
  inspect::Event e{&d.packet, &d.finding, &d.ctx};
  const std::string text = eve_json(e, "a\"b\\c\x01\xff", at_utc());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  auto j = json::parse(text);
  EXPECT_EQ(j["in_iface"], "a\"b\\c\x01\xef\xbf\xbd");
}

TEST(EveTimestamp, MicrosecondsAndZoneOffsets) {
  auto t = at_utc();
  t.time += std::chrono::microseconds(123400);
  t.utc_offset_s = 5 * 3600 + 30 * 60;
  EXPECT_EQ(eve_timestamp(t), "2026-12-06T01:08:44.123442+0530");
  t.utc_offset_s = -8 * 3600;
  EXPECT_EQ(eve_timestamp(t), "2026-12-05T11:38:44.123442-0800");
}

}  // namespace
}  // namespace icmpwall::daemon
