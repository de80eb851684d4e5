// SPDX-License-Identifier: GPL-2.0-or-later
// The lint and the compiler agree on precedence: for every preset in
// policies/ and for pseudo-random policies (many rules with overlapping
// types, codes, conditions and hooks), for every hook, family, type and
// code a packet can have:
//   - the rules policy::Precedence says the packet meets (what the lint
//     judges by) are, in order, the README's definition of precedence,
//     written out here independently;
//   - the compiled table sends the packet through exactly those rules, in
//     that order (map element -> key chain -> the rules' counters);
//   - a rule the lint reports as never reached comes, in every compiled
//     chain it is in, after a rule the lint names as deciding first;
//   - a rule applies on a hook (policy::applies_to) iff it is in a compiled
//     chain of that hook;
//   - the compiler's errors are exactly the policy::conflicts.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/policy/lint.h"
#include "icmpwall/policy/parser.h"
#include "icmpwall/policy/precedence.h"

namespace icmpwall::compile {
namespace {

namespace fs = std::filesystem;
using policy::Family;
using policy::Hook;

std::string rendered(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += render(x);
  return out;
}

// ---- precedence as README.md "Precedence" defines it ---------------------------

std::vector<std::string> defined_order(const policy::Policy& p, Hook h, Family f, uint8_t type,
                                       uint8_t code) {
  struct Candidate {
    bool names_code;
    bool conditional;
    size_t index;
    std::string name;
  };
  std::vector<Candidate> found;
  for (size_t i = 0; i < p.rules.size(); ++i) {
    const auto& r = p.rules[i];
    const auto& hooks = r.scope.hooks;
    bool on_hook = hooks.empty() ? p.hook(h) != nullptr
                                 : std::find(hooks.begin(), hooks.end(), h) != hooks.end();
    if (!on_hook) continue;
    bool code_named = false, type_named = false;
    for (const auto& m : r.matches) {
      if (m.family != f || m.type != type) continue;
      if (m.code == code) code_named = true;
      if (!m.code) type_named = true;
    }
    if (code_named || type_named) found.push_back({code_named, r.scope.conditional(), i, r.name});
  }
  std::sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    return std::tuple(!a.names_code, !a.conditional, a.index) <
           std::tuple(!b.names_code, !b.conditional, b.index);
  });
  std::vector<std::string> out;
  for (const auto& c : found) out.push_back(c.name);
  return out;
}

std::vector<std::string> names(std::span<const policy::Rule* const> rules) {
  std::vector<std::string> out;
  for (const auto* r : rules) out.push_back(r->name);
  return out;
}

// ---- what the compiled table does -----------------------------------------------

const nft::Set* find_set(const nft::Table& t, const std::string& name) {
  for (const auto& s : t.sets)
    if (s.name == name) return &s;
  return nullptr;
}

const nft::Chain* find_chain(const nft::Table& t, const std::string& name) {
  for (const auto& c : t.chains)
    if (c.name == name) return &c;
  return nullptr;
}

// The policy rules a packet of (type, code) meets in the compiled table,
// in order: the key chain the verdict map sends it to, each rule named by
// its counter ("rule.NAME", "rule.NAME.over"). The log rule before a rule
// has no counter; a rule's statements are consecutive.
std::vector<std::string> compiled_order(const nft::Table& t, Hook h, Family f, uint8_t type,
                                        uint8_t code) {
  const std::string map_name =
      fmt::format("verdicts.{}.{}", policy::to_string(h), f == Family::ipv4 ? "v4" : "v6");
  const nft::Set* map = find_set(t, map_name);
  EXPECT_NE(map, nullptr) << map_name;
  if (!map) return {};
  const nft::SetKey key = {type, 0, 0, 0, code, 0, 0, 0};
  const nft::Element* hit = nullptr;
  for (const auto& e : map->elements) {
    const auto& last = e.key_end.empty() ? e.key : e.key_end;
    if (e.key <= key && key <= last) {
      EXPECT_EQ(hit, nullptr) << "overlapping elements in " << map_name;
      hit = &e;
    }
  }
  if (!hit) return {};
  const nft::Chain* chain = find_chain(t, hit->verdict->chain);
  EXPECT_NE(chain, nullptr) << hit->verdict->chain;
  if (!chain) return {};
  std::vector<std::string> out;
  for (const auto& r : chain->rules)
    for (const auto& s : r.stmts)
      if (const auto* c = std::get_if<nft::CounterRef>(&s)) {
        std::string name = c->name.substr(5);  // "rule."
        name = name.substr(0, name.find('.'));
        if (out.empty() || out.back() != name) out.push_back(name);
      }
  return out;
}

// ---- the lint's "never reached" warnings ----------------------------------------

