// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall audit --policy`: the live table against the policy it was
// applied from, changed by hand with nft inside a scratch namespace, and
// other tables overriding it (confirmed with real pings). Run-time state
// (blocked sources, per-source rate-limit buckets) is never drift.
#include <gmock/gmock.h>

#include <regex>

#include "harness.h"
#include "icmpwall/util/exit_codes.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CommandResult audit_policy(const Netns& ns, const std::string& policy, bool json = false) {
  Argv args = {"audit", "--netns", ns.name(), "--policy", policy};
  if (json) args.push_back("--json");
  return icmpwall(args);
}

void expect_in_step(const Netns& ns, const std::string& policy) {
  auto audit = audit_policy(ns, policy);
  EXPECT_EQ(audit.exit_code, kOk) << audit.describe();
  EXPECT_THAT(audit.out, HasSubstr("table inet icmpwall: no drift")) << audit.describe();
}

// `nft args...` inside `ns`, which must succeed.
void nft(const Netns& ns, Argv args) {
  args.insert(args.begin(), "nft");
  auto r = ns.run(args);
  ASSERT_TRUE(r.ok()) << r.describe();
}

// The handle of the first rule of a chain, from `nft -a list chain`.
uint64_t first_rule_handle(const Netns& ns, const std::string& chain) {
  auto r = ns.run({"nft", "-a", "list", "chain", "inet", "icmpwall", chain});
  EXPECT_TRUE(r.ok()) << r.describe();
  static const std::regex rule_line(R"(\n\t\t[^\n]*# handle (\d+)\n)");
  std::smatch m;
  if (!std::regex_search(r.out, m, rule_line)) {
    ADD_FAILURE() << "no rule in chain " << chain << ":\n" << r.out;
    return 0;
  }
  return std::stoull(m[1]);
}

constexpr const char* kOtherTable = R"(table inet other {
  chain in {
    type filter hook input priority -10; policy accept;
    icmp type echo-request drop
  }
}
)";

TEST(AuditDriftTest, EveryPresetIsInStepRightAfterApply) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  for (const char* preset : {"host", "router", "lockdown", "router-edge"}) {
    SCOPED_TRACE(preset);
    auto applied = apply_policy(ns, preset_path(preset));
    ASSERT_TRUE(applied.ok()) << applied.describe();
    expect_in_step(ns, preset_path(preset));
    auto json = audit_policy(ns, preset_path(preset), true);
    EXPECT_EQ(json.exit_code, kOk) << json.describe();
    EXPECT_THAT(json.out, HasSubstr("\"drift\": false"));
  }
  // The live table is the last preset's: the others differ from it.
  auto other = audit_policy(ns, preset_path("host"));
  EXPECT_EQ(other.exit_code, kDrift) << other.describe();
}

// The fragment rules (ip frag-off, the IPv6 fragment header through
// exthdr) and the ct rule of "reassemble" decode back to what was encoded.
TEST(AuditDriftTest, EveryFragmentsModeIsInStepRightAfterApply) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  for (const char* mode : {"reassemble", "follow", "drop"}) {
    SCOPED_TRACE(mode);
    TempFile policy(
        std::string("[icmpwall]\nfragments = \"") + mode + "\"\n" + kQueue7InspectPolicy, ".toml");
    auto applied = apply_policy(ns, policy.path());
    ASSERT_TRUE(applied.ok()) << applied.describe();
    expect_in_step(ns, policy.path());
  }
}

TEST(AuditDriftTest, InsertedRuleIsExtra) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  const auto policy = preset_path("host");
  ASSERT_TRUE(apply_policy(ns, policy).ok());
  nft(ns, {"insert", "rule", "inet", "icmpwall", "input", "icmp", "type", "echo-request", "drop"});
  auto audit = audit_policy(ns, policy);
  EXPECT_EQ(audit.exit_code, kDrift) << audit.describe();
  EXPECT_THAT(audit.out, HasSubstr("chain input: extra rule 1 (handle "));
  // in nft syntax, as `nft list` shows the rule
  EXPECT_THAT(audit.out, HasSubstr("): live \"icmp type echo-request drop\"\n"));
  EXPECT_THAT(audit.out, Not(HasSubstr("cmp eq r1")));
  EXPECT_THAT(audit.out, HasSubstr("drift (1 difference(s), 0 override(s))"));
  auto json = audit_policy(ns, policy, true);
  EXPECT_EQ(json.exit_code, kDrift);
  EXPECT_THAT(json.out, HasSubstr("\"kind\": \"extra\""));
  EXPECT_THAT(json.out, HasSubstr("\"object\": \"chain input rule 1 (handle "));
  EXPECT_THAT(json.out, HasSubstr("\"live\": \"icmp type echo-request drop\""));
  // the register form the comparison is made on
  EXPECT_THAT(json.out, HasSubstr("\"live_raw\": \"meta nfproto -> r1; cmp eq r1 02; meta l4proto "
                                  "-> r1; cmp eq r1 01; payload th+0 1 -> r1; cmp eq r1 08; "
                                  "immediate drop\""));
}

TEST(AuditDriftTest, DeletedRuleIsMissing) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  const auto policy = preset_path("host");
  ASSERT_TRUE(apply_policy(ns, policy).ok());
  const uint64_t handle = first_rule_handle(ns, "input");
  ASSERT_NE(handle, 0u);
  nft(ns, {"delete", "rule", "inet", "icmpwall", "input", "handle", std::to_string(handle)});
  auto audit = audit_policy(ns, policy);
  EXPECT_EQ(audit.exit_code, kDrift) << audit.describe();
  EXPECT_THAT(audit.out, HasSubstr("chain input: rule 1 missing: policy \""));
  EXPECT_THAT(audit.out, HasSubstr("jump input.v4"));
}

