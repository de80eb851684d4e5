// SPDX-License-Identifier: GPL-2.0-or-later
// The RFC lint (README.md, "Lint").
//
// Most checks ask what the policy *does* to a kind of packet, not which
// words it uses: for a hook, a family, a type and a code, `outcomes()`
// walks the candidate rules in the order the compiled chains try them
// (policy::Precedence, which the compiler lays its chains out by: code-
// specific rules first; within each, rules with conditions first; then
// file order) and collects every verdict a packet could meet, down to the
// first rule that certainly matches, or the hook's default.
//
// A packet is reported as dropped when an unconditional drop (a rule
// without conditions, or the hook's default) decides it and no rule before
// let it through: a rule with conditions (a source, an interface, a hop
// limit) is a deliberate exception, so "allow nd-neighbor-solicit with
// hop-limit = 255, drop the rest" is fine, while "drop
// destination-unreachable" or a default of drop with no rule allowing
// packet-too-big is not. The checks on what a rule allows (neighbor
// discovery without hop-limit = 255, MLD from anywhere, deprecated types)
// look at the rule itself.
//
// Path MTU discovery is stricter: a rule that drops frag-needed (ICMPv4
// 3/4) or packet-too-big (ICMPv6 2), by name or through its whole type, is
// an error, and so is such a rule restricted only to interfaces (a rule
// that hides a router's errors toward an outside interface must not take
// the MTU signals with it). A hook's default that drops them, and rate
// limits on them, are warnings.
//
// Warnings are merged per rule (or hook default) and kind, so one rule
// dropping destination-unreachable in both families on two hooks gives one
// warning, at the rule's position.
#include "icmpwall/policy/lint.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <span>
#include <tuple>

#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/policy/precedence.h"
#include "lint_shadowed.h"

