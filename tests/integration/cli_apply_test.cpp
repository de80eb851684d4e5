// SPDX-License-Identifier: GPL-2.0-or-later
// The command line against a real kernel: `apply` (and --dry-run), `flush`,
// exit codes and diagnostics. What is checked is the namespace's ruleset
// as nft lists it: dry runs change nothing, flush removes icmpwall's table
// and nothing else, a bad policy exits 3 pointing at file:line:col and
// leaves the previous ruleset as it was, and applying a policy twice gives
// the same table (modulo handles and counter values).
#include <gmock/gmock.h>

#include <algorithm>
#include <regex>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::StartsWith;

const char* const kPresets[] = {"host", "router", "lockdown", "router-edge"};

// A ruleset listing without what changes by itself: counter values and
// the expiry of dynamic set elements.
std::string normalize(const std::string& listing) {
  static const std::regex counter(R"(packets \d+ bytes \d+)");
  static const std::regex expires(R"( expires [0-9hms.]+)");
  return std::regex_replace(std::regex_replace(listing, counter, "packets 0 bytes 0"), expires, "");
}

// The listing's blocks (sets, maps, objects, chains) in sorted order: the
// kernel lists them in the order they were made, and an apply leaves
// unchanged sets and objects in place (netlink/in_place.h).
std::vector<std::string> blocks(const std::string& listing) {
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t next; (next = listing.find("\n\n", at)) != std::string::npos; at = next + 2)
    out.push_back(listing.substr(at, next - at));
  out.push_back(listing.substr(at));
  std::sort(out.begin(), out.end());
  return out;
}

std::string ruleset(const Netns& ns) {
  auto r = ns.run_checked({"nft", "list", "ruleset"});
  return normalize(r.out);
}

// A table of someone else, with a base chain and a counter of its own.
const char* const kOtherTable =
    "table inet other {\n"
    "  counter seen {}\n"
    "  chain input {\n"
    "    type filter hook input priority 5; policy accept;\n"
    "    counter name \"seen\"\n"
    "  }\n"
    "}\n";

std::set<std::string> counter_names_in(const std::string& nft_text) {
  std::set<std::string> out;
  static const std::regex decl(R"(^\s*counter (\S+) \{)");
  std::istringstream in(nft_text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, decl)) out.insert(m[1]);
  }
  return out;
}

// `name = "..."` of every [[rule]] in a policy file.
std::set<std::string> rule_names_in(const std::string& toml) {
  std::set<std::string> out;
  static const std::regex name(R"re(^name\s*=\s*"([^"]+)")re");
  std::istringstream in(toml);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, name)) out.insert(m[1]);
  }
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { ICMPWALL_REQUIRE_ROOT(); }
  Netns ns_;
};

TEST_F(CliTest, DryRunPrintsTheTableAndChangesNothing) {
  ASSERT_TRUE(ns_.nft_load(kOtherTable).ok());
  const std::string before = ruleset(ns_);
  for (const char* preset : kPresets) {
    SCOPED_TRACE(preset);
    auto r = icmpwall({"apply", "--dry-run", "--netns", ns_.name(), preset_path(preset)});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_THAT(r.out, StartsWith("table inet icmpwall {"));
    EXPECT_EQ(ruleset(ns_), before);
  }
}

// What a dry run prints is what `nft -f` accepts (render.cpp promises it).
// nft's check mode parses and validates against the kernel and commits
// nothing.
// Where the kernel lacks the native queue expression (apply then uses the
// xt NFQUEUE target, which nft syntax cannot express), nft cannot check a
// `queue` statement: it is replaced by `accept`, and the rest of the text
// is still checked.
TEST_F(CliTest, DryRunTextIsAcceptedByNft) {
  RunOptions probe;
  probe.input = "table inet iwprobe { chain c { queue num 0 bypass; } }\n";
  const bool native_queue = ns_.run({"nft", "-c", "-f", "-"}, probe).ok();
  for (const char* preset : kPresets) {
    SCOPED_TRACE(preset);
    auto r = icmpwall({"apply", "--dry-run", preset_path(preset)});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    RunOptions o;
    o.input = native_queue ? r.out
                           : std::regex_replace(r.out, std::regex(R"(queue num [0-9-]+( bypass)?)"),
                                                "accept");
    auto check = ns_.run({"nft", "-c", "-f", "-"}, o);
    EXPECT_TRUE(check.ok()) << check.describe();
    EXPECT_FALSE(ns_.has_table("icmpwall"));
  }
}

TEST_F(CliTest, ApplyLoadsOneCounterPerRuleOverflowAndDefault) {
  for (const char* preset : kPresets) {
    SCOPED_TRACE(preset);
    auto r = apply_policy(ns_, preset_path(preset));
    ASSERT_TRUE(r.ok()) << r.describe();
    std::set<std::string> loaded;
    for (const auto& [name, c] : read_counters(ns_, "icmpwall")) loaded.insert(name);
    // Every rule of the file has its counter, every hook its default.
    std::set<std::string> rule_counters;
    for (const auto& name : rule_names_in(read_file(preset_path(preset))))
      rule_counters.insert(rule_counter(name));
    EXPECT_THAT(loaded, IsSupersetOf(rule_counters));
    EXPECT_THAT(loaded, IsSupersetOf({"default.input", "default.output"}));
    // And exactly the counters the dry run declares.
    auto dry = icmpwall({"apply", "--dry-run", preset_path(preset)});
    ASSERT_TRUE(dry.ok()) << dry.describe();
    EXPECT_EQ(loaded, counter_names_in(dry.out));
  }
}

