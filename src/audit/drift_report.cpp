// SPDX-License-Identifier: GPL-2.0-or-later
// Overrides by other tables, and the drift report in text and JSON (see
// drift.h).
//
// An override is found by evaluating the same packets twice: over a
// ruleset that holds only the icmpwall table (what the policy decides)
// and over the whole ruleset (what the kernel does). Every packet the
// audit report names in either walk is compared, so a code that only one
// of the two singles out is still looked at. The only way another table
// can change the outcome is to end the packet before or after icmpwall's
// chains (drop, reject, queue) or to make it depend on something
// (conditional); its accepts end only its own base chain.
//
// The JSON uses nlohmann::ordered_json (report_json.h) so keys keep the
// documented order, and is valid whatever bytes a live rule's comment holds.
#include <fmt/format.h>
#include <linux/netfilter.h>

#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "icmpwall/audit/drift.h"
#include "report_json.h"

namespace icmpwall::audit {
namespace {

using Key = std::tuple<policy::Family, policy::Hook, uint8_t, uint8_t>;

Key key_of(const Packet& p) {
  return {p.family, p.hook, p.type, p.code};
}

std::string outcome_text(const Evaluation& e) {
  if (e.outcome == Outcome::rate_limited) return outcome_name(e.outcome) + " at " + e.rate;
  if (e.outcome == Outcome::conditional) return outcome_name(e.outcome) + " (" + e.condition + ")";
  return outcome_name(e.outcome);
}

nlohmann::ordered_json evaluation_json(const Evaluation& e) {
  nlohmann::ordered_json j = {{"outcome", outcome_name(e.outcome)}};
  j["rate"] = e.outcome == Outcome::rate_limited ? nlohmann::ordered_json(e.rate) : nullptr;
  j["condition"] =
      e.outcome == Outcome::conditional ? nlohmann::ordered_json(e.condition) : nullptr;
  j["decided_by"] = location_json(e.decided_by, false);
  add_findings(j, e, false);
  return j;
}

}  // namespace

std::string describe(const Override& o) {
  return fmt::format("{} {} {} (type {} code {}): policy {}, kernel {} by {}",
                     policy::to_string(o.packet.family), policy::to_string(o.packet.hook),
                     o.type_name, o.packet.type, o.packet.code, outcome_text(o.policy),
                     outcome_text(o.real), describe(o.real.decided_by));
}

std::vector<Override> find_overrides(const Ruleset& rs, const std::string& table,
                                     const ReportFilter& filter, const EvaluateOptions& options) {
  const Table* ours = rs.table(NFPROTO_INET, table);
  if (!ours) return {};  // nothing to override; the drift says the table is missing
  Ruleset alone;
  alone.generation = rs.generation;
  alone.tables.push_back(*ours);

  std::map<Key, std::pair<std::optional<ReportEntry>, std::optional<ReportEntry>>> pairs;
  for (auto& e : build_report(alone, filter, options)) pairs[key_of(e.packet)].first = std::move(e);
  for (auto& e : build_report(rs, filter, options)) pairs[key_of(e.packet)].second = std::move(e);

  std::vector<Override> out;
  for (auto& [key, pair] : pairs) {
    auto& [policy_entry, real_entry] = pair;
    if (!policy_entry) policy_entry = report_entry(alone, real_entry->packet, options);
    if (!real_entry) real_entry = report_entry(rs, policy_entry->packet, options);
    const auto& p = policy_entry->evaluation;
    const auto& r = real_entry->evaluation;
    // a walk cut short in the kernel's ruleset and not in the policy's is
    // an outcome the audit cannot vouch for: reported, never "no drift"
    if (p.outcome == r.outcome && p.rate == r.rate &&
        p.unknown_beyond.has_value() == r.unknown_beyond.has_value())
      continue;
    out.push_back({real_entry->packet, real_entry->type_name, p, r});
  }
  return out;
}

Result<DriftReport> drift_of(const Ruleset& rs, const nft::Table& table,
                             netlink::QueueMode queue_mode, const ReportFilter& filter,
                             const EvaluateOptions& options) {
  TRY(const auto expected, expected_table(table, queue_mode));
  DriftReport report;
  report.table = table.name;
  report.differences = compare_tables(rs.table(NFPROTO_INET, table.name), expected);
  report.overrides = find_overrides(rs, table.name, filter, options);
  return report;
}

std::string render_drift_text(const DriftReport& r) {
  std::string out;
  for (const auto& d : r.differences) out += describe(d) + "\n";
  for (const auto& o : r.overrides) out += "override: " + describe(o) + "\n";
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  if (!r.drift()) {
    out += fmt::format(
        "table inet {}: no drift (the live table is what the policy compiles to, "
        "and no other table overrides it)\n",
        r.table);
  } else {
    out += fmt::format("table inet {}: drift ({} difference(s), {} override(s))\n", r.table,
                       r.differences.size(), r.overrides.size());
  }
  return out;
}

std::string render_drift_json(const DriftReport& r) {
  auto differences = nlohmann::ordered_json::array();
  for (const auto& d : r.differences) {
    differences.push_back({{"kind", drift_kind_name(d.kind)},
                           {"object", d.what.empty() ? d.where : d.where + " " + d.what},
                           {"live", or_null(d.live)},
                           {"expected", or_null(d.expected)},
                           {"live_raw", or_null(d.live_raw)},
                           {"expected_raw", or_null(d.expected_raw)},
                           {"text", describe(d)}});
  }
  auto overrides = nlohmann::ordered_json::array();
  for (const auto& o : r.overrides) {
    overrides.push_back({{"family", policy::to_string(o.packet.family)},
                         {"hook", policy::to_string(o.packet.hook)},
                         {"type", o.packet.type},
                         {"code", o.packet.code},
                         {"type_name", o.type_name},
                         {"policy", evaluation_json(o.policy)},
                         {"real", evaluation_json(o.real)},
                         {"text", describe(o)}});
  }
  nlohmann::ordered_json j = {{"schema", 1},
                              {"drift", r.drift()},
                              {"table", r.table},
                              {"differences", std::move(differences)},
                              {"overrides", std::move(overrides)},
                              {"warnings", r.warnings}};
  return json_text(j, 2) + "\n";
}

}  // namespace icmpwall::audit
