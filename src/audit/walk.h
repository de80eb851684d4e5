// SPDX-License-Identifier: GPL-2.0-or-later
// The state of one walk behind evaluate() (evaluate.cpp): the symbolic
// register file, the packet's headers as cells, what all walks of one
// packet share, and the Walk itself. Its expressions are evaluated by one
// handler per family, each in a file of its own:
//
//   walk.cpp               registers, decisions, rules, chains, base chains
//   evaluate_meta.cpp      meta, ct, fib: what the packet description fixes
//   evaluate_payload.cpp   payload, exthdr: header bytes
//   evaluate_compare.cpp   cmp, range, bitwise
//   evaluate_lookup.cpp    lookup (sets, maps, verdict maps), dynset
//   evaluate_verdict.cpp   immediate, queue, reject
//   evaluate_effects.cpp   counter, limit, objref, log, nat, notrack
//   evaluate_xt.cpp        xt match and target (iptables-nft)
#pragma once

#include <linux/netfilter.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "chain_memo.h"
#include "icmpwall/audit/evaluate.h"
#include "walk_budget.h"

namespace icmpwall::audit::walk {

// One byte of the register file or of a header: known or not, and what it
// is ("ip saddr"). Tainted bytes came from an expression that is not
// modelled; the fork at that expression already stands for them. Labels
// are few and copied with every byte: each text is kept once (in Labels)
// and cells point at it, so equal labels are equal pointers.
struct Cell {
  bool known = false;
  uint8_t value = 0;
  const std::string* label = nullptr;
  bool tainted = false;
};
using Cells = std::vector<Cell>;

inline const std::string kNoLabel;
// The label of one byte loaded past the modelled transport header, its
// offset appended: "icmp byte 64".
inline constexpr const char* kIcmpByteLabel = "icmp byte ";

// The texts of labels, each once.
class Labels {
 public:
  const std::string* get(const std::string& text) {
    if (text.empty()) return &kNoLabel;
    return &*texts_.insert(text).first;
  }

 private:
  std::unordered_set<std::string> texts_;  // nodes: the pointers stay valid
};

// Register 0 (verdict, 16 bytes), 1..4 (16 bytes each) = 8..23 (4 each).
constexpr size_t kRegFileBytes = 16 + 4 * 16;

inline Cell known(uint8_t v, const std::string* label = &kNoLabel) {
  return Cell{true, v, label, false};
}
inline Cell unknown(const std::string* label) {
  return Cell{false, 0, label, false};
}

// The labels of `cells` in order, each once, joined with " . ".
std::string labels_of(const Cells& cells);

// A limit's rate as nft writes it ("10/second", "4 bytes/minute").
std::string rate_text(uint64_t rate, uint64_t unit, uint32_t type);

// could_match() of each rule of one chain at one hook (meta oif reads
// differently at prerouting), filled in as the walks reach the rules and
// shared by all walks of one packet. Runs of rules known not to match are
// jumped over in one step: next_ links each such rule to a later one, and
// candidate() follows and shortens the links (as in a union-find).
class ChainCandidates {
 public:
  enum : int8_t { unasked = -1, no = 0, yes = 1 };
  explicit ChainCandidates(size_t rules) : could_(rules, unasked), next_(rules) {
    for (size_t i = 0; i < rules; ++i) next_[i] = i;
  }
  int8_t& could(size_t i) { return could_[i]; }
  // The first rule at or after `i` not known to fail (the chain's size if none).
  size_t candidate(size_t i) {
    size_t j = i;
    while (j < next_.size() && could_[j] == no) j = next_[j] == j ? j + 1 : next_[j];
    for (size_t k = i; k < next_.size() && k < j && could_[k] == no;) {
      size_t after = next_[k] == k ? k + 1 : next_[k];
      next_[k] = j;
      k = after;
    }
    return j;
  }

