// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall reload`: the daemon at the stats socket reloads, and the
// command says whether it took the policy (daemon/reload_request.h).
#include <chrono>
#include <iostream>

#include "icmpwall/cli/commands.h"
#include "icmpwall/daemon/reload_request.h"
#include "icmpwall/util/diagnostics.h"
#include "icmpwall/util/exit_codes.h"

namespace icmpwall::cli {

int cmd_reload(const ReloadOptions& opts) {
  daemon::ReloadRequest req;
  req.socket = opts.socket;
  if (opts.pid) req.expected_pid = static_cast<pid_t>(*opts.pid);
  req.timeout = std::chrono::milliseconds(static_cast<int64_t>(opts.timeout * 1000));
  const auto r = daemon::request_reload(req);
  // Everything below may hold what another process wrote to the socket.
  const std::string message = printable_lines(r.message);
  int code = kKernel;  // failed: the signal could not be sent
  switch (r.outcome) {
    case daemon::ReloadOutcome::reloaded:
      std::cout << "icmpwall reload: " << message << "\n";
      return kOk;
    case daemon::ReloadOutcome::refused:
      std::cerr << "icmpwall reload: the daemon (pid " << r.pid
                << ") refused the reload and still serves the previous policy:\n"
                << message << (message.ends_with('\n') ? "" : "\n");
      return kRefused;
    case daemon::ReloadOutcome::timed_out: code = kTimedOut; break;
    case daemon::ReloadOutcome::no_daemon: code = kNoDaemon; break;
    case daemon::ReloadOutcome::failed: break;
  }
  std::cerr << "icmpwall reload: " << message << "\n";
  return code;
}

}  // namespace icmpwall::cli
