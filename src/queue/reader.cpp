// SPDX-License-Identifier: GPL-2.0-or-later
// One round of a queue: recvmmsg, inspect in arrival order, verdicts.
//
// Each datagram gets a slot big enough for the copy range plus the
// metadata attributes, so a packet message is never cut short; a datagram
// that still comes back truncated (MSG_TRUNC) or from anyone but the
// kernel is counted as a receive error and skipped. So are a packet message
// that does not parse and bytes after a datagram's last whole message.
#include "icmpwall/queue/reader.h"

#include <fmt/format.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "icmpwall/queue/messages.h"
#include "icmpwall/util/errno_error.h"

namespace icmpwall::queue {
namespace {

// Room for the attributes around the payload (packet header, marks,
// ifindexes, timestamp, hardware address, cap length, skb info, ...).
constexpr size_t kMetadataRoom = 4096;
// Decisions kept for resending after failed verdict sends; beyond this
// the socket is considered broken.
constexpr size_t kMaxUnsent = 1 << 16;

}  // namespace

Reader::Reader(QueueSocket socket, Inspector& inspector, ReaderOptions options)
    : socket_(std::move(socket)), inspector_(inspector), options_(options) {
  options_.max_batch = std::clamp(options_.max_batch, 1u, 1024u);
  slot_size_ = (socket_.config().copy_range + kMetadataRoom + 7) & ~size_t{7};
  const size_t n = options_.max_batch;
  slots_.resize(slot_size_ * n);
  msgs_.resize(n);
  iovs_.resize(n);
  addrs_.resize(n);
  decisions_.reserve(n);
  plan_.reserve(n);
  queued_.reserve(n);
  out_.reserve(verdict_msg_size() * n * 2);
  for (size_t i = 0; i < n; ++i) {
    iovs_[i] = {slots_.data() + i * slot_size_, slot_size_};
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
  }
  early_ = socket_.take_early();
}

Counters Reader::counters() const {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  Counters c;
  c.received = get(counters_.received);
  c.accepted = get(counters_.accepted);
  c.dropped = get(counters_.dropped);
  c.truncated = get(counters_.truncated);
  c.enobufs = get(counters_.enobufs);
  c.recv_errors = get(counters_.recv_errors);
  c.reads = get(counters_.reads);
  c.batches = get(counters_.batches);
  c.verdict_messages = get(counters_.verdict_messages);
  c.batch_verdicts = get(counters_.batch_verdicts);
  c.send_errors = get(counters_.send_errors);
  c.no_conntrack = get(counters_.no_conntrack);
  c.verdict_errors = get(counters_.verdict_errors);
  c.inspect_errors = get(counters_.inspect_errors);
  return c;
}

Result<size_t> Reader::round() {
  decisions_.clear();
  queued_.clear();
  size_t got = 0;
  // Packets that came with the bind's ack go first, in their order (their
  // bytes must outlive this round's inspection).
  std::vector<std::vector<uint8_t>> early = std::move(early_);
  early_.clear();
  if (!early.empty()) {
    for (const auto& d : early) handle_datagram(d);
    got = early.size();
  } else {
    // Only what recvmmsg writes back needs resetting (the constructor
    // set the rest).
    for (auto& m : msgs_) m.msg_hdr.msg_namelen = sizeof(sockaddr_nl);
    int n = recvmmsg(socket_.fd(), msgs_.data(), static_cast<unsigned>(msgs_.size()), MSG_DONTWAIT,
                     nullptr);
    if (n < 0) {
      switch (errno) {
        case EAGAIN:
        case EINTR: break;
        case ENOBUFS: bump(counters_.enobufs); break;
        case ENOMEM: bump(counters_.recv_errors); break;
        default: {
          int e = errno;
          bump(counters_.recv_errors);
          return errno_error(fmt::format("queue {}: receiving", socket_.queue()), e);
        }
      }
      n = 0;
    }
    if (n > 0) bump(counters_.reads);
    for (int i = 0; i < n; ++i) {
      const auto& h = msgs_[i].msg_hdr;
      if ((h.msg_flags & MSG_TRUNC) || h.msg_namelen != sizeof(sockaddr_nl) ||
          addrs_[i].nl_pid != 0) {
        bump(counters_.recv_errors);
        continue;
      }
      handle_datagram(
          pad_netlink_datagram({slots_.data() + i * slot_size_, slot_size_}, msgs_[i].msg_len));
    }
    got = static_cast<size_t>(n);
  }

  inspect_queued();
  if (options_.mode == VerdictMode::batched && (!decisions_.empty() || !unsent_.empty())) {
    plan_verdicts(decisions_, plan_);
    send_verdicts(plan_, decisions_);
  }
  if (unsent_.size() > kMaxUnsent)
    return Error{fmt::format("queue {}: verdicts cannot be sent ({} waiting)", socket_.queue(),
                             unsent_.size()),
                 EIO};
  return got;
}

void Reader::handle_datagram(std::span<const uint8_t> datagram) {
  DatagramTally tally;
  read_datagram(datagram, tally, [&](PacketMessage& pkt) {
    bump(counters_.received);
    if (pkt.info.truncated) bump(counters_.truncated);
    pkt.info.ct_reported = socket_.conntrack();
    if (socket_.conntrack_refused()) bump(counters_.no_conntrack);
    queued_.push_back({pkt.payload, pkt.info});
    if (options_.mode == VerdictMode::batched) return;
    // Per packet: judged and answered right away, alone.
    inspect_queued();
    const Decision d = decisions_.back();
    queued_.clear();
    decisions_.clear();
    const VerdictMsg one{d.id, d.verdict, false};
    send_verdicts(std::span(&one, 1), std::span(&d, 1));
  });
  bump(counters_.verdict_errors, tally.error_answers);
  bump(counters_.recv_errors, tally.malformed);
}

void Reader::inspect_queued() {
  if (queued_.empty()) return;
  verdicts_.assign(queued_.size(), Verdict::accept);
  const Verdict failed = socket_.config().fail_open ? Verdict::accept : Verdict::drop;
  bump(counters_.inspect_errors, judge_batch(inspector_, queued_, verdicts_, failed));
  for (size_t i = 0; i < queued_.size(); ++i) {
    bump(verdicts_[i] == Verdict::accept ? counters_.accepted : counters_.dropped);
    decisions_.push_back({queued_[i].info.packet_id, verdicts_[i]});
  }
}

void Reader::send_verdicts(std::span<const VerdictMsg> msgs, std::span<const Decision> decided) {
  out_.clear();
  // Verdicts lost to an earlier failed send go first, one by one.
  auto retry = single_verdicts(unsent_);
  append_verdicts(out_, socket_.queue(), retry);
  append_verdicts(out_, socket_.queue(), msgs);
  if (out_.empty()) return;
  if (auto r = socket_.send(out_); !r) {
    bump(counters_.send_errors);
    unsent_.insert(unsent_.end(), decided.begin(), decided.end());
    return;
  }
  unsent_.clear();
  const size_t total = retry.size() + msgs.size();
  const auto batch = static_cast<uint64_t>(
      std::count_if(msgs.begin(), msgs.end(), [](const VerdictMsg& m) { return m.batch; }));
  bump(counters_.batches);
  bump(counters_.verdict_messages, total);
  bump(counters_.batch_verdicts, batch);
}

}  // namespace icmpwall::queue
