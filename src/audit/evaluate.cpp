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
// replays it for them instead of walking again. Texts (locations,
// conditions) are made only when a walk reports them.
#include <fmt/format.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "chain_memo.h"
#include "field_text.h"
#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/evaluate.h"
#include "icmpwall/audit/xt.h"
#include "icmpwall/util/address.h"
#include "walk_budget.h"

namespace icmpwall::audit {
namespace {

// nft's ct state bits
constexpr uint32_t kCtInvalid = 1, kCtEstablished = 2, kCtUntracked = 64;

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

const std::string kNoLabel;

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

// Rules and chain ends one walk passes before it is taken for a loop.
constexpr size_t kMaxSteps = 100000;

// Register 0 (verdict, 16 bytes), 1..4 (16 bytes each) = 8..23 (4 each).
constexpr size_t kRegFileBytes = 16 + 4 * 16;

size_t reg_offset(uint32_t reg) {
  if (reg == 0) return 0;
  if (reg >= 1 && reg <= 4) return 16 + (reg - 1) * 16;
  if (reg >= 8 && reg <= 23) return 16 + (reg - 8) * 4;
  return kRegFileBytes;  // invalid: reads as unknown, writes are dropped
}

Cell known(uint8_t v, const std::string* label = &kNoLabel) {
  return Cell{true, v, label, false};
}
Cell unknown(const std::string* label) { return Cell{false, 0, label, false}; }

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

std::string cmp_op_text(uint32_t op) {
  switch (op) {
    case NFT_CMP_EQ: return "==";
    case NFT_CMP_NEQ: return "!=";
    case NFT_CMP_LT: return "<";
    case NFT_CMP_LTE: return "<=";
    case NFT_CMP_GT: return ">";
    case NFT_CMP_GTE: return ">=";
  }
  return "?";
}

std::string rate_text(uint64_t rate, uint64_t unit, uint32_t type) {
  std::string u = unit == 1       ? "second"
                  : unit == 60    ? "minute"
                  : unit == 3600  ? "hour"
                  : unit == 86400 ? "day"
                  : unit == 604800 ? "week"
                                   : fmt::format("{}s", unit);
  return type == NFT_LIMIT_PKT_BYTES ? fmt::format("{} bytes/{}", rate, u)
                                     : fmt::format("{}/{}", rate, u);
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
  switch (stage) {
    case NF_INET_INGRESS: return "ingress";
    case NF_INET_PRE_ROUTING: return "prerouting";
    case NF_INET_LOCAL_IN: return "input";
    case NF_INET_FORWARD: return "forward";
    case NF_INET_LOCAL_OUT: return "output";
    case NF_INET_POST_ROUTING: return "postrouting";
  }
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

// The keys of a constant anonymous set, back to back (`ct state { a, b }`);
// empty for any other set.
Bytes set_keys_or(const Set& set) {
  Bytes out;
  if (!set.is_anonymous() || set.is_map() || set.is_interval()) return out;
  for (const auto& e : set.elements) out.insert(out.end(), e.key.begin(), e.key.end());
  return out;
}

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

// What all walks of one packet share.
struct PacketMemo {
  explicit PacketMemo(const EvaluateOptions& o) : budget(o.max_steps, o.deadline) {}
  CouldMatch could;
  Labels labels;
  std::unordered_map<const Expr*, ConditionText> texts;
  RegisterIndependence independence;
  WalkBudget budget;
};

// What one expression (or a whole rule) did.
enum class StepKind { go, brk, verdict, terminal };
struct Step {
  StepKind kind = StepKind::go;
  Verdict verdict;            // kind verdict
  Outcome outcome{};          // kind terminal
  std::string text;           // terminal: what ended it
};

// A condition the walk had to decide.
struct Fork {
  std::string text;
  Location where;
};

class Walk {
 public:
  // `memo` caches could_match() (it depends on the packet and the hook
  // only) and holds the labels: all walks of one packet share it.
  Walk(const Ruleset& rs, const Packet& p, const std::vector<bool>& decisions, PacketMemo& memo)
      : rs_(rs), p_(p), decisions_(decisions), could_(memo.could), labels_(memo.labels),
        texts_(memo.texts), independence_(memo.independence), budget_(memo.budget),
        net_(network_header(p, memo.labels)), th_(transport_header(p, memo.labels)),
        invalid_register_(labels_.get("an invalid register")) {
    stage_ = hook_stages(p.hook).front();
    regs_.assign(kRegFileBytes, unknown(labels_.get("an unset register")));
  }

  Evaluation run();
  // The conditions met beyond the decisions, in order, each taken as true.
  std::vector<Fork>& new_forks() { return new_forks_; }

 private:
  enum class BaseEnd { accept, drop, terminal };

  BaseEnd run_base(const Table& t, const Chain& base);
  // `could`: the rule's could_match() at this hook, asked on first use.
  Step eval_rule(const Table& t, const Chain& c, const Rule& r, int8_t& could);
  // What starting a rule leaves behind: where the walk is, and no limit or
  // taint carried over from the rule before.
  void enter_rule(const Table& t, const Chain& c, const Rule& r);
  ChainCandidates& candidates(const Chain& c);
  Step eval_expr(const Expr& e, const Table& t, const Rule& r, size_t index);
  Step eval_xt_match(const Match& m);
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

  const Ruleset& rs_;
  const Packet& p_;
  const std::vector<bool>& decisions_;
  CouldMatch& could_;
  Labels& labels_;
  std::unordered_map<const Expr*, ConditionText>& texts_;
  RegisterIndependence& independence_;
  WalkBudget& budget_;
  // Chains this world entered that returned (chain_memo.h).
  ReturnedChains returned_;
  Cells net_, th_, regs_, saved_regs_;
  const std::string* invalid_register_;
  size_t forks_seen_ = 0;
  std::unordered_map<std::string, bool> answered_;
  // could_match(): a dry run that asks nothing (decide() notes only that
  // it was asked)
  bool probing_ = false;
  bool decided_ = false;
  std::vector<Fork> new_forks_;
  // The rule (or the chain, handle 0) being evaluated, as pointers: a
  // Location's strings are built only when something is reported there.
  struct Here {
    const Table* table = nullptr;
    const Chain* chain = nullptr;
    uint64_t handle = 0;
    uint32_t stage = 0;
  };
  Here here_;
  Location here() const;
  std::vector<std::pair<std::string, std::string>> pending_limits_;  // rate, note
  std::vector<std::string> rates_;
  Evaluation ev_;
  Location accepted_by_rule_, accepted_by_policy_;
  // A queue on the path: the worker's accept goes on to the next base
  // chain (and hook), so a later drop still decides; otherwise the
  // outcome is `queued`, decided here.
  std::optional<Location> queued_by_;
  size_t steps_ = 0;
  uint32_t stage_ = NF_INET_LOCAL_IN;
};

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
  if (auto it = answered_.find(text); it != answered_.end()) return it->second;
  size_t i = forks_seen_++;
  bool answer = i < decisions_.size() ? decisions_[i] : true;
  if (i >= decisions_.size()) new_forks_.push_back(Fork{text, here()});
  ev_.path.push_back(fmt::format("{}: {} ({})", describe(here()), text,
                                 answer ? "taken as true" : "taken as false"));
  answered_.emplace(text, answer);
  return answer;
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
    k.regs.push_back(uint64_t{cell.known} | uint64_t{cell.value} << 8 | uint64_t{cell.tainted} << 16);
    k.regs.push_back(reinterpret_cast<uintptr_t>(cell.label));
  }
  return k;
}

void Walk::commit_limit(const std::string& rate, const std::string& note) {
  pending_limits_.emplace_back(rate, note);
}

std::string Walk::daddr_type_label() const { return "fib daddr type"; }

Step Walk::eval_expr(const Expr& e, const Table& t, const Rule& r, size_t index) {
  Step s;
  const bool v4 = p_.family == policy::Family::ipv4;
  if (const auto* m = std::get_if<Meta>(&e)) {
    if (m->sreg) {
      ev_.notes.push_back(describe(here()) + ": sets " + meta_key_name(m->key));
      return s;
    }
    uint32_t d = m->dreg.value_or(0);
    bool has_iif = this->has_iif(), has_oif = this->has_oif();
    switch (m->key) {
      case NFT_META_NFPROTO:
        write_known(d, {static_cast<uint8_t>(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6)}, 4, "meta nfproto");
        return s;
      case NFT_META_L4PROTO:
        write_known(d, {static_cast<uint8_t>(v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6)}, 4,
                    "meta l4proto");
        return s;
      case NFT_META_PROTOCOL:
        write_known(d, v4 ? Bytes{0x08, 0x00} : Bytes{0x86, 0xdd}, 4, "meta protocol");
        return s;
      case NFT_META_IIF: case NFT_META_IIFNAME: case NFT_META_IIFTYPE: case NFT_META_IIFGROUP:
        if (!has_iif) s.kind = StepKind::brk;  // no input device on output
        break;
      case NFT_META_OIF: case NFT_META_OIFNAME: case NFT_META_OIFTYPE: case NFT_META_OIFGROUP:
        if (!has_oif) s.kind = StepKind::brk;  // not routed yet on input
        break;
      case NFT_META_PKTTYPE:
        write_known(d, {pkttype()}, 4, "meta pkttype");
        return s;
    }
    if (s.kind == StepKind::brk) return s;
    const std::string& name = m->key == NFT_META_IIFNAME ? p_.iif
                              : m->key == NFT_META_OIFNAME ? p_.oif
                                                           : std::string();
    if ((m->key == NFT_META_IIFNAME || m->key == NFT_META_OIFNAME) && !name.empty()) {
      Bytes b(name.begin(), name.end());
      b.resize(16, 0);
      write_known(d, b, 16, meta_key_name(m->key));
      return s;
    }
    write_unknown(d, m->key == NFT_META_IIFNAME || m->key == NFT_META_OIFNAME ? 16 : 4,
                  meta_key_name(m->key));
    return s;
  }
  if (const auto* pl = std::get_if<Payload>(&e)) {
    if (pl->sreg) {
      ev_.notes.push_back(describe(here()) + ": rewrites the packet (payload set)");
      return s;
    }
    Cells c;
    const Cells* hdr = pl->base == NFT_PAYLOAD_NETWORK_HEADER     ? &net_
                       : pl->base == NFT_PAYLOAD_TRANSPORT_HEADER ? &th_
                                                                  : nullptr;
    std::string beyond = pl->base == NFT_PAYLOAD_LL_HEADER        ? "link-layer header"
                         : pl->base == NFT_PAYLOAD_NETWORK_HEADER ? (v4 ? "ip options" : "ip6 extension headers")
                         : pl->base == NFT_PAYLOAD_TRANSPORT_HEADER ? "icmp payload"
                                                                    : "inner header";
    const std::string* beyond_label = labels_.get(beyond);
    c.reserve(pl->len);
    for (uint32_t i = 0; i < pl->len; ++i) {
      size_t at = pl->offset + i;
      c.push_back(hdr && at < hdr->size() ? (*hdr)[at] : unknown(beyond_label));
    }
    write(pl->dreg.value_or(0), c);
    return s;
  }
  if (const auto* cmp = std::get_if<Cmp>(&e)) {
    Cells c = read(cmp->sreg, cmp->data.size());
    if (any_tainted(c)) return s;
    if (auto v = value_of(c)) {
      int d = std::memcmp(v->data(), cmp->data.data(), v->size());
      bool match = cmp->op == NFT_CMP_EQ    ? d == 0
                   : cmp->op == NFT_CMP_NEQ ? d != 0
                   : cmp->op == NFT_CMP_LT  ? d < 0
                   : cmp->op == NFT_CMP_LTE ? d <= 0
                   : cmp->op == NFT_CMP_GT  ? d > 0
                                            : d >= 0;
      if (!match) s.kind = StepKind::brk;
      return s;
    }
    bool zero = std::all_of(cmp->data.begin(), cmp->data.end(), [](uint8_t x) { return x == 0; });
    if (auto ct = ct_state_condition(c, {}); ct && zero && cmp->data.size() == 4 &&
                                             (cmp->op == NFT_CMP_EQ || cmp->op == NFT_CMP_NEQ)) {
      // ct state A,B: the masked state is not zero
      if (decide(*ct) != (cmp->op == NFT_CMP_NEQ)) s.kind = StepKind::brk;
      return s;
    }
    if (auto ct = ct_state_condition(c, cmp->data);
        ct && cmp->data.size() == 4 && (cmp->op == NFT_CMP_EQ || cmp->op == NFT_CMP_NEQ)) {
      if (decide(*ct) != (cmp->op == NFT_CMP_EQ)) s.kind = StepKind::brk;
      return s;
    }
    // != is asked as ==, so both forms share one answer
    bool neq = cmp->op == NFT_CMP_NEQ;
    std::string op = cmp_op_text(neq ? uint32_t{NFT_CMP_EQ} : cmp->op);
    auto text = [&] {
      return condition_text(e, labels_of(c), [&](const std::string& label) {
        return fmt::format("{} {} {}", label, op, value_text(label, cmp->data));
      });
    };
    if (decide_with(text) == neq) s.kind = StepKind::brk;
    return s;
  }
  if (const auto* rg = std::get_if<Range>(&e)) {
    Cells c = read(rg->sreg, rg->from.size());
    if (any_tainted(c)) return s;
    if (auto v = value_of(c)) {
      bool in = std::memcmp(v->data(), rg->from.data(), v->size()) >= 0 &&
                std::memcmp(v->data(), rg->to.data(), std::min(v->size(), rg->to.size())) <= 0;
      if (in != (rg->op == NFT_RANGE_EQ)) s.kind = StepKind::brk;
      return s;
    }
    auto text = [&] {
      return condition_text(e, labels_of(c), [&](const std::string& label) {
        return fmt::format("{} {}in {}-{}", label, rg->op == NFT_RANGE_EQ ? "" : "not ",
                           value_text(label, rg->from), value_text(label, rg->to));
      });
    };
    if (!decide_with(text)) s.kind = StepKind::brk;
    return s;
  }
  if (const auto* b = std::get_if<Bitwise>(&e)) {
    Cells c = read(b->sreg, b->len);
    if (b->op == NFT_BITWISE_BOOL) {
      bool full_mask = std::all_of(b->mask.begin(), b->mask.end(), [](uint8_t x) { return x == 0xff; });
      for (size_t i = 0; i < c.size(); ++i) {
        uint8_t mask = i < b->mask.size() ? b->mask[i] : 0;
        uint8_t x = i < b->xor_.size() ? b->xor_[i] : 0;
        if (c[i].known || mask == 0) {
          c[i].value = static_cast<uint8_t>(((c[i].known ? c[i].value : 0) & mask) ^ x);
          c[i].known = true;
        }
        if (!full_mask && !c[i].label->empty() && c[i].label->find(" & ") == std::string::npos)
          c[i].label = labels_.get(*c[i].label + mask_text(*c[i].label, b->mask));
      }
    } else if (!value_of(c)) {
      for (auto& x : c) x.known = false;
    } else {
      // shifts work on 32-bit words in host order
      uint32_t shift = 0;
      if (b->data.size() >= 4) std::memcpy(&shift, b->data.data(), 4);
      for (size_t w = 0; w + 4 <= c.size(); w += 4) {
        uint32_t v = 0;
        uint8_t raw[4] = {c[w].value, c[w + 1].value, c[w + 2].value, c[w + 3].value};
        std::memcpy(&v, raw, 4);
        v = b->op == NFT_BITWISE_LSHIFT ? v << shift : v >> shift;
        std::memcpy(raw, &v, 4);
        for (int k = 0; k < 4; ++k) c[w + k].value = raw[k];
      }
    }
    write(b->dreg, c);
    return s;
  }
  if (const auto* lk = std::get_if<Lookup>(&e)) {
    const Set* set = t.set(lk->set);
    if (!set) {
      terminal(s, Outcome::conditional, fmt::format("set @{} is not in the snapshot", lk->set));
      return s;
    }
    Cells c = read(lk->sreg, set->key_len);
    bool tainted = any_tainted(c);
    auto key = value_of(c);
    const SetElement* el = nullptr;
    bool found = false;
    if (key) {
      el = find_element(*set, *key);
      found = el != nullptr;
    } else if (set->elements.empty()) {
      found = false;
    } else if (lk->dreg && *lk->dreg == 0) {
      terminal(s, Outcome::conditional,
               fmt::format("{} vmap @{} (the packet description does not fix the key)",
                           labels_of(c), set->name));
      return s;
    } else if (tainted) {
      found = true;
    } else if (auto ct = ct_state_condition(c, set_keys_or(*set)); ct && !set->is_map()) {
      found = decide(*ct);
    } else {
      found = decide_with([&] {
                return fmt::format("{} {}in @{}", labels_of(c), lk->inverted() ? "not " : "",
                                   set->name);
              }) != lk->inverted();
    }
    bool match = found != lk->inverted();
    if (!match) {
      s.kind = StepKind::brk;
      return s;
    }
    if (!lk->dreg) return s;
    if (*lk->dreg == 0) {
      if (!el || !el->verdict) {
        terminal(s, Outcome::conditional, fmt::format("verdict map @{} holds no verdict", set->name));
        return s;
      }
      s.kind = StepKind::verdict;
      s.verdict = *el->verdict;
      s.text = fmt::format("@{} -> ", set->name);
      return s;
    }
    if (el)
      write_known(*lk->dreg, el->data, 0, "@" + set->name);
    else
      write_unknown(*lk->dreg, set->data_len, fmt::format("@{}[{}]", set->name, labels_of(c)));
    return s;
  }
  if (const auto* im = std::get_if<Immediate>(&e)) {
    if (im->dreg == 0 && im->verdict) {
      if (im->verdict->code == NFT_CONTINUE) return s;
      if (im->verdict->code == NFT_BREAK) {
        s.kind = StepKind::brk;
        return s;
      }
      s.kind = StepKind::verdict;
      s.verdict = *im->verdict;
      return s;
    }
    write_known(im->dreg, im->data, 0, "");
    return s;
  }
  if (const auto* ct = std::get_if<Counter>(&e)) {
    ev_.counters.push_back(CounterSeen{here(), "", ct->packets, ct->bytes});
    return s;
  }
  if (const auto* lim = std::get_if<Limit>(&e)) {
    std::string rate = rate_text(lim->rate, lim->unit, lim->type);
    commit_limit(rate, fmt::format("{}: limit {}{} burst {}", describe(here()),
                                   lim->flags & NFT_LIMIT_F_INV ? "over " : "", rate, lim->burst));
    if (lim->flags & NFT_LIMIT_F_INV) {  // within the rate: no match, over it the rule acts
      s.kind = StepKind::brk;
      decided_ = true;
    }
    return s;
  }
  if (const auto* o = std::get_if<Objref>(&e)) {
    if (!o->set.empty()) {
      ev_.notes.push_back(fmt::format("{}: object chosen by map @{}", describe(here()), o->set));
      return s;
    }
    const Object* obj = t.object(o->name);
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
  if (const auto* ds = std::get_if<Dynset>(&e)) {
    ev_.notes.push_back(fmt::format("{}: updates set @{}", describe(here()), ds->set));
    for (const auto& inner : ds->exprs) {
      Step is = eval_expr(inner, t, r, index);
      if (is.kind != StepKind::go) return is;
    }
    if (!pending_limits_.empty())
      pending_limits_.back().second += fmt::format(" per element of @{}", ds->set);
    return s;
  }
  if (const auto* ct = std::get_if<Ct>(&e)) {
    if (ct->sreg) {
      ev_.notes.push_back(describe(here()) + ": sets " + ct_key_name(ct->key));
      return s;
    }
    if (p_.ct_state) {
      // told the state: invalid and untracked packets have no conntrack
      // entry (any other ct key ends the rule, as in the kernel); a tracked
      // one is taken as not NATed
      bool entry = !(*p_.ct_state & (kCtInvalid | kCtUntracked));
      if (ct->key != NFT_CT_STATE && !entry) {
        s.kind = StepKind::brk;
        return s;
      }
      uint32_t v = ct->key == NFT_CT_STATE ? *p_.ct_state
                   : ct->key == NFT_CT_STATUS
                       ? uint32_t{IPS_CONFIRMED} | (*p_.ct_state & kCtEstablished ? uint32_t{IPS_SEEN_REPLY} : 0u)
                       : 0;
      if (ct->key == NFT_CT_STATE || ct->key == NFT_CT_STATUS) {
        Bytes b(4);
        std::memcpy(b.data(), &v, 4);  // host order, as the kernel stores it
        write_known(ct->dreg.value_or(0), b, 4, ct_key_name(ct->key));
        return s;
      }
    }
    write_unknown(ct->dreg.value_or(0), ct->key == NFT_CT_STATE || ct->key == NFT_CT_STATUS ? 4 : 16,
                  ct_key_name(ct->key));
    return s;
  }
  if (const auto* x = std::get_if<Exthdr>(&e)) {
    if (x->sreg) {
      ev_.notes.push_back(describe(here()) + ": rewrites an option (exthdr set)");
      return s;
    }
    // The packet described is ICMP without IPv6 extension headers or IPv4
    // options, unfragmented: no header or option of any kind is there.
    if (x->flags & NFT_EXTHDR_F_PRESENT) {
      write_known(x->dreg.value_or(0), {0}, 4, "exthdr present");
      return s;
    }
    s.kind = StepKind::brk;  // the kernel breaks the rule when it finds none
    return s;
  }
  if (const auto* f = std::get_if<Fib>(&e)) {
    if (f->result == NFT_FIB_RESULT_ADDRTYPE && (f->flags & NFTA_FIB_F_DADDR)) {
      uint32_t at = daddr_type();
      Bytes b(4);
      std::memcpy(b.data(), &at, 4);  // host order, as the kernel stores it
      write_known(f->dreg, b, 4, daddr_type_label());
      return s;
    }
    write_unknown(f->dreg, 16, "fib lookup");
    return s;
  }
  if (const auto* q = std::get_if<Queue>(&e)) {
    terminal(s, Outcome::queued, fmt::format("queue {}{}", q->num,
                                             q->flags & NFT_QUEUE_FLAG_BYPASS ? " bypass" : ""));
    return s;
  }
  if (const auto* rj = std::get_if<Reject>(&e)) {
    terminal(s, Outcome::rejected, fmt::format("reject type {} code {}", rj->type, rj->code));
    return s;
  }
  if (const auto* lg = std::get_if<Log>(&e)) {
    ev_.notes.push_back(fmt::format("{}: log{}", describe(here()),
                                    lg->prefix.empty() ? "" : " prefix \"" + lg->prefix + "\""));
    return s;
  }
  if (const auto* mt = std::get_if<Match>(&e)) return eval_xt_match(*mt);
  if (const auto* tg = std::get_if<Target>(&e)) {
    for (auto [name, code] : {std::pair{"ACCEPT", NF_ACCEPT}, std::pair{"DROP", NF_DROP},
                              std::pair{"RETURN", int{NFT_RETURN}}})
      if (tg->name == name) {
        s.kind = StepKind::verdict;
        s.verdict = Verdict{code, {}};
        s.text = "xt target ";
        return s;
      }
    if (tg->name == "NFQUEUE") {
      terminal(s, Outcome::queued, "xt target NFQUEUE");
      return s;
    }
    if (tg->name == "REJECT") {
      terminal(s, Outcome::rejected, "xt target REJECT");
      return s;
    }
    static const char* kPassive[] = {"LOG", "NFLOG", "MARK", "CONNMARK", "CT", "TRACE",
                                     "CLASSIFY", "DSCP", "TOS", "TCPMSS", "SECMARK",
                                     "CONNSECMARK", "AUDIT", "IDLETIMER", "NOTRACK",
                                     "MASQUERADE", "SNAT", "DNAT", "REDIRECT"};
    for (const char* n : kPassive)
      if (tg->name == n) {
        ev_.notes.push_back(fmt::format("{}: xt target {}", describe(here()), tg->name));
        return s;
      }
    unmodelled(fmt::format("xt target {}", tg->name));
    terminal(s, Outcome::conditional, fmt::format("xt target {} (not modelled)", tg->name));
    return s;
  }
  if (const auto* n = std::get_if<Nat>(&e)) {
    ev_.notes.push_back(fmt::format("{}: {}", describe(here()), n->name));
    return s;
  }
  if (std::holds_alternative<Notrack>(e)) {
    ev_.notes.push_back(describe(here()) + ": notrack");
    return s;
  }
  if (const auto* u = std::get_if<Unknown>(&e)) {
    // Whatever it loads is covered by this one condition: the rest of the
    // rule treats it as satisfied.
    unmodelled(fmt::format("expression '{}'", u->name));
    const std::string* label = labels_.get(u->name + " (not modelled)");
    for (auto& c : regs_) {
      c.tainted = true;
      c.known = false;
      c.label = label;
    }
    if (!decide(fmt::format("expression '{}' (not modelled) lets the rule continue", u->name)))
      s.kind = StepKind::brk;
    return s;
  }
  return s;
}

uint32_t Walk::daddr_type() const {
  return p_.daddr_type.value_or(p_.hook == policy::Hook::input ? RTN_LOCAL : RTN_UNICAST);
}

uint8_t Walk::pkttype() const {
  uint32_t at = daddr_type();
  return at == RTN_BROADCAST   ? PACKET_BROADCAST
         : at == RTN_MULTICAST ? PACKET_MULTICAST
                               : PACKET_HOST;
}

// No input device on a locally sent packet; no output device before routing.
bool Walk::has_iif() const { return p_.hook != policy::Hook::output; }
bool Walk::has_oif() const {
  return p_.hook != policy::Hook::input && stage_ != NF_INET_PRE_ROUTING &&
         stage_ != NF_INET_INGRESS;
}

std::optional<std::string> Walk::ct_state_condition(const Cells& c, const Bytes& values) const {
  if (c.empty() || c.size() > 4 || c[0].label->rfind("ct state", 0) != 0) return std::nullopt;
  for (const auto& x : c)
    if (x.label != c[0].label) return std::nullopt;
  uint32_t states = 0;
  if (c[0].label->size() > 8) {  // masked: "ct state & 0x06000000"
    Bytes mask(4);
    auto hex_part = c[0].label->substr(c[0].label->find("0x") + 2);
    for (size_t i = 0; i < 4 && 2 * i + 1 < hex_part.size(); ++i)
      mask[i] = static_cast<uint8_t>(std::stoul(hex_part.substr(2 * i, 2), nullptr, 16));
    std::memcpy(&states, mask.data(), 4);
  }
  // values (a cmp's operand, a set's keys) narrow it to what they name
  if (!values.empty()) {
    uint32_t named = 0;
    for (size_t off = 0; off + 4 <= values.size(); off += 4) {
      uint32_t v = 0;
      std::memcpy(&v, values.data() + off, 4);
      named |= v;
    }
    states = named;
  }
  if (states == 0) return std::nullopt;
  return "ct state " + ct_state_names(states);
}

bool Walk::ct_state_in(uint32_t states) {
  if (p_.ct_state) return (*p_.ct_state & states) != 0;
  return decide("ct state " + ct_state_names(states));
}

Step Walk::eval_xt_match(const Match& m) {
  Step s;
  const bool v4 = p_.family == policy::Family::ipv4;
  auto no_match = [&s] { s.kind = StepKind::brk; };
  XtMatch x = decode_xt_match(m);
  if (const auto* ic = std::get_if<XtIcmp>(&x)) {
    if (m.name != (v4 ? "icmp" : "icmp6")) return no_match(), s;
    bool any = v4 && ic->type == 0xff;
    bool in = any || (ic->type == p_.type && p_.code >= ic->code_min && p_.code <= ic->code_max);
    if (in == ic->invert) no_match();
    return s;
  }
  if (const auto* ct = std::get_if<XtCtState>(&x)) {
    if (!ct->other.empty()) {
      unmodelled(fmt::format("xt match conntrack {}", ct->other));
      if (!decide(fmt::format("xt match conntrack {} (the audit cannot judge it)", ct->other)))
        return no_match(), s;
    }
    if (ct->states == 0xffff) return s;
    if (ct_state_in(ct->states) == ct->invert) no_match();
    return s;
  }
  if (const auto* lim = std::get_if<XtLimit>(&x)) {
    std::string rate = rate_text(lim->rate, lim->unit, NFT_LIMIT_PKTS);
    commit_limit(rate,
                 fmt::format("{}: xt match limit {} burst {}", describe(here()), rate, lim->burst));
    return s;
  }
  if (const auto* at = std::get_if<XtAddrtype>(&x)) {
    bool dest_in = (at->dest & (1u << daddr_type())) != 0;
    if (at->dest && dest_in == at->invert_dest) return no_match(), s;
    if (at->source &&
        !decide(fmt::format("xt match addrtype --src-type 0x{:x}{}", at->source,
                            at->invert_source ? " (inverted)" : "")))
      return no_match(), s;
    if (at->limit_iface) {
      unmodelled("xt match addrtype --limit-iface");
      if (!decide("xt match addrtype --limit-iface (the audit cannot judge it)")) return no_match(), s;
    }
    return s;
  }
  if (const auto* pt = std::get_if<XtPkttype>(&x)) {
    if ((pt->pkttype == pkttype()) == pt->invert) no_match();
    return s;
  }
  if (const auto* hl = std::get_if<XtHopLimit>(&x)) {
    static const char* kOps[] = {"==", "!=", "<", ">"};
    if (!p_.hop_limit) {
      const char* field = v4 ? "ip ttl" : "ip6 hoplimit";
      if (!decide(fmt::format("{} {} {}", field, kOps[hl->mode], hl->value))) no_match();
      return s;
    }
    int h = *p_.hop_limit;
    bool in = hl->mode == 0 ? h == hl->value : hl->mode == 1 ? h != hl->value
              : hl->mode == 2 ? h < hl->value : h > hl->value;
    if (!in) no_match();
    return s;
  }
  if (std::holds_alternative<XtRoutingHeader>(x)) return no_match(), s;
  if (std::holds_alternative<XtComment>(x)) return s;
  unmodelled(std::get<XtOpaque>(x).why);
  if (!decide(std::get<XtOpaque>(x).why + " (the audit cannot judge it)")) no_match();
  return s;
}

bool Walk::could_match(const Table& t, const Rule& r) {
  saved_regs_ = regs_;  // into the same buffer each time
  const size_t path = ev_.path.size(), notes = ev_.notes.size(), counters = ev_.counters.size();
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
  ev_.path.resize(path);
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
        if (std::holds_alternative<Queue>(x) || std::holds_alternative<Reject>(x)) has_verdict = true;
      }
      if (!has_verdict) pending_limits_.clear();
    }
    break;
  }
  if (end.kind == StepKind::go || (end.kind == StepKind::brk && pending_limits_.empty())) return end;
  for (auto& [rate, note] : pending_limits_) {
    if (std::find(rates_.begin(), rates_.end(), rate) == rates_.end()) rates_.push_back(rate);
    ev_.notes.push_back(note);
  }
  pending_limits_.clear();
  return end;
}

