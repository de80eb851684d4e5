// SPDX-License-Identifier: GPL-2.0-or-later
// The RFC lint: warns where a valid policy would break the network
// (PMTUD, neighbor discovery, error reporting) or let abuse through
// (deprecated types, redirects on a router, echo to broadcast). Each
// warning names the RFC and what breaks. `--strict` makes them errors. A
// rule that drops the path MTU signals (frag-needed, packet-too-big) is an
// error already.
#pragma once

#include "icmpwall/policy/policy.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::policy {

void lint(const Policy& policy, Diagnostics& diags);

}  // namespace icmpwall::policy
