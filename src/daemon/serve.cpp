// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's flat list of stages: load, apply, bind the queues, drop
// privileges, start the workers around one swappable engine, tell systemd,
// then a signal loop (reload, watchdog, stop), stop, report.
#include "icmpwall/daemon/serve.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <algorithm>

#include "daemon.h"

namespace icmpwall::daemon {

// Every queue number an inspect rule sends to, with whether it fails open.
std::map<uint16_t, bool> queues_of(const policy::Policy& p) {
  std::map<uint16_t, bool> out;
  for (const auto& r : p.rules) {
    if (r.action != policy::Action::inspect || !r.inspect) continue;
    for (uint16_t i = 0; i < r.inspect->queues; ++i) {
      auto [it, fresh] = out.emplace(r.inspect->queue + i, r.inspect->fail_open);
      if (!fresh) it->second = it->second && r.inspect->fail_open;  // closed wins
    }
  }
  return out;
}

// The files the errors are in ("a.toml, b.toml"), or `fallback` when no
// error names one.
std::string files_with_errors(const Diagnostics& diags, const std::string& fallback) {
  std::vector<std::string> files;
  for (const auto& d : diags.items())
    if (d.severity == Severity::error && d.loc.file &&
        std::find(files.begin(), files.end(), d.loc.file->path()) == files.end())
      files.push_back(d.loc.file->path());
  return files.empty() ? fallback : fmt::format("{}", fmt::join(files, ", "));
}

namespace {

// SIGINT/SIGTERM/SIGHUP blocked in this thread (and so in every thread
// started after it), and received with sigtimedwait.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  return set;
}

// What a queue worker takes from the config besides its queue.
queue::ReaderOptions worker_options(const DaemonConfig& config) {
  queue::ReaderOptions o;
  o.busy_poll = std::chrono::microseconds(config.busy_poll_us);
  return o;
}

}  // namespace

void Daemon::log_diagnostics(const Diagnostics& diags, Priority p) {
  for (const auto& d : diags.items()) {
    std::string text = icmpwall::render(d);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    std::lock_guard lock(out_mutex_);
    log_.write(d.severity == Severity::error ? p : Priority::warning, text);
  }
}

void Daemon::emit(const std::string& line) {
  blocker_->write_event(line);
}

void Daemon::emit_from_thread(const std::string& line) {
  std::shared_ptr<SourceBlocker> blocker;  // swapped by a reload
  {
    std::lock_guard lock(state_mutex_);
    blocker = blocker_;
  }
  blocker->write_event(line);
}

std::shared_ptr<SourceBlocker> Daemon::blocker_for(const std::string& table) {
  if (blocker_ && blocker_->table() == table) return blocker_;
  return std::make_shared<SourceBlocker>(
      table, events_,
      [this](const inspect::BlockedPrefix& p, std::chrono::seconds s, const std::string& reason) {
        if (crowdsec_) crowdsec_->push(p, s, reason);
      });
}

Result<std::shared_ptr<inspect::Engine>> Daemon::make_engine(
    const Loaded& loaded, std::shared_ptr<SourceBlocker> blocker) {
  try {
    return new_engine(loaded, std::move(blocker));
  } catch (const std::bad_alloc&) {
    return Error{fmt::format("the inspection engine's tables ({}) cannot be allocated: out of "
                             "memory; lower the [inspect.*] table sizes",
                             format_bytes(inspect::engine_table_bytes(loaded.engine))),
                 ENOMEM};
  }
}

