// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's part of the audit report (see kernel_render.h).
#include "kernel_render.h"

#include <fmt/format.h>

namespace icmpwall::audit {
namespace {

std::string ruleset_verdict(const Evaluation& e) {
  std::string out = outcome_name(e.outcome);
  if (e.outcome == Outcome::rate_limited) out += " at " + e.rate;
  if (e.decided_by.table.empty()) return out + " (no rule)";
  return out + " by " + describe(e.decided_by);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

std::string kernel_text(const std::vector<ReportEntry>& entries, const KernelSysctls& k) {
  std::string out;
  // Entries of one family and hook the kernel changes alike (every type on
  // the forward hook of a host) make one line; an entry alone its own.
  auto said = [](const ReportEntry& e) {
    return e.kernel && (!e.kernel->text.empty() || !e.kernel->send_limit.empty());
  };
  auto alike = [](const ReportEntry& a, const ReportEntry& b) {
    return a.packet.family == b.packet.family && a.packet.hook == b.packet.hook &&
           a.kernel->text == b.kernel->text && a.kernel->send_limit == b.kernel->send_limit;
  };
  std::vector<bool> done(entries.size(), false);
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (done[i] || !said(e)) continue;
    std::vector<const ReportEntry*> group = {&e};
    for (size_t j = i + 1; j < entries.size(); ++j)
      if (!done[j] && said(entries[j]) && alike(e, entries[j])) {
        group.push_back(&entries[j]);
        done[j] = true;
      }
    const auto& fx = *e.kernel;
    if (group.size() == 1)
      out += fmt::format("kernel: {} {} {} (type {} code {}): {}",
                         policy::to_string(e.packet.family), policy::to_string(e.packet.hook),
                         e.type_name, e.packet.type, e.packet.code, ruleset_verdict(e.evaluation));
    else
      out += fmt::format("kernel: {} {}, {} types ({}, {}{}): let through by the ruleset",
                         policy::to_string(e.packet.family), policy::to_string(e.packet.hook),
                         group.size(), e.type_name, group[1]->type_name,
                         group.size() > 2 ? ", ..." : "");
    if (!fx.text.empty()) out += "; " + fx.text;
    if (!fx.send_limit.empty()) out += "; sent by the kernel " + fx.send_limit;
    out += "\n";
  }
  for (const auto& r : linkdown_routes(k)) out += "kernel: " + r.text + "\n";
  if (!k.links.problem.empty()) out += "kernel links: " + k.links.problem + "\n";
  std::vector<std::string> values, absent;
  for (const Sysctl* s : {&k.echo_ignore_all, &k.echo_ignore_broadcasts, &k.ratelimit, &k.ratemask,
                          &k.errors_use_inbound_ifaddr, &k.ignore_bogus_error_responses,
                          &k.echo_enable_probe, &k.ratelimit6, &k.ratemask6, &k.echo_ignore_all6,
                          &k.echo_ignore_multicast6, &k.echo_ignore_anycast6})
    if (s->state == Sysctl::State::value) values.push_back(s->describe());
  for (const Sysctl* s : k.every())
    if (s->state == Sysctl::State::absent && s->name.find(".conf.") == std::string::npos)
      absent.push_back(s->name);
  out += "kernel sysctls: " + (values.empty() ? std::string("none read") : join(values)) + "\n";
  if (!absent.empty()) out += "kernel sysctls not present: " + join(absent) + "\n";
  for (const Sysctl* s : k.every())
    if (s->state == Sysctl::State::unreadable) out += "kernel sysctl " + s->describe() + "\n";
  for (const auto& p : k.problems) out += "kernel sysctls: " + p + "\n";
  return out;
}

std::string kernel_explain(const KernelEffect& fx) {
  std::string out = "kernel:\n";
  if (!fx.effective.empty()) out += "  effective: " + fx.effective + "\n";
  if (!fx.text.empty()) out += "  " + fx.text + "\n";
  if (fx.per_interface) {
    out += "  taken on: " + (fx.accepted_on.empty() ? "no interface" : join(fx.accepted_on)) + "\n";
    for (const auto& i : fx.ignored_on) out += "  ignored on " + i + "\n";
  }
  if (!fx.send_limit.empty()) out += "  sent by the kernel " + fx.send_limit + "\n";
  for (const auto& n : fx.notes) out += "  " + n + "\n";
  if (out == "kernel:\n") out += "  no change by the kernel's settings\n";
  return out;
}

Json kernel_effect_json(const KernelEffect& fx) {
  Json j = {{"effective", or_null(fx.effective)},
            {"decided_by", fx.decided_by},
            {"text", or_null(fx.text)},
            {"send_limit", or_null(fx.send_limit)}};
  if (fx.per_interface) j["interfaces"] = {{"taken", fx.accepted_on}, {"ignored", fx.ignored_on}};
  j["notes"] = fx.notes;
  return j;
}

Json kernel_sysctls_json(const KernelSysctls& k) {
  Json values = Json::object();
  Json absent = Json::array();
  Json unreadable = Json::array();
  for (const Sysctl* s : k.every()) {
    switch (s->state) {
      case Sysctl::State::value: values[s->name] = s->text; break;
      case Sysctl::State::absent: absent.push_back(s->name); break;
      case Sysctl::State::unreadable:
        unreadable.push_back({{"sysctl", s->name}, {"problem", s->problem}});
        break;
    }
  }
  Json links = nullptr;
  if (k.links.read) {
    links = Json::array();
    for (const auto& l : k.links.links)
      links.push_back(
          {{"name", l.name}, {"up", l.up}, {"carrier", l.carrier}, {"operstate", l.operstate}});
  }
  Json linkdown = Json::array();
  for (const auto& r : linkdown_routes(k))
    linkdown.push_back({{"interface", r.interface},
                        {"family", policy::to_string(r.family)},
                        {"skipped", r.skipped ? Json(*r.skipped) : Json(nullptr)},
                        {"decided_by", r.why},
                        {"text", r.text}});
  return {{"sysctls", std::move(values)},
          {"not_present", std::move(absent)},
          {"unreadable", std::move(unreadable)},
          {"problems", k.problems},
          {"links", std::move(links)},
          {"links_problem", or_null(k.links.problem)},
          {"linkdown_routes", std::move(linkdown)}};
}

}  // namespace icmpwall::audit
