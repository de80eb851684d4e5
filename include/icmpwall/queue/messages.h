// SPDX-License-Identifier: GPL-2.0-or-later
// The nfnetlink_queue wire format: the configuration request a worker
// binds its queue with, verdict messages, and parsing the packet messages
// the kernel sends. Built on libnetfilter_queue's libmnl helpers
// (nfq_nlmsg_put, nfq_nlmsg_cfg_put_*, nfq_nlmsg_verdict_put,
// nfq_nlmsg_parse). Pure functions over byte buffers: no socket, so they
// are tested by building messages and parsing them back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "icmpwall/queue/inspector.h"
#include "icmpwall/queue/verdict_plan.h"
#include "icmpwall/util/netlink_datagram.h"
#include "icmpwall/util/result.h"

struct nlmsghdr;

namespace icmpwall::queue {

// Opens libnetfilter_queue (once; the functions below need it): an error
// naming what is missing if it cannot be loaded.
Result<void> load_libnfq();

// Bytes one verdict message takes (header, nfgenmsg, verdict attribute).
size_t verdict_msg_size();

struct ConfigRequest {
  uint16_t queue = 0;
  uint32_t seq = 0;
  uint32_t copy_range = 0;  // 1..max_copy_range(); the kernel copies at most this many bytes
  uint32_t max_len = 0;     // packets the kernel keeps waiting for a verdict
  bool fail_open = false;   // NFQA_CFG_F_FAIL_OPEN: accept instead of drop when the queue is full
  bool gso = false;         // NFQA_CFG_F_GSO: hand over GSO packets whole
  bool conntrack = false;   // NFQA_CFG_F_CONNTRACK: report each packet's conntrack state
};

// The largest copy range the kernel takes (0xffff minus an attribute header).
uint32_t max_copy_range();

// Enough room for the configuration message.
constexpr size_t kConfigMsgCapacity = 256;

// One NFQNL_MSG_CONFIG message, acked (NLM_F_ACK), that binds the queue
// and sets the copy mode and range, the queue length and the flags all at
// once, so no packet is queued under the kernel's defaults. Writes into
// `buf` (at least kConfigMsgCapacity bytes) and returns the length.
size_t build_config(std::span<uint8_t> buf, const ConfigRequest& req);

// Appends one message per entry of `msgs` to `out`: NFQNL_MSG_VERDICT or
// NFQNL_MSG_VERDICT_BATCH, no ack asked (the kernel still answers errors).
void append_verdicts(std::vector<uint8_t>& out, uint16_t queue, std::span<const VerdictMsg> msgs);

// NFQNL_MSG_PACKET / NFQNL_MSG_VERDICT / ... as nlmsg_type.
uint16_t queue_msg_type(uint8_t nfqnl_type);

struct PacketMessage {
  PacketInfo info;
  std::span<const uint8_t> payload;  // points into the message
};

// Parses one NFQNL_MSG_PACKET message. nullopt if it is another type, its
// attributes are malformed, or it has no packet header (then there is no
// id to answer).
std::optional<PacketMessage> parse_packet(const nlmsghdr* nlh);

// The errno an NLMSG_ERROR message carries (0 for an ack); nullopt if the
// message is not a well-formed NLMSG_ERROR.
std::optional<int> parse_error(const nlmsghdr* nlh);

// What a datagram held besides its packet messages.
struct DatagramTally {
  uint64_t error_answers = 0;  // NLMSG_ERROR messages that are no ack (a refused verdict)
  // Packet messages that do not parse, and a datagram whose bytes end in
  // no whole message (see for_each_netlink_message).
  uint64_t malformed = 0;
};

// The worker's reading of one received datagram, padded by
// pad_netlink_datagram (the kernel leaves out the padding of a packet
// message whose payload is not a multiple of 4 bytes): on_packet(PacketMessage&)
// for each NFQNL_MSG_PACKET message, in order (its payload points into
// `datagram`); error answers, malformed packet messages and bytes that are
// no whole message are counted in `tally`, messages of other types skipped.
template <typename Fn>
void read_datagram(std::span<const uint8_t> datagram, DatagramTally& tally, Fn&& on_packet);

}  // namespace icmpwall::queue

#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

namespace icmpwall::queue {

template <typename Fn>
void read_datagram(std::span<const uint8_t> datagram, DatagramTally& tally, Fn&& on_packet) {
  const size_t walked = for_each_netlink_message(datagram, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      auto code = parse_error(nlh);
      if (!code || *code != 0) ++tally.error_answers;
      return;
    }
    if (nlh->nlmsg_type != queue_msg_type(NFQNL_MSG_PACKET)) return;
    auto pkt = parse_packet(nlh);
    if (!pkt) {
      ++tally.malformed;
      return;
    }
    on_packet(*pkt);
  });
  if (walked < datagram.size()) ++tally.malformed;
}

}  // namespace icmpwall::queue
