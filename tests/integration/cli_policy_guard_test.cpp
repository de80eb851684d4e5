// SPDX-License-Identifier: GPL-2.0-or-later
// Policies that must not reach the kernel: an empty, comment-only or
// cut-off file (which would replace a strict ruleset with one that filters
// nothing), and numbers the kernel would refuse. Each is refused by `check`
// and `apply` with exit 3 at file:line:col, and the namespace's ruleset is
// left exactly as it was; the explicitly empty policy and the numbers at
// the kernel's own limits are applied.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include <regex>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ruleset(const Netns& ns) {
  static const std::regex counter(R"(packets \d+ bytes \d+)");
  return std::regex_replace(ns.run_checked({"nft", "list", "ruleset"}).out, counter,
                            "packets 0 bytes 0");
}

struct Refused {
  std::string what;
  std::string toml;
  std::string message;  // part of the first diagnostic
};

class PolicyGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    auto r = apply_policy(ns_, preset_path("lockdown"));
    ASSERT_TRUE(r.ok()) << r.describe();
    before_ = ruleset(ns_);
    ASSERT_THAT(before_, HasSubstr("table inet icmpwall"));
  }

  // check and apply (plain and --strict) exit 3 at a position; nothing changes.
  void expect_refused(const Refused& c) {
    SCOPED_TRACE(c.what);
    TempFile file(c.toml, ".toml");
    for (const Argv& args :
         {Argv{"check", file.path()}, Argv{"apply", "--netns", ns_.name(), file.path()},
          Argv{"apply", "--strict", "--netns", ns_.name(), file.path()}}) {
      auto r = icmpwall(args);
      EXPECT_EQ(r.exit_code, 3) << r.describe();
      EXPECT_TRUE(
          std::regex_search(r.err, std::regex("^" + file.path() + ":[0-9]+:[0-9]+: error: ")))
          << r.describe();
      EXPECT_THAT(r.err, HasSubstr(c.message)) << r.describe();
      EXPECT_EQ(ruleset(ns_), before_) << "a refused policy changed the ruleset";
    }
  }

  Netns ns_;
  std::string before_;
};

TEST_F(PolicyGuardTest, EmptyCommentOnlyAndCutOffPoliciesAreRefused) {
  const std::string host = read_file(preset_path("host"));
  const size_t first_rule = host.find("[[rule]]");
  ASSERT_NE(first_rule, std::string::npos);
  const size_t second_rule = host.find("[[rule]]", first_rule + 1);
  ASSERT_NE(second_rule, std::string::npos);
  const std::string empty = "the policy is empty: it declares no hook and no [[rule]]";
  for (const Refused& c : std::vector<Refused>{
           {"empty file", "", empty},
           {"blank lines", "\n\n   \n", empty},
           {"comments only", "# icmpwall policy\n# (rules to follow)\n", empty},
           {"cut before the first rule", host.substr(0, first_rule), "the policy has no [[rule]]"},
           {"cut inside a rule's header", host.substr(0, first_rule + 5),
            "encountered end-of-file"},
           {"cut after a rule's header", host.substr(0, second_rule + 9), "has no 'action'"},
       })
    expect_refused(c);
}

TEST_F(PolicyGuardTest, ExplicitlyEmptyPolicyIsApplied) {
  TempFile file("[icmpwall]\nempty = true\n\n[hooks.input]\ndefault = \"allow\"\n", ".toml");
  auto check = icmpwall({"check", file.path()});
  EXPECT_EQ(check.exit_code, 0) << check.describe();
  auto r = apply_policy(ns_, file.path());
  ASSERT_TRUE(r.ok()) << r.describe();
  const auto listing = ns_.nft_list_table("icmpwall").out;
  EXPECT_THAT(listing, HasSubstr("hook input"));
  EXPECT_THAT(listing, ::testing::Not(HasSubstr("rule.")));  // no rule counters
  EXPECT_NE(ruleset(ns_), before_);
}

