// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's part of the audit report in text and JSON (report.cpp):
// per entry, the effective outcome where the kernel changes the
// ruleset's; for the report, the sysctls read.
#pragma once

#include <string>
#include <vector>

#include "icmpwall/audit/kernel_effect.h"
#include "icmpwall/audit/report.h"
#include "report_json.h"

namespace icmpwall::audit {

// "kernel: ipv4 input echo-request (type 8 code 0): queued by ...; ignored
// by the kernel: ..." for each entry the kernel changes or rate-limits,
// then the routes through links that are down (linkdown_routes), then the
// sysctls read (those not present, those unreadable).
std::string kernel_text(const std::vector<ReportEntry>& entries, const KernelSysctls& k);
// The "kernel:" part of --explain.
std::string kernel_explain(const KernelEffect& fx);
// {"effective", "decided_by", "text", "send_limit", "interfaces", "notes"}
Json kernel_effect_json(const KernelEffect& fx);
// {"sysctls": {name: value | null}, "not_present": [...], "unreadable": [...], "problems": [...],
//  "links": [{name, up, carrier, operstate}] | null (not read), "links_problem",
//  "linkdown_routes": [{interface, family, skipped, decided_by, text}]}
Json kernel_sysctls_json(const KernelSysctls& k);

}  // namespace icmpwall::audit