namespace icmpwall::policy {
namespace {

constexpr Family v4 = Family::ipv4;
constexpr Family v6 = Family::ipv6;

// ---- what the policy does to a packet --------------------------------------------

enum class Fate { allow, drop, limited, inspect };

struct Outcome {
  Fate fate;
  const Rule* rule;  // null: the hook's default
  bool conditional;  // the rule has conditions the packet may not meet
};

// The packet being asked about. A known destination type makes
// `destination-type` conditions decidable.
struct Packet {
  Hook hook;
  Family family;
  uint8_t type;
  uint8_t code;
  std::optional<AddrType> dest_type;
};

// The rules a packet meets, in the order the compiled chains try them.
std::span<const Rule* const> candidates(const std::vector<Precedence>& all, const Packet& pkt) {
  for (const auto& prec : all)
    if (prec.hook() == pkt.hook && prec.family() == pkt.family)
      return prec.chain(pkt.type, pkt.code);
  return {};
}

std::vector<Outcome> outcomes(const std::vector<Precedence>& all, const HookPolicy& hp,
                              const Packet& pkt) {
  std::vector<Outcome> out;
  for (const Rule* r : candidates(all, pkt)) {
    const Scope& s = r->scope;
    const auto& dt = s.destination_type;
    if (pkt.dest_type && !dt.empty() && std::find(dt.begin(), dt.end(), *pkt.dest_type) == dt.end())
      continue;
    bool conditional = !s.iif.empty() || !s.oif.empty() || !s.source.empty() ||
                       !s.destination.empty() || s.hop_limit.has_value() ||
                       (!dt.empty() && !pkt.dest_type);
    switch (r->action) {
      case Action::allow: out.push_back({Fate::allow, r, conditional}); break;
      case Action::drop: out.push_back({Fate::drop, r, conditional}); break;
      case Action::inspect: out.push_back({Fate::inspect, r, conditional}); break;
      case Action::rate_limit: out.push_back({Fate::limited, r, conditional}); break;
    }
    bool decides = r->action != Action::rate_limit || !r->limit || r->limit->over_drop;
    if (!conditional && decides) return out;
  }
  out.push_back({hp.default_action == Action::drop ? Fate::drop : Fate::allow, nullptr, false});
  return out;
}

// A rule whose only conditions are interfaces: it drops on a path, not a
// deliberate exception for some senders or destinations.
bool interfaces_only(const Rule* r) {
  if (!r) return false;
  const Scope& s = r->scope;
  return (!s.iif.empty() || !s.oif.empty()) && s.source.empty() && s.destination.empty() &&
         !s.hop_limit && s.destination_type.empty();
}

// The unconditional drops that decide a packet no earlier rule let through;
// with `paths`, also the drops restricted to interfaces only.
std::vector<const Outcome*> droppers(const std::vector<Outcome>& outs, bool paths = false) {
  std::vector<const Outcome*> found;
  bool let_through = false;
  for (const auto& o : outs) {
    if (o.fate != Fate::drop) {
      let_through = true;
    } else if ((!o.conditional || (paths && interfaces_only(o.rule))) && !let_through) {
      found.push_back(&o);
    }
  }
  return found;
}

// " from r1 to wan0": the interfaces a rule is restricted to.
std::string interfaces_of(const Rule* r) {
  if (!interfaces_only(r)) return {};
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  std::string out;
  if (!r->scope.iif.empty()) out += " from " + list(r->scope.iif);
  if (!r->scope.oif.empty()) out += " to " + list(r->scope.oif);
  return out;
}

// Codes worth asking about for a type: the named ones and any a rule names.
std::vector<uint8_t> codes_of(const Policy& p, Family f, uint8_t type) {
  std::vector<uint8_t> codes;
  for (const auto& c : icmp_codes())
    if (c.family == f && c.type == type) codes.push_back(c.code);
  for (const auto& r : p.rules)
    for (const auto& m : r.matches)
      if (m.family == f && m.type == type && m.code) codes.push_back(*m.code);
  if (codes.empty()) codes.push_back(0);
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return codes;
}

const char* family_word(Family f) {
  return f == v4 ? "ICMPv4" : "ICMPv6";
}

// ---- collecting warnings ----------------------------------------------------------

enum class Kind {
  pmtu,
  nd_dropped,
  nd_hop_limit,
  mld_source,
  errors_dropped,
  unreach_dropped,
  deprecated,
  redirect,
  smurf,
  echo_request,
  echo_reply
};

struct Finding {
  Kind kind;
  const Rule* rule = nullptr;        // or
  const HookPolicy* hook = nullptr;  // the hook's default
  std::string verb;                  // "drops", "rate-limits", ...
  std::string tail;                  // after the hooks: " without hop-limit = 255"
  // What it does that to: names, each with the families it applies in.
  std::vector<std::pair<std::string, std::vector<Family>>> what;
  std::vector<Hook> hooks;
};

struct Text {
  const char* consequence;
  const char* hint;
};

Text text_of(Kind k) {
  switch (k) {
    case Kind::pmtu:
      return {
          "path MTU discovery breaks and TCP connections stall in black holes (RFC 1191, RFC 8201, "
          "RFC 4890 4.3.1)",
          R"(let them through: types = ["frag-needed", "packet-too-big"], action = "allow")"};
    case Kind::nd_dropped:
      return {
          "IPv6 stops working on the link (RFC 4861, RFC 4890 4.4.1)",
          R"(allow neighbor discovery from the link: types = ["nd-neighbor-solicit", "nd-neighbor-advert", )"
          R"("nd-router-solicit", "nd-router-advert"], hop-limit = 255, action = "allow")"};
    case Kind::nd_hop_limit:
      return {"off-link hosts can forge neighbor discovery (RFC 4861 6.1.1, 7.1.1)",
              "add hop-limit = 255"};
    case Kind::mld_source:
      return {"MLD messages must come from link-local addresses (RFC 2710, RFC 3810)",
              R"(add source = ["fe80::/10"] (and "::/128" for reports sent during DAD))"};
    case Kind::errors_dropped:
      return {
          "traceroute and error reporting break (RFC 1122 3.2.2, RFC 4890 4.3.1)",
          R"(let them through: types = ["time-exceeded", "parameter-problem"], action = "allow")"};
    case Kind::unreach_dropped:
      return {
          "connections to unreachable destinations hang instead of failing fast (RFC 1122 3.2.2.1)",
          R"(let them through: types = ["destination-unreachable"], action = "allow")"};
    case Kind::deprecated:
      return {
          "these types are deprecated, have no legitimate use and only serve attacks (RFC 6918, "
          "RFC 6633)",
          "drop them, or leave them to a default of drop"};
    case Kind::redirect:
      return {"a router must not take its routes from redirects (RFC 1812 5.2.7.2, RFC 4861 8.1)",
              R"(drop them on input: types = ["redirect"], hooks = ["input"], action = "drop")"};
    case Kind::smurf:
      return {
          "the network becomes a smurf amplifier (RFC 2644)",
          R"(drop them first: types = ["echo-request"], destination-type = ["broadcast", "multicast"], )"
          R"(hooks = ["forward"], action = "drop")"};
    case Kind::echo_request:
      return {
          "a host MUST answer echo requests (RFC 1122 3.2.2.6)",
          R"(add a rule for them, e.g. types = ["echo-request"], action = "rate-limit", rate = "10/second")"};
    case Kind::echo_reply:
      return {
          "a host MUST answer echo requests (RFC 1122 3.2.2.6)",
          R"(add a rule for them, e.g. types = ["echo-reply"], hooks = ["output"], action = "allow")"};
  }
  return {"", ""};
}

class Linter {
 public:
  Linter(const Policy& p, Diagnostics& d) : p_(p), diags_(d), prec_(precedence(p)) {}

