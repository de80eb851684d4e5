// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon process inside icmpwall::daemon: what serve() runs (serve.cpp:
// start, signal loop, stop) and its reload (reload.cpp), one class.
#pragma once

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "icmpwall/daemon/crowdsec.h"
#include "icmpwall/daemon/drift_watch.h"
#include "icmpwall/daemon/engine_slot.h"
#include "icmpwall/daemon/events.h"
#include "icmpwall/daemon/events_file.h"
#include "icmpwall/daemon/metrics_http.h"
#include "icmpwall/daemon/nflog_reader.h"
#include "icmpwall/daemon/privileges.h"
#include "icmpwall/daemon/serve.h"
#include "icmpwall/daemon/source_blocker.h"
#include "icmpwall/daemon/stats.h"
#include "icmpwall/daemon/stats_server.h"
#include "icmpwall/daemon/systemd.h"
#include "icmpwall/inspect/engine_budget.h"
#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/queue/worker.h"
#include "icmpwall/util/exit_codes.h"
#include "icmpwall/util/file.h"
#include "icmpwall/util/json_text.h"
#include "icmpwall/version.h"

namespace icmpwall::daemon {

using Clock = std::chrono::steady_clock;

// Every queue number an inspect rule sends to, with whether it fails open.
std::map<uint16_t, bool> queues_of(const policy::Policy& p);
// The files the errors are in ("a.toml, b.toml"), or `fallback` when no
// error names one.
std::string files_with_errors(const Diagnostics& diags, const std::string& fallback);

// What the start builds, step by step, before the workers own it.
struct Startup {
  std::shared_ptr<inspect::Engine> engine;
  netlink::ApplyStats applied;
  std::map<uint16_t, std::pair<queue::QueueSocket, bool>> sockets;  // queue -> socket, fail open
};

// What a reload builds, step by step, before it replaces what runs.
// Destroyed unused when the reload is refused (the workers it started
// stop then).
struct Reload {
  std::optional<Loaded> loaded;
  std::shared_ptr<SourceBlocker> blocker;
  std::shared_ptr<inspect::Engine> engine;
  std::map<uint16_t, bool> queues;            // every queue of the next policy, fail open
  std::map<uint16_t, queue::Worker> started;  // workers of the queues it adds
  std::vector<uint16_t> added, removed;       // filled by the swap
  std::string errors;  // a refusal's error diagnostics, rendered (reload_error_text)
  netlink::QueueMode queue_mode = netlink::QueueMode::native;  // as applied
};

class Daemon {
 public:
  Daemon(LoadRequest request, std::ostream& events, std::ostream& log)
      : request_(std::move(request)), events_(events), log_(log) {}

  int run();

