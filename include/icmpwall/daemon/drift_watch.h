// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's drift gauge: does the kernel still hold the table the
// daemon applied, and does no other table override it?
//
// A DriftWatch thread checks at start, after every reload once reloads
// have settled (`settle`: a burst of reloads is checked once), and then
// every `interval`: one consistent dump of the ruleset compared with
// what the policy compiles to, as `icmpwall audit --policy` does
// (audit/drift.h), with a time budget for the overrides. The last result
// is kept as counts per kind (missing, extra, differs, override) for the
// stats document and the metrics; a result that says something else than
// the one before is handed to `on_change` (an event and a log line).
//
// A reload changes the table and what it is compared with in two steps
// the check cannot see together; so the reload says changing() before it
// applies and changed() after (applied or refused), and a check that
// overlapped either is thrown away and made again, never reported: a
// reload is never drift.
//
// The check runs on the watch's own thread, never on a packet path; any
// throw in it counts as a failed check. stop() (or the destructor) waits
// for a check in flight, which its time budget bounds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "icmpwall/audit/drift.h"
#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

// A reload is checked once no other has come for this long.
inline constexpr std::chrono::milliseconds kDriftSettle{1000};

// The daemon's budget for one check's override evaluation: a ruleset too
// large to walk within it shows its unwalked outcomes as overrides.
inline constexpr std::chrono::milliseconds kDriftCheckBudget{5000};

// What the kernel should hold: the table applied, in the queue mode it
// was applied with.
struct DriftTarget {
  std::shared_ptr<const nft::Table> table;
  netlink::QueueMode queue_mode = netlink::QueueMode::native;
};

struct DriftCounters {
  uint64_t checks = 0;    // checks that reported (not the ones thrown away)
  uint64_t failures = 0;  // checks that could not read or compare
  // The last reported check; all 0 before the first.
  uint64_t missing = 0, extra = 0, differs = 0, overrides = 0;
  std::chrono::system_clock::time_point last_check{};
  std::chrono::seconds interval{0};
};

// One reported check: what it found, in the words of `icmpwall audit
// --policy` (difference lines, then "override: ..." lines).
struct DriftFinding {
  std::string table;
  DriftCounters counts;  // the counters after this check
  std::vector<std::string> lines;
  bool drift() const { return !lines.empty(); }
};

// The production check: dump the ruleset of this thread's namespace, the
// overrides evaluated within `budget`.
Result<audit::DriftReport> check_live_drift(const DriftTarget& target,
                                            std::chrono::milliseconds budget);

class DriftWatch {
 public:
  using Check = std::function<Result<audit::DriftReport>(const DriftTarget&)>;
  using OnChange = std::function<void(const DriftFinding&)>;
  using OnFailure = std::function<void(const std::string&)>;

  // Starts the thread; the first check runs at once. `interval` > 0.
  DriftWatch(DriftTarget target, std::chrono::milliseconds interval, Check check,
             OnChange on_change, OnFailure on_failure,
             std::chrono::milliseconds settle = kDriftSettle);
  ~DriftWatch();
  DriftWatch(const DriftWatch&) = delete;
  DriftWatch& operator=(const DriftWatch&) = delete;

  // A reload is about to touch the table: no check reports until changed().
  void changing();
  // The reload ended; `target` is what the kernel should hold now (the
  // previous one if it was refused). A check runs once `settle` has passed
  // without another reload.
  void changed(DriftTarget target);

  DriftCounters counters() const;
  void stop();

 private:
  void run(std::stop_token token);
  // One check against `target`; thrown away if the generation moved
  // meanwhile (the reload that moved it set the next check).
  void check_once(const DriftTarget& target, uint64_t generation);

  using Clock = std::chrono::steady_clock;
  // How long a reload may take before the watch looks again anyway.
  static constexpr std::chrono::seconds kWhileChanging{60};
  // The next check at `at`; wakes the thread to wait for it (mutex_ held).
  void reschedule(Clock::time_point at);

  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds settle_;
  const Check check_;
  const OnChange on_change_;
  const OnFailure on_failure_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  DriftTarget target_;
  uint64_t generation_ = 0;  // bumped by changing() and changed()
  bool changing_ = false;
  Clock::time_point next_ = Clock::now();  // the first check: at once
  bool rescheduled_ = false;
  DriftCounters counters_;
  std::vector<std::string> last_lines_;  // what the last reported check found
  std::jthread thread_;                  // last: started when everything above is ready
};

}  // namespace icmpwall::daemon
