// SPDX-License-Identifier: GPL-2.0-or-later
// policy::Policy -> nft::Table.
//
// Layout of the table, per declared hook H and family F (v4, v6):
//
//   chain H            base chain, policy accept. Sends ICMP of each family
//                      to its dispatcher; everything else falls through
//                      untouched.
//   chain H.vF         dispatcher: sources the inspection worker blocked
//                      (inspect policies), fragments ([icmpwall] fragments:
//                      counter fragments.H, and ct-invalid.H when
//                      reassembling), one lookup in verdicts.H.vF, then the
//                      hook's default (counter default.H, accept or drop).
//   map verdicts.H.vF  type . code (interval) -> jump key chain. A rule that
//                      names a whole type becomes `t . 0-255`; where other
//                      rules single out codes of that type, the code space
//                      is split so the elements never overlap.
//   chain H.vF.t[.c]   key chain: the rules naming that type (and code), in
//                      precedence order. Falling off its end returns to the
//                      dispatcher, which applies the default.
//   chain prerouting.notrack, output.notrack
//                      with fragments = "reassemble" and inspect rules:
//                      ICMP queries exempt from connection tracking (see
//                      declare_notrack_chains).
//
// So a packet costs one map lookup plus the rules that name its own type,
// however many types the policy names. Which key chains there are and the
// order of the rules in each (code-specific rules before type-wide ones;
// within each, rules with conditions before rules without; then file
// order) is policy::Precedence, the order the lint judges the policy by;
// conflicts are found there too, and reported before any code is made.
#include "icmpwall/compile/compiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <span>
#include <unordered_set>

#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/policy/precedence.h"
#include "icmpwall/util/address.h"

namespace icmpwall::compile {
namespace {

using policy::Action;
using policy::Family;
using policy::Hook;

const char* fam_tag(Family f) {
  return f == Family::ipv4 ? "v4" : "v6";
}

// Kernel names of a rule's counter and limit: "rule.NAME". The dot keeps
// every name an nft string even where the rule name alone is an nft
// keyword ("redirect", "drop"), so the --dry-run text always loads.
std::string counter_name(const policy::Rule& r) {
  return "rule." + r.name;
}

nft::Origin origin_of(const policy::Rule& r) {
  return {r.loc, fmt::format("rule '{}' ({})", r.name, policy::to_string(r.action))};
}

// The policy key an action statement of `r` comes from: the limit's rate,
// the inspect action, the action for a verdict, max-size for the length
// test; none for the counter (a kernel error on it points at the rule's
// header).
SourceLoc action_key_loc(const nft::Stmt& s, const policy::Rule& r) {
  if (std::holds_alternative<nft::LimitRef>(s) || std::holds_alternative<nft::DynsetLimit>(s))
    return r.limit ? r.limit->loc : SourceLoc{};
  if (std::holds_alternative<nft::Queue>(s)) return r.inspect ? r.inspect->loc : SourceLoc{};
  if (std::holds_alternative<nft::Verdict>(s)) return r.action_loc;
  if (std::holds_alternative<nft::LongerThan>(s)) return r.max_size_loc;
  return {};
}

uint32_t rtn_of(policy::AddrType t) {
  switch (t) {
    case policy::AddrType::unicast: return 1;    // RTN_UNICAST
    case policy::AddrType::local: return 2;      // RTN_LOCAL
    case policy::AddrType::broadcast: return 3;  // RTN_BROADCAST
    case policy::AddrType::anycast: return 4;    // RTN_ANYCAST
    case policy::AddrType::multicast: return 5;  // RTN_MULTICAST
  }
  return 0;
}

class Compiler {
 public:
  Compiler(const policy::Policy& p, Diagnostics& d)
      : policy_(p), diags_(d), precedence_(policy::precedence(p)) {}

  std::optional<nft::Table> run() {
    table_.name = policy_.table;
    report_conflicts();
    declare_objects();
    declare_blocked_sets();
    for (const auto& hp : policy_.hooks) compile_hook(hp);
    if (diags_.has_errors()) return std::nullopt;
    declare_notrack_chains();
    // Base chains first, then dispatchers, then key chains: the order the
    // chains appear in is the order nft lists them.
    std::stable_sort(table_.chains.begin(), table_.chains.end(),
                     [](const nft::Chain& a, const nft::Chain& b) {
                       return a.base.has_value() > b.base.has_value();
                     });
    return std::move(table_);
  }

