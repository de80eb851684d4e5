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

}  // namespace
}  // namespace icmpwall::daemon