 private:
  // The start's steps in order; each returns kOk or the exit code it
  // failed with, having logged why.
  int load_policy(Startup& start);
  int build_engine(Startup& start);
  int apply_ruleset(Startup& start);
  int bind_queues(Startup& start);
  int open_outputs(Startup& start);
  int drop_privileges(Startup& start);
  int start_workers(Startup& start);
  std::optional<StatsServer> start_stats();  // and the metrics endpoint
  // The drift checks (unless the config turns them off).
  void start_drift_watch();
  // What the kernel should hold now: the table in force, as applied.
  DriftTarget drift_target() const;
  // A drift check's result that differs from the one before, or a failed
  // check: an event line and a log line.
  void report_drift(const DriftFinding& f);
  void report_drift_failure(const std::string& why);
  void announce_ready(netlink::QueueMode applied_mode);
  // The signal loop: SIGHUP reloads, SIGINT/SIGTERM return.
  void serve_until_stopped(const sigset_t& signals);
  // Stops the stats server and the workers, flushes if configured, reports.
  void stop(std::optional<StatsServer>& stats);
  // Diagnostics as log lines (each keeps its file:line:col).
  void log_diagnostics(const Diagnostics& diags, Priority p);
  // An event line through the current blocker: emit() from the main
  // thread, emit_from_thread() from any other (it takes state_mutex_ to
  // find the blocker a reload may swap, so never call it holding that).
  void emit(const std::string& line);
  void emit_from_thread(const std::string& line);
  // The engine for `loaded`, its detector tables allocated in full (they
  // never grow later); an Error when the memory is not there. Built before
  // the table that sends packets to it is applied.
  Result<std::shared_ptr<inspect::Engine>> make_engine(const Loaded& loaded,
                                                       std::shared_ptr<SourceBlocker> blocker);
  std::shared_ptr<inspect::Engine> new_engine(const Loaded& loaded,
                                              std::shared_ptr<SourceBlocker> blocker);
  // One blocker (and so one event-line mutex) while the table name stays.
  std::shared_ptr<SourceBlocker> blocker_for(const std::string& table);
  Result<queue::Worker> start_worker(uint16_t num, bool fail_open, const DaemonConfig& config);
  // SIGHUP: the reload's steps in order; the first to fail refuses the
  // reload with its reason, and nothing has changed.
  void reload();
  Result<void> load_next_policy(Reload& next);
  Result<void> build_next_engine(Reload& next);
  Result<void> start_new_queues(Reload& next);
  Result<void> replace_ruleset(Reload& next);
  // The next engine, workers and policy in place of the current ones.
  void swap_in(Reload& next);
  void announce_reload(const Reload& next);
  // Logs, counts and announces a refused reload; `errors` are its
  // diagnostics, rendered, for the stats document.
  void refuse_reload(const std::string& why, const std::string& errors = {});
  // reload(), with anything it throws logged as a refused reload: the
  // daemon keeps serving what it served.
  void reload_or_keep();
  // The policy's NFLOG groups read (a failure is logged); one logged packet
  // written as event lines.
  bool follow_nflog();
  void write_log_event(const NflogEvent& e);
  // After logrotate moved the events file: the configured path again.
  void reopen_events_file();
  std::string status() const;
  StatsInput stats_input();
  std::string stats_document();
  std::string stats_document_or_error();
  // The stats document as Prometheus text, for the metrics endpoint's
  // thread: none (and a log line) if anything throws.
  std::optional<std::string> metrics_text();

  LoadRequest request_;
  std::ostream& events_;
  Log log_;
  std::mutex out_mutex_;                    // log_, written from the workers too
  std::shared_ptr<SourceBlocker> blocker_;  // also writes every event line
  // The eve-style events file; set before any worker starts, outlives them.
  std::unique_ptr<EventsFile> events_file_;
  // The CrowdSec client; set before any worker starts, outlives them.
  std::unique_ptr<CrowdSec> crowdsec_;
  const Clock::time_point started_ = Clock::now();

  std::shared_ptr<inspect::RouteView> routes_;
  std::shared_ptr<EngineSlot> slot_;

  // Everything below changes on reload; the stats thread reads it.
  mutable std::mutex state_mutex_;
  Loaded current_;
  std::map<uint16_t, queue::Worker> workers_;
  inspect::EngineCounters retired_engines_;
  std::map<uint16_t, queue::Counters> retired_queues_;
  uint64_t reloads_ = 0;
  uint64_t reload_failures_ = 0;
  bool reloading_ = false;         // while reload_or_keep() runs
  std::string last_reload_error_;  // the last refusal's reason; cleared by a reload that took
  std::chrono::system_clock::time_point last_reload_{};
  netlink::QueueMode applied_mode_ = netlink::QueueMode::native;  // of current_.table

  // Its thread writes through blocker_ and events_file_: it stops before them.
  std::optional<NflogListener> nflog_;
  // Its thread writes through blocker_ and log_: it stops before them.
  std::unique_ptr<DriftWatch> drift_;
  // Last: it reads everything above, so it stops first.
  std::optional<MetricsServer> metrics_;
};

}  // namespace icmpwall::daemon