struct Shadowed {
  std::string rule;
  std::vector<std::string> by;
};

std::vector<Shadowed> never_reached(const Diagnostics& d) {
  std::vector<Shadowed> out;
  const std::string marker = "' is never reached: ";
  for (const auto& x : d.items()) {
    auto at = x.message.find(marker);
    if (at == std::string::npos) continue;
    Shadowed s;
    s.rule = x.message.substr(6, at - 6);  // "rule '"
    for (const auto& rel : x.related)
      s.by.push_back(rel.message.substr(6, rel.message.find('\'', 6) - 6));
    out.push_back(std::move(s));
  }
  return out;
}

// ---- the check --------------------------------------------------------------------

struct Checked {
  size_t packets = 0;    // (hook, family, type, code) compared
  size_t shadowed = 0;   // never-reached warnings checked
  size_t conflicts = 0;  // conflicts found
};

// The codes worth asking about for a type: every code a rule names, and
// codes no rule names on either side of them.
std::vector<uint8_t> codes_to_ask(const policy::Policy& p, Family f, uint8_t type) {
  std::set<uint8_t> codes = {0, 1, 254, 255};
  for (const auto& r : p.rules)
    for (const auto& m : r.matches)
      if (m.family == f && m.type == type && m.code) {
        codes.insert(*m.code);
        if (*m.code > 0) codes.insert(*m.code - 1);
        if (*m.code < 255) codes.insert(*m.code + 1);
      }
  return {codes.begin(), codes.end()};
}

Checked check_agreement(const std::string& label, const std::string& text) {
  Checked checked;
  SCOPED_TRACE(label);
  Diagnostics diags;
  auto p = policy::parse_policy_text(label, text, diags);
  EXPECT_TRUE(p) << rendered(diags) << text;
  if (!p) return checked;
  policy::lint(*p, diags);
  const size_t lint_errors = diags.count(Severity::error);
  auto table = compile::compile(*p, diags);

  const auto all = policy::precedence(*p);
  const auto conflicts = policy::conflicts(all);
  checked.conflicts = conflicts.size();
  // The compiler's errors are exactly the conflicts, in order.
  std::vector<std::string> errors;
  for (const auto& d : diags.items())
    if (d.severity == Severity::error) errors.push_back(d.message);
  errors.erase(errors.begin(), errors.begin() + static_cast<std::ptrdiff_t>(lint_errors));
  EXPECT_EQ(errors.size(), conflicts.size()) << rendered(diags);
  for (size_t i = 0; i < std::min(errors.size(), conflicts.size()); ++i) {
    const auto& c = conflicts[i];
    EXPECT_NE(errors[i].find(fmt::format("rule '{}' ({}) conflicts with rule '{}'", c.second->name,
                                         policy::to_string(c.second->action), c.first->name)),
              std::string::npos)
        << errors[i];
    EXPECT_NE(c.first->action, c.second->action);
    EXPECT_TRUE(policy::same_conditions(c.first->scope, c.second->scope));
  }
  EXPECT_EQ(table.has_value(), conflicts.empty()) << rendered(diags);

  std::set<std::pair<std::string, Hook>> in_a_chain;
  for (const auto& prec : all) {
    std::set<uint8_t> types = {0, 255};  // and every type a rule names
    for (const auto& r : p->rules)
      for (const auto& m : r.matches)
        if (m.family == prec.family()) types.insert(m.type);
    for (uint8_t type : types)
      for (uint8_t code : codes_to_ask(*p, prec.family(), type)) {
        SCOPED_TRACE(fmt::format("hook {}, {} type {} code {}", policy::to_string(prec.hook()),
                                 policy::to_string(prec.family()), type, code));
        const auto defined = defined_order(*p, prec.hook(), prec.family(), type, code);
        EXPECT_EQ(names(prec.chain(type, code)), defined);
        ++checked.packets;
        if (!table) continue;
        const auto compiled = compiled_order(*table, prec.hook(), prec.family(), type, code);
        EXPECT_EQ(compiled, defined);
        for (const auto& name : compiled) in_a_chain.insert({name, prec.hook()});
        for (const auto& s : never_reached(diags)) {
          auto at = std::find(compiled.begin(), compiled.end(), s.rule);
          if (at == compiled.end()) continue;
          EXPECT_TRUE(std::any_of(compiled.begin(), at,
                                  [&](const std::string& n) {
                                    return std::find(s.by.begin(), s.by.end(), n) != s.by.end();
                                  }))
              << "rule '" << s.rule << "' is reported never reached, but none of the rules named "
              << "as deciding first comes before it";
        }
      }
  }
  checked.shadowed = never_reached(diags).size();
  if (!table) return checked;
  for (const auto& r : p->rules)
    for (const auto& hp : p->hooks)
      EXPECT_EQ(policy::applies_to(r, hp.hook, *p), in_a_chain.contains({r.name, hp.hook}))
          << "rule '" << r.name << "' on hook " << policy::to_string(hp.hook);
  return checked;
}