 private:
  std::vector<int8_t> could_;
  std::vector<size_t> next_;
};

struct ChainStageHash {
  size_t operator()(const std::pair<const Chain*, uint32_t>& k) const {
    return std::hash<const void*>()(k.first) ^ (size_t{k.second} << 1);
  }
};
using CouldMatch =
    std::unordered_map<std::pair<const Chain*, uint32_t>, ChainCandidates, ChainStageHash>;

// The text of a condition an expression raised, with the labels it was
// made for: the same expression on the same fields says the same again.
struct ConditionText {
  std::string labels;
  std::string text;
};

// A base chain on a packet's path.
struct BaseChain {
  int32_t priority;
  const Table* table;
  const Chain* chain;
};

// What all walks of one packet share.
struct PacketMemo {
  explicit PacketMemo(const EvaluateOptions& o) : budget(o.max_steps, o.deadline) {}
  CouldMatch could;
  Labels labels;
  std::unordered_map<const Expr*, ConditionText> texts;
  RegisterIndependence independence;
  WalkBudget budget;
  // Made by the first walk: the packet's headers, the hooks it passes
  // and each hook's base chains in priority order.
  bool made = false;
  Cells net, th;
  std::vector<uint32_t> stages;
  std::vector<std::vector<BaseChain>> bases;
};

// The path of a walk, one line per step, as a list shared from its
// start: a world resumed from another's state (WalkState) shares the
// lines the two walked alike, and copying a state copies one pointer.
struct PathLine;
using Path = std::shared_ptr<const PathLine>;
struct PathLine {
  Path before;
  std::string text;
};
// The lines of `path` from its start.
std::vector<std::string> path_lines(const Path& path);

// What one expression (or a whole rule) did.
enum class StepKind { go, brk, verdict, terminal };
struct Step {
  StepKind kind = StepKind::go;
  Verdict verdict;    // kind verdict
  Outcome outcome{};  // kind terminal
  std::string text;   // terminal: what ended it
};

struct WalkState;

// A condition the walk had to decide, and the state of the walk at the
// start of the rule that raised it (none if the walk was still replaying
// decisions there): the world that answers it false resumes from there.
struct Fork {
  std::string text;
  Location where;
  std::shared_ptr<const WalkState> resume;
};

// Everything one walk changes as it goes: copied, it is a world that
// goes on from here as the original would. The walk's position is part of
// it (hook, base chain, the chain and rule it is at, the return points),
// so a copy taken as a rule starts its expressions runs them next.
struct WalkState {
  // A return point, and the chains entered since the jump that made it
  // (the jump's target, then any goto): when the call returns, each of
  // them returned from the state it was entered in.
  struct Frame {
    const Chain* chain;
    size_t next;
    std::vector<ReturnedChains::Key> entered;
  };
  // The rule (or the chain, handle 0) being evaluated, as pointers: a
  // Location's strings are built only when something is reported there.
  struct Here {
    const Table* table = nullptr;
    const Chain* chain = nullptr;
    uint64_t handle = 0;
    uint32_t stage = 0;
  };

  // Chains this world entered that returned (chain_memo.h).
  ReturnedChains returned_;
  Cells regs_;
  size_t forks_seen_ = 0;
  // The conditions answered in this world (interned texts, sorted by
  // address), with their answers.
  std::vector<std::pair<const std::string*, bool>> answered_;
  // could_match(): a dry run that asks nothing (decide() notes only that
  // it was asked)
  bool probing_ = false;
  bool decided_ = false;
  Here here_;
  std::vector<std::pair<std::string, std::string>> pending_limits_;  // rate, note
  std::vector<std::string> rates_;
  Evaluation ev_;  // its path is path_
  Path path_;
  Location accepted_by_rule_, accepted_by_policy_;
  // A queue on the path: the worker's accept goes on to the next base
  // chain (and hook), so a later drop still decides; otherwise the
  // outcome is `queued`, decided here.
  std::optional<Location> queued_by_;
  size_t steps_ = 0;
  // Budget steps this walk took from its start (those of the walk it
  // resumed from included): what walking here again would cost.
  size_t spent_ = 0;
  uint32_t stage_ = NF_INET_LOCAL_IN;
  // Where the walk is: the hook (index into PacketMemo::stages), the base
  // chain (index into its bases), whether it is in that base chain, and
  // there the chain, the next rule, the return points and the chains
  // entered since the last jump.
  size_t stage_index_ = 0;
  size_t base_index_ = 0;
  bool in_base_ = false;
  bool any_base_ = false;
  const Chain* cur_ = nullptr;
  ChainCandidates* cand_ = nullptr;
  size_t rule_ = 0;
  std::vector<Frame> stack_;
  std::vector<ReturnedChains::Key> entered_;
  // Taken as rule `rule_` starts its expressions (entered, and it could
  // match): the walk goes on with them.
  bool at_rule_ = false;
};

class Walk : private WalkState {
 public:
  // `memo` caches could_match() (it depends on the packet and the hook
  // only) and holds the labels: all walks of one packet share it.
  Walk(const Ruleset& rs, const Packet& p, const std::vector<bool>& decisions, PacketMemo& memo);
  // A world resumed from `from` (a Fork's state; none: a walk from the start),
  // with these decisions.
  Walk(const Ruleset& rs, const Packet& p, const std::vector<bool>& decisions, PacketMemo& memo,
       std::shared_ptr<const WalkState> from);

  // The walk to its end; its path is path().
  Evaluation run();
  const Path& path() const { return path_; }
  // The conditions met beyond the decisions, in order, each taken as true.
  std::vector<Fork>& new_forks() { return new_forks_; }

 private:
  enum class BaseEnd { accept, drop, terminal };

