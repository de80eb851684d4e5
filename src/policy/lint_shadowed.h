// SPDX-License-Identifier: GPL-2.0-or-later
// The lint's "rule is never reached" check.
#pragma once

#include "icmpwall/policy/policy.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::policy {

void check_shadowed(const Policy& policy, Diagnostics& diags);

}  // namespace icmpwall::policy