 private:
  void declare_objects() {
    size_t objects = 3 * policy_.hooks.size();
    for (const auto& r : policy_.rules)
      objects += 1 + (r.limit ? 1 + !r.limit->per_source : 0) + r.max_size.has_value();
    table_.objects.reserve(objects);
    for (const auto& r : policy_.rules) {
      table_.objects.push_back({nft::ObjectKind::counter, counter_name(r), {}, origin_of(r)});
      if (r.max_size)
        table_.objects.push_back({nft::ObjectKind::counter,
                                  counter_name(r) + ".oversize",
                                  {},
                                  {r.max_size_loc, fmt::format("max-size of rule '{}'", r.name)}});
      if (r.limit) {  // rate-limit, or inspect limited before the queue
        table_.objects.push_back(
            {nft::ObjectKind::counter, counter_name(r) + ".over", {}, origin_of(r)});
        if (!r.limit->per_source)
          table_.objects.push_back(
              {nft::ObjectKind::limit,
               counter_name(r),
               nft::Limit{r.limit->rate, burst_of(*r.limit)},
               {r.limit->loc, fmt::format("rate limit of rule '{}'", r.name)}});
      }
    }
    for (const auto& hp : policy_.hooks) {
      const std::string hook = policy::to_string(hp.hook);
      table_.objects.push_back({nft::ObjectKind::counter,
                                fmt::format("default.{}", hook),
                                {},
                                {hp.loc, fmt::format("default of hook {}", hook)}});
      table_.objects.push_back(
          {nft::ObjectKind::counter, fragments_counter(hp.hook), {}, fragments_origin(hp)});
      if (policy_.fragments == policy::Fragments::reassemble)
        table_.objects.push_back(
            {nft::ObjectKind::counter, ct_invalid_counter(hp.hook), {}, fragments_origin(hp)});
    }
  }

  static std::string fragments_counter(Hook h) {
    return fmt::format("fragments.{}", policy::to_string(h));
  }
  static std::string ct_invalid_counter(Hook h) {
    return fmt::format("ct-invalid.{}", policy::to_string(h));
  }
  nft::Origin fragments_origin(const policy::HookPolicy& hp) const {
    return {policy_.fragments_loc.known() ? policy_.fragments_loc : hp.loc,
            fmt::format("fragments = \"{}\" on hook {}", policy::to_string(policy_.fragments),
                        policy::to_string(hp.hook))};
  }

  // Fragments, before the type lookup (which cannot match a non-first
  // fragment: it has no ICMP header, so the payload load breaks the rule).
  //   reassemble: `ct state invalid counter`: a ct expression makes the
  //     kernel track connections and reassemble (both families) before the
  //     filter hooks; the counter shows ICMP that belongs to no known flow
  //     (errors quoting a flow conntrack never saw, replies without a
  //     request). No verdict: it changes no packet's fate. Non-first
  //     fragments then never reach this chain; should one (a datagram the
  //     defragmenter let through), it is followed as below.
  //   follow: non-first fragments are accepted and counted: their first
  //     fragment carried the type and met the policy; without it the
  //     receiver cannot reassemble (nor past 65535 bytes).
  //   drop: they are dropped and counted.
  void fragment_rules(const policy::HookPolicy& hp, Family f, nft::Chain& chain) {
    const nft::Origin origin = fragments_origin(hp);
    if (policy_.fragments == policy::Fragments::reassemble) {
      nft::Rule ct;
      ct.origin = origin;
      ct.stmts = {nft::CtState{nft::kCtInvalid}, nft::CounterRef{ct_invalid_counter(hp.hook)}};
      chain.rules.push_back(std::move(ct));
    }
    nft::Rule r;
    r.origin = origin;
    r.stmts = {nft::NonFirstFragment{f}, nft::CounterRef{fragments_counter(hp.hook)},
               nft::Verdict{policy_.fragments == policy::Fragments::drop ? nft::VerdictKind::drop
                                                                         : nft::VerdictKind::accept,
                            {}}};
    chain.rules.push_back(std::move(r));
  }