std::shared_ptr<inspect::Engine> Daemon::new_engine(const Loaded& loaded,
                                                    std::shared_ptr<SourceBlocker> blocker) {
  return std::make_shared<inspect::Engine>(
      loaded.engine, routes_,
      [this, blocker](const inspect::Event& e) {
        SourceBlocker::note_detection(e);
        blocker->write_event(detection_json(e));
        if (events_file_) events_file_->push(eve_line(e));
        if (!log_.journal()) return;
        Fields f{{"ICMPWALL_EVENT", "detection"},
                 {"ICMPWALL_REASON", e.finding->reason},
                 {"ICMPWALL_ACTION", std::string(inspect::to_string(e.finding->outcome))}};
        if (e.packet) {
          f.emplace_back("ICMPWALL_SRC", inspect::to_string(e.packet->ip.src));
          f.emplace_back("ICMPWALL_DST", inspect::to_string(e.packet->ip.dst));
          f.emplace_back("ICMPWALL_TYPE", std::to_string(e.packet->icmp.type));
        }
        if (e.would) f.emplace_back("ICMPWALL_WOULD", std::string(inspect::to_string(*e.would)));
        if (e.block_withheld)
          f.emplace_back("ICMPWALL_BLOCK_WITHHELD", std::string(e.block_withheld));
        std::lock_guard lock(out_mutex_);
        log_.warning(fmt::format("detection: {} ({})", e.finding->reason,
                                 inspect::to_string(e.finding->outcome)),
                     f);
      },
      [blocker](const inspect::BlockedPrefix& p, std::chrono::seconds s) { blocker->block(p, s); });
}

Result<queue::Worker> Daemon::start_worker(uint16_t num, bool fail_open,
                                           const DaemonConfig& config) {
  queue::QueueConfig qc;
  qc.queue = num;
  qc.copy_range = config.copy_range;
  qc.fail_open = fail_open;
  return queue::Worker::start(qc, slot_, worker_options(config));
}

std::string Daemon::status() const {
  std::vector<uint16_t> qs;
  for (const auto& [n, w] : workers_) qs.push_back(n);
  return fmt::format("STATUS=serving {} (table inet {}, {} rules, queues [{}], {} reloads)",
                     current_.config.policy, current_.table.name, nft::count_rules(current_.table),
                     fmt::join(qs, ","), reloads_);
}

void Daemon::reopen_events_file() {
  if (!events_file_) return;
  auto r = events_file_->reopen();
  std::lock_guard lock(out_mutex_);
  if (r)
    log_.info("events file reopened: " + events_file_->path());
  else
    log_.error(r.error().message + "; events still go to the file open before");
}

StatsInput Daemon::stats_input() {
  StatsInput in;
  if (nflog_) in.nflog = nflog_->counters(), in.nflog_groups = nflog_->groups();
  std::lock_guard lock(state_mutex_);
  in.version = ICMPWALL_VERSION;
  in.last_reload = last_reload_;
  if (events_file_) in.events_file = {events_file_->lines(), events_file_->dropped()};
  in.uptime = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_);
  in.reloads = reloads_;
  in.reload_failures = reload_failures_;
  in.reloading = reloading_;
  in.last_reload_error = last_reload_error_;
  in.policy = current_.config.policy;
  in.table = current_.table.name;
  in.engine = retired_engines_;
  add_counters(in.engine, slot_->engine()->counters());
  auto queues = retired_queues_;
  for (const auto& [n, w] : workers_) add_counters(queues[n], w.counters());
  in.queues.assign(queues.begin(), queues.end());
  in.types = slot_->type_counts();
  if (crowdsec_) in.crowdsec = crowdsec_->counters();
  if (drift_) in.drift = drift_->counters();
  return in;
}

std::string Daemon::stats_document() {
  return json_text(stats_json(stats_input()));
}

// The metrics thread's edge. The document goes through its JSON text, as
// it does for `icmpwall stats --prometheus`: the same bytes either way
// (a policy path that is not UTF-8 shows U+FFFD in both).
std::optional<std::string> Daemon::metrics_text() {
  try {
    return render_prometheus(nlohmann::json::parse(stats_document()));
  } catch (const std::exception& e) {
    std::lock_guard lock(out_mutex_);
    log_.error(std::string("metrics request failed: ") + e.what());
  }
  return std::nullopt;
}

// The stats thread's edge: nothing it runs may end the daemon.
std::string Daemon::stats_document_or_error() {
  try {
    return stats_document();
  } catch (const std::exception& e) {
    std::lock_guard lock(out_mutex_);
    log_.error(std::string("stats request failed: ") + e.what());
  }
  return R"({"error":"the daemon could not render its statistics; see its log"})";
}

