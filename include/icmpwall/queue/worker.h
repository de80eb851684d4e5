// SPDX-License-Identifier: GPL-2.0-or-later
// A queue worker: one thread, one netlink socket, one NFQUEUE number.
//
// start() binds the queue (queue_socket.h) on the calling thread, so a
// queue that cannot be bound (another process holds it, no permission, a
// bad configuration) is an Error before any thread exists. The thread then
// waits in poll() on the socket and an eventfd, and runs Reader rounds
// (reader.h) while packets are waiting.
//
// stop() (also the destructor) requests a stop through the thread's
// std::stop_token, whose callback writes the eventfd, so a thread blocked
// in poll() wakes at once; the thread answers what it has already read and
// one more bounded round, then ends. stop() returns after joining it, and
// the socket is closed with the Worker, which unbinds the queue.
//
// Busy polling (ReaderOptions::busy_poll, off by default): after a packet
// the thread does not go back to sleep in poll() at once but keeps
// reading without blocking until busy_poll has passed since the last
// packet, checking the stop request between reads. A packet arriving in
// that window is read within a few microseconds instead of after the
// wake-up of a sleeping thread (on an idle CPU of a virtual machine, tens
// of microseconds). The cost: the thread takes a whole CPU while packets
// keep coming closer together than busy_poll, and none once they stop
// (after the last packet, at most busy_poll more). The kernel's own busy
// polling (SO_BUSY_POLL, net.core.busy_poll) does not apply: it only
// polls sockets fed by a NAPI device queue, never netlink sockets.
//
// Fanout (nft `queue num N-M fanout`, xt `--queue-balance N:M`) spreads
// packets over several queues: start_workers() starts one worker per
// queue of the range.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "icmpwall/queue/inspector.h"
#include "icmpwall/queue/queue_socket.h"
#include "icmpwall/queue/reader.h"
#include "icmpwall/util/result.h"

namespace icmpwall::queue {

class Worker {
 public:
  static Result<Worker> start(const QueueConfig& config, std::shared_ptr<Inspector> inspector,
                              ReaderOptions options = {});
  // With a socket bound beforehand (packets may already be waiting on it).
  static Result<Worker> start(QueueSocket socket, std::shared_ptr<Inspector> inspector,
                              ReaderOptions options = {});

  Worker(Worker&&) noexcept;
  Worker& operator=(Worker&&) noexcept;
  ~Worker();

  // Idempotent; returns once the thread has ended.
  void stop();
  bool running() const;
  Counters counters() const;
  uint16_t queue() const;
  // Why the thread ended on its own (a broken socket), if it did.
  std::optional<Error> failure() const;

 private:
  struct State;
  explicit Worker(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Workers for queues base.queue .. base.queue + count - 1, all sharing one
// inspector (which must be safe to call from several threads). All or
// none: if one queue cannot be bound, the workers already started stop.
Result<std::vector<Worker>> start_workers(const QueueConfig& base, uint16_t count,
                                          std::shared_ptr<Inspector> inspector,
                                          ReaderOptions options = {});

}  // namespace icmpwall::queue