  // ICMP queries are not tracked where the table both tracks connections
  // (fragments = "reassemble") and queues packets. Conntrack creates an
  // entry for a new query flow (echo requests of one identifier) when its
  // first packet arrives and inserts it when that packet leaves the last
  // hook; a second request of the flow that arrives while the first waits
  // in the queue gets an entry of its own, which then clashes with the
  // first one's and the kernel drops the packet (insert_failed). Clients
  // with requests in flight together lose replies that way: mtr, ping -l,
  // flood pings, any burst. So, ahead of conntrack (priority raw, -300):
  //   prerouting.notrack: every query message that arrives, requests and
  //     replies (replies to untracked requests would count as invalid);
  //   output.notrack: the replies this host sends (the same).
  // The host's own requests stay tracked, so the replies to them are still
  // known to conntrack (Engine's reply lookup), and so is every flow an
  // error can quote.
  void declare_notrack_chains() {
    if (policy_.fragments != policy::Fragments::reassemble || !uses_inspect()) return;
    // ICMP: echo, timestamp, information, address mask (request, reply);
    // ICMPv6: echo, node information (query, response).
    constexpr uint8_t kV4Requests[] = {8, 13, 15, 17};
    constexpr uint8_t kV4Replies[] = {0, 14, 16, 18};
    constexpr uint8_t kV6Requests[] = {128, 139};
    constexpr uint8_t kV6Replies[] = {129, 140};
    const nft::Origin origin{policy_.fragments_loc,
                             "ICMP queries exempt from connection tracking (fragments = "
                             "\"reassemble\" with inspect rules)"};
    auto chain = [&](const char* name, nft::NfHook hook, bool requests) {
      nft::Chain c;
      c.name = name;
      c.base = nft::BaseHook{hook, kRawPriority, false};
      c.origin = origin;
      auto add = [&](nft::Field field, std::span<const uint8_t> types) {
        for (uint8_t t : types) {
          nft::Rule r;
          r.origin = origin;
          r.stmts = {nft::Match{field, nft::u8(t)}, nft::Notrack{}};
          c.rules.push_back(std::move(r));
        }
      };
      if (requests) add(nft::Field::icmp_type, kV4Requests);
      add(nft::Field::icmp_type, kV4Replies);
      if (requests) add(nft::Field::icmpv6_type, kV6Requests);
      add(nft::Field::icmpv6_type, kV6Replies);
      table_.chains.push_back(std::move(c));
    };
    chain("prerouting.notrack", nft::NfHook::prerouting, true);
    chain("output.notrack", nft::NfHook::output, false);
  }
  static constexpr int32_t kRawPriority = -300;  // NF_IP_PRI_RAW: before conntrack (-200)

  static uint32_t burst_of(const policy::RateLimit& l) { return l.burst ? l.burst : 5; }

  bool uses_inspect() const {
    for (const auto& r : policy_.rules)
      if (r.action == Action::inspect) return true;
    return false;
  }

  // Sources the inspection worker blocked: their ICMP dies here, before
  // the verdict map, without reaching userspace. The worker adds each
  // source's prefix (an IPv6 attacker owns a /64 at least) as a range with
  // a timeout over netlink, so the sets are interval sets; the set's
  // timeout is the default.
  void declare_blocked_sets() {
    if (!uses_inspect()) return;
    const nft::Origin origin{{}, "sources blocked by the inspection worker"};
    table_.objects.push_back({nft::ObjectKind::counter, kBlockedCounter, {}, origin});
    for (Family f : {Family::ipv4, Family::ipv6}) {
      nft::Set st;
      st.name = blocked_set_name(f);
      st.key = f == Family::ipv4 ? nft::KeyType::ipv4_addr : nft::KeyType::ipv6_addr;
      st.interval = true;
      st.timeout_ms = kBlockedTimeoutMs;
      st.size = kBlockedMax;
      st.origin = origin;
      table_.sets.push_back(std::move(st));
    }
  }

  static nft::Rule blocked_rule(Family f) {
    nft::Rule r;
    r.origin = {{}, "sources blocked by the inspection worker"};
    r.stmts.push_back(nft::SetMatch{
        f == Family::ipv4 ? nft::Field::ip_saddr : nft::Field::ip6_saddr, blocked_set_name(f)});
    r.stmts.push_back(nft::CounterRef{kBlockedCounter});
    r.stmts.push_back(nft::Verdict{nft::VerdictKind::drop, {}});
    return r;
  }

