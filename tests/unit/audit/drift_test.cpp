// SPDX-License-Identifier: GPL-2.0-or-later
// compare_tables(): a policy's expected table against hand-edited copies
// of itself standing in for the live table.
#include "icmpwall/audit/drift.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>

#include "icmpwall/audit/describe.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::audit {
namespace {

using ::testing::HasSubstr;

// A global limit (limit object), a per-source limit (dynamic set), a
// static source set, and an inspect rule (the blocked-source sets).
constexpr const char* kPolicy = R"([hooks.input]
default = "drop"

[[rule]]
name = "echo-request"
types = ["echo-request"]
family = "ipv4"
hooks = ["input"]
action = "rate-limit"
rate = "10/second"
burst = 5

[[rule]]
name = "echo-per-source"
types = ["echo-request"]
family = "ipv6"
hooks = ["input"]
action = "rate-limit"
rate = "20/second"
burst = 50
per = "source"

[[rule]]
name = "errors"
types = ["destination-unreachable", "time-exceeded"]
hooks = ["input"]
source = ["198.18.0.0/24", "198.18.5.1"]
action = "allow"

[[rule]]
name = "tunnel"
types = ["echo-reply"]
hooks = ["input"]
action = "inspect"
queue = 7
no-worker = "accept"
)";

Table expected() {
  Diagnostics diags;
  auto policy = policy::parse_policy_text("drift.toml", kPolicy, diags);
  EXPECT_TRUE(policy.has_value());
  auto model = compile::compile(*policy, diags);
  EXPECT_TRUE(model.has_value());
  auto table = expected_table(*model, netlink::QueueMode::compat);
  EXPECT_TRUE(table.ok()) << table.error().message;
  return *table;
}

Chain& chain(Table& t, const std::string& name) {
  for (auto& c : t.chains)
    if (c.name == name) return c;
  ADD_FAILURE() << "no chain " << name;
  return t.chains.front();
}

Set& set(Table& t, const std::string& name) {
  for (auto& s : t.sets)
    if (s.name == name) return s;
  ADD_FAILURE() << "no set " << name;
  return t.sets.front();
}

// The live side as a dump reads it: handles, positions, counter values.
Table as_live(Table t) {
  uint64_t handle = 1;
  for (auto& c : t.chains) {
    c.handle = handle++;
    for (auto& r : c.rules) {
      r.handle = handle++;
      for (auto& e : r.exprs)
        if (auto* counter = std::get_if<Counter>(&e)) *counter = Counter{42, 4200};
    }
  }
  for (auto& o : t.objects) {
    o.handle = handle++;
    for (auto& [key, value] : o.values)
      if (o.type == NFT_OBJECT_COUNTER) value = 1000;
  }
  for (auto& s : t.sets) s.handle = handle++;
  return t;
}

std::vector<std::string> texts(const std::vector<Difference>& diffs) {
  std::vector<std::string> out;
  for (const auto& d : diffs) out.push_back(describe(d));
  return out;
}

// The one difference between `live` and `want` (a failure if not one).
Difference only_difference(const Table& live, const Table& want) {
  const auto diffs = compare_tables(&live, want);
  EXPECT_EQ(diffs.size(), 1u) << ::testing::PrintToString(texts(diffs));
  return diffs.empty() ? Difference{} : diffs.front();
}

Verdict* rule_verdict(Rule& r) {
  for (auto& e : r.exprs)
    if (auto* i = std::get_if<Immediate>(&e); i && i->verdict) return &*i->verdict;
  return nullptr;
}

TEST(DriftTest, IdenticalTablesHaveNoDrift) {
  const Table want = expected();
  ASSERT_FALSE(want.chains.empty());
  ASSERT_FALSE(want.sets.empty());
  const Table live = as_live(want);
  EXPECT_THAT(texts(compare_tables(&live, want)), ::testing::IsEmpty());
}

TEST(DriftTest, MissingTableIsOneDifference) {
  const auto diffs = compare_tables(nullptr, expected());
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].kind, DriftKind::missing);
  EXPECT_EQ(describe(diffs[0]), "table inet icmpwall: missing (policy not applied)");
}

TEST(DriftTest, ChangedRuleVerdictIsNamedWithBothSides) {
  const Table want = expected();
  Table live = as_live(want);
  Rule& r = chain(live, "input.v6.128").rules.back();  // counter name "...over" drop
  Verdict* v = rule_verdict(r);
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->code, NF_DROP);
  v->code = NF_ACCEPT;
  const Difference d = only_difference(live, want);
  EXPECT_EQ(d.kind, DriftKind::differs);
  EXPECT_EQ(d.where, "chain input.v6.128");
  EXPECT_EQ(d.what, fmt::format("rule 2 (handle {})", r.handle));
  EXPECT_THAT(d.live_raw, HasSubstr("immediate accept"));
  EXPECT_THAT(d.expected_raw, HasSubstr("immediate drop"));
  EXPECT_EQ(d.live, "counter name \"rule.echo-per-source.over\" accept");
  EXPECT_EQ(d.expected, "counter name \"rule.echo-per-source.over\" drop");
  EXPECT_THAT(describe(d), HasSubstr("chain input.v6.128: rule 2"));
  EXPECT_THAT(describe(d), HasSubstr("live \"counter name \"rule.echo-per-source.over\" accept\""));
}

