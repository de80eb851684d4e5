// SPDX-License-Identifier: GPL-2.0-or-later
// The walk behind evaluate(): base chains in priority order, rules in
// order, expressions over a symbolic register file, and the case split on
// conditions the packet description leaves open.
//
// One Walk follows one world: each open condition it meets takes the
// answer a list of decisions gives it (true beyond the list's end, and
// the conditions met there are remembered in order). explore() runs a
// Walk, and if a new condition turned up, runs both answers to it; two
// worlds that end alike fold into one, two that differ become a
// `conditional` outcome naming the condition, where it is, and what each
// answer leads to. The number of walks is bounded; past the bound the
// first open condition is reported as it is. Before a rule raises a
// condition, a dry run of it (could_match) checks that some answer lets it
// match: a rule that fails on what the packet fixes (another ICMP type)
// raises none, which keeps the number of worlds down on large rulesets.
//
// Cost on large rulesets (thousands of rules, up to 256 walks per packet):
// the dry run's answer is kept per rule and hook for all walks of a
// packet, and a run of rules known to fail is passed over in one step
// (ChainCandidates), so a walk costs the rules that can match this packet,
// not the chain's length. The walk that answered true to every new
// condition is also the walk of each of its yes branches, so explore()
// replays it for them instead of walking again. The no branch of a
// condition does not walk again from the start either: the walk kept its
// state at the start of the rule that raised the condition (WalkState, in
// walk.h), and the world answering false goes on from there, its path
// sharing the lines before. It is charged the budget steps it did not
// walk again, so budgets count as if it had (a budget too small for them
// walks from the start, and runs out where it always did). Texts
// (locations, conditions) are made only when a walk reports them, and
// the path's lines are copied out only for the evaluation returned.
//
// The walk itself is in walk.h (its state) and walk.cpp; each family of
// expressions has a file of its own (evaluate_<family>.cpp, listed in
// walk.h).
#include "icmpwall/audit/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "icmpwall/audit/describe.h"
#include "walk.h"

namespace icmpwall::audit {
namespace {

using walk::Fork;
using walk::PacketMemo;
using walk::Path;
using walk::Walk;

std::string summary(const Evaluation& e) {
  if (e.outcome == Outcome::rate_limited) return "rate-limited at " + e.rate;
  if (e.outcome == Outcome::conditional) return "conditional (" + e.condition + ")";
  return outcome_name(e.outcome);
}

bool same(const Evaluation& a, const Evaluation& b) {
  return a.outcome == b.outcome && a.rate == b.rate && a.condition == b.condition;
}

// What the other world found that holds for the packet whatever the
// world: expressions not modelled, and where the audit stopped short.
void merge_findings(Evaluation& into, const Evaluation& other) {
  for (const auto& u : other.unmodelled)
    if (std::find(into.unmodelled.begin(), into.unmodelled.end(), u) == into.unmodelled.end())
      into.unmodelled.push_back(u);
  if (!into.unknown_beyond && other.unknown_beyond) into.unknown_beyond = other.unknown_beyond;
}

// An evaluation and its path, made into lines only for the one evaluate()
// returns.
struct Explored {
  Evaluation ev;
  Path path;
};

// One walk's result, replayed: the walk that answers true to every open
// condition beyond its decisions is also the walk of those decisions plus
// `true`, so the yes branch of each fork it met needs no walk of its own.
struct Walked : Explored {
  std::vector<Fork> forks;
};

// The world of `decisions` (the last one false, answering `from`, whose
// state it resumes from when there is one and the budget can pay for the
// steps to it), then each condition it meets.
Explored explore(const Ruleset& rs, const Packet& p, std::vector<bool>& decisions, int& budget,
                 PacketMemo& memo, const Fork* from = nullptr, Walked* walked = nullptr,
                 size_t first = 0) {
  Walked fresh;
  if (!walked) {
    std::optional<Walk> w;
    if (from && from->resume && memo.budget.charge(from->resume->spent_))
      w.emplace(rs, p, decisions, memo, from->resume);
    else
      w.emplace(rs, p, decisions, memo);
    fresh.ev = w->run();
    fresh.path = w->path();
    fresh.forks = std::move(w->new_forks());
    walked = &fresh;
    first = 0;
  }
  // the branch that ends here takes the evaluation: no other needs it
  if (first >= walked->forks.size()) return std::move(*walked);
  const Fork& fork = walked->forks[first];
  if (--budget <= 0 || memo.budget.spent()) {
    Explored out{std::move(walked->ev), std::move(walked->path)};
    Evaluation& ev = out.ev;
    ev.outcome = Outcome::conditional;
    ev.rate.clear();
    if (memo.budget.spent()) {
      ev.condition = fmt::format("{} at {} ({}: unknown beyond here)", fork.text,
                                 describe(fork.where), memo.budget.why());
      ev.unknown_beyond = Cutoff{memo.budget.why(), fork.where};
    } else {
      ev.condition = fmt::format("{} at {} (too many open conditions to follow)", fork.text,
                                 describe(fork.where));
      ev.unknown_beyond = Cutoff{"too many open conditions to follow", fork.where};
    }
    ev.decided_by = fork.where;
    return out;
  }
  decisions.push_back(true);
  Explored yes = explore(rs, p, decisions, budget, memo, nullptr, walked, first + 1);
  decisions.back() = false;
  Explored no = explore(rs, p, decisions, budget, memo, &fork);
  decisions.pop_back();
  if (same(yes.ev, no.ev)) {  // the world where the condition did not hold: the usual one
    merge_findings(no.ev, yes.ev);
    return no;
  }
  Explored out = std::move(yes);
  Evaluation& ev = out.ev;
  ev.condition = fmt::format("if {} at {}: {}; otherwise {}", fork.text, describe(fork.where),
                             summary(ev), summary(no.ev));
  ev.outcome = Outcome::conditional;
  ev.rate.clear();
  ev.decided_by = fork.where;
  merge_findings(ev, no.ev);
  return out;
}

}  // namespace

std::string outcome_name(Outcome o) {
  switch (o) {
    case Outcome::accepted: return "accepted";
    case Outcome::dropped: return "dropped";
    case Outcome::rejected: return "rejected";
    case Outcome::rate_limited: return "rate-limited";
    case Outcome::queued: return "queued";
    case Outcome::conditional: return "conditional";
  }
  return "?";
}

std::string describe(const Location& l) {
  if (l.table.empty()) return "(no rule)";
  if (l.handle == 0) return fmt::format("{} {} {} policy", l.family, l.table, l.chain);
  return fmt::format("{} {} {} #{}", l.family, l.table, l.chain, l.handle);
}

EvaluateOptions evaluate_options(double seconds) {
  EvaluateOptions o;
  o.deadline = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(seconds));
  return o;
}

Evaluation evaluate(const Ruleset& rs, const Packet& p, const EvaluateOptions& options) {
  std::vector<bool> decisions;
  int budget = options.max_branches;
  PacketMemo memo(options);
  Explored out = explore(rs, p, decisions, budget, memo);
  out.ev.path = walk::path_lines(out.path);
  return std::move(out.ev);
}

}  // namespace icmpwall::audit