// The kernel's limit (nft_limit_init) refuses a bucket past 2^64 ns with
// EOVERFLOW (exit 4, before); now the policy is refused at the rate.
TEST_F(PolicyGuardTest, NumbersTheKernelRefusesAreCaughtAtTheirPosition) {
  const std::string rule = "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\n";
  for (const Refused& c : std::vector<Refused>{
           {"rate past 64 bits", rule + "rate = \"18446744073709551615/second\"\n",
            "is more than the kernel can limit"},
           {"bucket overflow", rule + "rate = \"1/day\"\nburst = 213504\n",
            "overflows the kernel's token bucket"},
           {"log bucket overflow",
            "[[rule]]\ntype = \"echo-request\"\naction = \"drop\"\nlog = { rate = \"1/day\", burst "
            "= 213504 }\n",
            "overflows the kernel's token bucket"},
       })
    expect_refused(c);
  // The boundary is the kernel's own: the largest burst at 1/day loads.
  TempFile edge(
      rule +
          "rate = \"1/day\"\nburst = 213503\n[[rule]]\ntype = \"echo-reply\"\naction = \"drop\"\n"
          "log = { rate = \"1000000000/second\", burst = 4294967295 }\n",
      ".toml");
  auto r = apply_policy(ns_, edge.path());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_THAT(ns_.nft_list_table("icmpwall").out, HasSubstr("burst 213503 packets"));
}

// A 60 MiB value used to be echoed twice in its diagnostic (126 MB of stderr).
TEST_F(PolicyGuardTest, AHugeValueGivesAShortDiagnostic) {
  const std::string huge(60 << 20, 'x');
  TempFile file("[icmpwall]\ntable = \"" + huge + "\"\n", ".toml");
  auto r = icmpwall({"check", file.path()});
  EXPECT_EQ(r.exit_code, 3) << r.describe().substr(0, 2000);
  EXPECT_LT(r.err.size(), 2000u) << r.err.substr(0, 2000);
  EXPECT_THAT(r.err, StartsWith(file.path() + ":2:9: error: table name 'xxxx"));
  EXPECT_THAT(r.err, HasSubstr(std::string(80, 'x') + "…'"));
}

// A rule's single prefix is matched in the rule (no set); the netlink
// encoding must be what nft makes of the --dry-run text, at every kind of
// prefix length: whole bytes, partial bytes, full addresses.
TEST(PrefixMatchTest, AppliedTableEqualsNftOfTheDryRunText) {
  ICMPWALL_REQUIRE_ROOT();
  std::string toml = "[hooks.input]\n[hooks.output]\n";
  int i = 0;
  for (const char* prefix :
       {"198.18.0.0/15", "198.18.0.0/16", "198.18.7.0/24", "198.18.7.9", "198.18.7.8/31",
        "2001:db8::/32", "2001:db8::/33", "2001:db8:1::/64", "2001:db8::1", "fe80::/10"}) {
    toml += fmt::format(
        "[[rule]]\nname = \"p{}\"\ntypes = [\"echo-request\", \"echo-reply\"]\n"
        "source = \"{}\"\ndestination = \"{}\"\naction = \"{}\"\n",
        i, prefix, prefix, i % 2 ? "drop" : "allow");
    ++i;
  }
  TempFile file(toml, ".toml");
  auto dry = icmpwall({"apply", "--dry-run", file.path()});
  ASSERT_TRUE(dry.ok()) << dry.describe();
  EXPECT_THAT(dry.out, HasSubstr("ip saddr 198.18.0.0/15 ip daddr 198.18.0.0/15 "));
  EXPECT_THAT(dry.out, HasSubstr("ip6 saddr 2001:db8::1 ip6 daddr 2001:db8::1 "));
  EXPECT_THAT(dry.out, ::testing::Not(HasSubstr("set p")));
  Netns ours, reference;
  auto r = apply_policy(ours, file.path());
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(reference.nft_load(dry.out).ok());
  EXPECT_EQ(ruleset(ours), ruleset(reference));
}

}  // namespace
}  // namespace icmpwall::integration
