// SPDX-License-Identifier: GPL-2.0-or-later
// Reading the live nftables ruleset from the kernel over netlink.
//
// dump_ruleset() works in the calling thread's network namespace (enter
// another with netlink::EnterNetns first). It asks for the generation id,
// then dumps tables, chains, sets, every set's elements, objects and rules
// of all families (NFPROTO_UNSPEC), and asks for the generation again. If
// the ruleset changed meanwhile (a different generation, or a dump the
// kernel marked interrupted), the whole dump starts over, a bounded number
// of times; so a returned Ruleset is one consistent generation.
//
// Errors carry the errno of the failing exchange (EPERM without
// CAP_NET_ADMIN, EAGAIN when the ruleset never held still).
#pragma once

#include "icmpwall/audit/ruleset.h"
#include "icmpwall/util/result.h"

namespace icmpwall::audit {

struct DumpOptions {
  int max_attempts = 8;
};

Result<Ruleset> dump_ruleset(const DumpOptions& options = {});

}  // namespace icmpwall::audit
