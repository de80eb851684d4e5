// SPDX-License-Identifier: GPL-2.0-or-later
// find_overrides() over hand-built rulesets (icmpwall's table and
// another), and the drift report's text and JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <nlohmann/json.hpp>

#include "icmpwall/audit/drift.h"

namespace icmpwall::audit {
namespace {

using ::testing::HasSubstr;

// An inet table with one input base chain at `priority` whose rules
// each end ICMP echo-request (type 8) with a verdict.
Table table_with(const std::string& name, int32_t priority, std::vector<int32_t> verdicts) {
  Chain c;
  c.name = "in";
  c.hook = BaseHook{NF_INET_LOCAL_IN, priority, "filter", NF_ACCEPT, {}};
  for (int32_t v : verdicts) {
    Rule r;
    r.handle = 10 + c.rules.size();
    r.index = static_cast<uint32_t>(c.rules.size());
    r.exprs = {Meta{NFT_META_L4PROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {1}},
               Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 1, {}}, Cmp{1, NFT_CMP_EQ, {8}},
               Immediate{0, Verdict{v, {}}, {}}};
    c.rules.push_back(std::move(r));
  }
  Table t;
  t.family = NFPROTO_INET;
  t.name = name;
  t.chains.push_back(std::move(c));
  return t;
}

const ReportFilter kEchoIn{policy::Family::ipv4, policy::Hook::input, 8};

TEST(DriftReportTest, OtherTablesDropOfWhatThePolicyAllowsIsAnOverride) {
  Ruleset rs;
  rs.tables = {table_with("icmpwall", 0, {NF_ACCEPT}), table_with("other", -10, {NF_DROP})};
  const auto overrides = find_overrides(rs, "icmpwall", kEchoIn);
  ASSERT_EQ(overrides.size(), 1u);
  const auto& o = overrides[0];
  EXPECT_EQ(o.packet.type, 8);
  EXPECT_EQ(o.policy.outcome, Outcome::accepted);
  EXPECT_EQ(o.real.outcome, Outcome::dropped);
  EXPECT_EQ(o.real.decided_by.table, "other");
  EXPECT_EQ(o.real.decided_by.chain, "in");
  EXPECT_EQ(o.real.decided_by.handle, 10u);
  EXPECT_EQ(describe(o),
            "ipv4 input echo-request (type 8 code 0): policy accepted, kernel dropped by "
            "inet other in #10");
}

TEST(DriftReportTest, OtherTablesDropAfterOursStillOverrides) {
  Ruleset rs;
  rs.tables = {table_with("icmpwall", 0, {NF_ACCEPT}), table_with("other", 10, {NF_DROP})};
  EXPECT_EQ(find_overrides(rs, "icmpwall", kEchoIn).size(), 1u);
}

TEST(DriftReportTest, OtherTablesAcceptNeverOverridesOurDrop) {
  Ruleset rs;
  rs.tables = {table_with("icmpwall", 0, {NF_DROP}), table_with("other", -10, {NF_ACCEPT})};
  EXPECT_THAT(find_overrides(rs, "icmpwall", kEchoIn), ::testing::IsEmpty());
  // Nor does a drop of what we drop anyway.
  rs.tables[1] = table_with("other", -10, {NF_DROP});
  EXPECT_THAT(find_overrides(rs, "icmpwall", kEchoIn), ::testing::IsEmpty());
}

TEST(DriftReportTest, WholeRegistryIsCheckedWithoutAFilter) {
  Ruleset rs;
  rs.tables = {table_with("icmpwall", 0, {NF_ACCEPT}), table_with("other", -10, {NF_DROP})};
  // Only echo-request differs, once per hook it is walked at: input.
  const auto overrides = find_overrides(rs, "icmpwall");
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0].type_name, "echo-request");
  // Without our table there is nothing to override.
  EXPECT_THAT(find_overrides(rs, "absent"), ::testing::IsEmpty());
}

