// SPDX-License-Identifier: GPL-2.0-or-later
// netlink/in_place.h: which sets and objects a replace leaves in place (a
// definition the new table repeats exactly), and the replace and encoder
// leaving them out of the batch.
#include "icmpwall/netlink/in_place.h"

#include <gmock/gmock.h>
#include <linux/netfilter/nf_tables.h>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/replace.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::netlink {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

// A per-source limit, a global one, an inspect rule (blocked-source sets)
// and a rule with a source prefix (a static set).
std::string policy_text(const std::string& rate = "20/second", int burst = 50,
                        const std::string& global_rate = "5/second") {
  return R"([hooks.input]
default = "allow"

[[rule]]
name = "echo"
types = ["echo-request"]
action = "rate-limit"
rate = ")" +
         rate + R"("
burst = )" +
         std::to_string(burst) +
         R"(
per = "source"

[[rule]]
name = "reply"
types = ["echo-reply"]
action = "rate-limit"
rate = ")" +
         global_rate +
         R"("
per = "global"

[[rule]]
name = "tunnel"
types = ["timestamp-request"]
action = "inspect"
queue = 7
no-worker = "accept"

[[rule]]
name = "lan"
types = ["destination-unreachable"]
source = ["198.18.0.0/24", "198.18.2.0/24"]
action = "allow"
)";
}

nft::Table table_of(const std::string& text) {
  Diagnostics diags;
  auto policy = policy::parse_policy_text("p.toml", text, diags);
  EXPECT_TRUE(policy) << diags.items().size();
  auto table = compile::compile(*policy, diags);
  EXPECT_TRUE(table);
  return *table;
}

std::vector<std::string> sets_where(const nft::Table& t, bool (*pred)(const nft::Set&)) {
  std::vector<std::string> out;
  for (const auto& s : t.sets)
    if (pred(s)) out.push_back(s.name);
  return out;
}

TEST(InPlaceTest, TheSamePolicyLeavesItsLimitsCountersAndStateSetsInPlace) {
  const auto table = table_of(policy_text());
  const auto live = layout_of(table, QueueMode::native);
  const auto in_place = plan_in_place(live, table, QueueMode::native);

  const auto dynamic = sets_where(table, [](const nft::Set& s) { return s.dynamic; });
  const auto blocked =
      sets_where(table, [](const nft::Set& s) { return !s.dynamic && s.timeout_ms > 0; });
  const auto fixed = sets_where(table, [](const nft::Set& s) { return !s.elements.empty(); });
  ASSERT_EQ(dynamic.size(), 2u);  // echo.sources.v4, .v6
  ASSERT_FALSE(blocked.empty());
  ASSERT_FALSE(fixed.empty());
  for (const auto& name : dynamic) EXPECT_TRUE(in_place.sets.count(name)) << name;
  for (const auto& name : blocked) EXPECT_TRUE(in_place.sets.count(name)) << name;
  // A set with the policy's own elements is made anew (its elements may
  // have changed), as is every set without run-time state.
  for (const auto& name : fixed) EXPECT_FALSE(in_place.sets.count(name)) << name;
  EXPECT_EQ(in_place.sets.size(), dynamic.size() + blocked.size());

  ASSERT_FALSE(table.objects.empty());
  EXPECT_EQ(in_place.objects.size(), table.objects.size());
  EXPECT_THAT(in_place.objects, Contains(Pair(uint32_t{NFT_OBJECT_LIMIT}, "rule.reply")));
}