  void run() {
    check_drops();
    check_rule_allows();
    check_redirects();
    check_inspect_redirects();
    check_smurf();
    check_echo();
    emit();
    check_fragments();
    check_max_size();
    check_shadowed(p_, diags_);
  }

 private:
  void note(Kind kind, const Outcome& o, const HookPolicy& hp, std::string verb,
            std::optional<Family> family, std::string name, std::string tail = {}) {
    // One finding per (kind, rule or hook default, verb): an index, since
    // a policy may hold 100 000 rules.
    const HookPolicy* hook = o.rule ? nullptr : &hp;
    auto [slot, fresh] = finding_index_.try_emplace({kind, o.rule, hook, verb}, findings_.size());
    if (fresh) findings_.push_back({kind, o.rule, hook, std::move(verb), std::move(tail), {}, {}});
    Finding* f = &findings_[slot->second];
    auto it = std::find_if(f->what.begin(), f->what.end(),
                           [&](const auto& w) { return w.first == name; });
    if (it == f->what.end()) {
      f->what.push_back({std::move(name), {}});
      it = f->what.end() - 1;
    }
    if (family && std::find(it->second.begin(), it->second.end(), *family) == it->second.end())
      it->second.push_back(*family);
    if (std::find(f->hooks.begin(), f->hooks.end(), hp.hook) == f->hooks.end())
      f->hooks.push_back(hp.hook);
  }

  static std::string name_of(Family f, uint8_t type, std::optional<uint8_t> code = {}) {
    return code ? describe(f, type, code) : describe(f, type);
  }

  // PMTU messages, neighbor discovery, error messages: not to be dropped.
  void check_drops() {
    for (const auto& hp : p_.hooks) {
      // Path MTU discovery: neither dropped nor rate-limited.
      for (auto [f, type, code] :
           {std::tuple{v4, uint8_t{3}, uint8_t{4}}, std::tuple{v6, uint8_t{2}, uint8_t{0}}}) {
        auto outs = outcomes(prec_, hp, {hp.hook, f, type, code, {}});
        std::string what = f == v4 ? "frag-needed" : "packet-too-big";
        // A drop restricted to interfaces breaks PMTUD on that path (an
        // outside interface is exactly where it matters).
        for (const auto* o : droppers(outs, true))
          note(Kind::pmtu, *o, hp, "drops", f, what, interfaces_of(o->rule));
        for (const auto& o : outs)
          if (o.fate == Fate::limited || (o.fate == Fate::inspect && o.rule && o.rule->limit))
            note(Kind::pmtu, o, hp, "rate-limits", f, what);
      }
      // Neighbor discovery, on the hooks that see it.
      if (hp.hook != Hook::forward) {
        bool router = p_.role == Role::router;
        std::vector<uint8_t> nd = {135, 136};  // neighbor solicitation and advertisement
        if (hp.hook == Hook::input) nd.push_back(router ? 133 : 134);   // what the node receives
        if (hp.hook == Hook::output) nd.push_back(router ? 134 : 133);  // what it sends
        for (uint8_t t : nd) {
          auto outs = outcomes(prec_, hp, {hp.hook, v6, t, 0, {}});
          for (const auto* o : droppers(outs))
            note(Kind::nd_dropped, *o, hp, "drops", v6, name_of(v6, t));
        }
      }
      // Error messages.
      for (auto [f, type, kind] : {std::tuple{v4, uint8_t{11}, Kind::errors_dropped},
                                   std::tuple{v4, uint8_t{12}, Kind::errors_dropped},
                                   std::tuple{v6, uint8_t{3}, Kind::errors_dropped},
                                   std::tuple{v6, uint8_t{4}, Kind::errors_dropped},
                                   std::tuple{v4, uint8_t{3}, Kind::unreach_dropped},
                                   std::tuple{v6, uint8_t{1}, Kind::unreach_dropped}}) {
        for (uint8_t code : codes_of(p_, f, type)) {
          if (f == v4 && type == 3 && code == 4) continue;  // frag-needed: the PMTU warning says it
          auto outs = outcomes(prec_, hp, {hp.hook, f, type, code, {}});
          for (const auto* o : droppers(outs)) note(kind, *o, hp, "drops", f, name_of(f, type));
        }
      }
    }
  }

