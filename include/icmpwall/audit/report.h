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
//      "unmodelled": [{"expression": "xt match string rev 1", "at": {location}}, ...]}
//                                         // only when the walk met expressions
//                                         // the audit cannot model
//   ]}
//
// Strings hold what the ruleset holds; bytes that are not UTF-8 (a comment
// with 0xff) read as U+FFFD, so the document is always valid JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "icmpwall/audit/evaluate.h"

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
  std::optional<uint64_t> packets;  // the counter of the deciding rule, if it counts
};

std::vector<ReportEntry> build_report(const Ruleset& rs, const ReportFilter& filter = {},
                                      const EvaluateOptions& options = {});

// An aligned table, one line per entry; ANSI colors for the outcome when
// `color`.
std::string render_text(const std::vector<ReportEntry>& entries, bool color);
std::string render_json(const std::vector<ReportEntry>& entries);
// The walk for one packet: outcome, decided by, path, counters, notes.
std::string render_explain(const ReportEntry& entry);

// An entry for one packet (evaluated, named, its counter found).
ReportEntry report_entry(const Ruleset& rs, const Packet& p, const EvaluateOptions& options = {});

}  // namespace icmpwall::audit