TEST(PrecedenceAgreementTest, EveryPreset) {
  const fs::path dir = fs::path(ICMPWALL_SOURCE_DIR) / "policies";
  size_t presets = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".toml") continue;
    std::ifstream in(e.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto checked = check_agreement(e.path().filename().string(), text);
    EXPECT_GT(checked.packets, 100u) << e.path();
    ++presets;
  }
  EXPECT_GE(presets, 3u);
}

// A later rule with another action whose conditions are equivalent for its
// family but not identical (the earlier rule also names an IPv6 prefix) is
// no conflict for the compiler, so it compiles, and the later rule is never
// reached: the lint says so. (Before, the lint took equivalence for a
// conflict and left it to the compiler, which reports only identical
// conditions: neither said anything.)
TEST(PrecedenceAgreementTest, EquivalentButNotIdenticalConditionsAreShadowedNotConflicting) {
  const std::string text = R"([hooks.input]
default = "allow"
[[rule]]
name = "a"
types = ["echo-request"]
source = ["198.18.0.0/16", "2001:db8::/32"]
action = "allow"
[[rule]]
name = "b"
types = ["echo-request"]
source = ["198.18.0.0/16"]
action = "drop"
)";
  Diagnostics diags;
  auto p = policy::parse_policy_text("p.toml", text, diags);
  ASSERT_TRUE(p) << rendered(diags);
  policy::lint(*p, diags);
  EXPECT_TRUE(compile::compile(*p, diags)) << rendered(diags);
  const auto shadowed = never_reached(diags);
  ASSERT_EQ(shadowed.size(), 1u) << rendered(diags);
  EXPECT_EQ(shadowed[0].rule, "b");
  EXPECT_EQ(shadowed[0].by, std::vector<std::string>{"a"});
  EXPECT_GT(check_agreement("p.toml", text).packets, 0u);
}

// ---- generated policies ------------------------------------------------------------