TEST(AuditDriftTest, ChangedSetAndMapElementsAreNamed) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  const auto policy = preset_path("host");
  ASSERT_TRUE(apply_policy(ns, policy).ok());
  nft(ns,
      {"add", "element", "inet", "icmpwall", "echo-to-broadcast.destination-type", "{ anycast }"});
  nft(ns, {"delete", "element", "inet", "icmpwall", "verdicts.input.v4", "{ echo-reply . 0-255 }"});
  auto audit = audit_policy(ns, policy);
  EXPECT_EQ(audit.exit_code, kDrift) << audit.describe();
  EXPECT_THAT(audit.out, HasSubstr("set echo-to-broadcast.destination-type: extra element "));
  EXPECT_THAT(audit.out,
              HasSubstr("set verdicts.input.v4: element 0000000000000000-00000000ff000000 "
                        "missing: policy \"echo-reply . 0-255 : jump input.v4.0\""));
}

TEST(AuditDriftTest, DeletedTableMeansThePolicyIsNotApplied) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  const auto policy = preset_path("lockdown");
  ASSERT_TRUE(apply_policy(ns, policy).ok());
  nft(ns, {"delete", "table", "inet", "icmpwall"});
  auto audit = audit_policy(ns, policy);
  EXPECT_EQ(audit.exit_code, kDrift) << audit.describe();
  EXPECT_THAT(audit.out, HasSubstr("table inet icmpwall: missing (policy not applied)"));
}

TEST(AuditDriftTest, AnotherTablesDropIsAnOverrideThatPingConfirms) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  const auto policy = preset_path("host");
  ASSERT_TRUE(apply_policy(net.server, policy).ok());
  ASSERT_EQ(ping(net.client, Addr::server_v4).received, 3);
  expect_in_step(net.server, policy);

  auto loaded = net.server.nft_load(kOtherTable);
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto audit = audit_policy(net.server, policy);
  EXPECT_EQ(audit.exit_code, kDrift) << audit.describe();
  // host.toml inspects echo requests (limited, then queued)
  EXPECT_THAT(audit.out, HasSubstr("override: ipv4 input echo-request (type 8 code 0): policy "
                                   "queued, kernel dropped by inet other in #"));
  EXPECT_THAT(audit.out, HasSubstr("drift (0 difference(s), 1 override(s))"));
  auto json = audit_policy(net.server, policy, true);
  EXPECT_THAT(json.out, HasSubstr("\"table\": \"other\""));
  // The override is real: echo requests die in the other table.
  EXPECT_EQ(ping(net.client, Addr::server_v4).received, 0);
}

TEST(AuditDriftTest, AnotherTablesAcceptDoesNotOverride) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  const auto policy = preset_path("lockdown");
  ASSERT_TRUE(apply_policy(ns, policy).ok());
  // Accepts in an earlier base chain end only that chain: icmpwall's
  // chain still sees (and decides) the packet.
  auto loaded = ns.nft_load(R"(table inet other {
  chain in {
    type filter hook input priority -10; policy accept;
    icmp type timestamp-request accept
    icmpv6 type echo-request accept
  }
}
)");
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  expect_in_step(ns, policy);
}

TEST(AuditDriftTest, SourcesBlockedAtRunTimeAreNotDrift) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  TempFile policy(kQueue7InspectPolicy, ".toml");
  ASSERT_TRUE(apply_policy(ns, policy.path()).ok());
  expect_in_step(ns, policy.path());
  nft(ns,
      {"add", "element", "inet", "icmpwall", "inspect.blocked.v4", "{ 198.18.1.2 timeout 60s }"});
  auto set = ns.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"});
  ASSERT_THAT(set.out, HasSubstr("198.18.1.2"));
  expect_in_step(ns, policy.path());
}

TEST(AuditDriftTest, PerSourceBucketsFilledByTrafficAreNotDrift) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  const auto policy = preset_path("host");
  ASSERT_TRUE(apply_policy(net.server, policy).ok());
  ASSERT_EQ(ping(net.client, Addr::server_v4).received, 3);
  // The echo rule's per-source set now holds the client.
  auto sets = net.server.run({"nft", "list", "sets", "inet"});
  ASSERT_THAT(sets.out, HasSubstr(Addr::client_v4)) << sets.out;
  expect_in_step(net.server, policy);
}

TEST(AuditDriftTest, InvalidPolicyAndMissingNamespaceExitCodes) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  TempFile bad("[[rule]]\nname = \"x\"\ntypes = [\"echo-requets\"]\naction = \"allow\"\n", ".toml");
  auto audit = audit_policy(ns, bad.path());
  EXPECT_EQ(audit.exit_code, kPolicy) << audit.describe();
  EXPECT_THAT(audit.err, HasSubstr(bad.path() + ":3:"));
  auto gone =
      icmpwall({"audit", "--netns", ns.name() + "-absent", "--policy", preset_path("host")});
  EXPECT_EQ(gone.exit_code, kKernel) << gone.describe();
  EXPECT_THAT(gone.out, Not(HasSubstr("no drift")));
}

}  // namespace
}  // namespace icmpwall::integration
