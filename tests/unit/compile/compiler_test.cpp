// SPDX-License-Identifier: GPL-2.0-or-later
// Compiler unit tests on policy trees built in code: table layout,
// precedence inside key chains, code-space splitting of the verdict map,
// conflicts, prefix merging and per-source limits.
#include "icmpwall/compile/compiler.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "icmpwall/compile/render.h"

using namespace icmpwall;
using policy::Action;
using policy::Family;
using policy::Hook;

namespace {

auto file() {
  static auto f = std::make_shared<SourceFile>("p.toml", std::string(40, '\n'));
  return f;
}
SourceLoc at(uint32_t line) {
  return {file(), line, 1};
}

policy::Rule rule(std::string name, uint32_t line, Action a,
                  std::vector<policy::IcmpMatch> matches) {
  policy::Rule r;
  r.name = std::move(name);
  r.loc = at(line);
  r.action = a;
  r.action_loc = at(line);
  r.matches = std::move(matches);
  return r;
}

policy::IcmpMatch v4(uint8_t type, std::optional<uint8_t> code = {}) {
  return {Family::ipv4, type, code, {}};
}
policy::IcmpMatch v6(uint8_t type, std::optional<uint8_t> code = {}) {
  return {Family::ipv6, type, code, {}};
}

policy::Policy base_policy(Action def = Action::drop) {
  policy::Policy p;
  p.hooks.push_back({Hook::input, def, std::nullopt, at(1)});
  return p;
}

const nft::Chain* chain(const nft::Table& t, const std::string& name) {
  for (const auto& c : t.chains)
    if (c.name == name) return &c;
  return nullptr;
}
const nft::Set* set(const nft::Table& t, const std::string& name) {
  for (const auto& s : t.sets)
    if (s.name == name) return &s;
  return nullptr;
}

// The counter names a chain's rules reference, in order.
std::vector<std::string> counters(const nft::Chain& c) {
  std::vector<std::string> out;
  for (const auto& r : c.rules)
    for (const auto& s : r.stmts)
      if (auto* cr = std::get_if<nft::CounterRef>(&s)) out.push_back(cr->name);
  return out;
}

nft::Table compile_ok(const policy::Policy& p) {
  Diagnostics d;
  auto t = compile::compile(p, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_TRUE(t.has_value());
  return t ? *t : nft::Table{};
}

TEST(CompilerTest, BaseChainOnlyDivertsIcmpOfEachFamily) {
  auto p = base_policy();
  p.rules.push_back(rule("echo", 2, Action::allow, {v4(8), v6(128)}));
  auto t = compile_ok(p);
  const auto* in = chain(t, "input");
  ASSERT_NE(in, nullptr);
  ASSERT_TRUE(in->base.has_value());
  EXPECT_FALSE(in->base->policy_drop);  // non-ICMP is never touched
  ASSERT_EQ(in->rules.size(), 2u);
  for (const auto& r : in->rules) {
    ASSERT_EQ(r.stmts.size(), 3u);
    EXPECT_EQ(std::get<nft::Match>(r.stmts[0]).field, nft::Field::nfproto);
    EXPECT_EQ(std::get<nft::Match>(r.stmts[1]).field, nft::Field::l4proto);
    EXPECT_EQ(std::get<nft::Verdict>(r.stmts[2]).kind, nft::VerdictKind::jump);
  }
  EXPECT_EQ(std::get<nft::Verdict>(in->rules[0].stmts[2]).chain, "input.v4");
  EXPECT_EQ(std::get<nft::Verdict>(in->rules[1].stmts[2]).chain, "input.v6");
  // The dispatcher decides fragments and ends with the hook default.
  const auto* disp = chain(t, "input.v4");
  ASSERT_NE(disp, nullptr);
  EXPECT_EQ(counters(*disp), (std::vector<std::string>{"fragments.input", "default.input"}));
  EXPECT_EQ(std::get<nft::Verdict>(disp->rules.back().stmts.back()).kind, nft::VerdictKind::drop);
}

TEST(CompilerTest, CodeSpecificRuleSplitsTheTypeRange) {
  auto p = base_policy();
  p.rules.push_back(rule("unreach", 2, Action::drop, {v4(3)}));
  p.rules.push_back(rule("pmtud", 3, Action::allow, {v4(3, 4)}));
  auto t = compile_ok(p);
  const auto* map = set(t, "verdicts.input.v4");
  ASSERT_NE(map, nullptr);
  ASSERT_EQ(map->elements.size(), 3u);
  auto code_lo = [](const nft::Element& e) { return e.key.at(4); };
  auto code_hi = [](const nft::Element& e) {
    return e.key_end.empty() ? e.key.at(4) : e.key_end.at(4);
  };
  EXPECT_EQ(code_lo(map->elements[0]), 0);
  EXPECT_EQ(code_hi(map->elements[0]), 3);
  EXPECT_EQ(code_lo(map->elements[1]), 4);
  EXPECT_EQ(code_hi(map->elements[1]), 4);
  EXPECT_EQ(code_lo(map->elements[2]), 5);
  EXPECT_EQ(code_hi(map->elements[2]), 255);
  EXPECT_EQ(map->elements[1].verdict->chain, "input.v4.3.4");
  EXPECT_EQ(map->elements[0].verdict->chain, "input.v4.3");
  // The code chain tries the code rule first, then falls back to the type-wide rule.
  const auto* code_chain = chain(t, "input.v4.3.4");
  ASSERT_NE(code_chain, nullptr);
  EXPECT_EQ(counters(*code_chain), (std::vector<std::string>{"rule.pmtud", "rule.unreach"}));
}

TEST(CompilerTest, ConditionalRulesPrecedeUnconditionalOnes) {
  auto p = base_policy();
  p.rules.push_back(rule("all", 2, Action::allow, {v4(8)}));
  auto cond = rule("bcast", 3, Action::drop, {v4(8)});
  cond.scope.destination_type = {policy::AddrType::broadcast};
  p.rules.push_back(cond);
  auto t = compile_ok(p);
  const auto* c = chain(t, "input.v4.8");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(counters(*c), (std::vector<std::string>{"rule.bcast", "rule.all"}));
}

TEST(CompilerTest, ConflictingActionsAreAnErrorPointingAtBothRules) {
  auto p = base_policy();
  p.rules.push_back(rule("a", 5, Action::allow, {v4(8)}));
  p.rules.push_back(rule("b", 9, Action::drop, {v4(8)}));
  Diagnostics d;
  EXPECT_FALSE(compile::compile(p, d).has_value());
  ASSERT_EQ(d.count(Severity::error), 1u);
  const auto& diag = d.items().front();
  EXPECT_EQ(diag.loc.line, 9u);
  EXPECT_NE(diag.message.find("conflicts with rule 'a'"), std::string::npos) << diag.message;
  ASSERT_EQ(diag.related.size(), 1u);
  EXPECT_EQ(diag.related[0].loc.line, 5u);
}

TEST(CompilerTest, DifferentHooksDoNotConflict) {
  policy::Policy p;
  p.hooks.push_back({Hook::input, Action::drop, std::nullopt, at(1)});
  p.hooks.push_back({Hook::forward, Action::drop, std::nullopt, at(1)});
  auto a = rule("a", 2, Action::allow, {v4(8)});
  a.scope.hooks = {Hook::input};
  auto b = rule("b", 3, Action::drop, {v4(8)});
  b.scope.hooks = {Hook::forward};
  p.rules = {a, b};
  auto t = compile_ok(p);
  EXPECT_EQ(counters(*chain(t, "input.v4.8")), std::vector<std::string>{"rule.a"});
  EXPECT_EQ(counters(*chain(t, "forward.v4.8")), std::vector<std::string>{"rule.b"});
}

TEST(CompilerTest, AdjacentPrefixesMergeIntoOneInterval) {
  auto p = base_policy();
  auto r = rule("lan", 2, Action::allow, {v4(8)});
  policy::Prefix a{Family::ipv4, {198, 18, 0, 0}, 24, {}};
  policy::Prefix b{Family::ipv4, {198, 18, 1, 0}, 24, {}};
  policy::Prefix c{Family::ipv6, {0x20, 0x01, 0x0d, 0xb8}, 32, {}};
  r.scope.source = {b, a, c};
  p.rules.push_back(r);
  auto t = compile_ok(p);
  const auto* s4 = set(t, "lan.source.v4");
  ASSERT_NE(s4, nullptr);
  ASSERT_EQ(s4->elements.size(), 1u);
  EXPECT_EQ(s4->elements[0].key, (std::vector<uint8_t>{198, 18, 0, 0}));
  EXPECT_EQ(s4->elements[0].key_end, (std::vector<uint8_t>{198, 18, 1, 255}));
  // An IPv4-only prefix list does not create an IPv6 set for a v4 rule.
  EXPECT_EQ(set(t, "lan.source.v6"), nullptr);
}

// One prefix of a family is matched in the rule, not through a set of one
// element: the kernel's cost per named set grows with the sets in the table.
TEST(CompilerTest, SinglePrefixIsMatchedInTheRule) {
  auto p = base_policy();
  auto r = rule("one", 2, Action::drop, {v4(8), v6(128)});
  policy::Prefix a{Family::ipv4, {198, 18, 0, 0}, 15, {}};
  policy::Prefix b{Family::ipv6, {0x20, 0x01, 0x0d, 0xb8}, 32, {}};
  policy::Prefix c{Family::ipv6, {0x20, 0x01, 0x0d, 0xb9}, 32, {}};
  r.scope.source = {a, b, c};
  p.rules.push_back(r);
  auto t = compile_ok(p);
  EXPECT_EQ(set(t, "one.source.v4"), nullptr);
  ASSERT_NE(set(t, "one.source.v6"), nullptr);  // two IPv6 prefixes: a set
  const auto& stmts = chain(t, "input.v4.8")->rules.at(0).stmts;
  const auto* m = std::get_if<nft::PrefixMatch>(&stmts.at(0));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->field, nft::Field::ip_saddr);
  EXPECT_EQ(m->addr, (std::vector<uint8_t>{198, 18, 0, 0}));
  EXPECT_EQ(m->len, 15);
  EXPECT_TRUE(
      std::holds_alternative<nft::SetMatch>(chain(t, "input.v6.128")->rules.at(0).stmts.at(0)));
}

// The kernel's load time grows with the square of a table's sets: past
// 10 000 the policy is refused, at the rule that needs one more.
TEST(CompilerTest, MoreThanTenThousandSetsAreRefused) {
  auto make = [](size_t rules) {
    auto p = base_policy();
    for (size_t i = 0; i < rules; ++i) {
      auto r = rule(fmt::format("r{}", i), static_cast<uint32_t>(i % 40), Action::drop, {v4(8)});
      const auto hi = static_cast<uint8_t>(i >> 8), lo = static_cast<uint8_t>(i);
      r.scope.source = {{Family::ipv4, {198, 18, hi, lo}, 32, {}},
                        {Family::ipv4, {198, 19, hi, lo}, 32, {}}};
      p.rules.push_back(r);
    }
    return p;
  };
  Diagnostics ok;
  EXPECT_TRUE(compile::compile(make(9999), ok).has_value());  // 9999 sets and one verdict map
  Diagnostics d;
  EXPECT_FALSE(compile::compile(make(10001), d).has_value());
  ASSERT_EQ(d.count(Severity::error), 1u);
  EXPECT_EQ(d.items()[0].message,
            "the policy needs more than 10000 sets in the kernel (this one: r10000.source.v4)");
}

// Conflicts are found by grouping rules with equal conditions: each rule is
// reported once per other action, against the first rule that has it.
TEST(CompilerTest, ConflictsAreReportedOncePerRuleAndAction) {
  auto p = base_policy();
  p.rules.push_back(rule("a", 2, Action::allow, {v4(8)}));
  p.rules.push_back(rule("b", 3, Action::allow, {v4(8)}));
  p.rules.push_back(rule("c", 4, Action::drop, {v4(8)}));
  p.rules.push_back(rule("d", 5, Action::drop, {v4(8)}));
  Diagnostics d;
  EXPECT_FALSE(compile::compile(p, d).has_value());
  std::vector<std::string> messages;
  for (const auto& x : d.items()) messages.push_back(x.message);
  EXPECT_EQ(messages,
            (std::vector<std::string>{
                "rule 'c' (drop) conflicts with rule 'a' (allow) for echo-request on hook input",
                "rule 'd' (drop) conflicts with rule 'a' (allow) for echo-request on hook input"}));
}

TEST(CompilerTest, PerSourceLimitMasksIpv6SourcesByPrefix) {
  auto p = base_policy();
  auto r = rule("echo", 2, Action::rate_limit, {v6(128)});
  policy::RateLimit l;
  l.rate = {10, policy::RateUnit::second};
  l.burst = 20;
  l.per_source = true;
  l.ipv6_prefix = 56;
  l.timeout_s = 30;
  r.limit = l;
  p.rules.push_back(r);
  auto t = compile_ok(p);
  const auto* c = chain(t, "input.v6.128");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->rules.size(), 2u);  // under the limit: accept; over: drop
  const auto& dyn = std::get<nft::DynsetLimit>(c->rules[0].stmts[0]);
  EXPECT_EQ(dyn.key, nft::Field::ip6_saddr);
  std::vector<uint8_t> mask(16, 0);
  for (int i = 0; i < 7; ++i) mask[i] = 0xff;
  EXPECT_EQ(dyn.mask, mask);
  EXPECT_EQ(dyn.limit.burst, 20u);
  const auto* s = set(t, "echo.sources.v6");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->dynamic);
  EXPECT_EQ(s->timeout_ms, 30000u);
  EXPECT_EQ(counters(*c), (std::vector<std::string>{"rule.echo", "rule.echo.over"}));
  EXPECT_EQ(std::get<nft::Verdict>(c->rules[1].stmts.back()).kind, nft::VerdictKind::drop);
}

