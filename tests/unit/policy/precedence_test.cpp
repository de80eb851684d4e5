// SPDX-License-Identifier: GPL-2.0-or-later
// policy::Precedence: the rules a packet meets and their order, per hook,
// family, type and code; conflicts. (tests/unit/compile/
// precedence_agreement_test.cpp checks the compiler and the lint follow it.)
#include "icmpwall/policy/precedence.h"

#include <gtest/gtest.h>

#include "policy_test_util.h"

namespace icmpwall::policy {
namespace {

std::vector<std::string> names(std::span<const Rule* const> rules) {
  std::vector<std::string> out;
  for (const auto* r : rules) out.push_back(r->name);
  return out;
}

Policy parsed(const std::string& text) {
  auto p = testing::parse(text);
  EXPECT_TRUE(p.policy) << testing::rendered(p.diags);
  return p.policy ? std::move(*p.policy) : Policy{};
}

constexpr const char* kHooks = R"(
[hooks.input]
default = "drop"
[hooks.output]
default = "allow"
)";

TEST(PrecedenceTest, CodeRulesFirstThenConditionalThenFileOrder) {
  const Policy p = parsed(std::string(kHooks) + R"(
[[rule]]
name = "wide"
types = ["destination-unreachable"]
action = "allow"
[[rule]]
name = "wide-from"
types = ["destination-unreachable"]
source = "198.18.0.0/15"
action = "drop"
[[rule]]
name = "port"
types = ["port-unreachable"]
action = "drop"
[[rule]]
name = "port-from"
types = ["port-unreachable"]
source = "198.18.0.0/15"
action = "allow"
)");
  const Precedence in(p, Hook::input, Family::ipv4);
  EXPECT_EQ(names(in.chain(3, 3)),
            (std::vector<std::string>{"port-from", "port", "wide-from", "wide"}));
  EXPECT_EQ(names(in.chain(3, 1)), (std::vector<std::string>{"wide-from", "wide"}));
  EXPECT_TRUE(in.chain(8, 0).empty());
  ASSERT_NE(in.type(3), nullptr);
  ASSERT_EQ(in.type(3)->codes.size(), 1u);
  EXPECT_EQ(in.type(3)->codes[0].code, 3);
  EXPECT_EQ(in.type(3)->codes[0].named, 2u);
  // port-unreachable is ICMPv6 1/4; the rules with an IPv4 source only
  // match ICMPv4.
  const Precedence in6(p, Hook::input, Family::ipv6);
  EXPECT_EQ(names(in6.chain(1, 4)), (std::vector<std::string>{"port", "wide"}));
  EXPECT_TRUE(tried_before(p.rules[1], p.rules[0]));
  EXPECT_FALSE(tried_before(p.rules[0], p.rules[1]));
  EXPECT_FALSE(tried_before(p.rules[2], p.rules[2]));
}

TEST(PrecedenceTest, HooksOfARule) {
  const Policy p = parsed(std::string(kHooks) + R"(
[[rule]]
name = "everywhere"
types = ["echo-request"]
action = "allow"
[[rule]]
name = "out"
types = ["echo-request"]
hooks = ["output"]
action = "drop"
)");
  EXPECT_TRUE(applies_to(p.rules[0], Hook::input, p));
  EXPECT_FALSE(applies_to(p.rules[0], Hook::forward, p));  // not declared
  EXPECT_FALSE(applies_to(p.rules[1], Hook::input, p));
  EXPECT_TRUE(applies_to(p.rules[1], Hook::output, p));
  const auto all = precedence(p);
  ASSERT_EQ(all.size(), 4u);  // input, output; ipv4, ipv6
  EXPECT_EQ(all[2].hook(), Hook::output);
  EXPECT_EQ(all[2].family(), Family::ipv4);
  EXPECT_EQ(names(all[0].chain(8, 0)), (std::vector<std::string>{"everywhere"}));
  EXPECT_EQ(names(all[2].chain(8, 0)), (std::vector<std::string>{"everywhere", "out"}));
  // Same conditions (none) and different actions, but only on output.
  const auto found = conflicts(all);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].hook, Hook::output);
  EXPECT_EQ(found[0].family, Family::ipv4);
  EXPECT_EQ(found[0].type, 8);
  EXPECT_FALSE(found[0].code);
  EXPECT_EQ(found[0].first->name, "everywhere");
  EXPECT_EQ(found[0].second->name, "out");
}

TEST(PrecedenceTest, ConflictsNeedIdenticalConditionsAndTheSameSpecificity) {
  const Policy p = parsed(std::string(kHooks) + R"(
[[rule]]
name = "a"
types = ["destination-unreachable"]
source = ["198.18.0.0/15", "2001:db8::/32"]
iif = ["eth0", "eth1"]
hooks = ["input"]
action = "allow"
[[rule]]
name = "b"
types = ["destination-unreachable"]
source = ["2001:db8::/32", "198.18.0.0/15"]
iif = ["eth1", "eth0"]
hooks = ["input"]
action = "drop"
[[rule]]
name = "c"
types = ["port-unreachable"]
source = ["198.18.0.0/15", "2001:db8::/32"]
iif = ["eth0", "eth1"]
hooks = ["input"]
action = "drop"
[[rule]]
name = "d"
types = ["destination-unreachable"]
source = ["198.18.0.0/16", "2001:db8::/32"]
iif = ["eth0", "eth1"]
hooks = ["input"]
action = "drop"
)");
  EXPECT_TRUE(same_conditions(p.rules[0].scope, p.rules[1].scope));  // lists as sets
  EXPECT_FALSE(same_conditions(p.rules[0].scope, p.rules[3].scope));
  const auto found = conflicts(precedence(p));
  // a and b, once (at their first family); never c (a code) nor d.
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].first->name, "a");
  EXPECT_EQ(found[0].second->name, "b");
  EXPECT_EQ(found[0].family, Family::ipv4);
}

}  // namespace
}  // namespace icmpwall::policy
