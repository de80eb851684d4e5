// SPDX-License-Identifier: GPL-2.0-or-later
// Blocking a source in the kernel: the inspection engine's block callback.
//
// block() adds the source's prefix to icmpwall's blocked-source set (an
// interval set) as one range with the given timeout (the set's rule drops
// the prefix's ICMP before it reaches a queue) and writes one JSON "block"
// event saying whether the kernel took it; "address" is the prefix's first
// address.
//
// The engine calls block() without holding its own lock, while other
// workers write detection events to the same stream: every line of that
// stream goes through write_event(), which holds one mutex per line.
//
// After the kernel took a prefix, `on_blocked` (if any) hears of it with
// the detection's reason (CrowdSec's push): the engine calls the event
// callback and then, in the same inspect() call on the same thread, the
// block callback, so note_detection(event) in the event callback leaves
// the reason where block() finds it.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>

#include "icmpwall/inspect/engine.h"

namespace icmpwall::daemon {

class SourceBlocker {
 public:
  using OnBlocked = std::function<void(const inspect::BlockedPrefix&, std::chrono::seconds,
                                       const std::string& reason)>;

  SourceBlocker(std::string table, std::ostream& events, OnBlocked on_blocked = {})
      : table_(std::move(table)), events_(events), on_blocked_(std::move(on_blocked)) {}

  void block(const inspect::BlockedPrefix& prefix, std::chrono::seconds period);

  // Remembers, for this thread's next block(), the reason of a detection
  // that blocks.
  static void note_detection(const inspect::Event& event);

  // Writes one line (without its newline) to the events stream, whole.
  void write_event(const std::string& line);

  const std::string& table() const { return table_; }

 private:
  std::string table_;
  std::ostream& events_;
  OnBlocked on_blocked_;
  std::mutex events_mutex_;
};

}  // namespace icmpwall::daemon