TEST(CompilerTest, OverContinueFallsThroughToTheNextRule) {
  auto p = base_policy();
  auto r = rule("echo", 2, Action::rate_limit, {v4(8)});
  policy::RateLimit l;
  l.rate = {1, policy::RateUnit::second};
  l.over_drop = false;
  r.limit = l;
  p.rules.push_back(r);
  auto t = compile_ok(p);
  const auto* c = chain(t, "input.v4.8");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->rules.size(), 2u);
  // The over-limit rule only counts; no verdict, so the packet returns to
  // the dispatcher and meets the default.
  for (const auto& s : c->rules[1].stmts) EXPECT_FALSE(std::holds_alternative<nft::Verdict>(s));
  // A global limit is a named limit object.
  auto obj = std::find_if(t.objects.begin(), t.objects.end(), [](const nft::Object& o) {
    return o.kind == nft::ObjectKind::limit && o.name == "rule.echo";
  });
  ASSERT_NE(obj, t.objects.end());
  EXPECT_EQ(obj->limit.burst, 5u);  // nft's default when the policy gives none
}

TEST(CompilerTest, InspectBecomesAQueueWithFailOpenBypass) {
  auto p = base_policy();
  auto r = rule("tunnel", 2, Action::inspect, {v4(8), v4(0)});
  r.inspect = policy::Inspect{4, 2, false, {}};
  p.rules.push_back(r);
  auto t = compile_ok(p);
  const auto& q = std::get<nft::Queue>(chain(t, "input.v4.8")->rules[0].stmts.back());
  EXPECT_EQ(q.num, 4);
  EXPECT_EQ(q.total, 2);
  EXPECT_FALSE(q.bypass);
  EXPECT_FALSE(q.fanout);  // hash balancing keeps a flow on one worker
  EXPECT_NE(compile::render_nft(t).find("queue num 4-5\n"), std::string::npos);
}