TEST(DriftReportTest, JsonHasTheDocumentedShape) {
  Ruleset rs;
  rs.tables = {table_with("icmpwall", 0, {NF_ACCEPT}), table_with("other", -10, {NF_DROP})};
  DriftReport r;
  r.table = "icmpwall";
  r.differences.push_back({DriftKind::differs, "chain in", "rule 1 (handle 10)", "drop", "accept",
                           "immediate drop", "immediate accept"});
  r.differences.push_back(
      {DriftKind::missing, "set s", "", "", "type ipv4_addr", "", "flags 0x0 key 7/4"});
  r.overrides = find_overrides(rs, "icmpwall", kEchoIn);
  const auto j = nlohmann::json::parse(render_drift_json(r));
  EXPECT_EQ(j["schema"], 1);
  EXPECT_EQ(j["drift"], true);
  ASSERT_EQ(j["differences"].size(), 2u);
  EXPECT_EQ(j["differences"][0]["kind"], "differs");
  EXPECT_EQ(j["differences"][0]["object"], "chain in rule 1 (handle 10)");
  // nft syntax in live/expected, the register text compared in *_raw
  EXPECT_EQ(j["differences"][0]["live"], "drop");
  EXPECT_EQ(j["differences"][0]["expected"], "accept");
  EXPECT_EQ(j["differences"][0]["live_raw"], "immediate drop");
  EXPECT_EQ(j["differences"][0]["expected_raw"], "immediate accept");
  EXPECT_TRUE(j["differences"][1]["live"].is_null());
  EXPECT_TRUE(j["differences"][1]["live_raw"].is_null());
  EXPECT_EQ(j["differences"][1]["expected"], "type ipv4_addr");
  EXPECT_EQ(j["differences"][1]["expected_raw"], "flags 0x0 key 7/4");
  ASSERT_EQ(j["overrides"].size(), 1u);
  EXPECT_EQ(j["overrides"][0]["type_name"], "echo-request");
  EXPECT_EQ(j["overrides"][0]["policy"]["outcome"], "accepted");
  EXPECT_EQ(j["overrides"][0]["real"]["outcome"], "dropped");
  EXPECT_EQ(j["overrides"][0]["real"]["decided_by"]["table"], "other");
  EXPECT_EQ(j["overrides"][0]["real"]["decided_by"]["handle"], 10);
}

TEST(DriftReportTest, TextListsEachDifferenceOrSaysNoDrift) {
  DriftReport r;
  r.table = "icmpwall";
  EXPECT_FALSE(r.drift());
  EXPECT_THAT(render_drift_text(r), HasSubstr("table inet icmpwall: no drift"));
  EXPECT_EQ(nlohmann::json::parse(render_drift_json(r))["drift"], false);
  r.differences.push_back(
      {DriftKind::extra, "chain in", "rule 2 (handle 7)", "drop", "", "immediate drop", ""});
  EXPECT_TRUE(r.drift());
  const auto text = render_drift_text(r);
  EXPECT_THAT(text, HasSubstr("chain in: extra rule 2 (handle 7): live \"drop\"\n"));
  EXPECT_THAT(text, HasSubstr("drift (1 difference(s), 0 override(s))"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("no drift")));
}

TEST(DriftReportTest, JsonStaysValidWhenALiveCommentIsNotUtf8) {
  // a rule someone added with comment "\xff": the JSON still parses (the
  // byte reads as U+FFFD) instead of the writer throwing
  DriftReport r;
  r.table = "icmpwall";
  r.differences.push_back({DriftKind::extra, "chain input", "rule 1 (handle 9)",
                           "drop comment \"x\xffy\"", "", "immediate drop; comment \"x\xffy\"",
                           ""});
  std::string json = render_drift_json(r);
  auto j = nlohmann::json::parse(json, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json;
  EXPECT_TRUE(j["drift"].get<bool>());
  EXPECT_EQ(j["differences"][0]["live"], "drop comment \"x\xef\xbf\xbdy\"");
  EXPECT_EQ(j["differences"][0]["live_raw"], "immediate drop; comment \"x\xef\xbf\xbdy\"");
  EXPECT_THAT(render_drift_text(r), HasSubstr("x\xffy"));  // text keeps the bytes
}

TEST(DriftReportTest, WalkCutShortOnlyInTheKernelsRulesetIsAnOverride) {
  // the same outcome, but the kernel's ruleset could not be followed to
  // the end: not "no drift"
  Ruleset rs;
  rs.tables = {table_with("icmpwall", 0, {NF_DROP}), table_with("other", -10, {})};
  // the policy's own outcome is conditional: drops one source
  auto& ours = rs.tables[0].chains[0].rules[0].exprs;
  ours.insert(ours.begin(), {Payload{NFT_PAYLOAD_NETWORK_HEADER, 12, 4, 1, {}},
                             Cmp{1, NFT_CMP_EQ, {198, 18, 9, 9}}});
  Chain& other = rs.tables[1].chains[0];
  for (int i = 0; i < 5; ++i) {
    Rule r;
    r.handle = 50 + i;
    r.exprs = {Payload{NFT_PAYLOAD_NETWORK_HEADER, 12, 4, 1, {}},
               Cmp{1, NFT_CMP_EQ, {198, 18, 0, static_cast<uint8_t>(i)}}, Counter{}};
    other.rules.push_back(std::move(r));
  }
  EvaluateOptions few;
  few.max_branches = 2;
  auto overrides = find_overrides(rs, "icmpwall", kEchoIn, few);
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_TRUE(overrides[0].real.unknown_beyond.has_value());
  EXPECT_FALSE(overrides[0].policy.unknown_beyond.has_value());
  DriftReport d;
  d.table = "icmpwall";
  d.overrides = overrides;
  EXPECT_THAT(render_drift_json(d), HasSubstr("\"unknown_beyond\": {"));
}

}  // namespace
}  // namespace icmpwall::audit
