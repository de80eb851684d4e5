// SPDX-License-Identifier: GPL-2.0-or-later
// The receive-inspect-verdict loop body of one queue, without a thread.
//
// round() reads, without blocking, every datagram waiting on the socket up
// to a batch limit (one recvmmsg; each datagram can hold several netlink
// messages), then answers: in batched mode it hands the round's packets,
// in arrival order, to the Inspector at once (inspect_batch) and sends
// the verdict plan (verdict_plan.h) in one sendto; in per-packet mode it
// calls the Inspector for each packet and sends its verdict right away
// (the classic loop, kept for comparison).
//
// The Inspector's call is the edge of the worker thread: if it throws (out
// of memory in a detector), the packet it was judging is answered as if no
// worker were there (accept when the queue fails open, else drop),
// counted, and inspection goes on with the next packet.
//
// Errors are counted, not thrown: an overflowed receive buffer (ENOBUFS:
// the kernel could not deliver some packets and accepted or dropped them
// by the queue's fail-open setting) is counted and reading goes on. A
// verdict send that fails is retried in the next round as single
// verdicts, ahead of anything else, so a later batch never answers for
// packets whose own verdict was lost. Only a broken socket is an Error.
#pragma once

#include <linux/netlink.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "icmpwall/queue/inspector.h"
#include "icmpwall/queue/queue_socket.h"
#include "icmpwall/queue/verdict_plan.h"
#include "icmpwall/util/result.h"

namespace icmpwall::queue {

enum class VerdictMode { batched, per_packet };

struct ReaderOptions {
  VerdictMode mode = VerdictMode::batched;
  unsigned max_batch = 64;  // datagrams per recvmmsg, 1..1024
  // For the Worker: after a packet, keep reading without sleeping until
  // this long has passed since the last one (worker.h). 0: sleep in
  // poll() as soon as the socket is empty.
  std::chrono::microseconds busy_poll{0};
};

struct Counters {
  uint64_t received = 0;  // packets handed to the inspector
  uint64_t accepted = 0;
  uint64_t dropped = 0;
  uint64_t truncated = 0;         // packets cut by the copy range
  uint64_t enobufs = 0;           // receive buffer overflows reported by the kernel
  uint64_t recv_errors = 0;       // other receive failures, truncated or foreign datagrams
  uint64_t reads = 0;             // recvmmsg calls that returned datagrams
  uint64_t batches = 0;           // sends that carried verdicts
  uint64_t verdict_messages = 0;  // verdict messages in those sends
  uint64_t batch_verdicts = 0;    // ... of which NFQNL_MSG_VERDICT_BATCH
  uint64_t send_errors = 0;       // verdict sends that failed
  uint64_t verdict_errors = 0;    // verdicts the kernel answered with an error
  uint64_t no_conntrack = 0;  // packets without conntrack state: the kernel refused to report it
  uint64_t inspect_errors =
      0;  // packets whose inspection threw: answered as the queue fails (open or closed)
  uint64_t wakeups = 0;  // (Worker) times the thread slept in poll() and woke to packets
};

class Reader {
 public:
  Reader(QueueSocket socket, Inspector& inspector, ReaderOptions options = {});
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Datagrams read (0: nothing was waiting), or an Error if the socket is
  // unusable.
  Result<size_t> round();

  // Safe to call from any thread.
  Counters counters() const;

  const QueueSocket& socket() const { return socket_; }
  const ReaderOptions& options() const { return options_; }

 private:
  struct AtomicCounters {
    std::atomic<uint64_t> received{0}, accepted{0}, dropped{0}, truncated{0}, enobufs{0},
        recv_errors{0}, reads{0}, batches{0}, verdict_messages{0}, batch_verdicts{0},
        send_errors{0}, verdict_errors{0}, no_conntrack{0}, inspect_errors{0};
  };

  void handle_datagram(std::span<const uint8_t> datagram);
  // The verdicts of queued_ (the round's packets, or in per-packet mode
  // the one packet), into decisions_; a packet whose inspection throws
  // gets the queue's no-worker verdict.
  void inspect_queued();
  void send_verdicts(std::span<const VerdictMsg> msgs, std::span<const Decision> decided);
  // One writer (the thread running round()); other threads only load.
  static void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  QueueSocket socket_;
  Inspector& inspector_;
  ReaderOptions options_;
  AtomicCounters counters_;

  size_t slot_size_ = 0;
  std::vector<uint8_t> slots_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_nl> addrs_;
  std::vector<std::vector<uint8_t>> early_;
  std::vector<QueuedPacket> queued_;  // packets awaiting inspection
  std::vector<Verdict> verdicts_;
  std::vector<Decision> decisions_;
  std::vector<VerdictMsg> plan_;  // the round's verdicts (kept: no allocation per round)
  std::vector<Decision> unsent_;  // decisions whose verdict send failed
  std::vector<uint8_t> out_;
};

}  // namespace icmpwall::queue