TEST(CompilerTest, PerPacketLookupIsOneMapWhateverTheNumberOfTypes) {
  auto p = base_policy();
  for (uint8_t type = 0; type < 40; ++type)
    p.rules.push_back(rule("t" + std::to_string(type), 2 + type, Action::allow, {v4(type)}));
  auto t = compile_ok(p);
  const auto* disp = chain(t, "input.v4");
  ASSERT_NE(disp, nullptr);
  EXPECT_EQ(disp->rules.size(), 3u);  // fragments, vmap lookup, default
  EXPECT_EQ(set(t, "verdicts.input.v4")->elements.size(), 40u);
}

}  // namespace

namespace {

TEST(CompilerTest, ConflictOnOneCodeIsReportedWithThatCode) {
  auto p = base_policy();
  p.rules.push_back(rule("a", 5, Action::allow, {v4(3, 4)}));
  p.rules.push_back(rule("wide", 6, Action::drop, {v4(3)}));  // not a conflict: less specific
  p.rules.push_back(rule("b", 9, Action::drop, {v4(3, 4)}));
  Diagnostics d;
  EXPECT_FALSE(compile::compile(p, d).has_value());
  ASSERT_EQ(d.count(Severity::error), 1u);
  EXPECT_NE(d.items()[0].message.find("frag-needed"), std::string::npos) << d.items()[0].message;
  EXPECT_EQ(d.items()[0].loc.line, 9u);
}

}  // namespace