  // Rules with the same conditions and different actions, before any code
  // is generated.
  void report_conflicts() {
    for (const auto& c : policy::conflicts(precedence_)) {
      auto& d = diags_.error(
          c.second->loc,
          fmt::format("rule '{}' ({}) conflicts with rule '{}' ({}) for {} on hook {}",
                      c.second->name, policy::to_string(c.second->action), c.first->name,
                      policy::to_string(c.first->action),
                      policy::describe(c.family, c.type, c.code), policy::to_string(c.hook)),
          "give one of them a narrower scope (source, iif, ...) or remove one");
      d.related.push_back({c.first->loc, fmt::format("rule '{}' is here", c.first->name)});
    }
  }

  const policy::Precedence& precedence_of(Hook h, Family f) const {
    return *std::find_if(precedence_.begin(), precedence_.end(), [&](const policy::Precedence& p) {
      return p.hook() == h && p.family() == f;
    });
  }

  void compile_hook(const policy::HookPolicy& hp) {
    const std::string hook = policy::to_string(hp.hook);
    nft::Chain base;
    base.name = hook;
    base.base = nft::BaseHook{nft::nf_hook(hp.hook), policy_.priority, false};
    base.origin = {hp.loc, fmt::format("base chain for hook {}", hook)};
    for (Family f : {Family::ipv4, Family::ipv6}) {
      const std::string dispatcher = fmt::format("{}.{}", hook, fam_tag(f));
      nft::Rule r;
      r.origin = base.origin;
      r.stmts.push_back(nft::Match{nft::Field::nfproto, nft::u8(f == Family::ipv4 ? 2 : 10)});
      r.stmts.push_back(nft::Match{nft::Field::l4proto, nft::u8(f == Family::ipv4 ? 1 : 58)});
      r.stmts.push_back(nft::Verdict{nft::VerdictKind::jump, dispatcher});
      base.rules.push_back(std::move(r));
      compile_family(hp, f, dispatcher);
    }
    table_.chains.push_back(std::move(base));
  }

  void compile_family(const policy::HookPolicy& hp, Family f, const std::string& dispatcher) {
    nft::Set map;
    map.name = fmt::format("verdicts.{}", dispatcher);
    map.key = f == Family::ipv4 ? nft::KeyType::icmp_type_code : nft::KeyType::icmpv6_type_code;
    map.map = true;
    map.interval = true;
    map.origin = {hp.loc, fmt::format("verdict map of hook {} ({})", policy::to_string(hp.hook),
                                      policy::to_string(f))};

    for (const auto& t : precedence_of(hp.hook, f).types()) compile_type(f, dispatcher, t, map);

    nft::Chain chain;
    chain.name = dispatcher;
    chain.origin = map.origin;
    if (uses_inspect()) chain.rules.push_back(blocked_rule(f));
    fragment_rules(hp, f, chain);
    nft::Rule lookup;
    lookup.origin = map.origin;
    lookup.stmts.push_back(nft::VmapLookup{
        f == Family::ipv4 ? std::vector{nft::Field::icmp_type, nft::Field::icmp_code}
                          : std::vector{nft::Field::icmpv6_type, nft::Field::icmpv6_code},
        map.name});
    chain.rules.push_back(std::move(lookup));

    nft::Origin def_origin{hp.loc, fmt::format("default of hook {}", policy::to_string(hp.hook))};
    if (hp.log) chain.rules.push_back(log_rule({}, *hp.log, def_origin));
    nft::Rule def;
    def.origin = def_origin;
    def.stmts.push_back(nft::CounterRef{fmt::format("default.{}", policy::to_string(hp.hook))});
    def.stmts.push_back(nft::Verdict{
        hp.default_action == Action::drop ? nft::VerdictKind::drop : nft::VerdictKind::accept, {}});
    chain.rules.push_back(std::move(def));

    table_.sets.push_back(std::move(map));
    table_.chains.push_back(std::move(chain));
  }

