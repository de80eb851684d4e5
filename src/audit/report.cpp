// SPDX-License-Identifier: GPL-2.0-or-later
// The audit table in text and JSON, and the explanation of one packet.
//
// The JSON is nlohmann's (report_json.h): valid whatever bytes the
// ruleset's names and comments hold. The text table pads every column to
// its widest cell so it lines up in a terminal and in a file alike.
#include "icmpwall/audit/report.h"

#include <fmt/format.h>

#include <algorithm>

#include "icmpwall/policy/icmp_types.h"
#include "kernel_render.h"
#include "report_json.h"

namespace icmpwall::audit {
namespace {

std::string detail_of(const Evaluation& e) {
  if (e.outcome == Outcome::rate_limited) return "at " + e.rate;
  if (e.outcome == Outcome::conditional) return e.condition;
  return "";
}

const char* color_of(Outcome o) {
  switch (o) {
    case Outcome::accepted: return "\033[32m";
    case Outcome::rate_limited: return "\033[36m";
    case Outcome::dropped:
    case Outcome::rejected: return "\033[31m";
    case Outcome::queued:
    case Outcome::conditional: return "\033[33m";
  }
  return "";
}

std::string type_name_of(policy::Family f, uint8_t type, std::optional<uint8_t> code) {
  const auto* t = policy::find_type(f, type);
  std::string name = t ? std::string(t->name) : fmt::format("type {}", type);
  if (code) {
    const auto* c = policy::find_code(f, type, *code);
    name += "/" + (c ? std::string(c->name) : std::to_string(*code));
  }
  return name;
}

}  // namespace

ReportEntry report_entry(const Ruleset& rs, const Packet& p, const EvaluateOptions& options) {
  ReportEntry e;
  e.packet = p;
  e.type_name = type_name_of(p.family, p.type, {});
  e.evaluation = evaluate(rs, p, options);
  for (const auto& c : e.evaluation.counters)
    if (c.where == e.evaluation.decided_by) e.packets = c.packets;
  return e;
}

std::vector<ReportEntry> build_report(const Ruleset& rs, const ReportFilter& filter,
                                      const EvaluateOptions& options) {
  std::vector<ReportEntry> out;
  for (auto family : {policy::Family::ipv4, policy::Family::ipv6}) {
    if (filter.family && *filter.family != family) continue;
    for (auto hook : {policy::Hook::input, policy::Hook::forward, policy::Hook::output}) {
      if (filter.hook && *filter.hook != hook) continue;
      for (const auto& t : policy::icmp_types()) {
        if (t.family != family || (filter.type && *filter.type != t.type)) continue;
        Packet p;
        p.family = family;
        p.hook = hook;
        p.type = t.type;
        ReportEntry base = report_entry(rs, p, options);
        std::vector<ReportEntry> singled;
        for (const auto& c : policy::icmp_codes()) {
          if (c.family != family || c.type != t.type || c.code == 0) continue;
          Packet pc = p;
          pc.code = c.code;
          ReportEntry e = report_entry(rs, pc, options);
          if (e.evaluation.outcome == base.evaluation.outcome &&
              e.evaluation.rate == base.evaluation.rate &&
              e.evaluation.decided_by == base.evaluation.decided_by)
            continue;
          e.type_name = type_name_of(family, t.type, c.code);
          singled.push_back(std::move(e));
        }
        out.push_back(std::move(base));
        for (auto& e : singled) out.push_back(std::move(e));
      }
    }
  }
  return out;
}

std::string render_text(const std::vector<ReportEntry>& entries, bool color,
                        const KernelSysctls* kernel) {
  std::vector<std::vector<std::string>> rows = {
      {"FAMILY", "HOOK", "TYPE", "CODE", "NAME", "OUTCOME", "DECIDED BY", "PACKETS", "DETAIL"}};
  for (const auto& e : entries) {
    const auto& ev = e.evaluation;
    // decided at another hook than the row's (prerouting, ingress, ...): say which
    std::string by = describe(ev.decided_by);
    const std::string& at = ev.decided_by.hook;
    if (!at.empty() && at != policy::to_string(e.packet.hook)) by += " @" + at;
    rows.push_back({policy::to_string(e.packet.family), policy::to_string(e.packet.hook),
                    std::to_string(e.packet.type), std::to_string(e.packet.code), e.type_name,
                    outcome_name(ev.outcome), by, e.packets ? std::to_string(*e.packets) : "-",
                    detail_of(ev)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t i = 0; i < rows[n].size(); ++i) {
      std::string cell = rows[n][i];
      bool last = i + 1 == rows[n].size();
      std::string padded = last ? cell : cell + std::string(width[i] - cell.size() + 2, ' ');
      if (color && n > 0 && i == 5)
        line += color_of(entries[n - 1].evaluation.outcome) + cell + "\033[0m" +
                padded.substr(cell.size());
      else
        line += padded;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out +=
      "(each packet: unicast, to this host on input and elsewhere on forward/output; "
      "source, destination, hop limit, interfaces and conntrack state open, see --explain)\n";
  std::vector<std::string> seen;
  for (const auto& e : entries)
    for (const auto& u : e.evaluation.unmodelled) {
      std::string line = "unmodelled: " + u.expression + " at " + describe(u.where) +
                         " (the outcomes that meet it depend on it)\n";
      if (std::find(seen.begin(), seen.end(), line) == seen.end()) seen.push_back(line);
    }
  for (const auto& line : seen) out += line;
  if (kernel) out += kernel_text(entries, *kernel);
  return out;
}

std::string render_json(const std::vector<ReportEntry>& entries, const KernelSysctls* kernel) {
  Json list = Json::array();
  for (const auto& e : entries) {
    const auto& ev = e.evaluation;
    Json j = {{"family", policy::to_string(e.packet.family)},
              {"hook", policy::to_string(e.packet.hook)},
              {"type", e.packet.type},
              {"code", e.packet.code},
              {"type_name", e.type_name},
              {"outcome", outcome_name(ev.outcome)},
              {"rate", or_null(ev.outcome == Outcome::rate_limited ? ev.rate : "")},
              {"condition", or_null(ev.outcome == Outcome::conditional ? ev.condition : "")},
              {"decided_by", location_json(ev.decided_by, true)},
              {"path", ev.path},
              {"packets", e.packets ? Json(*e.packets) : Json(nullptr)}};
    add_findings(j, ev, true);
    if (e.kernel) j["kernel"] = kernel_effect_json(*e.kernel);
    list.push_back(std::move(j));
  }
  Json doc = {{"schema", 1}, {"entries", std::move(list)}};
  if (kernel) doc["kernel"] = kernel_sysctls_json(*kernel);
  return json_text(doc, -1) + "\n";
}

std::string render_explain(const ReportEntry& e) {
  const auto& ev = e.evaluation;
  std::string out =
      fmt::format("{} {} {} (type {} code {}): {}\n", policy::to_string(e.packet.family),
                  policy::to_string(e.packet.hook), e.type_name, e.packet.type, e.packet.code,
                  outcome_name(ev.outcome));
  if (!detail_of(ev).empty()) out += "  " + detail_of(ev) + "\n";
  out += "decided by: " + describe(ev.decided_by) +
         (ev.decided_by.hook.empty() ? "" : " (hook " + ev.decided_by.hook + ")") + "\npath:\n";
  for (const auto& p : ev.path) out += "  " + p + "\n";
  if (!ev.counters.empty()) out += "counters:\n";
  for (const auto& c : ev.counters)
    out += fmt::format("  {}{}: {} packets, {} bytes\n", describe(c.where),
                       c.name.empty() ? "" : " " + c.name, c.packets, c.bytes);
  if (!ev.notes.empty()) out += "notes:\n";
  for (const auto& n : ev.notes) out += "  " + n + "\n";
  if (ev.unknown_beyond)
    out += fmt::format("unknown beyond {}: {}\n", describe(ev.unknown_beyond->where),
                       ev.unknown_beyond->reason);
  if (!ev.unmodelled.empty()) out += "unmodelled:\n";
  for (const auto& u : ev.unmodelled)
    out += "  " + u.expression + " at " + describe(u.where) + "\n";
  if (e.kernel) out += kernel_explain(*e.kernel);
  return out;
}

}  // namespace icmpwall::audit