namespace {

TEST(CompilerTest, InspectPoliciesDropBlockedSourcesBeforeTheLookup) {
  auto p = base_policy();
  auto r = rule("tunnel", 2, Action::inspect, {v4(8), v6(128)});
  r.inspect = policy::Inspect{0, 1, true, {}};
  p.rules.push_back(r);
  auto t = compile_ok(p);
  for (auto [chain_name, set_name] :
       {std::pair{"input.v4", "inspect.blocked.v4"}, std::pair{"input.v6", "inspect.blocked.v6"}}) {
    const auto* c = chain(t, chain_name);
    ASSERT_NE(c, nullptr);
    ASSERT_GE(c->rules.size(), 3u);
    EXPECT_EQ(std::get<nft::SetMatch>(c->rules[0].stmts[0]).set, set_name);
    EXPECT_EQ(std::get<nft::Verdict>(c->rules[0].stmts.back()).kind, nft::VerdictKind::drop);
    // then fragments (no ICMP header to look up), then the lookup
    EXPECT_TRUE(std::holds_alternative<nft::NonFirstFragment>(c->rules[1].stmts[0]));
    EXPECT_TRUE(std::holds_alternative<nft::VmapLookup>(c->rules[2].stmts[0]));
    const auto* s = set(t, set_name);
    ASSERT_NE(s, nullptr);
    EXPECT_GT(s->timeout_ms, 0u);
    EXPECT_TRUE(s->interval);  // a blocked prefix is one range
  }
  // Without inspect rules there is no such set.
  auto plain = base_policy();
  plain.rules.push_back(rule("echo", 2, Action::allow, {v4(8)}));
  EXPECT_EQ(set(compile_ok(plain), "inspect.blocked.v4"), nullptr);
}

}  // namespace

