// What a queue worker hands to inspection, and what it gets back.
//
// The worker reads packets from NFQUEUE and calls an Inspector once per
// packet with the bytes the kernel copied (from the IP header, at most the
// copy range) and the packet's metadata. The Inspector answers accept or
// drop; the worker turns the answers into verdict messages. An Inspector
// shared by several workers is called from several threads at once and
// must be safe for that.
#pragma once

#include <array>
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

class Inspector {
 public:
  virtual ~Inspector() = default;
  virtual Verdict inspect(std::span<const uint8_t> packet, const PacketInfo& info) = 0;
};

// Accepts everything: the ceiling the queue plumbing can reach.
class AcceptAll final : public Inspector {
 public:
  Verdict inspect(std::span<const uint8_t>, const PacketInfo&) override { return Verdict::accept; }
};

}  // namespace icmpwall::queue
