// SPDX-License-Identifier: GPL-2.0-or-later
// Expressions the walk notes without a verdict of their own: counter,
// limit, objref (counter and limit objects), log, nat and notrack
// (walk.h). A "limit over" ends the rule within its rate.
#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include "icmpwall/audit/describe.h"
#include "walk.h"

namespace icmpwall::audit::walk {

std::string rate_text(uint64_t rate, uint64_t unit, uint32_t type) {
  std::string u = unit == 1        ? "second"
                  : unit == 60     ? "minute"
                  : unit == 3600   ? "hour"
                  : unit == 86400  ? "day"
                  : unit == 604800 ? "week"
                                   : fmt::format("{}s", unit);
  return type == NFT_LIMIT_PKT_BYTES ? fmt::format("{} bytes/{}", rate, u)
                                     : fmt::format("{}/{}", rate, u);
}

Step Walk::eval(const Counter& ct, const At&) {
  Step s;
  ev_.counters.push_back(CounterSeen{here(), "", ct.packets, ct.bytes});
  return s;
}

Step Walk::eval(const Limit& lim, const At&) {
  Step s;
  std::string rate = rate_text(lim.rate, lim.unit, lim.type);
  commit_limit(rate, fmt::format("{}: limit {}{} burst {}", describe(here()),
                                 lim.flags & NFT_LIMIT_F_INV ? "over " : "", rate, lim.burst));
  if (lim.flags & NFT_LIMIT_F_INV) {  // within the rate: no match, over it the rule acts
    s.kind = StepKind::brk;
    decided_ = true;
  }
  return s;
}

Step Walk::eval(const Objref& o, const At& at) {
  Step s;
  if (!o.set.empty()) {
    ev_.notes.push_back(fmt::format("{}: object chosen by map @{}", describe(here()), o.set));
    return s;
  }
  const Object* obj = at.t.object(o.name);
  if (!obj) return s;
  if (obj->type == NFT_OBJECT_COUNTER) {
    ev_.counters.push_back(CounterSeen{here(), obj->name, obj->value("packets").value_or(0),
                                       obj->value("bytes").value_or(0)});
  } else if (obj->type == NFT_OBJECT_LIMIT) {
    std::string rate = rate_text(obj->value("rate").value_or(0), obj->value("unit").value_or(1),
                                 static_cast<uint32_t>(obj->value("type").value_or(0)));
    bool over = obj->value("flags").value_or(0) & NFT_LIMIT_F_INV;
    commit_limit(rate, fmt::format("{}: limit object {} {}{}", describe(here()), obj->name,
                                   over ? "over " : "", rate));
    if (over) {
      s.kind = StepKind::brk;
      decided_ = true;
    }
  } else {
    ev_.notes.push_back(
        fmt::format("{}: {} object {}", describe(here()), obj->type_name, obj->name));
  }
  return s;
}

Step Walk::eval(const Log& lg, const At&) {
  Step s;
  ev_.notes.push_back(fmt::format("{}: log{}", describe(here()),
                                  lg.prefix.empty() ? "" : " prefix \"" + lg.prefix + "\""));
  return s;
}

Step Walk::eval(const Nat& n, const At&) {
  Step s;
  ev_.notes.push_back(fmt::format("{}: {}", describe(here()), n.name));
  return s;
}

Step Walk::eval(const Notrack&, const At&) {
  Step s;
  ev_.notes.push_back(describe(here()) + ": notrack");
  return s;
}

}  // namespace icmpwall::audit::walk
