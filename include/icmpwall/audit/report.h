// SPDX-License-Identifier: GPL-2.0-or-later
// The audit table: what the live ruleset does with every named ICMP and
// ICMPv6 type at each hook.
//
// build_report() evaluates (evaluate.h) one packet per family, hook and
// type the registry names (code 0), and one more per registry code of that
// type whose outcome differs from code 0's: the codes the ruleset singles
// out. Entries come in a fixed order: ipv4 before ipv6, input, forward,
// output, then by type and code.
//
// render_json() prints a stable, documented shape (schema 1):
//
//   {"schema": 1, "entries": [
//     {"family": "ipv4", "hook": "input", "type": 8, "code": 0,
//      "type_name": "echo-request",
//      "outcome": "accepted|dropped|rejected|rate-limited|queued|conditional",
//      "rate": "20/second" | null,        // rate-limited only
//      "condition": "..." | null,         // conditional only
//      "decided_by": {"family": "inet", "table": "icmpwall",
//                     "chain": "input.v4.8", "handle": 20,
//                     "hook": "input"} | null,
//                                         // handle 0: the chain's policy; hook: the
//                                         // netfilter hook ("prerouting", ...) it is on
//      "path": ["...", ...],              // the walk, one line per step
//      "packets": 12 | null,              // the deciding rule's counter
//      "unknown_beyond": {"reason": "...", "at": {location}},
//                                         // only when a budget cut the walk short
//                                         // (the outcome is then conditional)
//      "unmodelled": [{"expression": "xt match string rev 1", "at": {location}}, ...],
//                                         // only when the walk met expressions
//                                         // the audit cannot model
//      "kernel": {"effective": "ignored|not-forwarded" | null,
//                 "decided_by": ["net.ipv4.icmp_echo_ignore_all = 1", ...],
//                 "text": "ignored by the kernel: ..." | null,
//                 "send_limit": "at most one per 1000 ms per destination (...)" | null,
//                 "interfaces": {"taken": [...], "ignored": [...]},  // redirects, RAs
//                 "notes": [...]}}
//                                         // only when the sysctls were read
//   ],
//   "kernel": {"sysctls": {"net.ipv4.icmp_echo_ignore_all": "0", ...},
//              "not_present": [...], "unreadable": [{"sysctl", "problem"}],
//              "problems": [...]}}         // only when the sysctls were read
//
// Strings hold what the ruleset holds; bytes that are not UTF-8 (a comment
// with 0xff) read as U+FFFD, so the document is always valid JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "icmpwall/audit/evaluate.h"
#include "icmpwall/audit/kernel_effect.h"

namespace icmpwall::audit {

struct ReportFilter {
  std::optional<policy::Family> family;
  std::optional<policy::Hook> hook;
  std::optional<uint8_t> type;
};

struct ReportEntry {
  Packet packet;
  std::string type_name;  // "echo-request", "destination-unreachable/port-unreachable"
  Evaluation evaluation;
  std::optional<uint64_t> packets;     // the counter of the deciding rule, if it counts
  std::optional<KernelEffect> kernel;  // what the kernel's sysctls do after the ruleset
};

std::vector<ReportEntry> build_report(const Ruleset& rs, const ReportFilter& filter = {},
                                      const EvaluateOptions& options = {});

// An aligned table, one line per entry; ANSI colors for the outcome when
// `color`. With the namespace's sysctls (`kernel`), the entries' kernel
// effects and the sysctls read follow the table (the JSON: "kernel" in
// each entry and at the top).
std::string render_text(const std::vector<ReportEntry>& entries, bool color,
                        const KernelSysctls* kernel = nullptr);
std::string render_json(const std::vector<ReportEntry>& entries,
                        const KernelSysctls* kernel = nullptr);
// The walk for one packet: outcome, decided by, path, counters, notes.
std::string render_explain(const ReportEntry& entry);

// An entry for one packet (evaluated, named, its counter found).
ReportEntry report_entry(const Ruleset& rs, const Packet& p, const EvaluateOptions& options = {});

}  // namespace icmpwall::audit
