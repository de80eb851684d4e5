// SPDX-License-Identifier: GPL-2.0-or-later
// nft_text() against the real nft: each preset and the policy of every
// statement shape the compiler emits (tests/golden/nft_shapes.toml) is
// applied in a scratch namespace, dumped by the audit, and every rule's
// rendered text must be the line `nft list table inet icmpwall` prints for
// it, rule by rule and chain by chain (whitespace normalised, counters'
// packet and byte values left out, as nft_text leaves them out).
#include <gmock/gmock.h>
#include <linux/netfilter.h>

#include <map>
#include <regex>
#include <sstream>

#include "harness.h"
#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/dump.h"
#include "icmpwall/audit/nft_text.h"
#include "icmpwall/netlink/netns.h"

namespace icmpwall::integration {
namespace {

std::string normalised(std::string line) {
  static const std::regex counter_values(R"(counter packets \d+ bytes \d+)");
  static const std::regex spaces(R"(\s+)");
  line = std::regex_replace(line, counter_values, "counter");
  line = std::regex_replace(line, spaces, " ");
  if (!line.empty() && line.front() == ' ') line.erase(0, 1);
  if (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// The rule lines of each chain of `nft list table` output.
std::map<std::string, std::vector<std::string>> nft_rules(const std::string& listing) {
  static const std::regex chain_open(R"(^\s*chain (\S+) \{$)");
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(listing);
  std::string line, chain;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, chain_open)) {
      chain = m[1];
      out[chain];
      continue;
    }
    const std::string n = normalised(line);
    if (n == "}") {
      chain.clear();
      continue;
    }
    if (chain.empty() || n.empty() || n.starts_with("type ")) continue;
    out[chain].push_back(n);
  }
  return out;
}

// The audit's dump of the namespace's ruleset.
Result<audit::Ruleset> dump_in(const Netns& ns) {
  auto entered = netlink::EnterNetns::open(ns.name());
  if (!entered.ok()) return entered.error();
  return audit::dump_ruleset();
}

void expect_rules_read_as_nft_lists_them(const std::string& policy) {
  Netns ns;
  auto applied = apply_policy(ns, policy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  auto listing = ns.nft_list_table("icmpwall");
  ASSERT_TRUE(listing.ok()) << listing.describe();
  const auto lines = nft_rules(listing.out);

  auto rs = dump_in(ns);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  const audit::Table* table = rs->table(NFPROTO_INET, "icmpwall");
  ASSERT_NE(table, nullptr);

  size_t compared = 0;
  for (const auto& chain : table->chains) {
    SCOPED_TRACE("chain " + chain.name);
    auto it = lines.find(chain.name);
    ASSERT_NE(it, lines.end()) << listing.out;
    ASSERT_EQ(it->second.size(), chain.rules.size()) << listing.out;
    for (size_t i = 0; i < chain.rules.size(); ++i) {
      EXPECT_EQ(normalised(audit::nft_text(chain.rules[i], table)), it->second[i])
          << "rule " << i + 1 << ": " << audit::describe(chain.rules[i]);
      ++compared;
    }
  }
  EXPECT_GT(compared, 10u);
}

TEST(AuditNftTextTest, EveryPresetsRulesReadAsNftListsThem) {
  ICMPWALL_REQUIRE_ROOT();
  for (const char* preset : {"host", "router", "lockdown", "router-edge"}) {
    SCOPED_TRACE(preset);
    expect_rules_read_as_nft_lists_them(preset_path(preset));
  }
}

TEST(AuditNftTextTest, EveryCompiledShapeReadsAsNftListsIt) {
  ICMPWALL_REQUIRE_ROOT();
  expect_rules_read_as_nft_lists_them(std::string(ICMPWALL_SOURCE_DIR) +
                                      "/tests/golden/nft_shapes.toml");
}

// `log prefix "..." group N` (a policy with [icmpwall] log-group) reads as
// nft lists it.
TEST(AuditNftTextTest, NflogGroupLogsReadAsNftListsThem) {
  ICMPWALL_REQUIRE_ROOT();
  expect_rules_read_as_nft_lists_them(std::string(ICMPWALL_SOURCE_DIR) +
                                      "/tests/golden/nflog.toml");
}

// A rule added by hand, with nft's own syntax, reads back the same.
TEST(AuditNftTextTest, RulesWrittenWithNftReadBackAsWritten) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  ASSERT_TRUE(apply_policy(ns, preset_path("host")).ok());
  const std::vector<std::string> written = {
      "icmp type echo-request drop",
      "icmp type destination-unreachable icmp code frag-needed accept",
      "ip6 saddr 2001:db8::/32 icmpv6 type nd-router-advert ip6 hoplimit 255 accept",
      "ct state established,related counter accept",
      "meta l4proto icmp limit rate over 10/second burst 20 packets drop",
      "ip daddr != 198.18.0.0/15 log prefix \"x \" level info drop",
  };
  for (const auto& rule : written) {
    auto r = ns.run({"nft", "add", "rule", "inet", "icmpwall", "input.v4", rule});
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  auto listing = ns.nft_list_table("icmpwall");
  ASSERT_TRUE(listing.ok()) << listing.describe();
  const auto chains = nft_rules(listing.out);
  const auto& lines = chains.at("input.v4");
  ASSERT_GE(lines.size(), written.size());
  auto rs = dump_in(ns);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  const audit::Table* table = rs->table(NFPROTO_INET, "icmpwall");
  ASSERT_NE(table, nullptr);
  const auto& rules = table->chain("input.v4")->rules;
  ASSERT_EQ(rules.size(), lines.size());
  for (size_t i = rules.size() - written.size(); i < rules.size(); ++i)
    EXPECT_EQ(normalised(audit::nft_text(rules[i], table)), lines[i]);
}

}  // namespace
}  // namespace icmpwall::integration
