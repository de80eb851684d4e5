// SPDX-License-Identifier: GPL-2.0-or-later
// The inspector the queue workers call: an indirection to the current
// inspection engine, swapped atomically on reload.
//
// Workers load the engine (a std::shared_ptr, atomically) once per batch
// of packets (once per packet when they answer one at a time), so a packet
// is judged wholly by the old or wholly by the new engine, and the old one
// lives until the last batch that loaded it is judged. Each packet is
// decoded once, here, for the engine and for the packets inspected per
// ICMP type, which the engine does not count.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "icmpwall/inspect/engine.h"
#include "icmpwall/queue/inspector.h"

namespace icmpwall::daemon {

struct TypeCount {
  policy::Family family;
  uint8_t type;
  uint64_t packets;
};

// The packet's context from its queue metadata. Without an NFQA_CT_INFO
// attribute the packet has no conntrack entry (Conntrack::none) only when
// the queue reports conntrack state and the engine's namespace tracks
// connections (EngineConfig::conntrack); otherwise nothing is known.
inspect::PacketContext packet_context(const queue::PacketInfo& info, bool conntrack);

class EngineSlot final : public queue::Inspector {
 public:
  explicit EngineSlot(std::shared_ptr<inspect::Engine> engine) : engine_(std::move(engine)) {}

  // Detected (drop or block) means drop.
  queue::Verdict inspect(std::span<const uint8_t> packet, const queue::PacketInfo& info) override;
  void inspect_batch(std::span<const queue::QueuedPacket> packets,
                     std::span<queue::Verdict> verdicts, size_t& judged) override;

  // Installs `next`; returns the engine it replaces.
  std::shared_ptr<inspect::Engine> swap(std::shared_ptr<inspect::Engine> next) {
    return engine_.exchange(std::move(next));
  }
  std::shared_ptr<inspect::Engine> engine() const { return engine_.load(); }

  // Packets inspected per family and ICMP type (non-zero ones only).
  std::vector<TypeCount> type_counts() const;
  // Counts a packet as inspect() does (the IP header and the ICMP type).
  void count_type(std::span<const uint8_t> packet);

 private:
  static inspect::Decoded<inspect::Packet> decode(std::span<const uint8_t> packet);
  queue::Verdict judge(inspect::Engine& engine, std::span<const uint8_t> packet,
                       const queue::PacketInfo& info, inspect::Clock::time_point now);
  // `decoded` is decode(packet).
  queue::Verdict judge(inspect::Engine& engine, const inspect::Decoded<inspect::Packet>& decoded,
                       std::span<const uint8_t> packet, const queue::PacketInfo& info,
                       inspect::Clock::time_point now);
  void count(policy::Family family, uint8_t type);

  std::atomic<std::shared_ptr<inspect::Engine>> engine_;
  std::array<std::atomic<uint64_t>, 512> per_type_{};  // [family * 256 + type]
};

}  // namespace icmpwall::daemon