TEST(InPlaceTest, AChangedRateOrBurstGivesFreshBuckets) {
  const auto before = table_of(policy_text());
  const auto live = layout_of(before, QueueMode::native);
  for (const auto& text :
       {policy_text("10/second"), policy_text("20/second", 40), policy_text("20/minute")}) {
    SCOPED_TRACE(text);
    const auto after = table_of(text);
    const auto in_place = plan_in_place(live, after, QueueMode::native);
    for (const auto& s : after.sets) {
      if (s.dynamic) {
        EXPECT_FALSE(in_place.sets.count(s.name)) << s.name;
      }
    }
    // The rest stays: the global limit, the counters, the blocked sources.
    EXPECT_TRUE(in_place.objects.count({NFT_OBJECT_LIMIT, "rule.reply"}));
    EXPECT_TRUE(in_place.objects.count({NFT_OBJECT_COUNTER, "rule.echo"}));
    EXPECT_TRUE(in_place.sets.count(compile::blocked_set_name(policy::Family::ipv4)));
  }
  // The global limit's rate: that object alone is made anew.
  const auto after = table_of(policy_text("20/second", 50, "6/second"));
  const auto in_place = plan_in_place(live, after, QueueMode::native);
  EXPECT_FALSE(in_place.objects.count({NFT_OBJECT_LIMIT, "rule.reply"}));
  EXPECT_TRUE(in_place.objects.count({NFT_OBJECT_COUNTER, "rule.reply"}));
  for (const auto& s : after.sets) {
    if (s.dynamic) {
      EXPECT_TRUE(in_place.sets.count(s.name)) << s.name;
    }
  }
}

TEST(InPlaceTest, ASetsOwnDefinitionCounts) {
  auto table = table_of(policy_text());
  const auto live = layout_of(table, QueueMode::native);
  for (auto& s : table.sets)
    if (s.dynamic) s.size *= 2;
  for (auto& s : table.sets)
    if (!s.dynamic && s.timeout_ms) s.timeout_ms += 1000;
  const auto in_place = plan_in_place(live, table, QueueMode::native);
  EXPECT_THAT(in_place.sets, IsEmpty());
  EXPECT_EQ(in_place.objects.size(), table.objects.size());
}

TEST(InPlaceTest, NothingStaysWithoutALiveTable) {
  const auto table = table_of(policy_text());
  EXPECT_TRUE(plan_in_place(LiveLayout{}, table, QueueMode::native).empty());
  // A live set of another type under the same name is not the same set.
  auto live = layout_of(table, QueueMode::native);
  for (auto& o : live.objects) o.type = NFT_OBJECT_QUOTA;
  EXPECT_THAT(plan_in_place(live, table, QueueMode::native).objects, IsEmpty());
}

TEST(InPlaceTest, TheReplaceBatchLeavesThemOut) {
  const auto table = table_of(policy_text());
  const auto live = layout_of(table, QueueMode::native);
  const auto in_place = plan_in_place(live, table, QueueMode::native);
  ASSERT_FALSE(in_place.sets.empty());

  Batch batch(1);
  replace_contents_msgs(batch, live, table, in_place);
  Diagnostics diags;
  ASSERT_TRUE(
      encode_table(table, EncodeOptions{QueueMode::native, nullptr, &in_place}, batch, diags).ok());
  batch.finish();
  std::set<std::string> sets_named, objects_named;
  size_t rule_flushes = 0, rules = 0;
  for (const auto& info : batch.infos()) {
    if (info.kind == MsgKind::set || info.kind == MsgKind::elements) sets_named.insert(info.name);
    if (info.kind == MsgKind::object) objects_named.insert(info.name);
    if (info.kind == MsgKind::rule && info.name.empty()) ++rule_flushes;
    if (info.kind == MsgKind::rule && !info.name.empty()) ++rules;
  }
  for (const auto& name : in_place.sets) EXPECT_THAT(sets_named, Not(Contains(name)));
  for (const auto& [type, name] : in_place.objects) EXPECT_THAT(objects_named, Not(Contains(name)));
  for (const auto& s : table.sets) {
    if (!in_place.sets.count(s.name)) {
      EXPECT_THAT(sets_named, Contains(s.name));
    }
  }
  // Every rule still goes, and comes back.
  EXPECT_EQ(rule_flushes, 1u);
  size_t expected = 0;
  for (const auto& c : table.chains) expected += c.rules.size();
  EXPECT_EQ(rules, expected);
}

}  // namespace
}  // namespace icmpwall::netlink
