// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall audit` against rulesets made to blind it, loaded with nft into
// a scratch namespace: a DAG of chains (every chain jumps to the next from
// four rules) answered within a bound, a live comment that is not UTF-8
// (the JSON stays valid, the exit code is text mode's), values of fields
// the kernel keeps in host byte order, and expressions the audit cannot
// model named in the JSON.
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "icmpwall/util/exit_codes.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;

// `layers` chains l0.. each with 4 rules `ip saddr 198.18.K.J jump` to the
// next, the last one's target dropping echo requests from 198.19.255.1.
std::string chain_dag(int layers) {
  std::string out = "table inet dag {\n";
  for (int k = 0; k < layers; ++k) {
    std::string next = k + 1 < layers ? "l" + std::to_string(k + 1) : "bottom";
    out += "  chain l" + std::to_string(k) + " {\n";
    for (int j = 1; j <= 4; ++j)
      out += "    ip saddr 198.18." + std::to_string(k) + "." + std::to_string(j) + " jump " +
             next + "\n";
    out += "  }\n";
  }
  out += "  chain bottom {\n    ip saddr 198.19.255.1 icmp type echo-request drop\n  }\n";
  out +=
      "  chain input {\n    type filter hook input priority 0; policy accept;\n"
      "    jump l0\n  }\n}\n";
  return out;
}

nlohmann::json parse(const CommandResult& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.describe();
  return j;
}

const nlohmann::json* entry(const nlohmann::json& j, const std::string& family,
                            const std::string& hook, int type) {
  for (const auto& e : j["entries"])
    if (e["family"] == family && e["hook"] == hook && e["type"] == type && e["code"] == 0)
      return &e;
  return nullptr;
}

TEST(AuditBudgetTest, ChainDagOfTwelveLayersIsAnsweredWithinABound) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  auto loaded = ns.nft_load(chain_dag(12));
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  // walked path by path: 4^12 chain entries per walk, never ended
  auto text = icmpwall({"audit", "--netns", ns.name()}, Millis(60'000));
  ASSERT_FALSE(text.timed_out);
  EXPECT_EQ(text.exit_code, kOk) << text.describe();
  EXPECT_LT(text.elapsed, Millis(30'000));
  EXPECT_THAT(text.out, HasSubstr("if ip saddr == 198.19.255.1 at inet dag bottom #"));

  auto json =
      icmpwall({"audit", "--netns", ns.name(), "--json", "--family", "ipv4"}, Millis(60'000));
  ASSERT_EQ(json.exit_code, kOk) << json.describe();
  auto j = parse(json);
  const auto* echo = entry(j, "ipv4", "input", 8);
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ((*echo)["outcome"], "conditional");
  EXPECT_THAT((*echo)["condition"].get<std::string>(), HasSubstr(": dropped; otherwise"));
  // more open conditions than followed: said so in a field tools can read
  ASSERT_TRUE(echo->contains("unknown_beyond")) << echo->dump();
  EXPECT_EQ((*echo)["unknown_beyond"]["reason"], "too many open conditions to follow");
  EXPECT_EQ((*echo)["unknown_beyond"]["at"]["table"], "dag");
}

TEST(AuditBudgetTest, SpentTimeBudgetMarksOutcomesUnknownAndStillAnswers) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  auto loaded = ns.nft_load(chain_dag(12));
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto json = icmpwall({"audit", "--netns", ns.name(), "--json", "--family", "ipv6", "--hook",
                        "input", "--time-budget", "0.000001"});
  ASSERT_EQ(json.exit_code, kOk) << json.describe();
  auto j = parse(json);
  ASSERT_FALSE(j["entries"].empty());
  for (const auto& e : j["entries"]) {
    ASSERT_TRUE(e.contains("unknown_beyond")) << e.dump();
    EXPECT_EQ(e["unknown_beyond"]["reason"], "the audit's time budget ran out");
    EXPECT_EQ(e["outcome"], "conditional");
  }
}

TEST(AuditBudgetTest, CommentThatIsNotUtf8KeepsJsonValidAndTheExitCodeOfText) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  const auto policy = preset_path("host");
  ASSERT_TRUE(apply_policy(ns, policy).ok());
  auto loaded = ns.nft_load(
      "add rule inet icmpwall input icmp type echo-request counter comment \"x\xffy\"\n");
  ASSERT_TRUE(loaded.ok()) << loaded.describe();

  auto text = icmpwall({"audit", "--netns", ns.name(), "--policy", policy});
  EXPECT_EQ(text.exit_code, kDrift) << text.describe();
  auto json = icmpwall({"audit", "--netns", ns.name(), "--policy", policy, "--json"});
  EXPECT_EQ(json.exit_code, kDrift) << json.describe();
  auto j = parse(json);
  EXPECT_TRUE(j["drift"].get<bool>());
  EXPECT_THAT(j.dump(), HasSubstr("x\xef\xbf\xbdy"));  // the byte reads as U+FFFD
  // the report of the whole ruleset too
  auto report = icmpwall({"audit", "--netns", ns.name(), "--json"});
  EXPECT_EQ(report.exit_code, kOk) << report.describe();
  parse(report);
}

TEST(AuditBudgetTest, HostOrderValuesAndUnmodelledExpressionsInTextAndJson) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  auto loaded = ns.nft_load(R"(table inet vals {
  chain in {
    type filter hook input priority 0; policy accept;
    meta mark 1 drop
    ct zone 5 drop
    meta priority 1:2 drop
    numgen inc mod 2 0 drop
  }
}
)");
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto text = icmpwall({"audit", "--netns", ns.name(), "--family", "ipv4", "--hook", "input",
                        "--type", "echo-request"});
  ASSERT_EQ(text.exit_code, kOk) << text.describe();
  EXPECT_THAT(text.out, HasSubstr("if meta mark == 0x00000001 at inet vals in #"));
  EXPECT_THAT(text.out, HasSubstr("if ct zone == 5 at inet vals in #"));
  EXPECT_THAT(text.out, HasSubstr("if meta priority == 1:2 at inet vals in #"));
  EXPECT_THAT(text.out, HasSubstr("unmodelled: expression 'numgen' at inet vals in #"));

  auto json = icmpwall({"audit", "--netns", ns.name(), "--json", "--family", "ipv4", "--hook",
                        "input", "--type", "echo-request"});
  ASSERT_EQ(json.exit_code, kOk) << json.describe();
  auto j = parse(json);
  const auto* echo = entry(j, "ipv4", "input", 8);
  ASSERT_NE(echo, nullptr);
  ASSERT_TRUE(echo->contains("unmodelled")) << echo->dump();
  ASSERT_EQ((*echo)["unmodelled"].size(), 1u);
  EXPECT_EQ((*echo)["unmodelled"][0]["expression"], "expression 'numgen'");
  EXPECT_EQ((*echo)["unmodelled"][0]["at"]["chain"], "in");
  EXPECT_GT((*echo)["unmodelled"][0]["at"]["handle"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace icmpwall::integration