  static bool link_local_or_unspecified(const Prefix& p) {
    if (p.family != v6) return false;
    if (p.len == 128 && std::all_of(p.addr.begin(), p.addr.end(), [](uint8_t b) { return b == 0; }))
      return true;
    return p.len >= 10 && p.addr[0] == 0xfe && (p.addr[1] & 0xc0) == 0x80;
  }

  // What a rule lets in on input: neighbor discovery, MLD, deprecated types.
  void check_rule_allows() {
    const HookPolicy* input = p_.hook(Hook::input);
    for (const auto& r : p_.rules) {
      if (r.action != Action::allow && r.action != Action::rate_limit) continue;
      const char* verb = r.action == Action::allow ? "allows" : "lets through (rate-limited)";
      const Outcome o{Fate::allow, &r, false};
      for (const auto& hp : p_.hooks) {
        if (!applies_to(r, hp.hook, p_)) continue;
        for (const auto& m : r.matches) {
          const auto* info = find_type(m.family, m.type);
          if (info && info->deprecated)
            note(Kind::deprecated, o, hp, verb, m.family, name_of(m.family, m.type, m.code));
        }
      }
      if (!input || !applies_to(r, Hook::input, p_)) continue;
      for (const auto& m : r.matches) {
        if (m.family != v6) continue;
        if (m.type >= 133 && m.type <= 137 && r.scope.hop_limit != 255)
          note(Kind::nd_hop_limit, o, *input, verb, m.family, name_of(m.family, m.type, m.code),
               " without hop-limit = 255");
        bool mld = m.type == 130 || m.type == 131 || m.type == 132 || m.type == 143;
        bool link_local =
            std::any_of(r.scope.source.begin(), r.scope.source.end(),
                        [](const Prefix& s) { return s.family == v6; }) &&
            std::all_of(r.scope.source.begin(), r.scope.source.end(), [](const Prefix& s) {
              return s.family != v6 || link_local_or_unspecified(s);
            });
        if (mld && !link_local)
          note(Kind::mld_source, o, *input, verb, m.family, name_of(m.family, m.type, m.code),
               " from sources that are not link-local");
      }
    }
  }

  // A router accepting redirects on input.
  void check_redirects() {
    const HookPolicy* input = p_.hook(Hook::input);
    if (p_.role != Role::router || !input) return;
    for (auto [f, type] : {std::pair{v4, uint8_t{5}}, std::pair{v6, uint8_t{137}}})
      for (uint8_t code : codes_of(p_, f, type))
        for (const auto& o : outcomes(prec_, *input, {Hook::input, f, type, code, {}}))
          if (o.fate == Fate::allow || o.fate == Fate::limited)
            note(Kind::redirect, o, *input, "accepts", f, name_of(f, type));
  }

  // A router whose inspection worker is told to accept redirects.
  void check_inspect_redirects() {
    const InspectSetting* accept = p_.inspect.find("redirect", "accept");
    if (p_.role != Role::router || !accept || !accept->value.flag) return;
    diags_.warning(
        accept->loc,
        "[inspect.redirect] accept = true on a router: a router must not take its routes from "
        "redirects (RFC 1812 5.2.7.2, RFC 4861 8.1)",
        "remove 'accept' (a router's inspection worker refuses redirects by default)");
  }