  // The type's key chains, as the precedence orders them, and their map
  // elements: `t . lo-hi` for the codes no rule singles out (where some
  // rule names the whole type), `t . c` for each code a rule names.
  void compile_type(Family f, const std::string& dispatcher, const policy::TypeRules& t,
                    nft::Set& map) {
    const uint8_t type = t.type;
    auto key_element = [&](uint8_t lo, uint8_t hi, const std::string& chain) {
      nft::Element e;
      e.key = {type, 0, 0, 0, lo, 0, 0, 0};
      if (lo != hi) e.key_end = {type, 0, 0, 0, hi, 0, 0, 0};
      e.verdict = nft::Verdict{nft::VerdictKind::jump, chain};
      map.elements.push_back(std::move(e));
    };

    std::string wide_chain = fmt::format("{}.{}", dispatcher, type);
    if (!t.type_wide.empty()) {
      // Elements for the codes no rule singles out.
      int lo = 0;
      for (const auto& c : t.codes) {
        if (c.code > lo) key_element(static_cast<uint8_t>(lo), c.code - 1, wide_chain);
        lo = c.code + 1;
      }
      if (lo <= 255) key_element(static_cast<uint8_t>(lo), 255, wide_chain);
    }

    std::vector<std::pair<std::string, std::span<const policy::Rule* const>>> chains;
    if (!t.type_wide.empty()) chains.emplace_back(wide_chain, t.type_wide);
    for (const auto& c : t.codes) {
      std::string name = fmt::format("{}.{}", wide_chain, c.code);
      key_element(c.code, c.code, name);
      chains.emplace_back(name, c.chain);
    }
    // Keep map elements sorted by code.
    std::sort(map.elements.begin(), map.elements.end(),
              [](const nft::Element& a, const nft::Element& b) { return a.key < b.key; });

    for (auto& [name, rules] : chains) {
      nft::Chain chain;
      chain.name = name;
      chain.origin = origin_of(*rules.front());
      chain.rules.reserve(rules.size());
      for (const auto* r : rules) emit_rule(*r, f, chain);
      table_.chains.push_back(std::move(chain));
    }
  }

  // The conditions of a rule's scope for family f, as statements, each at
  // its key's position.
  nft::Rule conditions(const policy::Rule& r, Family f, size_t more) {
    nft::Rule out;
    const auto& s = r.scope;
    // Room for every condition and the `more` statements that follow.
    const size_t room = !s.iif.empty() + !s.oif.empty() + !s.source.empty() +
                        !s.destination.empty() + s.hop_limit.has_value() +
                        !s.destination_type.empty() + more;
    out.stmts.reserve(room);
    out.stmt_locs.reserve(room);
    auto ifnames = [&](const std::vector<std::string>& names, nft::Field field, const char* what,
                       const SourceLoc& loc) {
      if (names.empty()) return;
      if (names.size() == 1) {
        out.add(nft::Match{field, nft::ifname_bytes(names[0])}, loc);
        return;
      }
      std::string set = fmt::format("{}.{}", r.name, what);
      ensure_set(set, [&] {
        nft::Set st;
        st.name = set;
        st.key = nft::KeyType::ifname;
        st.origin = origin_of(r);
        std::vector<std::string> sorted = names;
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        for (const auto& n : sorted)
          st.elements.push_back({nft::SetKey(nft::ifname_bytes(n)), {}, {}});
        return st;
      });
      out.add(nft::SetMatch{field, set}, loc);
    };
    ifnames(s.iif, nft::Field::iifname, "iif", s.iif_loc);
    ifnames(s.oif, nft::Field::oifname, "oif", s.oif_loc);

    auto prefixes = [&](const std::vector<policy::Prefix>& list, bool src) {
      const SourceLoc& loc = src ? s.source_loc : s.destination_loc;
      if (list.empty()) return;
      nft::Field field = f == Family::ipv4 ? (src ? nft::Field::ip_saddr : nft::Field::ip_daddr)
                                           : (src ? nft::Field::ip6_saddr : nft::Field::ip6_daddr);
      // One prefix of the family: matched in the rule (a set per rule
      // would cost the kernel time quadratic in the number of rules).
      const policy::Prefix* only = nullptr;
      size_t count = 0;
      for (const auto& p : list)
        if (p.family == f && ++count == 1) only = &p;
      if (count == 1 && only->len > 0) {
        const size_t len = f == Family::ipv4 ? 4 : 16;
        out.add(nft::PrefixMatch{field, {only->addr.begin(), only->addr.begin() + len}, only->len},
                loc);
        return;
      }
      std::string set = fmt::format("{}.{}.{}", r.name, src ? "source" : "destination", fam_tag(f));
      ensure_set(set, [&] { return prefix_set(set, list, f, origin_of(r)); });
      out.add(nft::SetMatch{field, set}, loc);
    };
    prefixes(s.source, true);
    prefixes(s.destination, false);

    if (s.hop_limit)
      out.add(nft::Match{f == Family::ipv4 ? nft::Field::ip_ttl : nft::Field::ip6_hoplimit,
                         nft::u8(*s.hop_limit)},
              s.hop_limit_loc);

    if (s.destination_type.size() == 1) {
      out.add(nft::Match{nft::Field::fib_daddr_type, nft::u32_host(rtn_of(s.destination_type[0]))},
              s.destination_type_loc);
    } else if (!s.destination_type.empty()) {
      std::string set = fmt::format("{}.destination-type", r.name);
      ensure_set(set, [&] {
        nft::Set st;
        st.name = set;
        st.key = nft::KeyType::fib_addrtype;
        st.origin = origin_of(r);
        std::set<uint32_t> values;
        for (auto t : s.destination_type) values.insert(rtn_of(t));
        for (auto v : values) st.elements.push_back({nft::SetKey(nft::u32_host(v)), {}, {}});
        return st;
      });
      out.add(nft::SetMatch{nft::Field::fib_daddr_type, set}, s.destination_type_loc);
    }
    return out;
  }