// A log sent to another NFLOG group (or to the kernel log instead) is
// drift, shown as nft writes both sides.
TEST(DriftTest, ChangedNflogGroupIsADifference) {
  Diagnostics diags;
  auto policy = policy::parse_policy_text("nflog.toml", R"([icmpwall]
log-group = 3
[hooks.input]
default = "drop"
log = true
[[rule]]
types = ["echo-request"]
action = "allow"
)",
                                          diags);
  ASSERT_TRUE(policy.has_value());
  auto model = compile::compile(*policy, diags);
  ASSERT_TRUE(model.has_value());
  auto want = expected_table(*model, netlink::QueueMode::compat);
  ASSERT_TRUE(want.ok()) << want.error().message;
  Table live = as_live(*want);
  EXPECT_THAT(texts(compare_tables(&live, *want)), ::testing::IsEmpty());
  Log* log = nullptr;
  for (auto& c : live.chains)
    for (auto& r : c.rules)
      for (auto& e : r.exprs)
        if (auto* l = std::get_if<Log>(&e)) log = l;
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->group, uint16_t{3});
  log->group = 4;
  const Difference d = only_difference(live, *want);
  EXPECT_EQ(d.live, "limit rate 5/minute log prefix \"icmpwall default.input \" group 4");
  EXPECT_EQ(d.expected, "limit rate 5/minute log prefix \"icmpwall default.input \" group 3");
}

TEST(DriftTest, RemovedRuleIsMissingAndTheRestStillAlign) {
  const Table want = expected();
  Table live = as_live(want);
  auto& rules = chain(live, "input.v6.128").rules;
  ASSERT_EQ(rules.size(), 2u);
  rules.erase(rules.begin());
  rules[0].index = 0;
  const Difference d = only_difference(live, want);
  EXPECT_EQ(d.kind, DriftKind::missing);
  EXPECT_EQ(d.what, "rule 1");
  EXPECT_THAT(d.expected_raw, HasSubstr("dynset"));
  EXPECT_EQ(d.expected,
            "update @echo-per-source.sources.v6 { ip6 saddr & ffff:ffff:ffff:ffff:: limit rate "
            "20/second burst 50 packets } counter name \"rule.echo-per-source\" accept");
}

TEST(DriftTest, InsertedRuleIsExtra) {
  const Table want = expected();
  Table live = as_live(want);
  auto& rules = chain(live, "input").rules;
  Rule extra;
  extra.handle = 999;
  extra.exprs = {Immediate{0, Verdict{NF_DROP, {}}, {}}};
  rules.insert(rules.begin(), extra);
  for (uint32_t i = 0; i < rules.size(); ++i) rules[i].index = i;
  const Difference d = only_difference(live, want);
  EXPECT_EQ(d.kind, DriftKind::extra);
  EXPECT_EQ(d.live_raw, "immediate drop");
  EXPECT_EQ(describe(d), "chain input: extra rule 1 (handle 999): live \"drop\"");
}

TEST(DriftTest, ChangedLimitRateIsADifferenceOfTheObject) {
  const Table want = expected();
  Table live = as_live(want);
  bool changed = false;
  for (auto& o : live.objects)
    for (auto& [key, value] : o.values)
      if (o.type == NFT_OBJECT_LIMIT && key == "rate") value = 11, changed = true;
  ASSERT_TRUE(changed);
  const Difference d = only_difference(live, want);
  EXPECT_EQ(d.where, "limit rule.echo-request");
  EXPECT_THAT(d.live, HasSubstr("rate 11"));
  EXPECT_THAT(d.expected, HasSubstr("rate 10"));
}

TEST(DriftTest, MissingElementOfAStaticSetIsNamed) {
  const Table want = expected();
  Table live = as_live(want);
  auto& elements = set(live, "errors.source.v4").elements;
  const size_t before = elements.size();
  // 198.18.5.1 is a single key: its start element goes, its end stays.
  std::erase_if(elements, [](const SetElement& e) {
    return e.key == Bytes{198, 18, 5, 1} && !e.interval_end();
  });
  ASSERT_EQ(elements.size(), before - 1);
  const Difference d = only_difference(live, want);
  EXPECT_EQ(d.kind, DriftKind::missing);
  EXPECT_EQ(d.where, "set errors.source.v4");
  EXPECT_EQ(d.what, "element 198.18.5.1");
  EXPECT_EQ(describe(d), "set errors.source.v4: element 198.18.5.1 missing");
}

