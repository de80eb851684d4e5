// Blocking a source in the kernel: the inspection engine's block callback.
//
// block() adds the address to icmpwall's blocked-source set for the given
// time (the set's rule drops the source's ICMP before it reaches a queue)
// and writes one JSON "block" event saying whether the kernel took it.
#pragma once

#include <chrono>
#include <iosfwd>
#include <mutex>
#include <string>

#include "icmpwall/inspect/packet.h"

namespace icmpwall::daemon {

class SourceBlocker {
 public:
  SourceBlocker(std::string table, std::ostream& events) : table_(std::move(table)), events_(events) {}

  void block(const inspect::Address& source, std::chrono::seconds period);

 private:
  std::string table_;
  std::ostream& events_;
  std::mutex events_mutex_;
};

}  // namespace icmpwall::daemon