  static nft::Set prefix_set(const std::string& name, const std::vector<policy::Prefix>& list,
                             Family f, nft::Origin origin) {
    nft::Set st;
    st.name = name;
    st.key = f == Family::ipv4 ? nft::KeyType::ipv4_addr : nft::KeyType::ipv6_addr;
    st.interval = true;
    st.origin = std::move(origin);
    const size_t len = f == Family::ipv4 ? 4 : 16;
    std::vector<AddrRange> ranges;
    ranges.reserve(list.size());
    for (const auto& p : list)
      if (p.family == f) ranges.push_back(prefix_range(p.addr.data(), len, p.len));
    const std::vector<AddrRange> merged = merge_ranges(std::move(ranges));
    st.elements.reserve(merged.size());  // 100 000 elements: no copy while growing
    for (const auto& r : merged) {
      nft::Element e;
      e.key.resize(len);
      int_to_addr(r.first, e.key.data(), len);
      e.key_end.resize(len);
      int_to_addr(r.last, e.key_end.data(), len);
      st.elements.push_back(std::move(e));
    }
    return st;
  }

  // The kernel's time to add a named set grows with the sets already in
  // the table (each NEWSET and each lookup walks the table's list of sets
  // by name), so a table's load time grows with the square of its sets:
  // 5000 take about 1 s of kernel time, 10 000 about 5 s, 20 000 about 20 s.
  // Past kMaxSets the policy is refused rather than stalling apply.
  static constexpr size_t kMaxSets = 10000;

  template <typename Make>
  void ensure_set(const std::string& name, Make make) {
    if (!set_names_.insert(name).second) return;
    nft::Set set = make();
    if (table_.sets.size() >= kMaxSets && !too_many_sets_) {
      too_many_sets_ = true;
      diags_.error(
          set.origin.loc,
          fmt::format("the policy needs more than {} sets in the kernel (this one: {})", kMaxSets,
                      name),
          "each rule with several prefixes, interfaces or destination types gets a set, and the "
          "kernel's time to load a table grows with the square of its sets; give such rules one "
          "prefix each (matched in the rule), or merge rules with the same action and types into "
          "one "
          "rule with one list");
    }
    table_.sets.push_back(std::move(set));
  }

  static nft::Rule log_rule(nft::Rule conds, const policy::Log& log, nft::Origin origin) {
    nft::Rule r = std::move(conds);
    r.origin = std::move(origin);
    r.add(nft::Limit{log.rate, log.burst}, log.loc);
    r.add(nft::Log{log.prefix, log.group}, log.loc);
    return r;
  }