Walk::BaseEnd Walk::run_base(const Table& t, const Chain& base) {
  // A return point, and the chains entered since the jump that made it
  // (the jump's target, then any goto): when the call returns, each of
  // them returned from the state it was entered in.
  struct Frame {
    const Chain* chain;
    size_t next;
    std::vector<ReturnedChains::Key> entered;
  };
  std::vector<Frame> stack;
  std::vector<ReturnedChains::Key> entered;
  const Chain* cur = &base;
  ChainCandidates* cand = &candidates(base);
  size_t i = 0;
  here_ = Here{&t, &base, 0, stage_};  // where a budget cut before the first rule is
  ev_.path.push_back(fmt::format("{} {} {}: base chain, hook {} priority {}, policy {}",
                                 family_name(t.family), t.name, base.name, stage_name(stage_),
                                 base.hook->priority,
                                 base.hook->policy == NF_DROP ? "drop" : "accept"));
  auto policy = [&]() {
    Location where{family_name(t.family), t.name, base.name, 0, stage_name(stage_)};
    ev_.path.push_back(fmt::format("{}: {}", describe(where),
                                   base.hook->policy == NF_DROP ? "drop" : "accept"));
    if (base.hook->policy == NF_DROP) {
      ev_.outcome = Outcome::dropped;
      ev_.decided_by = where;
      return BaseEnd::drop;
    }
    accepted_by_policy_ = where;
    return BaseEnd::accept;
  };
  // Back to the rule after the jump that entered this chain (its end or a
  // return); false in the base chain, whose policy then decides.
  auto pop = [&] {
    if (stack.empty()) return false;
    for (auto& k : entered) returned_.add(std::move(k));
    entered = std::move(stack.back().entered);
    cur = stack.back().chain;
    cand = &candidates(*cur);
    i = stack.back().next;
    stack.pop_back();
    return true;
  };
  while (true) {
    if (++steps_ > kMaxSteps) {
      cut_off("the walk did not end (a chain loop?)", "the walk did not end (a chain loop?)");
      return BaseEnd::terminal;
    }
    if (!budget_.spend()) {
      cut_off(budget_.why(), fmt::format("{} at {}: unknown beyond here", budget_.why(),
                                         describe(here())));
      return BaseEnd::terminal;
    }
    if (i >= cur->rules.size()) {
      if (!pop()) return policy();
      continue;
    }
    // rules known not to match end at once, leaving only what starting them
    // leaves: pass over them, each still a step
    if (size_t j = cand->candidate(i); j > i && steps_ + (j - i - 1) <= kMaxSteps) {
      steps_ += j - i - 1;
      enter_rule(t, *cur, cur->rules[j - 1]);
      i = j;
      continue;
    }
    const Rule& r = cur->rules[i];
    Step s = eval_rule(t, *cur, r, cand->could(i));
    ++i;
    if (s.kind == StepKind::go || s.kind == StepKind::brk) continue;
    if (s.kind == StepKind::terminal && s.outcome == Outcome::queued) {
      ev_.path.push_back(fmt::format("{}: {} (the worker decides; its accept goes on)", describe(here()), s.text));
      if (!queued_by_) queued_by_ = here();
      return BaseEnd::accept;
    }
    if (s.kind == StepKind::terminal) {
      ev_.path.push_back(fmt::format("{}: {}", describe(here()), s.text));
      ev_.outcome = s.outcome;
      if (s.outcome == Outcome::conditional) ev_.condition = s.text + " at " + describe(here());
      ev_.decided_by = here();
      return BaseEnd::terminal;
    }
    ev_.path.push_back(fmt::format("{}: {}{}", describe(here()), s.text, describe(s.verdict)));
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
        if (!pop()) return policy();  // a goto to it: this call returns
        continue;
      }
      if (code == NFT_JUMP) {
        stack.push_back({cur, i, std::move(entered)});
        entered.clear();
      }
      entered.push_back(std::move(key));
      cur = target;
      cand = &candidates(*cur);
      i = 0;
      continue;
    }
    if (code == NFT_RETURN) {
      if (!pop()) return policy();
      continue;
    }
    switch (code & NF_VERDICT_MASK) {
      case NF_ACCEPT:
        accepted_by_rule_ = here();
        return BaseEnd::accept;
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
  struct Base {
    int32_t priority;
    const Table* table;
    const Chain* chain;
  };
  bool any = false;
  for (uint32_t stage : hook_stages(p_.hook)) {
    stage_ = stage;
    std::vector<Base> bases;
    for (const auto& t : rs_.tables) {
      if (t.flags & NFT_TABLE_F_DORMANT) continue;
      for (const auto& c : t.chains)
        if (c.hook && on_stage(t.family, *c.hook, stage, p_.family))
          bases.push_back({c.hook->priority, &t, &c});
    }
    std::stable_sort(bases.begin(), bases.end(),
                     [](const Base& a, const Base& b) { return a.priority < b.priority; });
    for (const auto& b : bases) {
      const auto& devices = b.chain->hook->devices;
      if (stage == NF_INET_INGRESS) {
        // bound to devices: only a packet arriving on one of them
        here_ = Here{b.table, b.chain, 0, stage};
        bool on = std::find(devices.begin(), devices.end(), p_.iif) != devices.end();
        if (p_.iif.empty() && !devices.empty())
          on = decide(fmt::format("meta iifname {{ {} }}", fmt::join(devices, ", ")));
        if (!on) continue;
      } else if (!devices.empty()) {
        continue;
      }
      any = true;
      BaseEnd end = run_base(*b.table, *b.chain);
      if (end != BaseEnd::accept) return std::move(ev_);
    }
  }
  if (!any) ev_.path.push_back("no base chain at this hook: accepted");
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

// One walk's result, replayed: the walk that answers true to every open
// condition beyond its decisions is also the walk of those decisions plus
// `true`, so the yes branch of each fork it met needs no walk of its own.
struct Walked {
  Evaluation ev;
  std::vector<Fork> forks;
};

Evaluation explore(const Ruleset& rs, const Packet& p, std::vector<bool>& decisions, int& budget,
                   PacketMemo& memo, Walked* walked = nullptr, size_t first = 0) {
  Walked fresh;
  if (!walked) {
    Walk w(rs, p, decisions, memo);
    fresh.ev = w.run();
    fresh.forks = std::move(w.new_forks());
    walked = &fresh;
    first = 0;
  }
  // the branch that ends here takes the evaluation: no other needs it
  if (first >= walked->forks.size()) return std::move(walked->ev);
  const Fork& fork = walked->forks[first];
  if (--budget <= 0 || memo.budget.spent()) {
    Evaluation ev = std::move(walked->ev);
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
    return ev;
  }
  decisions.push_back(true);
  Evaluation yes = explore(rs, p, decisions, budget, memo, walked, first + 1);
  decisions.back() = false;
  Evaluation no = explore(rs, p, decisions, budget, memo);
  decisions.pop_back();
  if (same(yes, no)) {  // the world where the condition did not hold: the usual one
    merge_findings(no, yes);
    return no;
  }
  Evaluation out = std::move(yes);
  out.condition = fmt::format("if {} at {}: {}; otherwise {}", fork.text, describe(fork.where),
                              summary(out), summary(no));
  out.outcome = Outcome::conditional;
  out.rate.clear();
  out.decided_by = fork.where;
  merge_findings(out, no);
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
  return explore(rs, p, decisions, budget, memo);
}

}  // namespace icmpwall::audit
