// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall daemon`: keep a policy applied and answer its `inspect` rules.
//
// serve() loads the config and policy (load.h), applies the compiled
// table, binds one NFQUEUE socket per queue the policy's inspect rules
// use, drops every capability but CAP_NET_ADMIN, starts the queue workers
// around one inspection engine (behind an EngineSlot, so a reload can swap
// it), serves the stats socket, and tells systemd READY=1. It writes one
// JSON line per detection on `events`, blocks sources in the kernel where
// a detection says so, and waits for signals:
//
//   SIGHUP   reload: load again; if anything is bad, keep running as is
//            and log why. Else start workers for new queues, apply the new
//            table in one batch, swap the engine, stop unused workers.
//   SIGTERM, SIGINT
//            stop the workers (the kernel applies each rule's no-worker
//            behaviour again), keep or flush the table (on_stop), print
//            the counters as one JSON line, return 0.
//
// With $WATCHDOG_USEC set it sends WATCHDOG=1 at half that interval.
#pragma once

#include <iosfwd>

#include "icmpwall/daemon/load.h"

namespace icmpwall::daemon {

// Returns an exit code (util/exit_codes.h). Events go to `events`, status
// and errors to `log` (or the journal, under systemd).
int serve(const LoadRequest& request, std::ostream& events, std::ostream& log);

}  // namespace icmpwall::daemon