  // The statements one policy rule contributes to a key chain.
  void emit_rule(const policy::Rule& r, Family f, nft::Chain& chain) {
    // At most three statements follow the conditions (limit, counter, queue).
    auto conds = conditions(r, f, 3);
    auto origin = origin_of(r);
    // One kernel rule: the conditions, then `tail`. The rule's last one
    // takes the conditions and the origin, the others copy them.
    auto rule = [&](std::initializer_list<nft::Stmt> tail, bool last = false) {
      nft::Rule out;
      if (last) {
        out = std::move(conds);
        out.origin = std::move(origin);
      } else {
        out.stmts.reserve(conds.stmts.size() + tail.size());
        out.stmt_locs.reserve(conds.stmts.size() + tail.size());
        out.stmts = conds.stmts;
        out.stmt_locs = conds.stmt_locs;
        out.origin = origin;
      }
      for (const auto& s : tail) out.add(s, action_key_loc(s, r));
      chain.rules.push_back(std::move(out));
    };
    using nft::VerdictKind;
    // max-size: a longer message is dropped and counted before anything
    // else of the rule (its log, its limit) sees it.
    if (r.max_size)
      rule({nft::LongerThan{*r.max_size}, nft::CounterRef{counter_name(r) + ".oversize"},
            nft::Verdict{VerdictKind::drop, {}}});
    switch (r.action) {
      case Action::allow:
      case Action::drop:
        if (r.log) chain.rules.push_back(log_rule(conds, *r.log, origin));
        rule(
            {nft::CounterRef{counter_name(r)},
             nft::Verdict{r.action == Action::allow ? VerdictKind::accept : VerdictKind::drop, {}}},
            true);
        break;
      case Action::inspect: {
        if (r.log) chain.rules.push_back(log_rule(conds, *r.log, origin));
        nft::Queue q;
        q.num = r.inspect->queue;
        q.total = r.inspect->queues;
        q.bypass = r.inspect->fail_open;
        // Balanced by a hash of the addresses (not CPU fanout), so every
        // packet of a flow reaches the same worker and its flow state.
        q.fanout = false;
        if (!r.limit) {
          rule({nft::CounterRef{counter_name(r)}, q}, true);
          break;
        }
        // Rate-limit, then inspect: within the limit the packet is queued
        // (a verdict, so the rule ends there); over it, it falls to the
        // next rule and dies in the kernel, counted, never reaching the
        // worker: a flood cannot fill the queue and force fail-open.
        rule({limit_stmt(r, f), nft::CounterRef{counter_name(r)}, q});
        rule({nft::CounterRef{counter_name(r) + ".over"}, nft::Verdict{VerdictKind::drop, {}}},
             true);
        break;
      }
      case Action::rate_limit: {
        const auto& l = *r.limit;
        rule({limit_stmt(r, f), nft::CounterRef{counter_name(r)},
              nft::Verdict{VerdictKind::accept, {}}});
        if (r.log) chain.rules.push_back(log_rule(conds, *r.log, origin));
        if (l.over_drop)
          rule({nft::CounterRef{counter_name(r) + ".over"}, nft::Verdict{VerdictKind::drop, {}}},
               true);
        else
          rule({nft::CounterRef{counter_name(r) + ".over"}}, true);
        break;
      }
    }
  }

  // The limit a rule's packets must be within: one global token bucket
  // (the limit object rule.NAME), or one per source prefix (a dynamic set).
  nft::Stmt limit_stmt(const policy::Rule& r, Family f) {
    const auto& l = *r.limit;
    if (l.per_source) return per_source_limit(r, f, nft::Limit{l.rate, burst_of(l)});
    return nft::LimitRef{counter_name(r)};
  }

  nft::DynsetLimit per_source_limit(const policy::Rule& r, Family f, nft::Limit limit) {
    const auto& l = *r.limit;
    nft::DynsetLimit d;
    d.set = fmt::format("{}.sources.{}", r.name, fam_tag(f));
    d.key = f == Family::ipv4 ? nft::Field::ip_saddr : nft::Field::ip6_saddr;
    const size_t len = f == Family::ipv4 ? 4 : 16;
    const uint8_t plen = f == Family::ipv4 ? l.ipv4_prefix : l.ipv6_prefix;
    if (plen < len * 8) {
      d.mask.assign(len, 0);
      for (size_t bit = 0; bit < plen; ++bit)
        d.mask[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
    d.limit = limit;
    ensure_set(d.set, [&] {
      nft::Set st;
      st.name = d.set;
      st.key = f == Family::ipv4 ? nft::KeyType::ipv4_addr : nft::KeyType::ipv6_addr;
      st.dynamic = true;
      st.timeout_ms = l.timeout_s * 1000;
      st.size = l.max_sources;
      st.origin = {l.loc, fmt::format("per-source state of rule '{}'", r.name)};
      return st;
    });
    return d;
  }

  const policy::Policy& policy_;
  Diagnostics& diags_;
  nft::Table table_;
  const std::vector<policy::Precedence> precedence_;
  std::unordered_set<std::string> set_names_;
  bool too_many_sets_ = false;  // reported
};

}  // namespace

std::optional<nft::Table> compile(const policy::Policy& policy, Diagnostics& diags) {
  return Compiler(policy, diags).run();
}

}  // namespace icmpwall::compile