int Daemon::run() {
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Startup start;
  for (auto step :
       {&Daemon::load_policy, &Daemon::build_engine, &Daemon::apply_ruleset, &Daemon::bind_queues,
        &Daemon::open_outputs, &Daemon::drop_privileges, &Daemon::start_workers})
    if (const int rc = (this->*step)(start); rc != kOk) return rc;
  start_drift_watch();  // before the stats threads, which read it
  std::optional<StatsServer> stats = start_stats();
  announce_ready(start.applied.queue_mode);
  serve_until_stopped(signals);
  stop(stats);
  return kOk;
}

// 1. config + policy -> nft model
int Daemon::load_policy(Startup&) {
  Diagnostics diags;
  auto loaded = load(request_, diags);
  log_diagnostics(diags, Priority::error);
  if (!loaded) {
    log_.error(
        fmt::format("{}: {} error(s), {} warning(s); nothing was changed",
                    files_with_errors(diags, request_.policy_path.empty() ? request_.config_path
                                                                          : request_.policy_path),
                    diags.count(Severity::error), diags.count(Severity::warning)));
    return kPolicy;
  }
  current_ = std::move(*loaded);
  last_reload_ = std::chrono::system_clock::now();
  return kOk;
}

// 2. the route view and the engine, before any packet can be queued to
// it: tables that do not fit in memory stop the start with nothing
// changed
int Daemon::build_engine(Startup& start) {
  auto routes = inspect::NetlinkRouteView::open();
  if (!routes) {
    log_.error("route lookups: " + routes.error().message);
    return kKernel;
  }
  routes_ = std::shared_ptr<inspect::RouteView>(std::move(*routes));
  blocker_ = blocker_for(current_.table.name);
  auto engine = make_engine(current_, blocker_);
  if (!engine) {
    log_.error(engine.error().message + "; nothing was changed");
    return kPolicy;
  }
  start.engine = std::move(*engine);
  return kOk;
}

// 3. the ruleset, in one atomic batch
int Daemon::apply_ruleset(Startup& start) {
  netlink::ApplyOptions apply_opts;
  apply_opts.queue_mode = current_.config.queue_mode;
  Diagnostics diags;
  auto applied = netlink::apply_table(current_.table, diags, apply_opts);
  log_diagnostics(diags, Priority::error);
  if (!applied) {
    log_.error(applied.error().message + "; nothing was changed");
    return kKernel;
  }
  start.applied = *applied;
  applied_mode_ = applied->queue_mode;
  if (auto kept = netlink::kept_text(*applied); !kept.empty()) log_.info(kept);
  return kOk;
}

// 4. the queues, bound while we still hold every capability
int Daemon::bind_queues(Startup& start) {
  for (const auto& [num, fail_open] : queues_of(current_.policy)) {
    queue::QueueConfig qc;
    qc.queue = num;
    qc.copy_range = current_.config.copy_range;
    qc.fail_open = fail_open;
    auto s = queue::QueueSocket::open(qc);
    if (!s) {
      log_.error(fmt::format("queue {}: {}", num, s.error().message));
      return kKernel;
    }
    if (s->conntrack_refused())
      log_.warning(
          fmt::format("queue {}: the kernel reports no conntrack state "
                      "(NFQA_CFG_F_CONNTRACK refused); packets count as "
                      "conntrack unknown",
                      num));
    start.sockets.emplace(num, std::pair{std::move(*s), fail_open});
  }
  return kOk;
}

// 4b. the events file and the metrics port, also with every capability (a
// port below 1024, a log directory only root may write to)
int Daemon::open_outputs(Startup&) {
  const auto& c = current_.config;
  if (!c.events_file.empty()) {
    auto f = EventsFile::open(c.events_file);
    if (!f) {
      log_.error(f.error().message);
      return kKernel;
    }
    events_file_ = std::move(*f);
  }
  if (c.metrics_listen) {
    auto m = MetricsServer::bind(*c.metrics_listen);
    if (!m) {
      log_.error(m.error().message);
      return kKernel;
    }
    metrics_.emplace(std::move(*m));
  }
  if (!c.crowdsec.url.empty()) {
    CrowdSec::Sinks sinks{[this](const std::string& line) { emit_from_thread(line); },
                          [this](Priority p, const std::string& text) {
                            std::lock_guard lock(out_mutex_);
                            log_.write(p, text);
                          }};
    auto cs = CrowdSec::open(c.crowdsec, std::move(sinks), routes_);
    if (!cs) {
      log_.error("crowdsec: " + cs.error().message);
      return kPolicy;
    }
    crowdsec_ = std::move(*cs);
  }
  return kOk;
}