namespace {

// Rate-limit, then inspect: the limit comes before the queue in the same
// rule, and what is over it is counted and dropped by the next rule, in
// the kernel.
TEST(CompilerTest, LimitedInspectQueuesWithinTheLimitAndDropsTheRest) {
  auto p = base_policy();
  auto r = rule("echo", 2, Action::inspect, {v4(8), v6(128)});
  r.inspect = policy::Inspect{3, 1, true, {}};
  policy::RateLimit l;
  l.rate = {10, policy::RateUnit::second};
  l.burst = 20;
  l.per_source = true;
  l.ipv6_prefix = 48;
  r.limit = l;
  p.rules.push_back(r);
  auto t = compile_ok(p);
  for (auto [name, key] : {std::pair{"input.v4.8", nft::Field::ip_saddr},
                           std::pair{"input.v6.128", nft::Field::ip6_saddr}}) {
    const auto* c = chain(t, name);
    ASSERT_NE(c, nullptr) << name;
    ASSERT_EQ(c->rules.size(), 2u) << name;
    const auto& first = c->rules[0].stmts;
    ASSERT_EQ(first.size(), 3u);
    const auto& dyn = std::get<nft::DynsetLimit>(first[0]);
    EXPECT_EQ(dyn.key, key);
    EXPECT_EQ(dyn.limit.burst, 20u);
    EXPECT_EQ(std::get<nft::CounterRef>(first[1]).name, "rule.echo");
    EXPECT_EQ(std::get<nft::Queue>(first[2]).num, 3);
    EXPECT_EQ(counters(*c), (std::vector<std::string>{"rule.echo", "rule.echo.over"}));
    EXPECT_EQ(std::get<nft::Verdict>(c->rules[1].stmts.back()).kind, nft::VerdictKind::drop);
  }
  EXPECT_NE(set(t, "echo.sources.v6"), nullptr);
  auto over = std::find_if(t.objects.begin(), t.objects.end(), [](const nft::Object& o) {
    return o.kind == nft::ObjectKind::counter && o.name == "rule.echo.over";
  });
  EXPECT_NE(over, t.objects.end());
  EXPECT_NE(compile::render_nft(t).find(
                "update @echo.sources.v4 { ip saddr limit rate 10/second burst 20 "
                "packets } counter name \"rule.echo\" queue num 3 bypass\n"),
            std::string::npos)
      << compile::render_nft(t);
}

TEST(CompilerTest, GloballyLimitedInspectUsesTheNamedLimit) {
  auto p = base_policy();
  auto r = rule("echo", 2, Action::inspect, {v4(8)});
  r.inspect = policy::Inspect{0, 1, true, {}};
  policy::RateLimit l;
  l.rate = {100, policy::RateUnit::minute};
  r.limit = l;
  p.rules.push_back(r);
  auto t = compile_ok(p);
  const auto* c = chain(t, "input.v4.8");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(std::get<nft::LimitRef>(c->rules[0].stmts[0]).name, "rule.echo");
  auto obj = std::find_if(t.objects.begin(), t.objects.end(), [](const nft::Object& o) {
    return o.kind == nft::ObjectKind::limit && o.name == "rule.echo";
  });
  ASSERT_NE(obj, t.objects.end());
  EXPECT_EQ(obj->limit.rate.count, 100u);
  EXPECT_NE(compile::render_nft(t).find(
                "limit name \"rule.echo\" counter name \"rule.echo\" queue num 0 bypass\n"),
            std::string::npos);
}

}  // namespace

