// SPDX-License-Identifier: GPL-2.0-or-later
// Expressions that end a rule with a verdict or an outcome: immediate
// (verdicts; data loads), queue and reject (walk.h).
#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include "walk.h"

namespace icmpwall::audit::walk {

Step Walk::eval(const Immediate& im, const At&) {
  Step s;
  if (im.dreg == 0 && im.verdict) {
    if (im.verdict->code == NFT_CONTINUE) return s;
    if (im.verdict->code == NFT_BREAK) {
      s.kind = StepKind::brk;
      return s;
    }
    s.kind = StepKind::verdict;
    s.verdict = *im.verdict;
    return s;
  }
  write_known(im.dreg, im.data, 0, "");
  return s;
}

Step Walk::eval(const Queue& q, const At&) {
  Step s;
  terminal(s, Outcome::queued,
           fmt::format("queue {}{}", q.num, q.flags & NFT_QUEUE_FLAG_BYPASS ? " bypass" : ""));
  return s;
}

Step Walk::eval(const Reject& rj, const At&) {
  Step s;
  terminal(s, Outcome::rejected, fmt::format("reject type {} code {}", rj.type, rj.code));
  return s;
}

}  // namespace icmpwall::audit::walk
