// SPDX-License-Identifier: GPL-2.0-or-later
// The drift gauge's thread with the check replaced (the real one, against
// a real kernel, is DaemonDriftTest's): what it counts, when it reports,
// and that a check overlapping a reload is thrown away, never reported.
#include "icmpwall/daemon/drift_watch.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

namespace icmpwall::daemon {
namespace {

using namespace std::chrono_literals;

audit::Difference extra_rule() {
  audit::Difference d;
  d.kind = audit::DriftKind::extra;
  d.where = "chain input";
  d.what = "rule 4 (handle 9)";
  d.live = "icmp type echo-request drop";
  return d;
}

DriftTarget target(const std::string& name) {
  auto t = std::make_shared<nft::Table>();
  t->name = name;
  return {t, netlink::QueueMode::native};
}

// What the check returns next, and what each on_change call said.
class Script {
 public:
  void set(audit::DriftReport r) {
    std::lock_guard lock(m_);
    next_ = std::move(r);
  }
  Result<audit::DriftReport> check(const DriftTarget& t) {
    std::lock_guard lock(m_);
    targets_.push_back(t.table->name);
    auto r = next_;
    r.table = t.table->name;
    return r;
  }
  void changed(const DriftFinding& f) {
    {
      std::lock_guard lock(m_);
      findings_.push_back(f);
    }
    cv_.notify_all();
  }
  // Waits (bounded) until `n` findings arrived.
  bool wait_findings(size_t n) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, 5s, [&] { return findings_.size() >= n; });
  }
  std::vector<DriftFinding> findings() {
    std::lock_guard lock(m_);
    return findings_;
  }
  std::vector<std::string> targets() {
    std::lock_guard lock(m_);
    return targets_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  audit::DriftReport next_;
  std::vector<DriftFinding> findings_;
  std::vector<std::string> targets_;
};

// Polls the watch's counters until `pred` holds (bounded).
template <typename Pred>
bool wait_counters(const DriftWatch& w, Pred pred) {
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < end) {
    if (pred(w.counters())) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

DriftWatch watch(Script& s, std::chrono::milliseconds interval = 1h,
                 std::chrono::milliseconds settle = 10ms) {
  return DriftWatch(
      target("icmpwall"), interval, [&](const DriftTarget& t) { return s.check(t); },
      [&](const DriftFinding& f) { s.changed(f); }, nullptr, settle);
}

TEST(DriftWatch, AFirstCleanCheckCountsAndSaysNothing) {
  Script s;
  DriftWatch w = watch(s);
  ASSERT_TRUE(wait_counters(w, [](const DriftCounters& c) { return c.checks == 1; }));
  const auto c = w.counters();
  EXPECT_EQ(c.missing + c.extra + c.differs + c.overrides, 0u);
  EXPECT_GT(c.last_check.time_since_epoch().count(), 0);
  EXPECT_EQ(c.interval, 3600s);
  EXPECT_TRUE(s.findings().empty());
}

TEST(DriftWatch, DriftIsReportedOnceAndItsEndToo) {
  Script s;
  audit::DriftReport drifted;
  drifted.differences = {extra_rule(), extra_rule()};
  drifted.differences[1].kind = audit::DriftKind::missing;
  drifted.overrides.resize(1);
  s.set(drifted);
  DriftWatch w = watch(s, 10ms);
  ASSERT_TRUE(s.wait_findings(1));
  const auto f = s.findings().front();
  EXPECT_TRUE(f.drift());
  EXPECT_EQ(f.table, "icmpwall");
  EXPECT_EQ(f.counts.extra, 1u);
  EXPECT_EQ(f.counts.missing, 1u);
  EXPECT_EQ(f.counts.overrides, 1u);
  ASSERT_EQ(f.lines.size(), 3u);
  EXPECT_EQ(f.lines[0], audit::describe(extra_rule()));
  EXPECT_EQ(f.lines[2].rfind("override: ", 0), 0u) << f.lines[2];

  // the same drift, checked again: counted, not reported again
  ASSERT_TRUE(wait_counters(w, [](const DriftCounters& c) { return c.checks >= 4; }));
  EXPECT_EQ(s.findings().size(), 1u);

  s.set({});
  ASSERT_TRUE(s.wait_findings(2));
  EXPECT_FALSE(s.findings()[1].drift());
  EXPECT_EQ(w.counters().extra, 0u);
}

TEST(DriftWatch, ACheckOverlappingAReloadIsThrownAwayAndMadeAgain) {
  // The first check blocks inside the check until the test lets it go.
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  std::atomic<int> calls = 0;
  std::vector<DriftFinding> findings;
  std::mutex m;
  audit::DriftReport drifted;
  drifted.differences = {extra_rule()};
  DriftWatch w(
      target("old"), 1h,
      [&](const DriftTarget& t) -> Result<audit::DriftReport> {
        if (calls++ == 0) {
          entered.set_value();
          released.wait();
          return drifted;  // what a dump taken mid-reload would say
        }
        audit::DriftReport clean;
        clean.table = t.table->name;
        return clean;
      },
      [&](const DriftFinding& f) {
        std::lock_guard lock(m);
        findings.push_back(f);
      },
      nullptr, 10ms);
  entered.get_future().wait();
  w.changing();
  release.set_value();
  // the stale result never counts while the reload runs ...
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(w.counters().checks, 0u);
  EXPECT_EQ(calls.load(), 1) << "checked while a reload was running";
  // ... and once it ended, a check against the new table does
  w.changed(target("new"));
  ASSERT_TRUE(wait_counters(w, [](const DriftCounters& c) { return c.checks == 1; }));
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(w.counters().extra, 0u);
  std::lock_guard lock(m);
  EXPECT_TRUE(findings.empty());
}

// A burst of reloads (a configuration tool sending SIGHUP after SIGHUP)
// is checked once, against the last, when it has settled.
TEST(DriftWatch, AReloadBurstIsCheckedOnceItSettles) {
  Script s;
  DriftWatch w = watch(s, 1h, 200ms);
  ASSERT_TRUE(wait_counters(w, [](const DriftCounters& c) { return c.checks == 1; }));
  for (const char* name : {"a", "b", "c"}) {
    w.changing();
    w.changed(target(name));
  }
  ASSERT_TRUE(wait_counters(w, [](const DriftCounters& c) { return c.checks == 2; }));
  EXPECT_EQ(s.targets(), (std::vector<std::string>{"icmpwall", "c"}));
}

TEST(DriftWatch, FailuresAndThrowsAreCountedNotReportedAsDrift) {
  std::atomic<int> calls = 0;
  std::vector<std::string> failures;
  std::mutex m;
  DriftWatch w(
      target("icmpwall"), 10ms,
      [&](const DriftTarget&) -> Result<audit::DriftReport> {
        if (calls++ % 2) throw std::runtime_error("boom");
        return Error{"dump: Operation not permitted", EPERM};
      },
      [](const DriftFinding&) { ADD_FAILURE() << "a failed check reported drift"; },
      [&](const std::string& why) {
        std::lock_guard lock(m);
        failures.push_back(why);
      });
  ASSERT_TRUE(wait_counters(w, [](const DriftCounters& c) { return c.failures >= 2; }));
  w.stop();
  EXPECT_EQ(w.counters().checks, 0u);
  std::lock_guard lock(m);
  ASSERT_GE(failures.size(), 2u);
  EXPECT_EQ(failures[0], "dump: Operation not permitted");
  EXPECT_EQ(failures[1], "the check failed: boom");
}

TEST(DriftWatch, StopDoesNotWaitForTheInterval) {
  Script s;
  DriftWatch w = watch(s);
  ASSERT_TRUE(wait_counters(w, [](const DriftCounters& c) { return c.checks == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  w.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
}  // namespace icmpwall::daemon
