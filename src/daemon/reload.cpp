// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's reload on SIGHUP: Daemon::reload and its steps (daemon.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "daemon.h"
#include "icmpwall/util/json_text.h"

namespace icmpwall::daemon {
namespace {

// A refused reload's error diagnostics as `icmpwall check` prints them,
// for the stats document's `last_reload_error` (what `icmpwall reload`
// shows): the first few, and a few KiB at most whatever the policy holds.
// The log has them all.
constexpr size_t kShownErrors = 5;
constexpr size_t kMaxErrorText = 4096;

std::string rendered_errors(const Diagnostics& diags) {
  std::string out;
  size_t shown = 0;
  for (const auto& d : diags.items()) {
    if (d.severity != Severity::error) continue;
    if (shown++ == kShownErrors) {
      out += fmt::format("({} more in the daemon's log)\n",
                         diags.count(Severity::error) - kShownErrors);
      break;
    }
    out += icmpwall::render(d);
  }
  if (out.size() > kMaxErrorText) {
    out.resize(kMaxErrorText);
    out += "…\n";
  }
  return out;
}

}  // namespace

// Everything is checked before anything changes; the table is replaced in
// one batch after the new queues are listening, so no packet meets an
// unbound queue and ICMP is never unfiltered.
void Daemon::reload() {
  notify(reloading_state());
  log_.info("reloading", {{"ICMPWALL_EVENT", "reload"}});
  Reload next;
  for (auto step : {&Daemon::load_next_policy, &Daemon::build_next_engine,
                    &Daemon::start_new_queues, &Daemon::replace_ruleset})
    if (auto r = (this->*step)(next); !r) return refuse_reload(r.error().message, next.errors);
  swap_in(next);
  follow_nflog();
  announce_reload(next);
}

void Daemon::refuse_reload(const std::string& why, const std::string& errors) {
  std::lock_guard lock(state_mutex_);
  ++reload_failures_;
  last_reload_error_ = errors + why;
  log_.error("reload refused, still serving the previous policy: " + why,
             {{"ICMPWALL_EVENT", "reload-failed"}});
  emit(fmt::format(R"({{"event":"reload","ok":false,"error":{}}})", json_text(why)));
  notify("READY=1\n" + status());
}

// 1. load, lint, compile
Result<void> Daemon::load_next_policy(Reload& next) {
  Diagnostics diags;
  auto loaded = load(request_, diags);
  log_diagnostics(diags, Priority::error);
  if (!loaded) {
    next.errors = rendered_errors(diags);
    return Error{
        fmt::format("{} error(s) in {}", diags.count(Severity::error),
                    files_with_errors(diags, request_.policy_path.empty() ? request_.config_path
                                                                          : request_.policy_path))};
  }
  next.loaded = std::move(*loaded);
  return ok();
}

// 2. the engine, allocated in full before anything changes
Result<void> Daemon::build_next_engine(Reload& next) {
  next.blocker = blocker_for(next.loaded->table.name);
  TRY(next.engine, make_engine(*next.loaded, next.blocker));
  return ok();
}

// 3. workers for new queues (they stop again if the reload is refused)
Result<void> Daemon::start_new_queues(Reload& next) {
  next.queues = queues_of(next.loaded->policy);
  for (const auto& [num, fail_open] : next.queues) {
    if (workers_.count(num)) continue;
    auto w = start_worker(num, fail_open, next.loaded->config);
    if (!w) return Error{fmt::format("queue {}: {}", num, w.error().message)};
    next.started.emplace(num, std::move(*w));
  }
  return ok();
}

// 4. the new table in one batch
Result<void> Daemon::replace_ruleset(Reload& next) {
  const Loaded& loaded = *next.loaded;
  netlink::ApplyOptions apply_opts;
  apply_opts.queue_mode = loaded.config.queue_mode;
  // Base chains that keep their hook stay: removing a hook makes the
  // kernel drop every packet waiting in a queue (netlink/replace.h).
  apply_opts.replaces = &current_.table;
  Diagnostics kernel;
  auto applied = netlink::apply_table(loaded.table, kernel, apply_opts);
  log_diagnostics(kernel, Priority::error);
  if (!applied) {
    next.errors = rendered_errors(kernel);
    return Error{applied.error().message};
  }
  next.queue_mode = applied->queue_mode;
  if (auto kept = netlink::kept_text(*applied); !kept.empty()) log_.info(kept);
  if (loaded.table.name != current_.table.name) {
    auto r = netlink::flush_table(current_.table.name);
    if (!r)
      log_.error(fmt::format("removing table inet {}: {}", current_.table.name, r.error().message));
  }
  return ok();
}

// 5. the engine, 6. workers of queues no longer used
void Daemon::swap_in(Reload& next) {
  std::lock_guard lock(state_mutex_);
  blocker_ = std::move(next.blocker);
  add_counters(retired_engines_, slot_->swap(std::move(next.engine))->counters());
  for (auto& [num, w] : next.started) {
    next.added.push_back(num);
    workers_.emplace(num, std::move(w));
  }
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (next.queues.count(it->first)) {
      ++it;
      continue;
    }
    it->second.stop();
    add_counters(retired_queues_[it->first], it->second.counters());
    next.removed.push_back(it->first);
    it = workers_.erase(it);
  }
  const Loaded& loaded = *next.loaded;
  const std::string changes = fmt::format(
      "reloaded {}: table inet {}, {} -> {} rules; queues added [{}], removed [{}]{}",
      loaded.config.policy, loaded.table.name, nft::count_rules(current_.table),
      nft::count_rules(loaded.table), fmt::join(next.added, ","), fmt::join(next.removed, ","),
      loaded.config.copy_range != current_.config.copy_range
          ? "; the new copy_range applies to new queues only"
          : "");
  current_ = std::move(*next.loaded);
  applied_mode_ = next.queue_mode;
  ++reloads_;
  last_reload_error_.clear();
  last_reload_ = std::chrono::system_clock::now();
  log_.info(changes, {{"ICMPWALL_EVENT", "reload"}, {"ICMPWALL_POLICY", current_.config.policy}});
}

// 7. the event and systemd's status
void Daemon::announce_reload(const Reload& next) {
  emit(fmt::format(
      R"({{"event":"reload","ok":true,"table":"{}","queues_added":[{}],"queues_removed":[{}]}})",
      current_.table.name, fmt::join(next.added, ","), fmt::join(next.removed, ",")));
  notify("READY=1\n" + status());
}

void Daemon::reload_or_keep() {
  // No drift check reports what it read while the table may change.
  if (drift_) drift_->changing();
  // From here until after the count, the stats document says a reload
  // runs (`reloading`): `icmpwall reload` lets it end before it signals,
  // since it may have read the policy before the edit.
  {
    std::lock_guard lock(state_mutex_);
    reloading_ = true;
  }
  try {
    reload();
  } catch (const std::exception& e) {
    // Only a throw before the swap can get here (everything after it is
    // plain bookkeeping), so what runs is still the previous policy.
    refuse_reload(e.what());
  }
  {
    std::lock_guard lock(state_mutex_);
    reloading_ = false;
  }
  if (drift_) drift_->changed(drift_target());
}

}  // namespace icmpwall::daemon
