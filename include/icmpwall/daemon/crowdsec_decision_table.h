// SPDX-License-Identifier: GPL-2.0-or-later
// The CrowdSec decisions the daemon holds, per prefix, and what the kernel
// must be told about them. No I/O: the client takes the changes and sends
// them (crowdsec_client.cpp).
//
// One kernel element per prefix, however many decisions name it. Its
// timeout is the later of the end of the prefix's longest decision and
// the end of a block this daemon made of the same prefix (local_block()),
// so neither cuts the other short: a local block of a prefix a decision
// holds longer gets the decision's end back, and when the prefix's last
// decision is deleted while a local block still holds it, the element is
// set to the local block's end instead of being removed.
//
// A change the kernel refused (failed(): a range overlapping a block
// already in the set, a set not there) is retried by the next
// take_changes(); reapply_all() re-adds every prefix (after a reload that
// may have recreated the sets). Expired decisions are forgotten (the
// kernel expires their elements itself).
#pragma once

#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include "icmpwall/daemon/crowdsec_decisions.h"

namespace icmpwall::daemon {

struct KernelChange {
  inspect::BlockedPrefix prefix;
  std::chrono::milliseconds timeout{0};  // an add
  bool remove = false;
};

class DecisionTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DecisionTable(size_t max_prefixes) : max_prefixes_(max_prefixes) {}

  // False when the decision is not held: expired, or the table is full.
  bool add(const Decision& d, Clock::time_point now);
  // Forgets the decision (by id); false when it was not held (the local
  // API repeats a deletion in a few deltas).
  bool remove(const Decision& d, Clock::time_point now);
  void local_block(const inspect::BlockedPrefix& p, Clock::time_point until, Clock::time_point now);
  void reapply_all();

  std::vector<KernelChange> take_changes(Clock::time_point now);
  // The kernel refused `c`: retried next time. True the first time this
  // prefix failed since it was added.
  bool failed(const KernelChange& c);

  size_t size() const { return entries_.size(); }

 private:
  using Key = std::pair<inspect::Address, uint8_t>;
  struct Entry {
    std::map<uint64_t, Clock::time_point> decisions;  // id -> end
    bool applied = false;
    bool failed = false;
    Clock::time_point end() const;
  };
  static Key key(const inspect::BlockedPrefix& p) { return {p.address, p.length}; }
  Clock::time_point local_end(const Key& k, Clock::time_point now) const;

  size_t max_prefixes_;
  std::map<Key, Entry> entries_;
  std::map<uint64_t, Key> by_id_;
  std::map<Key, Clock::time_point> local_;  // blocks this daemon made
  std::vector<KernelChange> pending_;       // removals (and shortenings) not yet taken
};

}  // namespace icmpwall::daemon
