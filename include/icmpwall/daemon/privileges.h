// SPDX-License-Identifier: GPL-2.0-or-later
// After setup the daemon keeps CAP_NET_ADMIN only: it still talks netlink
// (reloads, queue binds, blocking sources), nothing else.
//
// Capabilities are per thread, and new threads inherit the creating
// thread's: call this before starting any thread, so every thread the
// daemon runs afterwards has the reduced set.
#pragma once

#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

// Drops every capability but CAP_NET_ADMIN from the bounding, ambient,
// effective, permitted and inheritable sets and sets no_new_privs. The
// bounding set needs CAP_SETPCAP to change: false when it was left as is
// for lack of it.
Result<bool> keep_only_net_admin();

}  // namespace icmpwall::daemon
