// SPDX-License-Identifier: GPL-2.0-or-later
// The drift gauge's thread (drift_watch.h).
#include "icmpwall/daemon/drift_watch.h"

#include "icmpwall/audit/dump.h"
#include "icmpwall/audit/evaluate.h"

namespace icmpwall::daemon {

Result<audit::DriftReport> check_live_drift(const DriftTarget& target,
                                            std::chrono::milliseconds budget) {
  auto options = audit::evaluate_options(std::chrono::duration<double>(budget).count());
  TRY(const auto ruleset, audit::dump_ruleset());
  return audit::drift_of(ruleset, *target.table, target.queue_mode, {}, options);
}

DriftWatch::DriftWatch(DriftTarget target, std::chrono::milliseconds interval, Check check,
                       OnChange on_change, OnFailure on_failure, std::chrono::milliseconds settle)
    : interval_(interval),
      settle_(settle),
      check_(std::move(check)),
      on_change_(std::move(on_change)),
      on_failure_(std::move(on_failure)),
      target_(std::move(target)) {
  counters_.interval = std::chrono::duration_cast<std::chrono::seconds>(interval);
  thread_ = std::jthread([this](std::stop_token token) { run(token); });
}

DriftWatch::~DriftWatch() {
  stop();
}

void DriftWatch::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void DriftWatch::changing() {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    changing_ = true;
    reschedule(Clock::now() + kWhileChanging);
  }
  wake_.notify_all();
}

void DriftWatch::changed(DriftTarget target) {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    changing_ = false;
    target_ = std::move(target);
    reschedule(Clock::now() + settle_);
  }
  wake_.notify_all();
}

void DriftWatch::reschedule(Clock::time_point at) {
  next_ = at;
  rescheduled_ = true;
}

DriftCounters DriftWatch::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void DriftWatch::run(std::stop_token token) {
  std::unique_lock lock(mutex_);
  while (!token.stop_requested()) {
    // until the time set, unless a reload sets another
    rescheduled_ = false;
    if (wake_.wait_until(lock, token, next_, [&] { return rescheduled_; })) continue;
    if (token.stop_requested()) return;
    if (changing_) {  // a reload that never ends: look again later
      next_ = Clock::now() + kWhileChanging;
      continue;
    }
    next_ = Clock::now() + interval_;
    const DriftTarget target = target_;
    const uint64_t generation = generation_;
    lock.unlock();
    check_once(target, generation);
    lock.lock();
  }
}

// The thread's edge: a check that throws is a failed check.
void DriftWatch::check_once(const DriftTarget& target, uint64_t generation) {
  Result<audit::DriftReport> report = Error{"no check ran"};
  try {
    report = check_(target);
  } catch (const std::exception& e) {
    report = Error{std::string("the check failed: ") + e.what()};
  }
  std::vector<std::string> lines;
  if (report) {
    for (const auto& d : report->differences) lines.push_back(audit::describe(d));
    for (const auto& o : report->overrides) lines.push_back("override: " + audit::describe(o));
  }
  DriftFinding finding;
  std::string failure;
  {
    std::lock_guard lock(mutex_);
    // a reload began or ended meanwhile: what was read may be half of it
    // (changed() has set when to look again)
    if (generation != generation_) return;
    if (!report) {
      ++counters_.failures;
      failure = report.error().message;
    } else {
      ++counters_.checks;
      counters_.missing = counters_.extra = counters_.differs = 0;
      for (const auto& d : report->differences)
        ++(d.kind == audit::DriftKind::missing ? counters_.missing
           : d.kind == audit::DriftKind::extra ? counters_.extra
                                               : counters_.differs);
      counters_.overrides = report->overrides.size();
      counters_.last_check = std::chrono::system_clock::now();
      // any change; the first check only drift (nothing found before it)
      if (lines == last_lines_) return;
      last_lines_ = lines;
      finding = {report->table, counters_, std::move(lines)};
    }
  }
  if (!failure.empty()) {
    if (on_failure_) on_failure_(failure);
    return;
  }
  if (on_change_) on_change_(finding);
}

}  // namespace icmpwall::daemon
