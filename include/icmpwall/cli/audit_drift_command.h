// SPDX-License-Identifier: GPL-2.0-or-later
// audit --policy: the drift between the live table and the policy, and
// the overrides of other tables (audit/drift.h), printed, as an exit code.
#pragma once

#include "icmpwall/audit/report.h"
#include "icmpwall/cli/commands.h"
#include "icmpwall/compile/nft_model.h"

namespace icmpwall::cli {

// Runs in the current network namespace against the compiled `table`.
// kOk when in step, kDrift on any difference or override, kKernel when
// the ruleset cannot be read.
int audit_drift(const nft::Table& table, const audit::ReportFilter& filter,
                const AuditOptions& opts);

}  // namespace icmpwall::cli