TEST(DriftTest, ChangedMapVerdictIsADifferenceOfTheElement) {
  const Table want = expected();
  Table live = as_live(want);
  auto& map = set(live, "verdicts.input.v4");
  auto it = std::find_if(map.elements.begin(), map.elements.end(),
                         [](const SetElement& e) { return e.verdict.has_value(); });
  ASSERT_NE(it, map.elements.end());
  it->verdict = Verdict{NF_DROP, {}};
  const Difference d = only_difference(live, want);
  EXPECT_EQ(d.kind, DriftKind::differs);
  EXPECT_EQ(d.live_raw, "drop");
  EXPECT_THAT(d.expected_raw, HasSubstr("jump input.v4."));
  EXPECT_EQ(d.live, "echo-reply . 0-255 : drop");
  EXPECT_EQ(d.expected, "echo-reply . 0-255 : jump input.v4.0");
}

TEST(DriftTest, ElementsOfDynamicSetsAreRunTimeStateNotDrift) {
  const Table want = expected();
  Table live = as_live(want);
  SetElement blocked;
  blocked.key = {198, 18, 1, 2};
  blocked.timeout = 300000;
  blocked.expiration = 299000;
  set(live, "inspect.blocked.v4").elements.push_back(blocked);
  SetElement source;
  source.key = Bytes(16, 0x20);
  source.expiration = 59000;
  set(live, "echo-per-source.sources.v6").elements.push_back(source);
  EXPECT_THAT(texts(compare_tables(&live, want)), ::testing::IsEmpty());
  // The same element in a static set is drift.
  set(live, "errors.source.v4").elements.push_back(blocked);
  EXPECT_EQ(compare_tables(&live, want).size(), 1u);
}

TEST(DriftTest, MissingSetAndChangedChainPolicy) {
  const Table want = expected();
  Table live = as_live(want);
  std::erase_if(live.sets, [](const Set& s) { return s.name == "errors.source.v4"; });
  chain(live, "input").hook->policy = NF_DROP;
  const auto t = texts(compare_tables(&live, want));
  ASSERT_EQ(t.size(), 2u) << ::testing::PrintToString(t);
  EXPECT_THAT(t[0], HasSubstr("set errors.source.v4: missing"));
  EXPECT_THAT(t[1], HasSubstr("chain input: hook differs"));
  EXPECT_THAT(t[1], HasSubstr("policy drop"));
}

TEST(DriftTest, KernelPaddingOfXtInfoIsNotDriftButAnotherQueueIs) {
  const Table want = expected();
  Table live = as_live(want);
  Target* target = nullptr;
  for (auto& e : chain(live, "input.v4.0").rules.front().exprs)
    if (auto* t = std::get_if<Target>(&e)) target = t;
  ASSERT_NE(target, nullptr);
  ASSERT_EQ(target->info.size(), 6u);  // struct xt_NFQ_info_v3
  target->info.resize(8, 0);           // as the kernel hands it back
  EXPECT_THAT(texts(compare_tables(&live, want)), ::testing::IsEmpty());
  target->info[0] ^= 1;  // another queue number
  const auto diffs = compare_tables(&live, want);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_THAT(diffs[0].live_raw, HasSubstr("target NFQUEUE rev 3 info"));
  EXPECT_THAT(diffs[0].live, HasSubstr("queue num 6 bypass"));  // queue 7, its low bit flipped
}

TEST(DriftTest, ExpectedTableHoldsEveryPartOfTheModel) {
  Diagnostics diags;
  auto policy = policy::parse_policy_text("drift.toml", kPolicy, diags);
  ASSERT_TRUE(policy.has_value());
  auto model = compile::compile(*policy, diags);
  ASSERT_TRUE(model.has_value());
  auto table = expected_table(*model, netlink::QueueMode::compat);
  ASSERT_TRUE(table.ok()) << table.error().message;
  EXPECT_EQ(table->family, static_cast<uint32_t>(NFPROTO_INET));
  EXPECT_EQ(table->objects.size(), model->objects.size());
  EXPECT_EQ(table->sets.size(), model->sets.size());
  ASSERT_EQ(table->chains.size(), model->chains.size());
  for (size_t i = 0; i < model->chains.size(); ++i) {
    EXPECT_EQ(table->chains[i].name, model->chains[i].name);
    EXPECT_EQ(table->chains[i].rules.size(), model->chains[i].rules.size());
    EXPECT_EQ(table->chains[i].hook.has_value(), model->chains[i].base.has_value());
  }
  // Names survive intact (no bytes of the next attribute).
  const auto* input = table->chain("input.v4.0");
  ASSERT_NE(input, nullptr);
  EXPECT_THAT(describe(input->rules.front()), HasSubstr("rule.tunnel"));
  // compat: the inspect rule queues with the xt NFQUEUE target.
  EXPECT_THAT(describe(input->rules.front()), HasSubstr("NFQUEUE"));
  // native: with the nft queue expression.
  auto native = expected_table(*model, netlink::QueueMode::native);
  ASSERT_TRUE(native.ok()) << native.error().message;
  const auto& rule = native->chain("input.v4.0")->rules.front();
  EXPECT_TRUE(std::any_of(rule.exprs.begin(), rule.exprs.end(),
                          [](const Expr& e) { return std::holds_alternative<Queue>(e); }));
}

}  // namespace
}  // namespace icmpwall::audit
