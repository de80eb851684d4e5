// SPDX-License-Identifier: GPL-2.0-or-later
// The workers' indirection to the engine: per-type counting, verdicts
// from the current engine, and a swap that leaves the old engine's
// counters with the old engine.
#include "icmpwall/daemon/engine_slot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "../inspect/icmp_builder.h"

namespace icmpwall::daemon {
namespace {

using namespace inspect::testing;

std::shared_ptr<inspect::Engine> engine() {
  return std::make_shared<inspect::Engine>(inspect::EngineConfig{},
                                           std::make_shared<inspect::StaticRouteView>());
}

Bytes echo4(uint8_t type = 8) {
  return icmp4(v4("198.18.1.2"), v4("198.18.2.2"), type, 0, 0x00010001, Bytes(32, 0x61));
}

TEST(EngineSlot, CountsPacketsPerFamilyAndType) {
  EngineSlot slot(engine());
  queue::PacketInfo info;
  for (int i = 0; i < 3; ++i) slot.inspect(echo4(), info);
  slot.inspect(echo4(0), info);
  slot.inspect(icmp6(v6("2001:db8:1::2"), v6("2001:db8:2::2"), 128, 0, 0x00010001, Bytes(8, 0)),
               info);
  auto counts = slot.type_counts();
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].family, policy::Family::ipv4);
  EXPECT_EQ(counts[0].type, 0);
  EXPECT_EQ(counts[0].packets, 1u);
  EXPECT_EQ(counts[1].type, 8);
  EXPECT_EQ(counts[1].packets, 3u);
  EXPECT_EQ(counts[2].family, policy::Family::ipv6);
  EXPECT_EQ(counts[2].type, 128);
}

TEST(EngineSlot, IgnoresWhatIsNotIcmp) {
  EngineSlot slot(engine());
  slot.count_type(ipv4(v4("198.18.1.2"), v4("198.18.2.2"), 17, udp_header(1, 2)));
  slot.count_type(Bytes{0x45, 0x00});
  slot.count_type({});
  EXPECT_TRUE(slot.type_counts().empty());
}

TEST(EngineSlot, PlainEchoIsAccepted) {
  EngineSlot slot(engine());
  EXPECT_EQ(slot.inspect(echo4(), {}), queue::Verdict::accept);
  EXPECT_EQ(slot.engine()->counters().packets, 1u);
}

TEST(EngineSlot, SwapHandsOverToTheNewEngine) {
  auto first = engine();
  EngineSlot slot(first);
  slot.inspect(echo4(), {});
  auto next = engine();
  auto old = slot.swap(next);
  EXPECT_EQ(old, first);
  slot.inspect(echo4(), {});
  slot.inspect(echo4(), {});
  EXPECT_EQ(first->counters().packets, 1u);
  EXPECT_EQ(next->counters().packets, 2u);
  EXPECT_EQ(slot.type_counts()[0].packets, 3u) << "type counts span engines";
}

// A batch is judged and counted exactly as its packets one at a time:
// what decodes, what decodes only as far as its IP header (a cut ICMP
// header: dropped as malformed, its type still counted), a non-first
// fragment and a datagram that is not ICMP.
TEST(EngineSlot, ABatchIsJudgedAndCountedAsItsPacketsOneByOne) {
  std::vector<Bytes> bytes = {
      echo4(),
      ipv4(v4("198.18.1.2"), v4("198.18.2.2"), 1, Bytes{8, 0, 0, 0}),
      icmp6(v6("2001:db8:1::2"), v6("2001:db8:2::2"), 128, 0, 0x00010001, Bytes(8, 0)),
      ipv4(v4("198.18.1.2"), v4("198.18.2.2"), 17, udp_header(1, 2)),
      Bytes{0x45, 0x00},
      echo4(0),
  };
  Bytes fragment = echo4();
  fragment[7] = 0x10;  // fragment offset 16 (8-byte units): not the first
  bytes.push_back(fragment);

  std::vector<queue::QueuedPacket> packets;
  for (const auto& b : bytes) packets.push_back({b, {}});
  EngineSlot batched(engine());
  std::vector<queue::Verdict> verdicts(packets.size(), queue::Verdict::accept);
  size_t judged = 0;
  batched.inspect_batch(packets, verdicts, judged);
  EXPECT_EQ(judged, packets.size());

  EngineSlot single(engine());
  for (size_t i = 0; i < packets.size(); ++i)
    EXPECT_EQ(verdicts[i], single.inspect(bytes[i], {})) << "packet " << i;
  EXPECT_EQ(verdicts[0], queue::Verdict::accept);
  EXPECT_EQ(verdicts[1], queue::Verdict::drop) << "a cut ICMP header is malformed";

  auto counts = batched.type_counts();
  auto expected = single.type_counts();
  ASSERT_EQ(counts.size(), expected.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_EQ(counts[i].family, expected[i].family);
    EXPECT_EQ(counts[i].type, expected[i].type);
    EXPECT_EQ(counts[i].packets, expected[i].packets);
  }
  ASSERT_EQ(counts.size(), 3u) << "v4 echo reply, v4 echo (2, one cut), v6 echo";
  EXPECT_EQ(counts[1].type, 8);
  EXPECT_EQ(counts[1].packets, 2u);
  EXPECT_EQ(batched.engine()->counters().packets, single.engine()->counters().packets);
  EXPECT_EQ(batched.engine()->counters().dropped, single.engine()->counters().dropped);
}

