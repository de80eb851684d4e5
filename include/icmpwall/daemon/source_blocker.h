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
#pragma once

#include <chrono>
#include <iosfwd>
#include <mutex>
#include <string>

#include "icmpwall/inspect/engine.h"

namespace icmpwall::daemon {

class SourceBlocker {
 public:
  SourceBlocker(std::string table, std::ostream& events)
      : table_(std::move(table)), events_(events) {}

  void block(const inspect::BlockedPrefix& prefix, std::chrono::seconds period);

  // Writes one line (without its newline) to the events stream, whole.
  void write_event(const std::string& line);

  const std::string& table() const { return table_; }

 private:
  std::string table_;
  std::ostream& events_;
  std::mutex events_mutex_;
};

}  // namespace icmpwall::daemon
