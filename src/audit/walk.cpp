// SPDX-License-Identifier: GPL-2.0-or-later
// One walk through the ruleset (walk.h): the register file, the decisions
// on open conditions, rules, chains with their jumps and returns, and the
// base chains of each hook in priority order. The expressions themselves
// are evaluated in evaluate_<family>.cpp.
#include "walk.h"

#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <variant>

#include "icmpwall/audit/describe.h"
#include "icmpwall/util/nf_hook_names.h"

namespace icmpwall::audit::walk {
namespace {

// Rules and chain ends one walk passes before it is taken for a loop.
constexpr size_t kMaxSteps = 100000;

size_t reg_offset(uint32_t reg) {
  if (reg == 0) return 0;
  if (reg >= 1 && reg <= 4) return 16 + (reg - 1) * 16;
  if (reg >= 8 && reg <= 23) return 16 + (reg - 8) * 4;
  return kRegFileBytes;  // invalid: reads as unknown, writes are dropped
}

// The network and transport headers of the packet, as far as known.
Cells network_header(const Packet& p, Labels& labels) {
  Cells h;
  auto add = [&](size_t n, const std::string& label) {
    for (size_t i = 0; i < n; ++i) h.push_back(unknown(labels.get(label)));
  };
  auto addr = [&](const Bytes& a, size_t n, const std::string& label) {
    if (a.size() == n)
      for (uint8_t b : a) h.push_back(known(b, labels.get(label)));
    else
      add(n, label);
  };
  auto hop = [&](const std::string& label) {
    h.push_back(p.hop_limit ? known(*p.hop_limit, labels.get(label)) : unknown(labels.get(label)));
  };
  if (p.family == policy::Family::ipv4) {
    h.push_back(known(0x45, labels.get("ip version")));
    add(1, "ip dscp");
    add(2, "ip length");
    add(2, "ip id");
    // not a fragment (and no DF bit: nothing here depends on it)
    h.push_back(known(0, labels.get("ip frag-off")));
    h.push_back(known(0, labels.get("ip frag-off")));
    hop("ip ttl");
    h.push_back(known(IPPROTO_ICMP, labels.get("ip protocol")));
    add(2, "ip checksum");
    addr(p.src, 4, "ip saddr");
    addr(p.dst, 4, "ip daddr");
  } else {
    add(4, "ip6 flowlabel");
    add(2, "ip6 length");
    h.push_back(known(IPPROTO_ICMPV6, labels.get("ip6 nexthdr")));
    hop("ip6 hoplimit");
    addr(p.src, 16, "ip6 saddr");
    addr(p.dst, 16, "ip6 daddr");
  }
  return h;
}

Cells transport_header(const Packet& p, Labels& labels) {
  std::string icmp = p.family == policy::Family::ipv4 ? "icmp" : "icmpv6";
  Cells h;
  h.push_back(known(p.type, labels.get(icmp + " type")));
  h.push_back(known(p.code, labels.get(icmp + " code")));
  h.push_back(unknown(labels.get(icmp + " checksum")));
  h.push_back(unknown(labels.get(icmp + " checksum")));
  for (int i = 0; i < 4; ++i) h.push_back(unknown(labels.get(icmp + " rest-of-header")));
  return h;
}

// The hooks a packet passes, in order (NF_INET_INGRESS stands for the
// netdev ingress hook too).
std::vector<uint32_t> hook_stages(policy::Hook h) {
  switch (h) {
    case policy::Hook::input: return {NF_INET_INGRESS, NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN};
    case policy::Hook::forward:
      return {NF_INET_INGRESS, NF_INET_PRE_ROUTING, NF_INET_FORWARD, NF_INET_POST_ROUTING};
    case policy::Hook::output: return {NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING};
  }
  return {NF_INET_LOCAL_IN};
}

std::string stage_name(uint32_t stage) {
  if (const char* name = nf_hook_name(stage)) return name;
  return fmt::format("hook {}", stage);
}

// Does a base chain of `table_family` sit on `stage` for a packet of `f`?
bool on_stage(uint32_t table_family, const BaseHook& hook, uint32_t stage, policy::Family f) {
  if (table_family == NFPROTO_NETDEV)
    return stage == NF_INET_INGRESS && hook.hooknum == NF_NETDEV_INGRESS;
  bool family_ok = table_family == NFPROTO_INET ||
                   table_family == (f == policy::Family::ipv4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
  return family_ok && hook.hooknum == stage;
}

}  // namespace

// The labels of `cells` in order, each once, joined with " . ".
std::string labels_of(const Cells& cells) {
  std::vector<const std::string*> seen;
  for (const auto& c : cells)
    if (!c.label->empty() && std::find(seen.begin(), seen.end(), c.label) == seen.end())
      seen.push_back(c.label);
  std::string out;
  for (const auto* s : seen) out += (out.empty() ? "" : " . ") + *s;
  return out.empty() ? "a register" : out;
}

namespace {

// The packet's headers, hooks and base chains, made once for all its walks.
PacketMemo& made(const Ruleset& rs, const Packet& p, PacketMemo& memo) {
  if (memo.made) return memo;
  memo.made = true;
  memo.net = network_header(p, memo.labels);
  memo.th = transport_header(p, memo.labels);
  memo.stages = hook_stages(p.hook);
  for (uint32_t stage : memo.stages) {
    std::vector<BaseChain> bases;
    for (const auto& t : rs.tables) {
      if (t.flags & NFT_TABLE_F_DORMANT) continue;
      for (const auto& c : t.chains)
        if (c.hook && on_stage(t.family, *c.hook, stage, p.family))
          bases.push_back({c.hook->priority, &t, &c});
    }
    std::stable_sort(bases.begin(), bases.end(), [](const BaseChain& a, const BaseChain& b) {
      return a.priority < b.priority;
    });
    memo.bases.push_back(std::move(bases));
  }
  return memo;
}

}  // namespace

std::vector<std::string> path_lines(const Path& path) {
  size_t n = 0;
  for (const PathLine* l = path.get(); l; l = l->before.get()) ++n;
  std::vector<std::string> out(n);
  for (const PathLine* l = path.get(); l; l = l->before.get()) out[--n] = l->text;
  return out;
}

Walk::Walk(const Ruleset& rs, const Packet& p, const std::vector<bool>& decisions, PacketMemo& memo)
    : Walk(rs, p, decisions, memo, nullptr) {}

Walk::Walk(const Ruleset& rs, const Packet& p, const std::vector<bool>& decisions, PacketMemo& memo,
           std::shared_ptr<const WalkState> from)
    : WalkState(from ? *from : WalkState{}),
      rs_(rs),
      p_(p),
      decisions_(decisions),
      memo_(made(rs, p, memo)),
      could_(memo.could),
      labels_(memo.labels),
      texts_(memo.texts),
      independence_(memo.independence),
      budget_(memo.budget),
      net_(memo.net),
      th_(memo.th),
      invalid_register_(labels_.get("an invalid register")),
      rule_start_(std::move(from)) {
  if (rule_start_) return;  // resumed: the state is the one kept
  stage_ = memo.stages.front();
  regs_.assign(kRegFileBytes, unknown(labels_.get("an unset register")));
}

Location Walk::here() const {
  if (!here_.table) return {};
  return Location{family_name(here_.table->family), here_.table->name, here_.chain->name,
                  here_.handle, stage_name(here_.stage)};
}

Cells Walk::read(uint32_t reg, size_t len) const {
  size_t off = reg_offset(reg);
  Cells out;
  out.reserve(len);
  for (size_t i = 0; i < len; ++i)
    out.push_back(off + i < regs_.size() ? regs_[off + i] : unknown(invalid_register_));
  return out;
}

void Walk::write(uint32_t reg, const Cells& cells) {
  size_t off = reg_offset(reg);
  // loads zero the rest of a 32-bit register, as nft_reg_store8/16 do
  size_t n = (cells.size() + 3) / 4 * 4;
  for (size_t i = 0; i < n && off + i < regs_.size(); ++i)
    regs_[off + i] = i < cells.size() ? cells[i] : known(0);
}

void Walk::write_known(uint32_t reg, const Bytes& data, size_t pad_to, const std::string& label) {
  Cells c;
  const std::string* l = labels_.get(label);
  c.reserve(std::max(data.size(), pad_to));
  for (uint8_t b : data) c.push_back(known(b, l));
  while (c.size() < pad_to) c.push_back(known(0));
  write(reg, c);
}

void Walk::write_unknown(uint32_t reg, size_t len, const std::string& label) {
  write(reg, Cells(len, unknown(labels_.get(label))));
}

bool Walk::decide(const std::string& text) {
  if (probing_) {  // before the memo: a dry run is the same in every world
    decided_ = true;
    return true;
  }
  // the same question met again (another rule testing the same interface
  // or state) has the answer this world already gave it
  const std::string* key = labels_.get(text);
  auto it = std::lower_bound(answered_.begin(), answered_.end(), key,
                             [](const auto& a, const std::string* k) { return a.first < k; });
  if (it != answered_.end() && it->first == key) return it->second;
  size_t i = forks_seen_++;
  bool answer = i < decisions_.size() ? decisions_[i] : true;
  if (i >= decisions_.size()) {
    new_forks_.push_back(Fork{text, here(), rule_start_});
    if (rule_start_ == spare_) spare_.reset();  // given away: the next rule takes a new one
  }
  add_path(fmt::format("{}: {} ({})", describe(here()), text,
                       answer ? "taken as true" : "taken as false"));
  answered_.insert(it, {key, answer});
  return answer;
}

void Walk::add_path(std::string line) {
  path_ = std::make_shared<const PathLine>(PathLine{std::move(path_), std::move(line)});
}

void Walk::keep_rule_start() {
  if (forks_seen_ < decisions_.size()) {  // still replaying: no state kept
    rule_start_.reset();
    return;
  }
  if (!spare_) spare_ = std::make_shared<WalkState>();
  *spare_ = static_cast<const WalkState&>(*this);  // reuses the spare's buffers
  spare_->at_rule_ = true;
  rule_start_ = spare_;
}

std::optional<Bytes> Walk::value_of(const Cells& c) {
  Bytes out;
  for (const auto& x : c) {
    if (!x.known) return std::nullopt;
    out.push_back(x.value);
  }
  return out;
}

bool Walk::any_tainted(const Cells& c) {
  return std::any_of(c.begin(), c.end(), [](const Cell& x) { return x.tainted; });
}

void Walk::terminal(Step& s, Outcome o, std::string text) {
  s.kind = StepKind::terminal;
  s.outcome = o;
  s.text = std::move(text);
}

void Walk::unmodelled(std::string expression) {
  if (probing_) return;
  Unmodelled u{std::move(expression), here()};
  if (std::find(ev_.unmodelled.begin(), ev_.unmodelled.end(), u) == ev_.unmodelled.end())
    ev_.unmodelled.push_back(std::move(u));
}

void Walk::cut_off(std::string reason, std::string condition) {
  ev_.outcome = Outcome::conditional;
  ev_.condition = std::move(condition);
  ev_.decided_by = here();
  ev_.unknown_beyond = Cutoff{std::move(reason), here()};
}

ReturnedChains::Key Walk::entry_key(const Table& t, const Chain& c) {
  ReturnedChains::Key k{&c, stage_, {}};
  if (independence_.independent(t, c)) return k;
  k.regs.reserve(regs_.size() * 2);
  for (const auto& cell : regs_) {
    k.regs.push_back(uint64_t{cell.known} | uint64_t{cell.value} << 8 |
                     uint64_t{cell.tainted} << 16);
    k.regs.push_back(reinterpret_cast<uintptr_t>(cell.label));
  }
  return k;
}

void Walk::commit_limit(const std::string& rate, const std::string& note) {
  pending_limits_.emplace_back(rate, note);
}

std::string Walk::daddr_type_label() const {
  return "fib daddr type";
}

Step Walk::eval_expr(const Expr& e, const Table& t, const Rule& r, size_t index) {
  const At at{e, t, r, index};
  return std::visit([&](const auto& x) { return eval(x, at); }, static_cast<const ExprVariant&>(e));
}

Step Walk::eval(const Unknown& u, const At&) {
  Step s;
  // Whatever it loads is covered by this one condition: the rest of the
  // rule treats it as satisfied.
  unmodelled(fmt::format("expression '{}'", u.name));
  const std::string* label = labels_.get(u.name + " (not modelled)");
  for (auto& c : regs_) {
    c.tainted = true;
    c.known = false;
    c.label = label;
  }
  if (!decide(fmt::format("expression '{}' (not modelled) lets the rule continue", u.name)))
    s.kind = StepKind::brk;
  return s;
}

bool Walk::could_match(const Table& t, const Rule& r) {
  saved_regs_ = regs_;  // into the same buffer each time
  const Path path = path_;
  const size_t notes = ev_.notes.size(), counters = ev_.counters.size();
  probing_ = true;
  bool could = true;
  for (size_t i = 0; i < r.exprs.size() && could; ++i) {
    decided_ = false;
    Step s = eval_expr(r.exprs[i], t, r, i);
    if (s.kind == StepKind::brk && !decided_) could = false;
    if (s.kind == StepKind::verdict || s.kind == StepKind::terminal) break;
  }
  probing_ = false;
  regs_ = saved_regs_;
  path_ = path;
  ev_.notes.resize(notes);
  ev_.counters.resize(counters);
  pending_limits_.clear();
  return could;
}

void Walk::enter_rule(const Table& t, const Chain& c, const Rule& r) {
  here_ = Here{&t, &c, r.handle, stage_};
  pending_limits_.clear();
  for (auto& cell : regs_) cell.tainted = false;
}

ChainCandidates& Walk::candidates(const Chain& c) {
  auto key = std::pair{&c, stage_};
  auto it = could_.find(key);
  if (it == could_.end()) it = could_.emplace(key, ChainCandidates(c.rules.size())).first;
  return it->second;
}

Step Walk::eval_rule(const Table& t, const Chain& c, const Rule& r, int8_t& could) {
  if (at_rule_) {  // resumed here: entered, and it could match
    at_rule_ = false;
  } else {
    enter_rule(t, c, r);
    // a rule that fails on what the packet fixes, whatever its open
    // conditions say, raises none of them
    if (could == ChainCandidates::unasked) {
      bool can = could_match(t, r);
      // the answer holds for every walk only if the rule reads nothing the
      // rules before it left in the registers
      if (!reads_entry_registers(t, r))
        could = can ? ChainCandidates::yes : ChainCandidates::no;
      else if (!can)
        return Step{StepKind::brk, {}, {}, {}};
    }
    if (could == ChainCandidates::no) return Step{StepKind::brk, {}, {}, {}};
    keep_rule_start();
  }
  Step end;
  for (size_t i = 0; i < r.exprs.size(); ++i) {
    Step s = eval_expr(r.exprs[i], t, r, i);
    if (s.kind == StepKind::go) continue;
    end = s;
    if (s.kind == StepKind::brk && !pending_limits_.empty()) {
      // a "limit over" that did not match: it matters if the rule has a verdict
      bool has_verdict = false;
      for (size_t k = i + 1; k < r.exprs.size(); ++k) {
        const Expr& x = r.exprs[k];
        if (const auto* im = std::get_if<Immediate>(&x); im && im->dreg == 0) has_verdict = true;
        if (std::holds_alternative<Queue>(x) || std::holds_alternative<Reject>(x))
          has_verdict = true;
      }
      if (!has_verdict) pending_limits_.clear();
    }
    break;
  }
  if (end.kind == StepKind::go || (end.kind == StepKind::brk && pending_limits_.empty()))
    return end;
  for (auto& [rate, note] : pending_limits_) {
    if (std::find(rates_.begin(), rates_.end(), rate) == rates_.end()) rates_.push_back(rate);
    ev_.notes.push_back(note);
  }
  pending_limits_.clear();
  return end;
}

void Walk::start_base(const Table& t, const Chain& base) {
  in_base_ = true;
  stack_.clear();
  entered_.clear();
  cur_ = &base;
  cand_ = &candidates(base);
  rule_ = 0;
  here_ = Here{&t, &base, 0, stage_};  // where a budget cut before the first rule is
  add_path(fmt::format("{} {} {}: base chain, hook {} priority {}, policy {}",
                       family_name(t.family), t.name, base.name, stage_name(stage_),
                       base.hook->priority, base.hook->policy == NF_DROP ? "drop" : "accept"));
}

Walk::BaseEnd Walk::base_policy() {
  const Table& t = *memo_.bases[stage_index_][base_index_].table;
  const Chain& base = *memo_.bases[stage_index_][base_index_].chain;
  Location where{family_name(t.family), t.name, base.name, 0, stage_name(stage_)};
  add_path(
      fmt::format("{}: {}", describe(where), base.hook->policy == NF_DROP ? "drop" : "accept"));
  if (base.hook->policy == NF_DROP) {
    ev_.outcome = Outcome::dropped;
    ev_.decided_by = where;
    return BaseEnd::drop;
  }
  accepted_by_policy_ = where;
  return BaseEnd::accept;
}

bool Walk::pop() {
  if (stack_.empty()) return false;
  for (auto& k : entered_) returned_.add(std::move(k));
  entered_ = std::move(stack_.back().entered);
  cur_ = stack_.back().chain;
  cand_ = &candidates(*cur_);
  rule_ = stack_.back().next;
  stack_.pop_back();
  return true;
}

Walk::BaseEnd Walk::run_base() {
  const Table& t = *memo_.bases[stage_index_][base_index_].table;
  while (true) {
    if (!at_rule_) {  // (resumed in rule `rule_`: its step is taken)
      if (++steps_ > kMaxSteps) {
        cut_off("the walk did not end (a chain loop?)", "the walk did not end (a chain loop?)");
        return BaseEnd::terminal;
      }
      ++spent_;
      if (!budget_.spend()) {
        cut_off(budget_.why(),
                fmt::format("{} at {}: unknown beyond here", budget_.why(), describe(here())));
        return BaseEnd::terminal;
      }
      if (rule_ >= cur_->rules.size()) {
        if (!pop()) return base_policy();
        continue;
      }
      // rules known not to match end at once, leaving only what starting
      // them leaves: pass over them, each still a step
      if (size_t j = cand_->candidate(rule_); j > rule_ && steps_ + (j - rule_ - 1) <= kMaxSteps) {
        steps_ += j - rule_ - 1;
        enter_rule(t, *cur_, cur_->rules[j - 1]);
        rule_ = j;
        continue;
      }
    }
    const Rule& r = cur_->rules[rule_];
    Step s = eval_rule(t, *cur_, r, cand_->could(rule_));
    ++rule_;
    if (s.kind == StepKind::go || s.kind == StepKind::brk) continue;
    if (s.kind == StepKind::terminal && s.outcome == Outcome::queued) {
      add_path(
          fmt::format("{}: {} (the worker decides; its accept goes on)", describe(here()), s.text));
      if (!queued_by_) queued_by_ = here();
      return BaseEnd::accept;
    }
    if (s.kind == StepKind::terminal) {
      add_path(fmt::format("{}: {}", describe(here()), s.text));
      ev_.outcome = s.outcome;
      if (s.outcome == Outcome::conditional) ev_.condition = s.text + " at " + describe(here());
      ev_.decided_by = here();
      return BaseEnd::terminal;
    }
    add_path(fmt::format("{}: {}{}", describe(here()), s.text, describe(s.verdict)));
    int32_t code = s.verdict.code;
    if (code == NFT_JUMP || code == NFT_GOTO) {
      const Chain* target = t.chain(s.verdict.chain);
      if (!target) {
        ev_.outcome = Outcome::conditional;
        ev_.condition = fmt::format("chain {} is not in the snapshot, at {}", s.verdict.chain,
                                    describe(here()));
        ev_.decided_by = here();
        return BaseEnd::terminal;
      }
      // walked before in this world from the same state: it returns again
      ReturnedChains::Key key = entry_key(t, *target);
      if (returned_.contains(key)) {
        if (code == NFT_JUMP) continue;
        if (!pop()) return base_policy();  // a goto to it: this call returns
        continue;
      }
      if (code == NFT_JUMP) {
        stack_.push_back({cur_, rule_, std::move(entered_)});
        entered_.clear();
      }
      entered_.push_back(std::move(key));
      cur_ = target;
      cand_ = &candidates(*cur_);
      rule_ = 0;
      continue;
    }
    if (code == NFT_RETURN) {
      if (!pop()) return base_policy();
      continue;
    }
    switch (code & NF_VERDICT_MASK) {
      case NF_ACCEPT: accepted_by_rule_ = here(); return BaseEnd::accept;
      case NF_DROP:
        ev_.outcome = Outcome::dropped;
        ev_.decided_by = here();
        return BaseEnd::drop;
      case NF_QUEUE:
        if (!queued_by_) queued_by_ = here();
        return BaseEnd::accept;
      default:
        ev_.outcome = Outcome::conditional;
        ev_.condition = fmt::format("verdict {} at {}", code, describe(here()));
        ev_.decided_by = here();
        return BaseEnd::terminal;
    }
  }
}

Evaluation Walk::run() {
  while (stage_index_ < memo_.stages.size()) {
    const auto& bases = memo_.bases[stage_index_];
    stage_ = memo_.stages[stage_index_];
    if (!in_base_) {
      if (base_index_ >= bases.size()) {
        ++stage_index_;
        base_index_ = 0;
        continue;
      }
      const BaseChain& b = bases[base_index_];
      const auto& devices = b.chain->hook->devices;
      if (stage_ == NF_INET_INGRESS) {
        // bound to devices: only a packet arriving on one of them
        here_ = Here{b.table, b.chain, 0, stage_};
        bool on = std::find(devices.begin(), devices.end(), p_.iif) != devices.end();
        if (p_.iif.empty() && !devices.empty()) {
          rule_start_.reset();  // not in a rule: a world answering false walks again
          on = decide(fmt::format("meta iifname {{ {} }}", fmt::join(devices, ", ")));
        }
        if (!on) {
          ++base_index_;
          continue;
        }
      } else if (!devices.empty()) {
        ++base_index_;
        continue;
      }
      any_base_ = true;
      start_base(*b.table, *b.chain);
    }
    BaseEnd end = run_base();
    in_base_ = false;
    if (end != BaseEnd::accept) return std::move(ev_);
    ++base_index_;
  }
  if (!any_base_) add_path("no base chain at this hook: accepted");
  if (queued_by_) {
    ev_.outcome = Outcome::queued;
    ev_.decided_by = *queued_by_;
    return std::move(ev_);
  }
  ev_.outcome = rates_.empty() ? Outcome::accepted : Outcome::rate_limited;
  for (const auto& r : rates_) ev_.rate += (ev_.rate.empty() ? "" : ", ") + r;
  ev_.decided_by = accepted_by_rule_.chain.empty() ? accepted_by_policy_ : accepted_by_rule_;
  return std::move(ev_);
}

}  // namespace icmpwall::audit::walk