// 5. CAP_NET_ADMIN only, before any thread exists (threads inherit it)
int Daemon::drop_privileges(Startup&) {
  auto dropped = keep_only_net_admin();
  if (!dropped) {
    log_.error("dropping privileges: " + dropped.error().message);
    return kKernel;
  }
  if (!*dropped) log_.warning("no CAP_SETPCAP: the capability bounding set is left as it was");
  return kOk;
}

// 6. the workers around the engine
int Daemon::start_workers(Startup& start) {
  if (events_file_) events_file_->start();
  slot_ = std::make_shared<EngineSlot>(std::move(start.engine));
  for (auto& [num, sock] : start.sockets) {
    auto w = queue::Worker::start(std::move(sock.first), slot_, worker_options(current_.config));
    if (!w) {
      log_.error(fmt::format("queue {}: {}", num, w.error().message));
      return kKernel;
    }
    workers_.emplace(num, std::move(*w));
  }
  nflog_.emplace(current_.config.nflog_events_per_second,
                 [this](const NflogEvent& e) { write_log_event(e); });
  return follow_nflog() ? kOk : kKernel;
}

bool Daemon::follow_nflog() {
  nflog_->set_events_per_second(current_.config.nflog_events_per_second);
  auto r = nflog_->follow(current_.policy);
  if (!r) log_.error("log groups: " + r.error().message + "; `log` packets are not read");
  return r.ok();
}

// From the NFLOG thread; never under state_mutex_ (a reload waits for this
// thread to stop while holding none).
void Daemon::write_log_event(const NflogEvent& e) {
  emit_from_thread(nflog_json(e));
  if (events_file_) events_file_->push(nflog_eve_json(e));
  if (!log_.journal()) return;
  std::lock_guard lock(out_mutex_);
  log_.info(fmt::format("log: {}", e.rule_label()), nflog_fields(e));
}

std::optional<StatsServer> Daemon::start_stats() {
  std::optional<StatsServer> stats;
  if (!current_.config.stats_socket.empty()) {
    auto s = StatsServer::start(current_.config.stats_socket,
                                [this] { return stats_document_or_error(); });
    if (s)
      stats.emplace(std::move(*s));
    else
      log_.warning("no stats socket: " + s.error().message);
  }
  if (crowdsec_) crowdsec_->start(current_.table.name, current_.engine.block.never_block);
  if (metrics_) {
    metrics_->serve([this] { return metrics_text(); });
    log_.info(
        fmt::format("metrics: http://{}/metrics", to_string(*current_.config.metrics_listen)));
  }
  return stats;
}

void Daemon::start_drift_watch() {
  const auto interval = current_.config.drift_check_interval;
  if (interval.count() == 0) return;
  drift_ = std::make_unique<DriftWatch>(
      drift_target(), interval,
      [](const DriftTarget& t) { return check_live_drift(t, kDriftCheckBudget); },
      [this](const DriftFinding& f) { report_drift(f); },
      [this](const std::string& why) { report_drift_failure(why); });
}

DriftTarget Daemon::drift_target() const {
  std::lock_guard lock(state_mutex_);
  return {std::make_shared<const nft::Table>(current_.table), applied_mode_};
}