// A deterministic policy of overlapping rules: few types, codes, prefixes,
// interfaces and hop limits, so rules cover, shadow and (in one policy of
// four) conflict with each other. std::mt19937's output is the same on
// every platform; only its raw numbers are used.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed), conflicting_(seed % 4 == 0) {}

  std::string policy() {
    std::string out = "[icmpwall]\ntable = \"generated\"\n";
    out += fmt::format("role = \"{}\"\n", pick(2) ? "router" : "host");
    static const char* kHooks[] = {"input", "forward", "output"};
    std::vector<std::string> hooks;
    while (hooks.empty())
      for (const char* h : kHooks)
        if (pick(3) != 0) hooks.push_back(h);
    for (const auto& h : hooks)
      out += fmt::format("[hooks.{}]\ndefault = \"{}\"\n", h, pick(2) ? "drop" : "allow");
    const size_t rules = 10 + pick(70);
    for (size_t i = 0; i < rules; ++i) out += rule(i, hooks);
    return out;
  }

 private:
  uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  struct TypeEntry {
    const char* text;
    bool v4, v6;
  };

  std::string rule(size_t i, const std::vector<std::string>& declared) {
    static const TypeEntry kTypes[] = {
        {"echo-request", true, true},
        {"echo-reply", true, true},
        {"destination-unreachable", true, true},
        {"port-unreachable", true, true},
        {"frag-needed", true, false},
        {"destination-unreachable/1", true, true},
        {"time-exceeded", true, true},
        {"ttl-exceeded", true, true},
        {"packet-too-big", false, true},
        {"icmp:3/13", true, false},
        {"icmpv6:1/3", false, true},
        {"parameter-problem", true, true},
    };
    std::string types;
    bool v4 = false, v6 = false;
    std::set<uint32_t> chosen;
    for (uint32_t n = 1 + pick(3); chosen.size() < n;) chosen.insert(pick(std::size(kTypes)));
    for (uint32_t k : chosen) {
      types += fmt::format("{}\"{}\"", types.empty() ? "" : ", ", kTypes[k].text);
      v4 |= kTypes[k].v4;
      v6 |= kTypes[k].v6;
    }

    // Hooks: mostly none (every declared hook), else a subset of them.
    std::vector<std::string> hooks;
    if (pick(3) == 0)
      while (hooks.empty())
        for (const auto& h : declared)
          if (pick(2)) hooks.push_back(h);
    const auto& on = hooks.empty() ? declared : hooks;
    auto on_hook = [&](const char* h) { return std::find(on.begin(), on.end(), h) != on.end(); };

    // Conditions: each an index into a small pool (0: none).
    std::string conds;
    uint32_t key = 0;
    auto condition = [&](uint32_t choice, uint32_t pool, const std::string& line) {
      key = key * pool + choice;
      if (choice) conds += line;
    };
    static const char* kV4[] = {"198.18.0.0/15", "198.18.1.0/24", "198.19.0.0/16"};
    static const char* kV6[] = {"2001:db8::/32", "2001:db8:1::/48"};
    // Prefixes: only of families the rule's types still have, so it always
    // matches something; a rule's prefixes narrow it to their families.
    auto prefixes = [&](const char* what) {
      const uint32_t choice = pick(4);  // none, IPv4, IPv6, both
      bool want4 = choice == 1 || choice == 3, want6 = choice == 2 || choice == 3;
      if (choice != 0 && !(want4 && v4) && !(want6 && v6)) {
        want4 = v4;
        want6 = !v4;
      }
      const uint32_t k4 = want4 && v4 ? 1 + pick(std::size(kV4)) : 0;  // 0: none
      const uint32_t k6 = want6 && v6 ? 1 + pick(std::size(kV6)) : 0;
      std::string list;
      if (k4) list += fmt::format("\"{}\"", kV4[k4 - 1]);
      if (k6) list += fmt::format("{}\"{}\"", k4 ? ", " : "", kV6[k6 - 1]);
      if (k4 || k6) {
        v4 = k4 != 0;
        v6 = k6 != 0;
      }
      condition(k4 * 3 + k6, 12, fmt::format("{} = [{}]\n", what, list));
    };
    prefixes("source");
    prefixes("destination");
    // iif is meaningless on output, oif on input.
    uint32_t iif = on_hook("output") ? 0 : pick(4) % 3;
    condition(iif, 3, fmt::format("iif = \"eth{}\"\n", iif));
    uint32_t oif = !on_hook("input") && pick(4) == 0 ? 1 : 0;
    condition(oif, 2, "oif = \"eth9\"\n");
    uint32_t hop = pick(5) % 3;
    condition(hop, 3, fmt::format("hop-limit = {}\n", hop == 1 ? 255 : 64));
    uint32_t dest_type = pick(6) % 3;
    condition(dest_type, 3,
              dest_type == 1 ? "destination-type = \"broadcast\"\n"
                             : "destination-type = [\"multicast\", \"broadcast\"]\n");

    // The action: one per set of conditions, so rules with identical
    // conditions shadow each other, unless this policy is to conflict.
    static const char* kActions[] = {"allow", "drop", "rate-limit", "inspect"};
    const uint32_t action = conflicting_ ? pick(4) : (key * 2654435761u >> 7) % 4;
    std::string out = fmt::format("[[rule]]\nname = \"r{}\"\ntypes = [{}]\n", i, types);
    if (!hooks.empty()) {
      out += "hooks = [";
      for (size_t k = 0; k < hooks.size(); ++k)
        out += fmt::format("{}\"{}\"", k ? ", " : "", hooks[k]);
      out += "]\n";
    }
    out += conds;
    out += fmt::format("action = \"{}\"\n", kActions[action]);
    if (action == 2)
      out += fmt::format("rate = \"10/second\"\nover = \"{}\"\n", pick(3) ? "drop" : "continue");
    if (action == 3 && pick(2)) out += "rate = \"100/second\"\n";
    return out;
  }

  std::mt19937 rng_;
  bool conflicting_;
};

TEST(PrecedenceAgreementTest, GeneratedPolicies) {
  Checked total;
  size_t with_conflicts = 0;
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    const std::string text = Generator(seed).policy();
    auto checked = check_agreement(fmt::format("generated-{}.toml", seed), text);
    total.packets += checked.packets;
    total.shadowed += checked.shadowed;
    total.conflicts += checked.conflicts;
    with_conflicts += checked.conflicts > 0;
    if (HasFailure()) {
      ADD_FAILURE() << "seed " << seed << ":\n" << text;
      break;
    }
  }
  // The generator reaches what it is for: many packets, shadowed rules and
  // conflicting policies, as well as policies that compile.
  RecordProperty("packets", static_cast<int>(total.packets));
  RecordProperty("shadowed", static_cast<int>(total.shadowed));
  EXPECT_GT(total.packets, 40000u);
  EXPECT_GT(total.shadowed, 200u);
  EXPECT_GT(with_conflicts, 20u);
  EXPECT_LE(with_conflicts, 100u);  // only the policies meant to conflict
}

}  // namespace
}  // namespace icmpwall::compile