// Packets are decoded a few ahead of their judgement (and their table
// entries prefetched): a long batch of one flow whose payloads turn from
// a ping into random data, interleaved with other flows, gets the verdict
// sequence the same packets get one at a time; a batch resumed part way
// (after a packet threw at the thread edge) judges only the rest.
TEST(EngineSlot, LongBatchesAndResumedBatchesMatchOneByOne) {
  std::mt19937 rng(7);
  std::vector<Bytes> bytes;
  for (uint16_t seq = 1; seq <= 60; ++seq) {
    Bytes payload(seq < 20 ? 32 : 200);
    for (auto& b : payload) b = seq < 20 ? 0x61 : static_cast<uint8_t>(rng());
    bytes.push_back(icmp4(v4("198.18.1.2"), v4("198.18.2.2"), 8, 0, 0x00070000u | seq, payload));
    if (seq % 3 == 0) bytes.push_back(echo4(0));
    if (seq % 7 == 0) bytes.push_back(Bytes{0x45, 0x00});
  }
  std::vector<queue::QueuedPacket> packets;
  for (const auto& b : bytes) packets.push_back({b, {}});

  EngineSlot single(engine());
  std::vector<queue::Verdict> expected;
  for (const auto& b : bytes) expected.push_back(single.inspect(b, {}));
  ASSERT_NE(std::count(expected.begin(), expected.end(), queue::Verdict::drop), 0)
      << "the random payloads were not dropped: the batch would prove little";

  for (size_t start : {size_t{0}, size_t{1}, size_t{5}}) {
    EngineSlot batched(engine());
    std::vector<queue::Verdict> verdicts(packets.size(), queue::Verdict::accept);
    for (size_t i = 0; i < start; ++i) verdicts[i] = batched.inspect(bytes[i], {});
    size_t judged = start;
    batched.inspect_batch(packets, verdicts, judged);
    EXPECT_EQ(judged, packets.size());
    EXPECT_EQ(verdicts, expected) << "batch resumed at " << start;
    EXPECT_EQ(batched.engine()->counters().packets, packets.size());
  }
}

TEST(PacketContext, FromTheQueueMetadata) {
  queue::PacketInfo info;
  info.indev = 4;
  info.outdev = 6;
  info.hook = 2;  // NF_INET_FORWARD
  info.hwaddr = {2, 1, 2, 3, 4, 5};
  info.hwaddr_len = 6;
  auto ctx = packet_context(info, true);
  EXPECT_EQ(ctx.iif, 4u);
  EXPECT_EQ(ctx.oif, 6u);
  EXPECT_EQ(ctx.hook, 2);
  EXPECT_EQ(ctx.hwaddr_len, 6);
  EXPECT_EQ(ctx.hwaddr[5], 5);
  // Nobody asked the kernel: nothing is known.
  EXPECT_EQ(ctx.ct, inspect::Conntrack::unknown);
  // Asked, and no entry reported: no known flow, if the namespace tracks.
  info.ct_reported = true;
  EXPECT_EQ(packet_context(info, true).ct, inspect::Conntrack::none);
  EXPECT_EQ(packet_context(info, false).ct, inspect::Conntrack::unknown);
  info.ct_info = 1;  // IP_CT_RELATED
  EXPECT_EQ(packet_context(info, true).ct, inspect::Conntrack::related);
  EXPECT_EQ(packet_context(info, false).ct, inspect::Conntrack::related);
  info.ct_info = 7;  // IP_CT_UNTRACKED: a notrack rule, nothing to conclude
  EXPECT_EQ(packet_context(info, true).ct, inspect::Conntrack::unknown);
}

}  // namespace
}  // namespace icmpwall::daemon
