// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/cli/policy_dump.h"

#include <fmt/format.h>

#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/util/address.h"

namespace icmpwall::cli {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string prefixes(const std::vector<policy::Prefix>& list) {
  std::vector<std::string> out;
  for (const auto& p : list)
    out.push_back(fmt::format(
        "{}/{}", format_addr(p.addr.data(), p.family == policy::Family::ipv4 ? 4 : 16), p.len));
  return join(out);
}

}  // namespace

std::string dump_policy(const policy::Policy& p) {
  std::string out = fmt::format("table inet {} priority {} role {}\n", p.table, p.priority,
                                p.role == policy::Role::router ? "router" : "host");
  for (const auto& h : p.hooks)
    out += fmt::format("hook {}: default {}\n", policy::to_string(h.hook),
                       policy::to_string(h.default_action));
  for (const auto& r : p.rules) {
    std::vector<std::string> what;
    for (const auto& m : r.matches)
      what.push_back(fmt::format("{} {}", policy::to_string(m.family),
                                 policy::describe(m.family, m.type, m.code)));
    out += fmt::format("rule {} ({}:{}): {} -> {}", r.name, r.loc.line, r.loc.col, join(what),
                       policy::to_string(r.action));
    if (r.limit)
      out += fmt::format(" {}/{} burst {} {}", r.limit->rate.count,
                         policy::to_string(r.limit->rate.unit), r.limit->burst,
                         r.limit->per_source ? "per source" : "global");
    if (r.inspect)
      out += fmt::format(" queue {}+{} {}", r.inspect->queue, r.inspect->queues,
                         r.inspect->fail_open ? "fail-open" : "fail-closed");
    const auto& s = r.scope;
    std::vector<std::string> hooks;
    for (auto h : s.hooks) hooks.push_back(policy::to_string(h));
    if (!hooks.empty()) out += " hooks [" + join(hooks) + "]";
    if (!s.iif.empty()) out += " iif [" + join(s.iif) + "]";
    if (!s.oif.empty()) out += " oif [" + join(s.oif) + "]";
    if (!s.source.empty()) out += " source [" + prefixes(s.source) + "]";
    if (!s.destination.empty()) out += " destination [" + prefixes(s.destination) + "]";
    if (!s.destination_type.empty()) {
      std::vector<std::string> t;
      for (auto d : s.destination_type) t.push_back(policy::to_string(d));
      out += " destination-type [" + join(t) + "]";
    }
    if (s.hop_limit) out += fmt::format(" hop-limit {}", *s.hop_limit);
    if (r.max_size) out += fmt::format(" max-size {}", *r.max_size);
    if (r.log) out += fmt::format(" log \"{}\"", r.log->prefix);
    out += "\n";
  }
  return out;
}

}  // namespace icmpwall::cli