TEST_F(CliTest, ApplyingTwiceGivesTheSameTable) {
  for (const char* preset : kPresets) {
    SCOPED_TRACE(preset);
    auto r = apply_policy(ns_, preset_path(preset));
    ASSERT_TRUE(r.ok()) << r.describe();
    const auto first = ns_.nft_list_table("icmpwall");
    ASSERT_TRUE(first.ok()) << first.describe();
    r = apply_policy(ns_, preset_path(preset));
    ASSERT_TRUE(r.ok()) << r.describe();
    const auto second = ns_.nft_list_table("icmpwall");
    EXPECT_EQ(blocks(normalize(second.out)), blocks(normalize(first.out)));
    auto tables = ns_.run_checked({"nft", "list", "tables"});
    EXPECT_EQ(tables.out, "table inet icmpwall\n");
  }
}

TEST_F(CliTest, ApplyReplacesThePreviousTableWhole) {
  auto r = apply_policy(ns_, preset_path("router"));
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_THAT(ns_.nft_list_table("icmpwall").out, HasSubstr("hook forward"));
  r = apply_policy(ns_, preset_path("host"));
  ASSERT_TRUE(r.ok()) << r.describe();
  const auto listing = ns_.nft_list_table("icmpwall").out;
  EXPECT_THAT(listing, ::testing::Not(HasSubstr("hook forward")));
  EXPECT_THAT(listing, ::testing::Not(HasSubstr("transit-")));
  EXPECT_EQ(counter_names_in(listing),
            counter_names_in(icmpwall({"apply", "--dry-run", preset_path("host")}).out));
}

TEST_F(CliTest, FlushRemovesOnlyIcmpwallsTable) {
  ASSERT_TRUE(ns_.nft_load(kOtherTable).ok());
  const auto other = normalize(ns_.nft_list_table("other").out);
  auto r = apply_policy(ns_, preset_path("host"));
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(ns_.has_table("icmpwall"));

  r = flush_policy(ns_);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(ns_.has_table("icmpwall"));
  EXPECT_TRUE(ns_.has_table("other"));
  EXPECT_EQ(normalize(ns_.nft_list_table("other").out), other);

  // Flushing again, with nothing to remove, is not an error.
  r = flush_policy(ns_);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(ns_.has_table("other"));
}

TEST_F(CliTest, PolicyTableNameIsHonouredByApplyAndFlush) {
  auto r = apply_policy_text(
      ns_, "[icmpwall]\ntable = \"edge\"\nempty = true\n[hooks.input]\ndefault = \"allow\"\n");
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(ns_.has_table("edge"));
  EXPECT_FALSE(ns_.has_table("icmpwall"));
  r = icmpwall({"flush", "--netns", ns_.name(), "--table", "edge"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(ns_.has_table("edge"));
}

struct BadPolicy {
  const char* what;
  const char* toml;
  int line;  // where the diagnostic must point
  int col;
};

TEST_F(CliTest, BadPolicyExits3AtFileLineColAndKeepsTheRuleset) {
  ASSERT_TRUE(ns_.nft_load(kOtherTable).ok());
  auto r = apply_policy(ns_, preset_path("host"));
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string before = ruleset(ns_);

  const BadPolicy cases[] = {
      {"TOML syntax", "[hooks.input]\ndefault = \"drop\"\n\n[[rule]\nname = \"x\"\n", 4, 8},
      {"unknown type", "[hooks.input]\n[[rule]]\ntypes = [\"echo-requst\"]\naction = \"allow\"\n",
       3, 10},
      {"unknown key", "[hooks.input]\ndefault = \"drop\"\nfoo = 1\n", 3, 1},
      {"conflict",
       "[hooks.input]\n[[rule]]\ntype = \"timestamp-request\"\naction = \"allow\"\n"
       "[[rule]]\ntype = \"timestamp-request\"\naction = \"drop\"\n",
       5, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    TempFile file(c.toml, ".toml");
    auto bad = apply_policy(ns_, file.path());
    EXPECT_EQ(bad.exit_code, 3) << bad.describe();
    const std::string where =
        file.path() + ":" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": error";
    EXPECT_THAT(bad.err, StartsWith(where)) << bad.describe();
    EXPECT_EQ(ruleset(ns_), before) << "a rejected policy changed the ruleset";
  }
}

TEST_F(CliTest, MissingNamespaceExits4) {
  auto r =
      icmpwall({"apply", "--netns", "iw-absent-" + std::to_string(getpid()), preset_path("host")});
  EXPECT_EQ(r.exit_code, 4) << r.describe();
  r = icmpwall({"flush", "--netns", "iw-absent-" + std::to_string(getpid())});
  EXPECT_EQ(r.exit_code, 4) << r.describe();
}

}  // namespace
}  // namespace icmpwall::integration