// From the drift thread.
void Daemon::report_drift(const DriftFinding& f) {
  emit_from_thread(drift_json(f));
  std::lock_guard lock(out_mutex_);
  const Fields fields{{"ICMPWALL_EVENT", "drift"}};
  if (f.drift())
    log_.warning(fmt::format("drift: table inet {}: {} difference(s), {} override(s): {}{}",
                             f.table, f.counts.missing + f.counts.extra + f.counts.differs,
                             f.counts.overrides, f.lines.front(),
                             f.lines.size() > 1 ? fmt::format(" (and {} more; `icmpwall audit "
                                                              "--policy` lists them)",
                                                              f.lines.size() - 1)
                                                : ""),
                 fields);
  else
    log_.info(fmt::format("drift: none; table inet {} is the policy again", f.table), fields);
}

void Daemon::report_drift_failure(const std::string& why) {
  std::lock_guard lock(out_mutex_);
  log_.warning("drift check failed: " + why, {{"ICMPWALL_EVENT", "drift-check-failed"}});
}

// 7. ready
void Daemon::announce_ready(netlink::QueueMode applied_mode) {
  std::vector<uint16_t> queue_list;
  for (const auto& [n, w] : workers_) queue_list.push_back(n);
  emit(fmt::format(R"({{"event":"ready","table":"{}","queues":[{}],"queue_mode":"{}"}})",
                   current_.table.name, fmt::join(queue_list, ","),
                   queue_list.empty() ? "none" : netlink::to_string(applied_mode)));
  log_.info(fmt::format("serving {}: table inet {}, {} rules, queues [{}]", current_.config.policy,
                        current_.table.name, nft::count_rules(current_.table),
                        fmt::join(queue_list, ",")),
            {{"ICMPWALL_EVENT", "ready"}, {"ICMPWALL_POLICY", current_.config.policy}});
  notify("READY=1\n" + status());
}

// 8. until told to stop; WATCHDOG=1 at half the interval systemd asked for
void Daemon::serve_until_stopped(const sigset_t& signals) {
  const auto watchdog = watchdog_interval();
  while (true) {
    int sig = 0;
    if (watchdog) {
      const auto half = *watchdog / 2;
      timespec ts{static_cast<time_t>(half.count() / 1'000'000),
                  static_cast<long>(half.count() % 1'000'000) * 1000};
      sig = sigtimedwait(&signals, nullptr, &ts);
      if (sig < 0) {
        notify("WATCHDOG=1");
        continue;
      }
    } else {
      sig = sigwaitinfo(&signals, nullptr);
      if (sig < 0) continue;
    }
    if (sig == SIGHUP) {
      // The watchdog is fed on either side of a reload too: a SIGHUP that
      // lands just before a wait would have timed out, plus the reload's
      // own time, must not add up to a missed interval.
      if (watchdog) notify("WATCHDOG=1");
      reopen_events_file();
      reload_or_keep();
      // The sets may have been recreated: the decisions held go in again.
      if (crowdsec_) crowdsec_->reloaded(current_.table.name, current_.engine.block.never_block);
      if (watchdog) notify("WATCHDOG=1");
      continue;
    }
    break;
  }
}

// 9. stop and report
void Daemon::stop(std::optional<StatsServer>& stats) {
  notify("STOPPING=1\nSTATUS=stopping");
  stats.reset();
  metrics_.reset();
  drift_.reset();
  if (crowdsec_) crowdsec_->stop();
  if (nflog_) nflog_->stop();
  std::vector<std::pair<uint16_t, queue::Counters>> queue_counters;
  for (auto& [num, w] : workers_) {
    w.stop();
    if (auto f = w.failure()) log_.error(fmt::format("queue {}: {}", num, f->message));
    auto c = retired_queues_[num];
    add_counters(c, w.counters());
    queue_counters.emplace_back(num, c);
  }
  if (current_.config.on_stop == OnStop::flush) {
    auto r = netlink::flush_table(current_.table.name);
    if (!r) log_.error("flush: " + r.error().message);
  }
  auto totals = retired_engines_;
  add_counters(totals, slot_->engine()->counters());
  emit(summary_json(totals, queue_counters));
  log_.info(fmt::format("stopped; table inet {} {}", current_.table.name,
                        current_.config.on_stop == OnStop::flush ? "removed" : "kept"));
}

int serve(const LoadRequest& request, std::ostream& events, std::ostream& log) {
  return Daemon(request, events, log).run();
}

}  // namespace icmpwall::daemon