namespace {

// Reassembly (conntrack) with a queue: ICMP queries are exempt from
// tracking ahead of conntrack, so requests that wait in the queue together
// cannot clash on insertion; without either, no exemption chains.
TEST(CompilerTest, QueriesAreUntrackedWhereTheQueueMeetsConntrack) {
  for (auto mode : {policy::Fragments::follow, policy::Fragments::reassemble}) {
    for (auto action : {Action::allow, Action::inspect}) {
      SCOPED_TRACE(std::string(policy::to_string(mode)) +
                   (action == Action::inspect ? " inspect" : " allow"));
      auto p = base_policy();
      p.fragments = mode;
      auto r = rule("echo", 2, action, {v4(8), v6(128)});
      if (action == Action::inspect) r.inspect = policy::Inspect{0, 1, true, {}};
      p.rules.push_back(r);
      auto t = compile_ok(p);
      const auto* pre = chain(t, "prerouting.notrack");
      const auto* out = chain(t, "output.notrack");
      if (mode != policy::Fragments::reassemble || action != Action::inspect) {
        EXPECT_EQ(pre, nullptr);
        EXPECT_EQ(out, nullptr);
        continue;
      }
      ASSERT_NE(pre, nullptr);
      ASSERT_NE(out, nullptr);
      ASSERT_TRUE(pre->base && out->base);
      EXPECT_EQ(pre->base->hook, nft::NfHook::prerouting);
      EXPECT_EQ(out->base->hook, nft::NfHook::output);
      EXPECT_EQ(pre->base->priority, -300);  // raw: before conntrack at -200
      EXPECT_EQ(out->base->priority, -300);
      auto types = [](const nft::Chain& c, nft::Field field) {
        std::set<int> out;
        for (const auto& r : c.rules) {
          EXPECT_EQ(r.stmts.size(), 2u);
          EXPECT_TRUE(std::holds_alternative<nft::Notrack>(r.stmts.back()));
          const auto& m = std::get<nft::Match>(r.stmts[0]);
          if (m.field == field) out.insert(m.value[0]);
        }
        return out;
      };
      EXPECT_EQ(types(*pre, nft::Field::icmp_type), (std::set<int>{0, 8, 13, 14, 15, 16, 17, 18}));
      EXPECT_EQ(types(*pre, nft::Field::icmpv6_type), (std::set<int>{128, 129, 139, 140}));
      // Only the replies this host sends: its own requests stay tracked.
      EXPECT_EQ(types(*out, nft::Field::icmp_type), (std::set<int>{0, 14, 16, 18}));
      EXPECT_EQ(types(*out, nft::Field::icmpv6_type), (std::set<int>{129, 140}));
    }
  }
}

// [icmpwall] fragments: the rules in front of the type lookup.
TEST(CompilerTest, FragmentsAreDecidedBeforeTheLookup) {
  for (auto mode :
       {policy::Fragments::follow, policy::Fragments::drop, policy::Fragments::reassemble}) {
    SCOPED_TRACE(policy::to_string(mode));
    auto p = base_policy();
    p.fragments = mode;
    p.rules.push_back(rule("echo", 2, Action::allow, {v4(8), v6(128)}));
    auto t = compile_ok(p);
    for (auto [name, family] :
         {std::pair{"input.v4", Family::ipv4}, std::pair{"input.v6", Family::ipv6}}) {
      const auto* c = chain(t, name);
      ASSERT_NE(c, nullptr);
      size_t i = 0;
      if (mode == policy::Fragments::reassemble) {
        // ct state invalid counter: counts, decides nothing
        ASSERT_GE(c->rules.size(), 4u);
        EXPECT_EQ(std::get<nft::CtState>(c->rules[0].stmts[0]).states, nft::kCtInvalid);
        EXPECT_EQ(std::get<nft::CounterRef>(c->rules[0].stmts[1]).name, "ct-invalid.input");
        EXPECT_EQ(c->rules[0].stmts.size(), 2u);
        i = 1;
      }
      const auto& frag = c->rules[i].stmts;
      ASSERT_EQ(frag.size(), 3u);
      EXPECT_EQ(std::get<nft::NonFirstFragment>(frag[0]).family, family);
      EXPECT_EQ(std::get<nft::CounterRef>(frag[1]).name, "fragments.input");
      EXPECT_EQ(std::get<nft::Verdict>(frag[2]).kind, mode == policy::Fragments::drop
                                                          ? nft::VerdictKind::drop
                                                          : nft::VerdictKind::accept);
      EXPECT_TRUE(std::holds_alternative<nft::VmapLookup>(c->rules[i + 1].stmts[0]));
    }
    auto has_counter = [&](const std::string& n) {
      return std::any_of(t.objects.begin(), t.objects.end(), [&](const nft::Object& o) {
        return o.kind == nft::ObjectKind::counter && o.name == n;
      });
    };
    EXPECT_TRUE(has_counter("fragments.input"));
    EXPECT_EQ(has_counter("ct-invalid.input"), mode == policy::Fragments::reassemble);
    const std::string text = compile::render_nft(t);
    EXPECT_NE(text.find("ip frag-off & 0x1fff != 0 counter name \"fragments.input\""),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("frag frag-off != 0 counter name \"fragments.input\""), std::string::npos)
        << text;
    EXPECT_EQ(
        text.find("ct state invalid counter name \"ct-invalid.input\"\n") != std::string::npos,
        mode == policy::Fragments::reassemble)
        << text;
  }
}

// max-size: longer messages are dropped and counted before the rule's
// own statements; the length test points at the max-size value.
TEST(CompilerTest, MaxSizeDropsLongerMessagesFirst) {
  auto p = base_policy();
  auto r = rule("ping", 2, Action::allow, {v4(8), v6(128)});
  r.max_size = 1000;
  r.max_size_loc = at(3);
  p.rules.push_back(r);
  auto t = compile_ok(p);
  for (const char* name : {"input.v4.8", "input.v6.128"}) {
    const nft::Chain* c = chain(t, name);
    ASSERT_NE(c, nullptr) << name;
    ASSERT_EQ(c->rules.size(), 2u);
    const auto& first = c->rules[0];
    ASSERT_EQ(first.stmts.size(), 3u);
    const auto* longer = std::get_if<nft::LongerThan>(&first.stmts[0]);
    ASSERT_NE(longer, nullptr);
    EXPECT_EQ(longer->bytes, 1000);
    EXPECT_EQ(first.loc_of(0).line, 3u);
    EXPECT_EQ(counters(*c), (std::vector<std::string>{"rule.ping.oversize", "rule.ping"}));
    EXPECT_EQ(std::get<nft::Verdict>(first.stmts[2]).kind, nft::VerdictKind::drop);
  }
  EXPECT_EQ(std::count_if(t.objects.begin(), t.objects.end(),
                          [](const nft::Object& o) { return o.name == "rule.ping.oversize"; }),
            1);
  EXPECT_NE(
      compile::render_nft(t).find("@th,8000,8 <= 0xff counter name \"rule.ping.oversize\" drop"),
      std::string::npos);
}

}  // namespace
