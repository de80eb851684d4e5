// SPDX-License-Identifier: GPL-2.0-or-later
// audit --policy, after the policy compiled and the namespace is entered:
// a flat list of stages.
#include "icmpwall/cli/audit_drift_command.h"

#include <linux/netfilter.h>

#include <iostream>

#include "icmpwall/audit/drift.h"
#include "icmpwall/audit/dump.h"
#include "icmpwall/audit/kernel_effect.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/util/exit_codes.h"

namespace icmpwall::cli {
namespace {

// How the policy's inspect rules reach NFQUEUE: as the live table does it
// (apply may have been told a mode), else as apply would probe it. The
// mode is how this kernel is driven, not part of the policy.
Result<netlink::QueueMode> queue_mode(const nft::Table& table, const audit::Table* live) {
  if (!nft::uses_queue(table)) return netlink::QueueMode::native;
  const auto no_chains = std::vector<audit::Chain>{};
  for (const auto& c : live ? live->chains : no_chains)
    for (const auto& r : c.rules)
      for (const auto& e : r.exprs) {
        if (std::holds_alternative<audit::Queue>(e)) return netlink::QueueMode::native;
        if (const auto* t = std::get_if<audit::Target>(&e); t && t->name == "NFQUEUE")
          return netlink::QueueMode::compat;
      }
  return netlink::probe_queue_mode();
}

}  // namespace

int audit_drift(const nft::Table& table, const audit::ReportFilter& filter,
                const AuditOptions& opts) {
  // 1. what the kernel holds, in one consistent dump
  auto ruleset = audit::dump_ruleset();
  if (!ruleset) {
    std::cerr << "icmpwall: audit: " << ruleset.error().message << "\n";
    return kKernel;
  }
  const audit::Table* live = ruleset->table(NFPROTO_INET, table.name);
  // 2. what apply would send: encoded in the live table's queue mode (or
  //    the one apply would pick), decoded again (in drift_of)
  auto mode = queue_mode(table, live);
  if (!mode) {
    std::cerr << "icmpwall: audit: " << mode.error().message << "\n";
    return kKernel;
  }
  auto drift =
      audit::drift_of(*ruleset, table, *mode, filter, audit::evaluate_options(opts.time_budget));
  if (!drift) {
    std::cerr << "icmpwall: audit: " << drift.error().message << "\n";
    return kInternal;
  }
  // 3. differences, 4. overrides by other tables (in drift_of)
  audit::DriftReport& report = *drift;
  // 4b. the namespace's sysctls against the policy's intent: warnings, not drift
  report.warnings = audit::kernel_warnings(*ruleset, table.name, audit::read_kernel_state());
  // 5. print
  std::cout << (opts.json ? audit::render_drift_json(report) : audit::render_drift_text(report));
  return report.drift() ? kDrift : kOk;
}

}  // namespace icmpwall::cli