  // Echo requests forwarded to broadcast or multicast destinations.
  void check_smurf() {
    const HookPolicy* fwd = p_.hook(Hook::forward);
    if (!fwd) return;
    for (auto [f, type, dest] : {std::tuple{v4, uint8_t{8}, AddrType::broadcast},
                                 std::tuple{v4, uint8_t{8}, AddrType::multicast},
                                 std::tuple{v6, uint8_t{128}, AddrType::multicast}}) {
      for (const auto& o : outcomes(prec_, *fwd, {Hook::forward, f, type, 0, dest})) {
        if (o.fate != Fate::allow && o.fate != Fate::limited) continue;
        // A rule with other conditions (a source, an interface) that does not
        // name the destination type is a deliberate exception.
        bool names_dest = o.rule && !o.rule->scope.destination_type.empty();
        if (o.conditional && !names_dest) continue;
        note(Kind::smurf, o, *fwd, "lets through", f, "echo-request");
        smurf_dests_.push_back(dest);
      }
    }
  }

  // A hook dropping echo by default with no rule for it.
  void check_echo() {
    for (const auto& hp : p_.hooks) {
      if (hp.default_action != Action::drop || hp.hook == Hook::forward) continue;
      bool requests = hp.hook == Hook::input;  // input: requests in; output: replies out
      for (Family f : {v4, v6}) {
        uint8_t type = requests ? (f == v4 ? 8 : 128) : (f == v4 ? 0 : 129);
        bool named = std::any_of(prec_.begin(), prec_.end(), [&](const Precedence& prec) {
          return prec.hook() == hp.hook && prec.family() == f && prec.type(type);
        });
        if (!named)
          note(requests ? Kind::echo_request : Kind::echo_reply, {Fate::drop, nullptr, false}, hp,
               "drops", f, name_of(f, type), ", and no rule names them");
      }
    }
  }

  void emit() {
    std::stable_sort(findings_.begin(), findings_.end(), [](const Finding& a, const Finding& b) {
      const SourceLoc& la = a.rule ? a.rule->loc : a.hook->loc;
      const SourceLoc& lb = b.rule ? b.rule->loc : b.hook->loc;
      return std::tie(la.line, la.col) < std::tie(lb.line, lb.col);
    });
    for (const auto& f : findings_) {
      // "ICMPv4 and ICMPv6 time-exceeded", "ICMPv6 nd-neighbor-solicit and nd-neighbor-advert".
      auto families_of = [](std::vector<Family> families) {
        std::sort(families.begin(), families.end());
        std::vector<std::string> words;
        for (Family fam : families) words.push_back(family_word(fam));
        return join_and(words);
      };
      bool same_families = std::all_of(f.what.begin(), f.what.end(), [&](const auto& w) {
        return families_of(w.second) == families_of(f.what.front().second);
      });
      std::vector<std::string> parts;
      for (const auto& [name, families] : f.what)
        parts.push_back(same_families ? name : fmt::format("{} {}", families_of(families), name));
      std::string what = join_and(parts);
      if (same_families) what = families_of(f.what.front().second) + " " + what;
      if (f.kind == Kind::smurf) {
        std::vector<std::string> dests;
        for (auto d : smurf_dests_)
          if (std::find(dests.begin(), dests.end(), to_string(d)) == dests.end())
            dests.push_back(to_string(d));
        what += fmt::format(" to {} destinations", join_and(dests));
      }
      std::vector<std::string> hook_names;
      for (auto h : f.hooks) hook_names.push_back(to_string(h));
      Text t = text_of(f.kind);
      // A rule that drops PMTU messages is an error; a hook's default that
      // does (no rule names them) stays a warning, as rate limits do.
      const bool error = f.kind == Kind::pmtu && f.rule && f.verb == "drops";
      if (f.rule) {
        std::string message = fmt::format("rule '{}' {} {} on {}{}: {}", f.rule->name, f.verb, what,
                                          join_and(hook_names), f.tail, t.consequence);
        if (error)
          diags_.error(f.rule->loc, std::move(message), t.hint);
        else
          diags_.warning(f.rule->loc, std::move(message), t.hint);
      } else {
        diags_.warning(f.hook->loc,
                       fmt::format("the default of hook {} {} {}{}: {}", to_string(f.hook->hook),
                                   f.verb, what, f.tail, t.consequence),
                       t.hint);
      }
    }
  }

