// SPDX-License-Identifier: GPL-2.0-or-later
// Verdict planning: runs of identical decisions become batch verdicts
// while the ids keep growing; see verdict_plan.h for why that is safe.
#include "icmpwall/queue/verdict_plan.h"

namespace icmpwall::queue {

void plan_verdicts(std::span<const Decision> decisions, std::vector<VerdictMsg>& out) {
  out.clear();
  const size_t n = decisions.size();
  // ordered[i]: ids 0..i strictly increase, so a batch ending at i covers
  // no id answered differently.
  bool ordered = true;
  size_t start = 0;
  while (start < n) {
    size_t end = start + 1;
    bool run_ordered =
        ordered && (start == 0 || id_after(decisions[start].id, decisions[start - 1].id));
    while (end < n && decisions[end].verdict == decisions[start].verdict) {
      run_ordered = run_ordered && id_after(decisions[end].id, decisions[end - 1].id);
      ++end;
    }
    if (end - start >= 2 && run_ordered) {
      out.push_back({decisions[end - 1].id, decisions[start].verdict, true});
    } else {
      for (size_t i = start; i < end; ++i)
        out.push_back({decisions[i].id, decisions[i].verdict, false});
    }
    ordered = run_ordered;
    start = end;
  }
}

std::vector<VerdictMsg> single_verdicts(std::span<const Decision> decisions) {
  std::vector<VerdictMsg> out;
  out.reserve(decisions.size());
  for (const auto& d : decisions) out.push_back({d.id, d.verdict, false});
  return out;
}

}  // namespace icmpwall::queue
