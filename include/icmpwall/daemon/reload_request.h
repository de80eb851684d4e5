// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall reload`: the running daemon told to reload (SIGHUP) and its
// outcome awaited, both through its stats socket (stats_server.h, stats.h).
//
// The daemon is the process the kernel says listens at the socket
// (SO_PEERCRED), never a PID an answer names. Nothing is signalled when
// that process is PID 0 or 1, this process, not the one `expected_pid`
// names (the unit passes systemd's $MAINPID), or runs as another user than
// when it listened (a PID reused). The signal goes through a pidfd opened
// before that last check, so it reaches that process or none.
//
// A reload already running is let end first: it may have read the policy
// before the edit. After the signal, the reload has ended when the count
// of ended reloads (reloads + reload_failures) has grown; it was refused
// if `last_reload_error` is there. All of it within `timeout`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

struct ReloadRequest {
  std::string socket;
  std::optional<pid_t> expected_pid;
  std::chrono::milliseconds timeout{30'000};
};

enum class ReloadOutcome {
  reloaded,   // the daemon took the policy
  refused,    // it refused it and serves the previous one
  timed_out,  // no answer, or no end of the reload, within the timeout
  no_daemon,  // no daemon at the socket (or not one to signal), or it went away
  failed,     // the signal could not be sent (permissions)
};

struct ReloadResult {
  ReloadOutcome outcome = ReloadOutcome::failed;
  pid_t pid = 0;  // the daemon's, once known
  // reloaded: what is in force now; refused: the daemon's reason (its
  // error diagnostics, then the reason); else what went wrong. It holds
  // text from whatever answered at the socket: print it through
  // printable_lines() (diagnostics.h).
  std::string message;
};

ReloadResult request_reload(const ReloadRequest& request);

// A stats document as far as a reload reads it; an Error when it is not a
// daemon's (no unsigned `reloads` and `reload_failures`). A document of a
// daemon older than `reloading` and `last_reload_error` reads as idle and
// without an error.
struct ReloadState {
  uint64_t reloads = 0;
  uint64_t failures = 0;
  bool reloading = false;
  std::optional<std::string> error;
  std::string policy, table;
  uint64_t ended() const { return reloads + failures; }
};
Result<ReloadState> parse_reload_state(const std::string& document);

}  // namespace icmpwall::daemon
