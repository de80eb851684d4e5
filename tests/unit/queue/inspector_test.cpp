// SPDX-License-Identifier: GPL-2.0-or-later
// The worker thread's edge around an Inspector's batch: every packet gets a
// verdict, the one that threw gets the queue's failure verdict, and the
// packets after it are still judged.
#include "icmpwall/queue/inspector.h"

#include <gtest/gtest.h>

#include <new>
#include <vector>

namespace icmpwall::queue {
namespace {

// Drops packets whose first byte is 1, throws on 2, accepts the rest.
class ByFirstByte final : public Inspector {
 public:
  Verdict inspect(std::span<const uint8_t> packet, const PacketInfo&) override {
    ++calls;
    if (packet[0] == 2) throw std::bad_alloc();
    return packet[0] == 1 ? Verdict::drop : Verdict::accept;
  }
  int calls = 0;
};

// The same through a batch override that judges several packets per call.
class BatchByFirstByte final : public Inspector {
 public:
  Verdict inspect(std::span<const uint8_t>, const PacketInfo&) override { return Verdict::accept; }
  void inspect_batch(std::span<const QueuedPacket> packets, std::span<Verdict> verdicts,
                     size_t& judged) override {
    ++batches;
    for (; judged < packets.size(); ++judged) {
      const uint8_t b = packets[judged].bytes[0];
      if (b == 2) throw std::bad_alloc();
      verdicts[judged] = b == 1 ? Verdict::drop : Verdict::accept;
    }
  }
  int batches = 0;
};

struct Batch {
  explicit Batch(std::vector<uint8_t> first) : bytes(std::move(first)) {
    for (auto& b : bytes) packets.push_back({std::span(&b, 1), {}});
  }
  std::vector<uint8_t> bytes;
  std::vector<QueuedPacket> packets;
};

const std::vector<Verdict> kExpected = {Verdict::accept, Verdict::drop, Verdict::drop,
                                        Verdict::accept, Verdict::drop, Verdict::drop};

// Judges {0, 2, 1, 0, 2, 1}: two throw (failed closed), the rest are judged.
void expect_judged_past_throws(Inspector& inspector) {
  Batch b({0, 2, 1, 0, 2, 1});
  std::vector<Verdict> verdicts(b.packets.size(), Verdict::accept);
  EXPECT_EQ(judge_batch(inspector, b.packets, verdicts, Verdict::drop), 2u);
  EXPECT_EQ(verdicts, kExpected);
}

TEST(JudgeBatch, APacketThatThrowsGetsTheFailureVerdictAndTheRestAreJudged) {
  ByFirstByte inspector;
  expect_judged_past_throws(inspector);
  EXPECT_EQ(inspector.calls, 6);
}

TEST(JudgeBatch, ABatchOverrideResumesAfterThePacketThatThrew) {
  BatchByFirstByte inspector;
  expect_judged_past_throws(inspector);
  EXPECT_EQ(inspector.batches, 3) << "one call, then one after each throw";
}

TEST(JudgeBatch, FailOpenAcceptsThePacketThatThrew) {
  Batch b({2, 1});
  ByFirstByte inspector;
  std::vector<Verdict> verdicts(2, Verdict::drop);
  EXPECT_EQ(judge_batch(inspector, b.packets, verdicts, Verdict::accept), 1u);
  EXPECT_EQ(verdicts, (std::vector<Verdict>{Verdict::accept, Verdict::drop}));
}

TEST(JudgeBatch, AnEmptyBatchCallsNothing) {
  BatchByFirstByte inspector;
  EXPECT_EQ(judge_batch(inspector, {}, {}, Verdict::drop), 0u);
  EXPECT_EQ(inspector.batches, 0);
}

}  // namespace
}  // namespace icmpwall::queue