  // Enters base chain `base`; run_base() walks it.
  void start_base(const Table& t, const Chain& base);
  BaseEnd run_base();
  // The end of the base chain: its policy.
  BaseEnd base_policy();
  // Back to the rule after the jump that entered this chain (its end or a
  // return); false in the base chain, whose policy then decides.
  bool pop();
  // As a rule starts its expressions, when no decision is left to replay:
  // the state a world answering false to a condition of the rule goes on
  // from.
  void keep_rule_start();
  void add_path(std::string line);
  // `could`: the rule's could_match() at this hook, asked on first use.
  Step eval_rule(const Table& t, const Chain& c, const Rule& r, int8_t& could);
  // What starting a rule leaves behind: where the walk is, and no limit or
  // taint carried over from the rule before.
  void enter_rule(const Table& t, const Chain& c, const Rule& r);
  ChainCandidates& candidates(const Chain& c);
  // One expression: std::visit to the handler of its kind.
  Step eval_expr(const Expr& e, const Table& t, const Rule& r, size_t index);
  // Where a handler runs: the expression, and the rule and table it is in.
  struct At {
    const Expr& e;
    const Table& t;
    const Rule& r;
    size_t index;
  };
  Step eval(const Meta& m, const At& at);  // evaluate_meta.cpp
  Step eval(const Ct& ct, const At& at);
  Step eval(const Fib& f, const At& at);
  Step eval(const Payload& pl, const At& at);  // evaluate_payload.cpp
  Step eval(const Exthdr& x, const At& at);
  Step eval(const Cmp& cmp, const At& at);  // evaluate_compare.cpp
  Step eval(const Range& rg, const At& at);
  Step eval(const Bitwise& b, const At& at);
  Step eval(const Lookup& lk, const At& at);  // evaluate_lookup.cpp
  Step eval(const Dynset& ds, const At& at);
  Step eval(const Immediate& im, const At& at);  // evaluate_verdict.cpp
  Step eval(const Queue& q, const At& at);
  Step eval(const Reject& rj, const At& at);
  Step eval(const Counter& ct, const At& at);  // evaluate_effects.cpp
  Step eval(const Limit& lim, const At& at);
  Step eval(const Objref& o, const At& at);
  Step eval(const Log& lg, const At& at);
  Step eval(const Nat& n, const At& at);
  Step eval(const Notrack& n, const At& at);
  Step eval(const Match& m, const At& at);  // evaluate_xt.cpp
  Step eval(const Target& tg, const At& at);
  Step eval(const Unknown& u, const At& at);  // walk.cpp
  // False when the rule breaks on a known value, whatever its open
  // conditions; then it raises none of them.
  bool could_match(const Table& t, const Rule& r);
  // Does the packet's ct state fall in `states`? Known, or decided.
  bool ct_state_in(uint32_t states);
  uint8_t pkttype() const;
  uint32_t daddr_type() const;
  bool has_iif() const;
  bool has_oif() const;
  // A ct state condition's text for cells loaded by `ct state`, if they are.
  std::optional<std::string> ct_state_condition(const Cells& c, const Bytes& values) const;

  Cells read(uint32_t reg, size_t len) const;
  void write(uint32_t reg, const Cells& cells);
  void write_known(uint32_t reg, const Bytes& data, size_t pad_to, const std::string& label);
  void write_unknown(uint32_t reg, size_t len, const std::string& label);
  // An open condition: the decision for it in this world.
  bool decide(const std::string& text);
  // decide() on a text made only when a world asks it (a dry run does not).
  template <class Text>
  bool decide_with(const Text& text) {
    if (probing_) return decide({});
    return decide(text());
  }
  // The condition `e` raises on fields named `labels`: made once per packet.
  template <class Make>
  const std::string& condition_text(const Expr& e, std::string labels, const Make& make) {
    auto& kept = texts_[&e];
    if (kept.text.empty() || kept.labels != labels) {
      kept.text = make(labels);
      kept.labels = std::move(labels);
    }
    return kept.text;
  }
  // Cells all known: their bytes.
  static std::optional<Bytes> value_of(const Cells& c);
  static bool any_tainted(const Cells& c);
  void terminal(Step& s, Outcome o, std::string text);
  // An expression the audit cannot model, met here (not in a dry run).
  void unmodelled(std::string expression);
  // The walk stops here: `reason` ran out, nothing beyond is known.
  void cut_off(std::string reason, std::string condition);
  // How entering `c` now is remembered: the registers count only if `c` sees them.
  ReturnedChains::Key entry_key(const Table& t, const Chain& c);
  void commit_limit(const std::string& rate, const std::string& note);
  std::string daddr_type_label() const;
  Location here() const;

  const Ruleset& rs_;
  const Packet& p_;
  const std::vector<bool>& decisions_;
  PacketMemo& memo_;
  CouldMatch& could_;
  Labels& labels_;
  std::unordered_map<const Expr*, ConditionText>& texts_;
  RegisterIndependence& independence_;
  WalkBudget& budget_;
  const Cells& net_;
  const Cells& th_;
  const std::string* invalid_register_;
  Cells saved_regs_;  // could_match()'s copy of the registers
  std::vector<Fork> new_forks_;
  // The state at the start of the current rule, if kept (keep_rule_start),
  // and a copy not yet given to a fork, reused for the next rule.
  std::shared_ptr<const WalkState> rule_start_;
  std::shared_ptr<WalkState> spare_;
};

}  // namespace icmpwall::audit::walk
