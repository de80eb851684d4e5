// SPDX-License-Identifier: GPL-2.0-or-later
// Process exit codes, documented in README.md. Shared by the CLI and the
// daemon, so they live below both.
#pragma once

namespace icmpwall {

enum ExitCode : int {
  kOk = 0,
  kInternal = 1,  // unexpected failure
  kUsage = 2,     // bad command line
  kPolicy = 3,    // the policy is invalid (or has warnings under --strict)
  kKernel = 4,    // the kernel refused (netlink error, namespace, permissions)
  kDrift = 5,     // audit --policy: the live ruleset differs from the policy
  // reload:
  kRefused = 6,   // the daemon refused the reload; it still serves the previous policy
  kTimedOut = 7,  // the daemon did not answer or finish the reload in time
  kNoDaemon = 8,  // no daemon to signal at the stats socket, or it went away
};

}  // namespace icmpwall
