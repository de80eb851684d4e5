// SPDX-License-Identifier: GPL-2.0-or-later
// The commands behind the command line. Each is a flat list of stages
// (load -> lint -> compile -> apply) and returns an exit code.
#pragma once

#include <optional>
#include <string>

#include "icmpwall/daemon/load.h"

namespace icmpwall::cli {

struct CommonOptions {
  bool strict = false;  // lint warnings are errors
  bool color = false;   // ANSI colors in diagnostics
};

struct ApplyOptions {
  CommonOptions common;
  std::string policy_path;
  std::string netns;
  bool dry_run = false;
  std::string queue_mode = "auto";  // auto | native | compat
  std::string dump;                 // "", "policy" or "nft"
};

// Options given on the command line override the config file's.
struct DaemonOptions {
  CommonOptions common;
  std::string netns;
  std::string queue_mode;  // "" = the config's (auto)
  // The rest as the daemon takes them; its config_path, empty without
  // policy_path, is /etc/icmpwall/icmpwall.toml. Its strict and queue_mode
  // come from the two above.
  daemon::LoadRequest load;
};

// Where the daemon's stats socket is unless the config says otherwise.
inline constexpr const char* kDefaultStatsSocket = "/run/icmpwall/stats.sock";

// stats: the running daemon's counters from its stats socket.
struct StatsOptions {
  std::string socket = kDefaultStatsSocket;
  bool json = false;
  bool prometheus = false;
};

// reload: SIGHUP to the daemon at the stats socket, and its outcome.
struct ReloadOptions {
  std::string socket = kDefaultStatsSocket;
  std::optional<int> pid;  // the daemon's PID as the caller knows it ($MAINPID)
  double timeout = 30;     // seconds for all of it
};

// audit: the live ruleset's outcome per ICMP type and hook, or (explain)
// the walk of one packet.
struct AuditOptions {
  std::string netns;
  bool json = false;
  bool color = false;  // the text table's outcomes
  std::string family;  // "" = both
  std::string hook;    // "" = all
  std::string type;    // "" = all; a name or a number
  bool explain = false;
  std::optional<int> code;
  std::string src, dst, iif, oif;
  std::optional<int> hop_limit;
  std::string policy_path;       // --policy: drift against this policy (audit_drift_command.h)
  std::string ct_state = "new";  // --explain: new, established, related, invalid, untracked
  // Seconds the walks of the whole audit may take; past them every outcome
  // not yet known is "unknown beyond here" (evaluate.h).
  double time_budget = 60;
};

int cmd_apply(const ApplyOptions& opts);
int cmd_daemon(const DaemonOptions& opts);
int cmd_stats(const StatsOptions& opts);    // stats_command.cpp
int cmd_reload(const ReloadOptions& opts);  // reload_command.cpp
int cmd_check(const CommonOptions& common, const std::string& policy_path, const std::string& dump);
int cmd_audit(const AuditOptions& opts);
int cmd_flush(const std::string& netns, const std::string& table);

}  // namespace icmpwall::cli
