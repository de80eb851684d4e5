// SPDX-License-Identifier: GPL-2.0-or-later
// Drift: does the live icmpwall table still say what the policy says, and
// does the kernel as a whole still do what the policy decides?
//
// The expected side is the policy's compiled model passed through the
// same encoder the apply batch uses and decoded by the audit's own
// decoder (expected_table), so both sides are the plain values of
// ruleset.h and the comparison (compare_tables) is a pure function.
//
// What is compared, after normalization:
//   - the table itself (present or not);
//   - chains: name, and for base chains hook, priority, type and policy;
//   - rules of each chain, in order: their expressions and comment
//     (handles, positions and counter values are ignored); rules are
//     aligned by a longest common subsequence, so an inserted or deleted
//     rule is reported as one extra or missing rule, and a replaced one
//     as "differs";
//   - sets: flags, key type and length, data type, timeout; elements only
//     of static sets. A set with NFT_SET_TIMEOUT or NFT_SET_EVAL is filled
//     at run time (per-source rate limits, sources the inspection worker
//     blocked), so its elements are never drift;
//   - named objects: type and parameters (limit rate, burst, unit;
//     quota bytes and flags), never counter values or consumed quota.
//
// Overrides (find_overrides) are the other half: every ICMP type at every
// hook is evaluated (evaluate.h, report.h) once over the icmpwall table
// alone and once over the whole ruleset; where another table's drop,
// reject or queue (or a condition on one) changes the outcome, that is
// an override. Another table's accept never overrides: it only ends its
// own base chain.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "icmpwall/audit/report.h"
#include "icmpwall/audit/ruleset.h"
#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/util/result.h"

namespace icmpwall::audit {

enum class DriftKind { missing, extra, differs };

// "missing" (in the policy, not live), "extra" (live, not in the policy),
// "differs".
std::string drift_kind_name(DriftKind k);

struct Difference {
  DriftKind kind = DriftKind::differs;
  std::string where;  // "table inet icmpwall", "chain input.v4", "set NAME", "limit NAME"
  // The part: "rule 3 (handle 17)" (a live rule: its position, from 1, and
  // handle), "rule 3" (a missing rule: its position in the policy's
  // chain), "element 198.18.0.1", "hook"; empty: the object itself.
  std::string what;
  // In nft syntax (nft_text.h): "icmp type echo-request drop". Empty when
  // missing (live) or extra (expected).
  std::string live;
  std::string expected;
  // What is compared: the register text of describe.h with what changes at
  // run time left out ("meta nfproto -> r1; cmp eq r1 02; ..."). Empty
  // where live and expected are, and for the elements of a set (not map).
  std::string live_raw;
  std::string expected_raw;
};

// "chain input.v4: rule 3 differs: live \"...\", policy \"...\"", in nft
// syntax.
std::string describe(const Difference& d);

// The table the apply batch for `model` would create, as a dump of it
// would read: encoded with the given queue mode, decoded again.
Result<Table> expected_table(const nft::Table& model, netlink::QueueMode queue_mode);

// Differences between the live table (nullptr: not loaded) and the
// expected one, in order: table, objects, sets, chains.
std::vector<Difference> compare_tables(const Table* live, const Table& expected);

struct Override {
  Packet packet;
  std::string type_name;
  Evaluation policy;  // over the icmpwall table alone
  Evaluation real;    // over the whole ruleset
};

// "ipv4 input echo-request: policy accepted, kernel dropped by inet other in #3".
std::string describe(const Override& o);

// Where another table changes the outcome of `table` (family inet) for a
// type at a hook. The filter narrows the families, hooks and types.
std::vector<Override> find_overrides(const Ruleset& rs, const std::string& table,
                                     const ReportFilter& filter = {},
                                     const EvaluateOptions& options = {});

struct DriftReport {
  std::string table;
  std::vector<Difference> differences;
  std::vector<Override> overrides;
  // The kernel's sysctls contradicting the policy (kernel_effect.h): shown,
  // never drift.
  std::vector<std::string> warnings;
  bool drift() const { return !differences.empty() || !overrides.empty(); }
};

// The drift of the ruleset `rs` (one dump) from the policy's compiled
// `table`: the live table against what apply would send encoded in
// `queue_mode`, then the overrides of other tables. Warnings are left to
// the caller. An Error only when the expected table cannot be built.
Result<DriftReport> drift_of(const Ruleset& rs, const nft::Table& table,
                             netlink::QueueMode queue_mode, const ReportFilter& filter = {},
                             const EvaluateOptions& options = {});

// A list of differences and overrides, or "no drift".
std::string render_drift_text(const DriftReport& r);
// {"schema":1,"drift":bool,"table":"icmpwall","differences":[...],"overrides":[...],
//  "warnings":[...]}
std::string render_drift_json(const DriftReport& r);

}  // namespace icmpwall::audit
