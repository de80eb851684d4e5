// SPDX-License-Identifier: GPL-2.0-or-later
// What a queue worker hands to inspection, and what it gets back.
//
// The worker reads packets from NFQUEUE and hands an Inspector the bytes
// the kernel copied (from the IP header, at most the copy range) and the
// packet's metadata: a round's packets at once (inspect_batch) when it
// answers them with one batch of verdicts, one at a time (inspect) when
// it answers each on its own. The Inspector answers accept or drop; the
// worker turns the answers into verdict messages. An Inspector shared by
// several workers is called from several threads at once and must be
// safe for that.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace icmpwall::queue {

enum class Verdict : uint8_t { accept, drop };

struct PacketInfo {
  uint16_t queue = 0;        // NFQUEUE number the packet came from
  uint32_t packet_id = 0;    // the kernel's id within that queue
  uint8_t hook = 0;          // NF_INET_LOCAL_IN, NF_INET_FORWARD, ...
  uint16_t hw_protocol = 0;  // ETH_P_IP / ETH_P_IPV6 (host order)
  uint32_t indev = 0;        // input ifindex, 0 if none
  uint32_t outdev = 0;       // output ifindex, 0 if none
  uint32_t mark = 0;
  uint32_t packet_len = 0;  // length of the whole packet
  uint32_t copied_len = 0;  // bytes handed over (packet_len capped by the copy range)
  bool truncated = false;   // copied_len < packet_len
  bool gso = false;         // a GSO packet, larger than the device MTU, kept whole
  // NFQA_HWADDR: the link-layer source of the frame (input and forward
  // hooks of devices that have one); hwaddr_len 0: none reported.
  std::array<uint8_t, 8> hwaddr{};
  uint8_t hwaddr_len = 0;
  // NFQA_CT_INFO, enum ip_conntrack_info (0 established, 1 related, 2 new,
  // 3 established reply, 4 related reply, 7 untracked): present only when
  // the packet has a conntrack entry.
  std::optional<uint32_t> ct_info;
  // The queue was bound with NFQA_CFG_F_CONNTRACK, so a missing ct_info
  // means the packet has no conntrack entry (not merely that nobody asked).
  bool ct_reported = false;
};

// A packet waiting for its verdict: its bytes and its metadata.
struct QueuedPacket {
  std::span<const uint8_t> bytes;
  PacketInfo info;
};

class Inspector {
 public:
  virtual ~Inspector() = default;
  virtual Verdict inspect(std::span<const uint8_t> packet, const PacketInfo& info) = 0;

  // Judges packets[judged], packets[judged + 1], ... in order, writing
  // verdicts[i] for packets[i] and counting it in `judged` before the next
  // packet is looked at: a caller that catches an exception knows that
  // the packet at `judged` threw, and can go on after it. The default calls inspect() for each; an
  // Inspector overrides it to pay once per batch for what does not change within one (finding the
  // current engine).
  virtual void inspect_batch(std::span<const QueuedPacket> packets, std::span<Verdict> verdicts,
                             size_t& judged) {
    for (; judged < packets.size(); ++judged)
      verdicts[judged] = inspect(packets[judged].bytes, packets[judged].info);
  }
};

// The verdicts of `packets` into `verdicts` (same size) through
// inspect_batch: the edge of the worker thread. A packet whose inspection
// throws gets `failed` and inspection goes on with the next one. Returns
// how many threw.
size_t judge_batch(Inspector& inspector, std::span<const QueuedPacket> packets,
                   std::span<Verdict> verdicts, Verdict failed);

// Accepts everything: the ceiling the queue plumbing can reach.
class AcceptAll final : public Inspector {
 public:
  Verdict inspect(std::span<const uint8_t>, const PacketInfo&) override { return Verdict::accept; }
};

}  // namespace icmpwall::queue