  static std::string join_and(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i)
      out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    return out;
  }

  // Inspection without reassembly sees only the first fragment of a
  // fragmented message: whatever a sender puts in the later fragments
  // passes uninspected (RFC 1858 on filters that see only first fragments).
  void check_fragments() {
    if (p_.fragments == Fragments::reassemble) return;
    const Rule* first = nullptr;
    for (const auto& r : p_.rules)
      if (r.action == Action::inspect) {
        first = &r;
        break;
      }
    if (!first) return;
    const SourceLoc& loc = p_.fragments_loc.known() ? p_.fragments_loc : first->loc;
    diags_.warning(
        loc,
        fmt::format(
            "rule '{}' inspects, but fragments = \"{}\": the inspection worker sees only the "
            "first fragment of a fragmented message, so data in later fragments is never "
            "inspected (RFC 1858)",
            first->name, to_string(p_.fragments)),
        "set fragments = \"reassemble\" under [icmpwall]: the kernel then reassembles (conntrack) "
        "before the filter hooks and the worker sees whole messages");
  }

  // The smallest valid message of a type, header included, and why.
  struct Smallest {
    uint16_t bytes;
    const char* what;
  };
  static Smallest smallest(Family f, uint8_t type) {
    if (f == v4) {
      switch (type) {
        case 3:
        case 4:
        case 5:
        case 11:
        case 12:
          return {36,
                  "its 8-byte header and the IP header and first 8 bytes of the datagram it "
                  "quotes (RFC 792)"};
        case 13:
        case 14: return {20, "its 8-byte header and three 4-byte timestamps (RFC 792)"};
        case 17:
        case 18: return {12, "its 8-byte header and the 4-byte mask (RFC 950)"};
        default: return {8, "the ICMP header alone: type, code, checksum and 4 more bytes"};
      }
    }
    switch (type) {
      case 1:
      case 2:
      case 3:
      case 4:
        return {48,
                "its 8-byte header and the 40-byte IPv6 header of the packet it quotes "
                "(RFC 4443)"};
      case 130:
      case 131:
      case 132: return {24, "its 8-byte header and the 16-byte multicast address (RFC 2710)"};
      case 134:
        return {16, "its 8-byte header and 8 bytes of reachable and retransmit times (RFC 4861)"};
      case 135:
      case 136: return {24, "its 8-byte header and the 16-byte target address (RFC 4861)"};
      case 137:
        return {40, "its 8-byte header and the target and destination addresses (RFC 4861)"};
      default: return {8, "the ICMPv6 header alone: type, code, checksum and 4 more bytes"};
    }
  }

  // max-size below the smallest message of a type the rule names: every
  // such packet is dropped as oversize.
  void check_max_size() {
    for (const auto& r : p_.rules) {
      if (!r.max_size) continue;
      const IcmpMatch* worst = nullptr;
      for (const auto& m : r.matches)
        if (!worst || smallest(m.family, m.type).bytes > smallest(worst->family, worst->type).bytes)
          worst = &m;
      if (!worst) continue;
      const Smallest least = smallest(worst->family, worst->type);
      if (*r.max_size >= least.bytes) continue;
      diags_.warning(
          r.max_size_loc,
          fmt::format("rule '{}' has max-size = {}, less than the smallest {} {} ({} bytes): every "
                      "one of them is dropped as oversize",
                      r.name, *r.max_size, family_word(worst->family),
                      describe(worst->family, worst->type), least.bytes),
          fmt::format("max-size counts the whole ICMP message: {}; write max-size = {} or more",
                      least.what, least.bytes));
    }
  }

  const Policy& p_;
  Diagnostics& diags_;
  const std::vector<Precedence> prec_;  // per declared hook and family
  std::vector<Finding> findings_;
  std::map<std::tuple<Kind, const Rule*, const HookPolicy*, std::string>, size_t> finding_index_;
  std::vector<AddrType> smurf_dests_;
};

}  // namespace

void lint(const Policy& policy, Diagnostics& diags) {
  Linter(policy, diags).run();
}

}  // namespace icmpwall::policy
