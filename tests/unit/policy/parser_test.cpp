// SPDX-License-Identifier: GPL-2.0-or-later
// policy/parser.cpp: good policies come out complete and resolved; every
// diagnostic the parser can give appears at the right line:col with its
// message and hint, and any error empties the result.
#include "icmpwall/policy/parser.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "icmpwall/util/address.h"
#include "policy_test_util.h"

namespace icmpwall::policy {
namespace {

using testing::has_diag;
using testing::parse;
using testing::rendered;

Prefix v4_prefix(std::array<uint8_t, 4> a, uint8_t len) {
  Prefix p;
  p.family = Family::ipv4;
  std::copy(a.begin(), a.end(), p.addr.begin());
  p.len = len;
  return p;
}

// ---- good policies ----------------------------------------------------------------

#define RULE_TEXT "[[rule]]\ntype = \"echo-request\"\naction = \"allow\"\n"

TEST(ParserTest, ExplicitlyEmptyPolicyFiltersInputWithDefaultAllow) {
  auto p = parse("[icmpwall]\nempty = true\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.diags.empty());
  EXPECT_EQ(p.policy->table, "icmpwall");
  EXPECT_EQ(p.policy->priority, 0);
  EXPECT_EQ(p.policy->role, Role::host);
  ASSERT_EQ(p.policy->hooks.size(), 1u);
  EXPECT_EQ(p.policy->hooks[0].hook, Hook::input);
  EXPECT_EQ(p.policy->hooks[0].default_action, Action::allow);
  EXPECT_FALSE(p.policy->hooks[0].log);
  EXPECT_TRUE(p.policy->rules.empty());
  ASSERT_TRUE(p.policy->source);
  EXPECT_EQ(p.policy->source->path(), "p.toml");
}

TEST(ParserTest, EveryKeyIsRead) {
  auto p = parse(R"([icmpwall]
table = "icmpwall_2"
priority = -10
role = "router"

[hooks.output]
default = "allow"

[hooks.input]
default = "drop"
log = { prefix = "in-default ", rate = "1/second", burst = 3 }

[hooks.forward]
log = true

[[rule]]
name = "ping_v4"
type = "icmp:8/0"
family = "ipv4"
action = "rate-limit"
rate = "5/minute"
burst = 10
per = "source"
ipv4-prefix = 24
ipv6-prefix = 48
over = "continue"
timeout = 120
max-sources = 1024
hooks = ["forward", "input"]
iif = ["eth0", "eth1", "eth0"]
source = ["198.18.0.0/15", "192.0.2.1"]
destination = "203.0.113.0/24"
destination-type = ["unicast", "local"]
hop-limit = 64
log = { prefix = "ping ", rate = "2/hour", burst = 1 }

[[rule]]
types = ["icmpv6:1/4", 200, "time-exceeded/1", "redirect/0"]
family = "ipv6"
action = "inspect"
queue = 10
queues = 4
no-worker = "drop"
oif = "wan0"
hooks = ["output"]
log = true

[[rule]]
types = ["echo-request"]
action = "inspect"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.diags.empty()) << rendered(p.diags);
  const Policy& pol = *p.policy;
  EXPECT_EQ(pol.table, "icmpwall_2");
  EXPECT_EQ(pol.priority, -10);
  EXPECT_EQ(pol.role, Role::router);
  EXPECT_EQ(pol.role_loc.line, 4u);
  EXPECT_EQ(pol.role_loc.col, 8u);

  // Hooks come in input, forward, output order whatever the file's order.
  ASSERT_EQ(pol.hooks.size(), 3u);
  EXPECT_EQ(pol.hooks[0].hook, Hook::input);
  EXPECT_EQ(pol.hooks[0].default_action, Action::drop);
  EXPECT_EQ(pol.hooks[0].loc.line, 9u);
  ASSERT_TRUE(pol.hooks[0].log);
  EXPECT_EQ(pol.hooks[0].log->prefix, "in-default ");
  EXPECT_EQ(pol.hooks[0].log->rate, (Rate{1, RateUnit::second}));
  EXPECT_EQ(pol.hooks[0].log->burst, 3u);
  EXPECT_EQ(pol.hooks[1].hook, Hook::forward);
  EXPECT_EQ(pol.hooks[1].default_action, Action::allow);
  ASSERT_TRUE(pol.hooks[1].log);
  EXPECT_EQ(pol.hooks[1].log->prefix, "icmpwall default.forward ");
  EXPECT_EQ(pol.hooks[1].log->rate, (Rate{5, RateUnit::minute}));
  EXPECT_EQ(pol.hooks[1].log->burst, 5u);
  EXPECT_EQ(pol.hooks[2].hook, Hook::output);
  EXPECT_EQ(pol.hooks[2].loc.line, 6u);
  EXPECT_EQ(pol.hooks[2].loc.col, 1u);

  ASSERT_EQ(pol.rules.size(), 3u);
  const Rule& a = pol.rules[0];
  EXPECT_EQ(a.name, "ping_v4");
  EXPECT_EQ(a.loc.line, 16u);
  EXPECT_EQ(a.loc.col, 1u);
  ASSERT_EQ(a.matches.size(), 1u);
  EXPECT_EQ(a.matches[0].family, Family::ipv4);
  EXPECT_EQ(a.matches[0].type, 8);
  EXPECT_EQ(a.matches[0].code, 0);
  EXPECT_EQ(a.matches[0].loc.line, 18u);
  EXPECT_EQ(a.matches[0].loc.col, 8u);
  EXPECT_EQ(a.action, Action::rate_limit);
  EXPECT_EQ(a.action_loc.line, 20u);
  ASSERT_TRUE(a.limit);
  EXPECT_FALSE(a.inspect);
  EXPECT_EQ(a.limit->rate, (Rate{5, RateUnit::minute}));
  EXPECT_EQ(a.limit->burst, 10u);
  EXPECT_TRUE(a.limit->per_source);
  EXPECT_EQ(a.limit->ipv4_prefix, 24);
  EXPECT_EQ(a.limit->ipv6_prefix, 48);
  EXPECT_FALSE(a.limit->over_drop);
  EXPECT_EQ(a.limit->timeout_s, 120u);
  EXPECT_EQ(a.limit->max_sources, 1024u);
  EXPECT_EQ(a.limit->loc.line, 21u);
  EXPECT_EQ(a.scope.hooks, (std::vector<Hook>{Hook::input, Hook::forward}));
  EXPECT_EQ(a.scope.iif, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_TRUE(a.scope.oif.empty());
  ASSERT_EQ(a.scope.source.size(), 2u);
  EXPECT_EQ(a.scope.source[0], v4_prefix({198, 18, 0, 0}, 15));
  EXPECT_EQ(a.scope.source[0].loc.line, 31u);
  EXPECT_EQ(a.scope.source[0].loc.col, 11u);
  EXPECT_EQ(a.scope.source[1], v4_prefix({192, 0, 2, 1}, 32));
  ASSERT_EQ(a.scope.destination.size(), 1u);
  EXPECT_EQ(a.scope.destination[0], v4_prefix({203, 0, 113, 0}, 24));
  EXPECT_EQ(a.scope.destination_type, (std::vector<AddrType>{AddrType::unicast, AddrType::local}));
  EXPECT_EQ(a.scope.hop_limit, 64);
  ASSERT_TRUE(a.log);
  EXPECT_EQ(a.log->prefix, "ping ");
  EXPECT_EQ(a.log->rate, (Rate{2, RateUnit::hour}));
  EXPECT_EQ(a.log->burst, 1u);

  const Rule& b = pol.rules[1];
  EXPECT_EQ(b.name, "rule-2");
  ASSERT_EQ(b.matches.size(), 4u);
  EXPECT_EQ(b.matches[0].family, Family::ipv6);
  EXPECT_EQ(b.matches[0].type, 1);
  EXPECT_EQ(b.matches[0].code, 4);
  EXPECT_EQ(b.matches[1].type, 200);
  EXPECT_FALSE(b.matches[1].code);
  EXPECT_EQ(b.matches[1].loc.col, 24u);
  EXPECT_EQ(b.matches[2].type, 3);  // ICMPv6 time-exceeded
  EXPECT_EQ(b.matches[2].code, 1);
  EXPECT_EQ(b.matches[3].type, 137);  // ICMPv6 redirect
  EXPECT_EQ(b.matches[3].code, 0);
  ASSERT_TRUE(b.inspect);
  EXPECT_FALSE(b.limit);
  EXPECT_EQ(b.inspect->queue, 10);
  EXPECT_EQ(b.inspect->queues, 4);
  EXPECT_FALSE(b.inspect->fail_open);
  EXPECT_EQ(b.scope.oif, (std::vector<std::string>{"wan0"}));
  EXPECT_EQ(b.scope.hooks, (std::vector<Hook>{Hook::output}));
  ASSERT_TRUE(b.log);
  EXPECT_EQ(b.log->prefix, "icmpwall rule-2 ");
  EXPECT_FALSE(b.scope.conditional() && b.scope.oif.empty());

  const Rule& c = pol.rules[2];
  EXPECT_EQ(c.name, "rule-3");
  ASSERT_TRUE(c.inspect);
  EXPECT_EQ(c.inspect->queue, 0);
  EXPECT_EQ(c.inspect->queues, 1);
  EXPECT_TRUE(c.inspect->fail_open);
  EXPECT_TRUE(c.scope.hooks.empty());
  EXPECT_FALSE(c.scope.conditional());
}

TEST(ParserTest, NamesResolveToEveryFamilyMeaning) {
  auto p = parse(R"([[rule]]
types = ["echo-request", "packet-too-big", "frag-needed", "port-unreachable", "ttl-exceeded", "neighbor-solicitation"]
action = "allow"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  std::vector<std::tuple<Family, int, int>> got;
  for (const auto& m : p.policy->rules[0].matches)
    got.emplace_back(m.family, m.type, m.code ? *m.code : -1);
  EXPECT_EQ(got, (std::vector<std::tuple<Family, int, int>>{
                     {Family::ipv4, 8, -1},
                     {Family::ipv6, 128, -1},
                     {Family::ipv6, 2, -1},
                     {Family::ipv4, 3, 4},
                     {Family::ipv4, 3, 3},
                     {Family::ipv6, 1, 4},
                     {Family::ipv4, 11, 0},
                     {Family::ipv6, 3, 0},
                     {Family::ipv6, 135, -1},
                 }));
}

TEST(ParserTest, FamilyNarrowsNamesAndCodes) {
  auto p = parse(R"([[rule]]
types = ["echo-request", "time-exceeded/reassembly-timeout"]
family = "ipv6"
action = "allow"

[[rule]]
types = ["redirect/host-redirect", 13]
family = "ipv4"
action = "drop"

[[rule]]
types = ["redirect/host-redirect"]
action = "drop"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  const auto& r0 = p.policy->rules[0].matches;
  ASSERT_EQ(r0.size(), 2u);
  EXPECT_EQ(r0[0].family, Family::ipv6);
  EXPECT_EQ(r0[0].type, 128);
  EXPECT_EQ(r0[1].type, 3);
  EXPECT_EQ(r0[1].code, 1);
  const auto& r1 = p.policy->rules[1].matches;
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[0].type, 5);
  EXPECT_EQ(r1[0].code, 1);
  EXPECT_EQ(r1[1].family, Family::ipv4);
  EXPECT_EQ(r1[1].type, 13);
  // host-redirect is an ICMPv4 code only: the ICMPv6 redirect is not matched.
  const auto& r2 = p.policy->rules[2].matches;
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].family, Family::ipv4);
}

TEST(ParserTest, PrefixesOfOneFamilyRestrictTheRule) {
  auto p = parse(R"([[rule]]
types = ["echo-request"]
source = ["fe80::/10", "::/128"]
action = "allow"

[[rule]]
types = ["echo-request"]
destination = ["192.0.2.0/24", "2001:db8::/32"]
action = "drop"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  ASSERT_EQ(p.policy->rules[0].matches.size(), 1u);
  EXPECT_EQ(p.policy->rules[0].matches[0].family, Family::ipv6);
  const auto& src = p.policy->rules[0].scope.source;
  ASSERT_EQ(src.size(), 2u);
  EXPECT_EQ(src[0].family, Family::ipv6);
  EXPECT_EQ(src[0].len, 10);
  EXPECT_EQ(src[0].addr[0], 0xfe);
  EXPECT_EQ(src[0].addr[1], 0x80);
  EXPECT_EQ(src[1].len, 128);
  EXPECT_EQ(p.policy->rules[1].matches.size(), 2u);
}

TEST(ParserTest, RepeatedPrefixesAreListedOnceInFirstOrder) {
  auto p = parse(R"([[rule]]
types = ["echo-request"]
source = ["198.18.0.1", "2001:db8::/32", "198.18.0.1/32", "198.18.0.0/16", "2001:db8::/32",
          "198.18.0.0/15"]
destination = ["198.19.0.0/16", "198.19.0.0/16"]
action = "allow"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  const auto& src = p.policy->rules[0].scope.source;
  ASSERT_EQ(src.size(), 4u);
  EXPECT_EQ(src[0].family, Family::ipv4);
  EXPECT_EQ(src[0].len, 32);
  EXPECT_EQ(src[0].loc.col, 11u);  // the first of the two
  EXPECT_EQ(src[1].family, Family::ipv6);
  EXPECT_EQ(src[1].len, 32);
  EXPECT_EQ(src[1].loc.col, 25u);
  EXPECT_EQ(src[2].len, 16);
  EXPECT_EQ(src[3].len, 15);
  ASSERT_EQ(p.policy->rules[0].scope.destination.size(), 1u);
  EXPECT_EQ(p.policy->rules[0].scope.destination[0].len, 16);
}

TEST(ParserTest, InlineArrayOfRulesAndDottedKeys) {
  auto p = parse(
      R"(rule = [{ type = "echo-request", action = "allow" }, { type = "echo-reply", action = "drop" }]
hooks.input.default = "drop"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  ASSERT_EQ(p.policy->rules.size(), 2u);
  EXPECT_EQ(p.policy->rules[1].name, "rule-2");
  EXPECT_EQ(p.policy->rules[1].action, Action::drop);
  ASSERT_EQ(p.policy->hooks.size(), 1u);
  EXPECT_EQ(p.policy->hooks[0].default_action, Action::drop);
  EXPECT_EQ(p.policy->hooks[0].loc.line, 2u);
}

TEST(ParserTest, LogFalseMeansNoLog) {
  auto p = parse(R"([hooks.input]
log = false
[[rule]]
type = "echo-request"
action = "allow"
log = false
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_FALSE(p.policy->hooks[0].log);
  EXPECT_FALSE(p.policy->rules[0].log);
}

// [icmpwall] log-group sends every `log` of the policy (rules and hook
// defaults) to that NFLOG group; without it they go to the kernel log.
TEST(ParserTest, NflogGroupAppliesToEveryLog) {
  auto p = parse(R"([icmpwall]
log-group = 7
[hooks.input]
default = "drop"
log = true
[[rule]]
name = "no-ts"
type = "timestamp-request"
action = "drop"
log = { prefix = "ts " }
[[rule]]
type = "echo-request"
action = "allow"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_EQ(p.policy->log_group, uint16_t{7});
  EXPECT_EQ(p.policy->log_group_loc.line, 2u);
  EXPECT_EQ(p.policy->hooks[0].log->group, uint16_t{7});
  EXPECT_EQ(p.policy->rules[0].log->group, uint16_t{7});
  EXPECT_EQ(p.policy->rules[0].log->prefix, "ts ");
  EXPECT_FALSE(p.policy->rules[1].log);

  auto none = parse("[hooks.input]\nlog = true\n" RULE_TEXT);
  ASSERT_TRUE(none.policy) << rendered(none.diags);
  EXPECT_FALSE(none.policy->log_group);
  EXPECT_FALSE(none.policy->hooks[0].log->group);

  auto zero = parse("[icmpwall]\nlog-group = 0\n[hooks.input]\nlog = true\n" RULE_TEXT);
  ASSERT_TRUE(zero.policy) << rendered(zero.diags);
  EXPECT_EQ(zero.policy->hooks[0].log->group, uint16_t{0});
}

TEST(ParserTest, RateLimitDefaults) {
  auto p = parse(R"([[rule]]
type = "echo-request"
action = "rate-limit"
rate = "3/day"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  const auto& l = *p.policy->rules[0].limit;
  EXPECT_EQ(l.rate, (Rate{3, RateUnit::day}));
  EXPECT_EQ(l.burst, 5u);
  EXPECT_FALSE(l.per_source);
  EXPECT_EQ(l.ipv4_prefix, 32);
  EXPECT_EQ(l.ipv6_prefix, 64);
  EXPECT_TRUE(l.over_drop);
  EXPECT_EQ(l.timeout_s, 60u);
  EXPECT_EQ(l.max_sources, 65535u);
}

// An inspect rule takes the rate-limit keys: limited in the kernel, then
// inspected.
TEST(ParserTest, InspectTakesRateLimitKeys) {
  auto p = parse(R"([[rule]]
name = "echo"
type = "echo-request"
action = "inspect"
no-worker = "accept"
rate = "20/second"
burst = 50
per = "source"
ipv6-prefix = 56
timeout = 30
max-sources = 1000
over = "drop"

[[rule]]
name = "plain"
type = "echo-reply"
action = "inspect"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.diags.empty()) << rendered(p.diags);
  const auto& r = p.policy->rules[0];
  ASSERT_TRUE(r.inspect);
  EXPECT_TRUE(r.inspect->fail_open);
  ASSERT_TRUE(r.limit);
  EXPECT_EQ(r.limit->rate, (Rate{20, RateUnit::second}));
  EXPECT_EQ(r.limit->burst, 50u);
  EXPECT_TRUE(r.limit->per_source);
  EXPECT_EQ(r.limit->ipv6_prefix, 56);
  EXPECT_EQ(r.limit->timeout_s, 30u);
  EXPECT_EQ(r.limit->max_sources, 1000u);
  EXPECT_TRUE(r.limit->over_drop);
  EXPECT_EQ(r.limit->loc.line, 6u);  // the rate
  // Without rate-limit keys an inspect rule has no limit.
  EXPECT_TRUE(p.policy->rules[1].inspect);
  EXPECT_FALSE(p.policy->rules[1].limit);
}

TEST(ParserTest, FragmentsModeAndItsPosition) {
  auto none = parse("[icmpwall]\nempty = true\n");
  ASSERT_TRUE(none.policy);
  EXPECT_EQ(none.policy->fragments, Fragments::follow);
  EXPECT_FALSE(none.policy->fragments_loc.known());
  for (auto [text, mode] :
       {std::pair{"reassemble", Fragments::reassemble}, std::pair{"follow", Fragments::follow},
        std::pair{"drop", Fragments::drop}}) {
    auto p = parse(std::string("[icmpwall]\nfragments = \"") + text + "\"\nempty = true\n");
    ASSERT_TRUE(p.policy) << rendered(p.diags);
    EXPECT_EQ(p.policy->fragments, mode);
    EXPECT_EQ(p.policy->fragments_loc.line, 2u);
    EXPECT_EQ(p.policy->fragments_loc.col, 13u);
  }
}

TEST(ParserTest, DuplicateEntryIsAWarningAndListedOnce) {
  auto p = parse(R"([[rule]]
types = ["echo-request", "icmp:8", "echo-request"]
action = "allow"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_EQ(p.policy->rules[0].matches.size(), 2u);
  EXPECT_EQ(p.diags.count(Severity::warning), 2u);
  EXPECT_TRUE(has_diag(p.diags, Severity::warning, 2, 26, "'icmp:8' is already named by this rule",
                       "remove this entry"));
  EXPECT_TRUE(has_diag(p.diags, Severity::warning, 2, 36,
                       "'echo-request' is already named by this rule", "remove this entry"));
}

TEST(ParserTest, PrefixOfAnUnusedFamilyIsAWarning) {
  auto p = parse(R"([[rule]]
types = ["packet-too-big"]
source = ["10.0.0.0/8", "2001:db8::/32"]
action = "allow"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_EQ(p.diags.count(Severity::warning), 1u);
  EXPECT_TRUE(has_diag(p.diags, Severity::warning, 3, 11,
                       "IPv4 prefix never applies: rule 'rule-1' matches only ICMPv6 types",
                       "remove it"));
}

// An address ends at its text's end, not at a NUL inside it; the longest
// address text (45 bytes) still reads, anything longer is none.
TEST(ParserTest, PrefixTextIsReadWhole) {
  auto with_source = [](const std::string& source) {
    return parse("[[rule]]\ntypes = [\"echo-request\"]\nsource = [" + source +
                 "]\naction = \"allow\"\n");
  };
  auto nul = with_source(R"("198.18.0.1\u0000junk", "2001:db8::1\u0000/64")");
  EXPECT_FALSE(nul.policy);
  EXPECT_EQ(nul.diags.count(Severity::error), 2u) << rendered(nul.diags);
  auto longest = with_source(R"("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128")");
  ASSERT_TRUE(longest.policy) << rendered(longest.diags);
  EXPECT_EQ(longest.policy->rules[0].scope.source.size(), 1u);
  auto too_long = with_source("\"" + std::string(200, ':') + "\"");
  EXPECT_FALSE(too_long.policy);
  EXPECT_NE(testing::find_diag(too_long.diags, "is not an IPv4 or IPv6 address or prefix"), nullptr)
      << rendered(too_long.diags);
}

TEST(ParserTest, ErrorsAreAllReportedInFileOrder) {
  auto p = parse(R"([[rule]]
types = ["echo-requets"]
action = "alow"
zzz = 1
aaa = 2
)");
  EXPECT_FALSE(p.policy);
  ASSERT_EQ(p.diags.count(Severity::error), 4u) << rendered(p.diags);
  const auto& items = p.diags.items();
  for (size_t i = 0; i < items.size(); ++i)
    EXPECT_EQ(items[i].loc.line, i + 2) << rendered(p.diags);
}

TEST(ParserTest, ReadsAFile) {
  char path[] = "/tmp/icmpwall-parser-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = "[icmpwall]\nempty = true\n[hooks.input]\ndefault = \"drop\"\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  Diagnostics d;
  auto p = parse_policy_file(path, d);
  unlink(path);
  ASSERT_TRUE(p) << rendered(d);
  EXPECT_EQ(p->hooks[0].default_action, Action::drop);
  EXPECT_EQ(p->source->path(), path);
}

TEST(ParserTest, UnreadableFileIsAnErrorWithoutPosition) {
  Diagnostics d;
  EXPECT_FALSE(parse_policy_file("/nonexistent/icmpwall.toml", d));
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].message, "cannot read policy file: No such file or directory");
  EXPECT_FALSE(d.items()[0].loc.known());
  EXPECT_EQ(d.items()[0].loc.file->path(), "/nonexistent/icmpwall.toml");

  Diagnostics dir;
  EXPECT_FALSE(parse_policy_file("/tmp", dir));
  ASSERT_EQ(dir.items().size(), 1u);
  EXPECT_EQ(dir.items()[0].message, "cannot read policy file: Is a directory");
}

// ---- a policy without rules ------------------------------------------------------------

constexpr char kNoRulesHint[] =
    "a policy without rules is refused so that an empty or cut-off file cannot replace a ruleset; "
    "if it is meant "
    "to have none, say so: empty = true under [icmpwall]";

TEST(ParserTest, EmptyAndCommentOnlyPoliciesAreRefused) {
  for (const char* text : {"", "\n\n  \n", "# a comment\n# another\n"}) {
    auto p = parse(text);
    EXPECT_FALSE(p.policy) << text;
    ASSERT_EQ(p.diags.count(Severity::error), 1u) << rendered(p.diags);
    EXPECT_EQ(p.diags.items()[0].message,
              "the policy is empty: it declares no hook and no [[rule]]");
    EXPECT_EQ(p.diags.items()[0].hint, kNoRulesHint);
  }
  // Positioned just past the last character: where the file stops.
  EXPECT_TRUE(has_diag(parse("# a comment\n# another\n\n").diags, Severity::error, 2, 10,
                       "the policy is empty: it declares no hook and no [[rule]]", kNoRulesHint));
  EXPECT_TRUE(has_diag(parse("").diags, Severity::error, 1, 1,
                       "the policy is empty: it declares no hook and no [[rule]]", kNoRulesHint));
}

TEST(ParserTest, PolicyCutOffBeforeItsRulesIsRefused) {
  auto p = parse(
      "[icmpwall]\ntable = \"strict\"\n\n[hooks.input]\ndefault = \"allow\"\n\n# the rules\n");
  EXPECT_FALSE(p.policy);
  EXPECT_TRUE(
      has_diag(p.diags, Severity::error, 7, 12, "the policy has no [[rule]]", kNoRulesHint));
}

TEST(ParserTest, ExplicitlyEmptyPolicyIsAccepted) {
  auto p = parse("[icmpwall]\nempty = true\n[hooks.input]\ndefault = \"drop\"\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.policy->rules.empty());
  EXPECT_EQ(p.policy->hooks[0].default_action, Action::drop);
  // empty = false says nothing: still refused.
  EXPECT_FALSE(parse("[icmpwall]\nempty = false\n").policy);
}

TEST(ParserTest, EmptyMustBeABooleanAndTrue) {
  auto rules =
      parse("[icmpwall]\nempty = true\n[[rule]]\ntype = \"echo-request\"\naction = \"allow\"\n");
  EXPECT_FALSE(rules.policy);
  EXPECT_TRUE(has_diag(rules.diags, Severity::error, 2, 9,
                       "empty = true, but the policy has 1 rule", "remove 'empty', or the rules"));
  auto kind = parse("[icmpwall]\nempty = \"yes\"\n");
  EXPECT_FALSE(kind.policy);
  EXPECT_TRUE(has_diag(kind.diags, Severity::error, 2, 9,
                       "'empty' must be true or false, not a string",
                       "empty = true says the policy is meant to have no rules"));
}

// ---- long values in diagnostics -------------------------------------------------------

TEST(ParserTest, LongValuesAreCutInDiagnostics) {
  const std::string huge(1 << 20, 'A');  // 1 MiB, one line
  for (const std::string& text :
       {"[icmpwall]\ntable = \"" + huge + "\"\n",
        "[[rule]]\ntype = \"" + huge + "\"\naction = \"allow\"\n",
        "[[rule]]\ntype = \"echo-request\"\naction = \"allow\"\niif = \"" + huge + "\"\n",
        "\"" + huge + "\" = 1\n"}) {
    auto p = parse(text);
    EXPECT_FALSE(p.policy);
    ASSERT_FALSE(p.diags.empty());
    const std::string out = rendered(p.diags);
    EXPECT_LT(out.size(), 1200u) << out.substr(0, 2000);
    EXPECT_NE(out.find(std::string(80, 'A') + "…"), std::string::npos) << out.substr(0, 2000);
  }
}

TEST(ParserTest, ValuesAreCutOnACharacterBoundary) {
  std::string value = std::string(79, 'x') + "é" + std::string(100, 'y');  // é straddles byte 80
  auto p = parse("[icmpwall]\ntable = \"" + value + "\"\n");
  ASSERT_EQ(p.diags.items().size(), 1u);
  EXPECT_EQ(p.diags.items()[0].message,
            "table name '" + std::string(79, 'x') + "…' must match [a-z][a-z0-9_-]{0,31}");
}

TEST(ParserTest, RatesAtTheKernelsLimitsAreAccepted) {
  auto p = parse(
      "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"1000000000/second\"\n"
      "burst = 4294967295\n[[rule]]\ntype = \"echo-reply\"\naction = \"rate-limit\"\nrate = "
      "\"1/day\"\n"
      "burst = 213503\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_EQ(p.policy->rules[0].limit->rate.count, 1000000000u);
  EXPECT_EQ(p.policy->rules[1].limit->burst, 213503u);
}

TEST(ParserTest, OversizedPolicyIsRejected) {
  std::string text(64 << 20, '#');
  text += "\n";
  auto p = parse(text);
  EXPECT_FALSE(p.policy);
  ASSERT_EQ(p.diags.items().size(), 1u);
  EXPECT_EQ(p.diags.items()[0].message,
            "policy is 67108865 bytes long; icmpwall reads at most 67108864");
}

TEST(ParserTest, DeeplyDottedKeysAreRejectedBeforeParsing) {
  std::string header = "[";
  for (int i = 0; i < 5000; ++i) header += "a.";
  header += "a]\n";
  auto p = parse("# comment\n" + header);
  EXPECT_FALSE(p.policy);
  ASSERT_EQ(p.diags.items().size(), 1u);
  EXPECT_TRUE(has_diag(p.diags, Severity::error, 2, 131,
                       "a key of more than 65 dotted parts: keys nest too deeply for a policy",
                       "write each table under its own [header]"));
}

// The guard limits the parts of one key, not the dots of a whole file:
// 5000 rules with a [rule.log] table each were refused before.
TEST(ParserTest, ManyShortDottedKeysAreFine) {
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += fmt::format(
        "[[rule]]\nname = \"r{}\"\ntype = \"echo-request\"\nsource = \"198.18.{}.{}\"\n"
        "action = \"allow\"\n[rule.log]\nprefix = \"r{} \"\n",
        i, i / 256, i % 256, i);
  auto p = parse("x.y = 1.5\n" + text);  // and dots in a float value
  EXPECT_FALSE(p.policy);
  ASSERT_EQ(p.diags.count(Severity::error), 1u) << rendered(p.diags);
  EXPECT_EQ(p.diags.items()[0].message, "unknown key 'x' in the policy");
  auto ok = parse(text);
  ASSERT_TRUE(ok.policy) << rendered(ok.diags);
  EXPECT_EQ(ok.policy->rules.size(), 5000u);
  ASSERT_TRUE(ok.policy->rules[4999].log);
  EXPECT_EQ(ok.policy->rules[4999].log->prefix, "r4999 ");
}

TEST(ParserTest, KeyDotsCountPerKey) {
  std::string key = "a";
  for (int i = 0; i < 64; ++i) key += ".a";  // 65 parts: the most allowed
  auto p = parse(key + " = 1\n" + key + "b = 2\n");
  // Not refused by the guard: TOML++ sees it (and the policy rejects 'a').
  EXPECT_EQ(testing::find_diag(p.diags, "dotted parts"), nullptr) << rendered(p.diags);
  auto deep = parse(key + ".a = 1\n");
  EXPECT_TRUE(has_diag(deep.diags, Severity::error, 1, 130,
                       "a key of more than 65 dotted parts: keys nest too deeply for a policy",
                       "write each table under its own [header]"));
}

TEST(ParserTest, KeyDepthPositionCountsTheStringsBefore) {
  std::string key = "a";
  for (int i = 0; i < 65; ++i) key += ".a";  // the 65th dot is one too many
  const std::string hint = "write each table under its own [header]";
  const std::string message =
      "a key of more than 65 dotted parts: keys nest too deeply for a policy";
  // After a multi-line string: the column counts from its last newline.
  auto multi = parse("s = \"\"\"one\n\"two\"\"\" " + key + " = 1\n");
  EXPECT_TRUE(has_diag(multi.diags, Severity::error, 2, 138, message, hint))
      << rendered(multi.diags);
  // After a one-line literal string holding dots.
  auto literal = parse("t = 'p.q' " + key + " = 1\n");
  EXPECT_TRUE(has_diag(literal.diags, Severity::error, 1, 140, message, hint))
      << rendered(literal.diags);
}

TEST(ParserTest, DotsInStringsAndCommentsAreNotKeyParts) {
  std::string dots(5000, '.');
  auto p = parse("# " + dots +
                 "\n[[rule]]\ntype = \"echo-request\"\naction = \"allow\"\nlog = { prefix = '''" +
                 dots + "''' }\n[icmpwall]\ntable = \"" + dots + "\\\"" + dots + "\"\n");
  EXPECT_FALSE(p.policy);
  // Both strings reach the checks: the multi-line literal and the basic one with an escaped quote.
  EXPECT_TRUE(has_diag(p.diags, Severity::error, 5, 18,
                       "log prefix is 5000 bytes long; nft allows at most 127", ""));
  EXPECT_NE(testing::find_diag(p.diags, "table name"), nullptr) << rendered(p.diags);
}

TEST(ParserTest, TomlSyntaxErrorHasPositionAndDescription) {
  auto p = parse("[[rule]]\ntypes = [\"echo-request\",\naction = \"allow\"\n");
  EXPECT_FALSE(p.policy);
  ASSERT_EQ(p.diags.items().size(), 1u) << rendered(p.diags);
  const auto& d = p.diags.items()[0];
  EXPECT_EQ(d.loc.line, 3u);
  EXPECT_EQ(d.loc.col, 1u);
  EXPECT_THAT(d.message, ::testing::HasSubstr("could not determine value type"));
  EXPECT_EQ(d.hint, "this is not valid TOML (https://toml.io)");
}

TEST(ParserTest, DuplicateRuleNameNotesTheFirst) {
  auto p = parse(R"([[rule]]
name = "ping"
type = "echo-request"
action = "allow"

[[rule]]
name = "ping"
type = "echo-reply"
action = "allow"
)");
  EXPECT_FALSE(p.policy);
  ASSERT_TRUE(has_diag(p.diags, Severity::error, 7, 8, "duplicate rule name 'ping'",
                       "rule names must be unique: they name the rule's counters in the kernel"));
  const auto& d = p.diags.items()[0];
  ASSERT_EQ(d.related.size(), 1u);
  EXPECT_EQ(d.related[0].loc.line, 1u);
  EXPECT_EQ(d.related[0].message, "rule 'ping' is here");
}

TEST(ParserTest, DefaultNameCollidingWithAnExplicitOne) {
  auto p = parse(R"([[rule]]
name = "rule-2"
type = "echo-request"
action = "allow"

[[rule]]
type = "echo-reply"
action = "allow"
)");
  EXPECT_FALSE(p.policy);
  EXPECT_TRUE(has_diag(p.diags, Severity::error, 6, 1,
                       "rule 2 gets the default name 'rule-2', which another rule already has",
                       "rule names must be unique: they name the rule's counters in the kernel"));
}

// ---- one diagnostic per case ------------------------------------------------------

struct ErrorCase {
  const char* name;
  const char* text;
  uint32_t line;
  uint32_t col;
  const char* message;
  const char* hint;
};

class ParserErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParserErrorTest, ReportsOneErrorAtItsPosition) {
  const auto& c = GetParam();
  auto p = parse(c.text);
  EXPECT_FALSE(p.policy);
  EXPECT_EQ(p.diags.count(Severity::error), 1u) << rendered(p.diags);
  EXPECT_TRUE(has_diag(p.diags, Severity::error, c.line, c.col, c.message, c.hint));
  for (const auto& d : p.diags.items())
    EXPECT_EQ(d.loc.file.get(), p.diags.items()[0].loc.file.get());
}

// The text read whole (its first header written `[[ rule ]]`, the same
// TOML; parser_parts_test.cpp) gives the same diagnostics.
TEST_P(ParserErrorTest, SameWhenReadWhole) {
  std::string text = GetParam().text;
  auto at = text.find("[[rule]]");
  if (at == std::string::npos) GTEST_SKIP() << "no [[rule]] header";
  auto parts = parse(text);
  auto whole = parse(text.replace(at, 8, "[[ rule ]]"));
  ASSERT_EQ(parts.diags.items().size(), whole.diags.items().size()) << rendered(whole.diags);
  for (size_t i = 0; i < parts.diags.items().size(); ++i) {
    const auto& a = parts.diags.items()[i];
    const auto& b = whole.diags.items()[i];
    EXPECT_EQ(std::tie(a.severity, a.loc.line, a.loc.col, a.message, a.hint),
              std::tie(b.severity, b.loc.line, b.loc.col, b.message, b.hint));
  }
}

// A valid rule plus one more line: RULE("iif = \"eth0\"").
#define RULE(extra) "[[rule]]\ntype = \"echo-request\"\naction = \"allow\"\n" extra "\n"
#define RATE_RULE(extra) \
  "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"1/second\"\n" extra "\n"
#define INSPECT_RULE(extra) "[[rule]]\ntype = \"echo-request\"\naction = \"inspect\"\n" extra "\n"

const ErrorCase kErrorCases[] = {
    // top level
    {"UnknownTopKey", "[[rules]]\n", 1, 3, "unknown key 'rules' in the policy",
     "did you mean 'rule'?"},
    {"UnknownTopKeyFar", "zzzzzz = 1\n", 1, 1, "unknown key 'zzzzzz' in the policy",
     "valid keys here: icmpwall, hooks, rule, inspect"},
    {"InspectNotATable", "inspect = 1\n", 1, 11, "'inspect' must be a table, not an integer",
     "write [inspect.tunnel], [inspect.sweep], [inspect.redirect] or [inspect.errors] and put the "
     "settings under it"},
    {"SettingsNotATable", "icmpwall = 1\n", 1, 12, "'icmpwall' must be a table, not an integer",
     "write [icmpwall] and put table, priority, role and fragments under it"},
    {"FragmentsUnknown", "[icmpwall]\nfragments = \"reasemble\"\n", 2, 13,
     "unknown fragments 'reasemble'",
     "did you mean 'reassemble'? ('fragments' is one of: reassemble, follow, drop)"},
    {"NflogGroupTooLarge", "[icmpwall]\nlog-group = 65536\n", 2, 13,
     "'log-group' must be between 0 and 65535, not 65536",
     "an NFLOG group number, e.g. log-group = 1"},
    {"NflogGroupNegative", "[icmpwall]\nlog-group = -1\n", 2, 13,
     "'log-group' must be between 0 and 65535, not -1",
     "an NFLOG group number, e.g. log-group = 1"},
    {"NflogGroupNotInteger", "[icmpwall]\nlog-group = \"1\"\n", 2, 13,
     "'log-group' must be an integer, not a string", "an NFLOG group number, e.g. log-group = 1"},
    {"FragmentsNotString", "[icmpwall]\nfragments = true\n", 2, 13,
     "'fragments' must be a string, not a boolean",
     "'fragments' is one of: reassemble, follow, drop"},
    {"TableNameUpperCase", "[icmpwall]\ntable = \"Icmp\"\n", 2, 9,
     "table name 'Icmp' must match [a-z][a-z0-9_-]{0,31}", "did you mean 'icmp'?"},
    {"TableNameBad", "[icmpwall]\ntable = \"9 x\"\n", 2, 9,
     "table name '9 x' must match [a-z][a-z0-9_-]{0,31}", "e.g. table = \"icmpwall\""},
    {"TableNotString", "[icmpwall]\ntable = 3\n", 2, 9, "'table' must be a string, not an integer",
     ""},
    {"PriorityRange", "[icmpwall]\npriority = 5000\n", 2, 12,
     "'priority' must be between -1000 and 1000, not 5000", "nft's filter priority is 0"},
    {"PriorityNotInteger", "[icmpwall]\npriority = 1.5\n", 2, 12,
     "'priority' must be an integer, not a floating-point number", "nft's filter priority is 0"},
    {"RoleUnknown", "[icmpwall]\nrole = \"hots\"\n", 2, 8, "unknown role 'hots'",
     "did you mean 'host'? ('role' is one of: host, router)"},
    {"RoleNotString", "[icmpwall]\nrole = true\n", 2, 8, "'role' must be a string, not a boolean",
     "'role' is one of: host, router"},
    {"UnknownSettingsKey", "[icmpwall]\ntabel = \"x\"\n", 2, 1, "unknown key 'tabel' in [icmpwall]",
     "did you mean 'table'?"},
    // hooks
    {"HooksNotATable", "hooks = [\"input\"]\n", 1, 9, "'hooks' must be a table, not an array",
     "write one table per hook: [hooks.input], [hooks.forward], [hooks.output]"},
    {"UnknownHook", "[hooks.inptu]\n", 1, 8, "unknown hook 'inptu'", "did you mean 'input'?"},
    {"UnknownHookFar", "[hooks.prerouting]\n", 1, 8, "unknown hook 'prerouting'",
     "the hooks are input, forward and output"},
    {"HookNotATable", "[hooks]\ninput = \"drop\"\n", 2, 9,
     "'hooks.input' must be a table, not a string",
     "write [hooks.input] and put default = \"allow\" or \"drop\" under it"},
    {"HookDefaultRateLimit", "[hooks.input]\ndefault = \"rate-limit\"\n", 2, 11,
     "a hook's default must be \"allow\" or \"drop\", not 'rate-limit'",
     "rate-limit needs a [[rule]] naming the types"},
    {"HookDefaultTypo", "[hooks.input]\ndefault = \"dorp\"\n", 2, 11,
     "a hook's default must be \"allow\" or \"drop\", not 'dorp'", "did you mean 'drop'?"},
    {"HookDefaultNotString", "[hooks.input]\ndefault = false\n", 2, 11,
     "'default' must be a string, not a boolean", "default = \"allow\" or default = \"drop\""},
    {"UnknownHookKey", "[hooks.input]\ndefualt = \"drop\"\n", 2, 1,
     "unknown key 'defualt' in [hooks.input]", "did you mean 'default'?"},
    {"HookLogWrongKind", "[hooks.input]\nlog = \"yes\"\n", 2, 7,
     "'log' must be true, false or a table, not a string",
     "e.g. log = true, or log = { prefix = \"icmp \", rate = \"5/minute\", burst = 5 }"},
    {"LogUnknownKey", "[hooks.input]\nlog = { prefix = \"x\", rte = \"1/second\" }\n", 2, 23,
     "unknown key 'rte' in log", "did you mean 'rate'?"},
    {"LogPrefixTooLong",
     "[hooks.input]\nlog = { prefix = "
     "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxx\" }\n",
     2, 18, "log prefix is 130 bytes long; nft allows at most 127", ""},
    {"LogPrefixControl", "[hooks.input]\nlog = { prefix = \"a\\nb\" }\n", 2, 18,
     "log prefix must not contain control characters or '\"'", ""},
    {"LogPrefixNotString", "[hooks.input]\nlog = { prefix = 1 }\n", 2, 18,
     "'prefix' must be a string, not an integer", ""},
    {"LogBadRate", "[hooks.input]\nlog = { rate = \"5 per minute\" }\n", 2, 16,
     "bad rate '5 per minute'",
     "write \"N/second\", \"N/minute\", \"N/hour\" or \"N/day\", e.g. rate = \"10/second\""},
    {"LogBurstZero", "[hooks.input]\nlog = { burst = 0 }\n", 2, 17,
     "'burst' must be between 1 and 4294967295, not 0", ""},
    // rules
    {"RuleNotArray", "[rule]\ntype = \"echo-request\"\n", 1, 1,
     "'rule' must be an array of tables, not a table",
     "write each rule under its own [[rule]] header"},
    {"RuleEntryNotTable", "rule = [1]\n", 1, 9, "a rule must be a table, not an integer",
     "write each rule under its own [[rule]] header"},
    {"NameInvalid", RULE("name = \"Ping\""), 4, 8,
     "rule name 'Ping' must match [a-z][a-z0-9_-]{0,31}", "did you mean 'ping'?"},
    {"NameStartsWithDigit", RULE("name = \"1st\""), 4, 8,
     "rule name '1st' must match [a-z][a-z0-9_-]{0,31}", "e.g. name = \"ping-limit\""},
    {"NameInvalidChars", RULE("name = \"a.b\""), 4, 8,
     "rule name 'a.b' must match [a-z][a-z0-9_-]{0,31}", "e.g. name = \"ping-limit\""},
    {"NameNotString", RULE("name = 1"), 4, 8, "'name' must be a string, not an integer", ""},
    {"NoAction", "[[rule]]\ntype = \"echo-request\"\n", 1, 1, "rule 'rule-1' has no 'action'",
     "add action = \"allow\", \"drop\", \"rate-limit\" or \"inspect\""},
    {"UnknownAction", "[[rule]]\ntype = \"echo-request\"\naction = \"deny\"\n", 3, 10,
     "unknown action 'deny'", "'action' is one of: allow, drop, rate-limit, inspect"},
    {"ActionTypo", "[[rule]]\ntype = \"echo-request\"\naction = \"alow\"\n", 3, 10,
     "unknown action 'alow'",
     "did you mean 'allow'? ('action' is one of: allow, drop, rate-limit, inspect)"},
    {"UnknownFamily", RULE("family = \"ipv5\""), 4, 10, "unknown family 'ipv5'",
     "did you mean 'ipv4'? ('family' is one of: ipv4, ipv6, both)"},
    {"UnknownRuleKey", RULE("sourec = \"10.0.0.0/8\""), 4, 1,
     "unknown key 'sourec' in rule 'rule-1'", "did you mean 'source'?"},
    // types
    {"TypeAndTypes", RULE("types = [\"echo-reply\"]"), 4, 9,
     "a rule takes 'types' or 'type', not both", "put every type in one 'types' list"},
    {"NoTypes", "[[rule]]\naction = \"allow\"\n", 1, 1, "rule 'rule-1' names no ICMP type",
     "add types = [\"echo-request\", ...] or type = \"echo-request\""},
    {"TypesNotArray", "[[rule]]\ntypes = \"echo-request\"\naction = \"allow\"\n", 2, 9,
     "'types' must be an array, not a string",
     "write types = [\"echo-request\"] or type = \"echo-request\""},
    {"TypeWrongKind", "[[rule]]\ntype = [\"echo-request\"]\naction = \"allow\"\n", 2, 8,
     "'type' must be a string or an integer, not an array",
     "for several types, write types = [\"a\", \"b\"]"},
    {"TypesEmpty", "[[rule]]\ntypes = []\naction = \"allow\"\n", 2, 9, "'types' must not be empty",
     "e.g. types = [\"echo-request\"]"},
    {"TypesEntryWrongKind", "[[rule]]\ntypes = [\"echo-request\", true]\naction = \"allow\"\n", 2,
     26, "a 'types' entry must be a string or an integer, not a boolean", ""},
    {"UnknownTypeNear",
     "[[rule]]\ntypes = [\"echo-reply\", \"echo-requets\"]\naction = \"allow\"\n", 2, 24,
     "unknown ICMP type 'echo-requets'", "did you mean 'echo-request' or 'info-request'?"},
    {"UnknownTypeNd", "[[rule]]\ntype = \"nd-neighbour-solicit\"\naction = \"allow\"\n", 2, 8,
     "unknown ICMP type 'nd-neighbour-solicit'",
     "did you mean 'nd-neighbor-solicit' or 'ind-neighbor-solicit'?"},
    {"UnknownTypeFar", "[[rule]]\ntype = \"qqqqqqqqqqqq\"\naction = \"allow\"\n", 2, 8,
     "unknown ICMP type 'qqqqqqqqqqqq'",
     "`icmpwall check --list-types` lists every name; write \"icmp:N\" or \"icmpv6:N\" for a "
     "number"},
    {"BareNumberWithoutFamily", "[[rule]]\ntypes = [8]\naction = \"allow\"\n", 2, 10,
     "a bare type number needs family = \"ipv4\" or \"ipv6\"",
     "write \"icmp:8\" for ICMPv4 or \"icmpv6:8\" for ICMPv6"},
    {"BareNumberStringWithoutFamily", "[[rule]]\ntypes = [\"8\"]\naction = \"allow\"\n", 2, 10,
     "a bare type number needs family = \"ipv4\" or \"ipv6\"",
     "write \"icmp:8\" for ICMPv4 or \"icmpv6:8\" for ICMPv6"},
    {"BareNumberOutOfRange", "[[rule]]\ntypes = [256]\nfamily = \"ipv4\"\naction = \"allow\"\n", 2,
     10, "ICMP type 256 is out of range", "ICMP types are 0..255"},
    {"IcmpNumberBad", "[[rule]]\ntype = \"icmp:300\"\naction = \"allow\"\n", 2, 8,
     "bad type number in 'icmp:300'",
     "write \"icmp:N\" or \"icmp:N/CODE\" with N in 0..255, e.g. \"icmp:8\""},
    {"Icmpv6NumberBad", "[[rule]]\ntype = \"icmpv6:x\"\naction = \"allow\"\n", 2, 8,
     "bad type number in 'icmpv6:x'",
     "write \"icmpv6:N\" or \"icmpv6:N/CODE\" with N in 0..255, e.g. \"icmpv6:8\""},
    {"IcmpNumberWrongFamily",
     "[[rule]]\ntype = \"icmp:8\"\nfamily = \"ipv6\"\naction = \"allow\"\n", 2, 8,
     "'icmp:8' is an ICMPv4 type, but the rule has family = \"ipv6\"",
     "write \"icmpv6:8\" or change the rule's family"},
    {"IcmpNumberUnknownCode", "[[rule]]\ntype = \"icmp:3/frag\"\naction = \"allow\"\n", 2, 8,
     "unknown code 'frag' for ICMPv4 destination-unreachable", "did you mean 'frag-needed'?"},
    {"IcmpUnnamedTypeCodeName", "[[rule]]\ntype = \"icmp:200/x\"\naction = \"allow\"\n", 2, 8,
     "unknown code 'x' for ICMPv4 icmp type 200",
     "icmp type 200 has no named codes; write the code number"},
    {"CodeOutOfRange", "[[rule]]\ntype = \"destination-unreachable/256\"\naction = \"allow\"\n", 2,
     8, "ICMP code 256 is out of range", "ICMP codes are 0..255"},
    {"UnknownCodeListsCodes",
     "[[rule]]\ntype = \"time-exceeded/zzzzzzzzz\"\nfamily = \"ipv4\"\naction = \"allow\"\n", 2, 8,
     "unknown code 'zzzzzzzzz' for ICMPv4 time-exceeded",
     "codes of ICMPv4 time-exceeded: ttl-exceeded, reassembly-timeout"},
    {"UnknownCodeInBothFamilies",
     "[[rule]]\ntype = \"time-exceeded/zzzzzzzzz\"\naction = \"allow\"\n", 2, 8,
     "unknown code 'zzzzzzzzz' for time-exceeded",
     "codes of time-exceeded: ttl-exceeded, reassembly-timeout, hop-limit-exceeded"},
    {"CodeNameOnTypeAndCodeName", "[[rule]]\ntype = \"frag-needed/4\"\naction = \"allow\"\n", 2, 8,
     "'frag-needed' already names a code (destination-unreachable/frag-needed), so it cannot take "
     "'/4'",
     "write 'frag-needed' alone, or 'destination-unreachable/4'"},
    {"TypeCodeUnknownType", "[[rule]]\ntype = \"echo-requets/0\"\naction = \"allow\"\n", 2, 8,
     "unknown ICMP type 'echo-requets'", "did you mean 'echo-request' or 'info-request'?"},
    {"NumberTypeCodeWithoutFamily", "[[rule]]\ntype = \"3/4\"\naction = \"allow\"\n", 2, 8,
     "a bare type number needs family = \"ipv4\" or \"ipv6\"",
     "write \"icmp:3\" for ICMPv4 or \"icmpv6:3\" for ICMPv6"},
    {"PacketTooBigOnIpv4",
     "[[rule]]\ntype = \"packet-too-big\"\nfamily = \"ipv4\"\naction = \"allow\"\n", 2, 8,
     "'packet-too-big' is an ICMPv6 type, but the rule has family = \"ipv4\"",
     "its ICMPv4 counterpart is 'frag-needed'"},
    {"FragNeededOnIpv6",
     "[[rule]]\ntype = \"frag-needed\"\nfamily = \"ipv6\"\naction = \"allow\"\n", 2, 8,
     "'frag-needed' is an ICMPv4 type and code, but the rule has family = \"ipv6\"",
     "its ICMPv6 counterpart is 'packet-too-big'"},
    {"TypeWrongFamily",
     "[[rule]]\ntype = \"timestamp-request\"\nfamily = \"ipv6\"\naction = \"allow\"\n", 2, 8,
     "'timestamp-request' is an ICMPv4 type, but the rule has family = \"ipv6\"",
     "'timestamp-request' exists only in ipv4; remove family or name an ICMPv6 type"},
    // hooks on rules
    {"RuleHooksNotArray", RULE("hooks = \"input\""), 4, 9, "'hooks' must be an array, not a string",
     "write hooks = [\"input\"]"},
    {"RuleHooksEmpty", RULE("hooks = []"), 4, 9, "'hooks' must not be empty",
     "remove 'hooks' to apply the rule on every declared hook"},
    {"RuleHooksEntryNotString", RULE("hooks = [1]"), 4, 10,
     "a 'hooks' entry must be a string, not an integer", ""},
    {"RuleHooksUnknown", RULE("hooks = [\"inupt\"]"), 4, 10, "unknown hook 'inupt'",
     "did you mean 'input'?"},
    {"RuleHooksUndeclared", RULE("hooks = [\"input\", \"forward\"]"), 4, 19,
     "hook 'forward' is not declared",
     "add a [hooks.forward] table, or remove 'forward' here (declared: input)"},
    // interfaces
    {"IifBadName", RULE("iif = [\"eth0\", \"eth 1\"]"), 4, 16,
     "'eth 1' is not a valid interface name",
     "interface names are 1 to 15 characters without '/', ':', '*', quotes or whitespace "
     "(wildcards are not "
     "supported)"},
    {"IifTooLong", RULE("iif = \"abcdefghijklmnop\""), 4, 7,
     "'abcdefghijklmnop' is not a valid interface name",
     "interface names are 1 to 15 characters without '/', ':', '*', quotes or whitespace "
     "(wildcards are not "
     "supported)"},
    {"IifWildcard", RULE("iif = \"eth*\""), 4, 7, "'eth*' is not a valid interface name",
     "interface names are 1 to 15 characters without '/', ':', '*', quotes or whitespace "
     "(wildcards are not "
     "supported)"},
    {"IifOnOutputHook", "[hooks.output]\n" RULE("iif = \"eth0\""), 5, 7,
     "'iif' is meaningless on the output hook", "the policy filters only output; remove 'iif'"},
    {"IifOnEveryDeclaredHook",
     "[hooks.input]\n[hooks.forward]\n[hooks.output]\n" RULE("iif = \"eth0\""), 7, 7,
     "'iif' is meaningless on the output hook",
     "the rule applies to every declared hook; add hooks = [\"input\", \"forward\"]"},
    {"IifOnExplicitOutput",
     "[hooks.input]\n[hooks.output]\n" RULE("iif = \"eth0\"\nhooks = [\"output\"]"), 6, 7,
     "'iif' is meaningless on the output hook", "remove \"output\" from hooks, or remove 'iif'"},
    {"OifOnInput", RULE("oif = [\"eth0\"]"), 4, 7, "'oif' is meaningless on the input hook",
     "the policy filters only input; remove 'oif'"},
    {"IifWrongKind", RULE("iif = 3"), 4, 7,
     "'iif' must be a string or an array of strings, not an integer", ""},
    {"IifEmpty", RULE("iif = []"), 4, 7, "'iif' must not be empty",
     "remove 'iif' to match any value"},
    {"IifEntryWrongKind", RULE("iif = [\"eth0\", 3]"), 4, 16,
     "a 'iif' entry must be a string, not an integer", ""},
    // prefixes
    {"PrefixHostBits", RULE("source = [\"10.0.0.1/8\"]"), 4, 11, "'10.0.0.1/8' has host bits set",
     "did you mean '10.0.0.0/8'?"},
    {"PrefixHostBitsV6", RULE("destination = \"2001:db8::1/32\""), 4, 15,
     "'2001:db8::1/32' has host bits set", "did you mean '2001:db8::/32'?"},
    {"PrefixNotAnAddress", RULE("source = [\"10.0.0.0/8\", \"bogus\"]"), 4, 25,
     "'bogus' is not an IPv4 or IPv6 address or prefix",
     "e.g. \"198.18.0.0/15\", \"2001:db8::/32\" or a single address \"192.0.2.1\""},
    {"PrefixBadOctet", RULE("source = \"300.0.0.1\""), 4, 10,
     "'300.0.0.1' is not an IPv4 or IPv6 address or prefix",
     "e.g. \"198.18.0.0/15\", \"2001:db8::/32\" or a single address \"192.0.2.1\""},
    {"PrefixLengthTooLong", RULE("source = \"10.0.0.0/33\""), 4, 10,
     "bad prefix length in '10.0.0.0/33'", "IPv4 prefix lengths are 0..32"},
    {"PrefixLengthNotNumber", RULE("source = \"2001:db8::/x\""), 4, 10,
     "bad prefix length in '2001:db8::/x'", "IPv6 prefix lengths are 0..128"},
    {"PrefixFamilyExcludesEveryType",
     "[[rule]]\ntypes = [\"packet-too-big\"]\nsource = [\"10.0.0.0/8\"]\naction = \"allow\"\n", 1,
     1,
     "rule 'rule-1' matches no packet: its types and its source/destination prefixes have no "
     "address family in "
     "common",
     "an IPv4 prefix only matches ICMPv4 types, an IPv6 prefix only ICMPv6 types"},
    // other conditions
    {"DestinationTypeUnknown", RULE("destination-type = [\"brodcast\"]"), 4, 21,
     "unknown destination-type 'brodcast'", "did you mean 'broadcast'?"},
    {"DestinationTypeFar", RULE("destination-type = \"everything\""), 4, 20,
     "unknown destination-type 'everything'",
     "destination-type is one of: unicast, local, broadcast, anycast, multicast"},
    {"HopLimitRange", RULE("hop-limit = 256"), 4, 13,
     "'hop-limit' must be between 0 and 255, not 256",
     "neighbor discovery requires hop-limit = 255"},
    {"HopLimitNotInteger", RULE("hop-limit = \"255\""), 4, 13,
     "'hop-limit' must be an integer, not a string", "neighbor discovery requires hop-limit = 255"},
    {"RuleLogBurstNegative", RULE("log = { burst = -1 }"), 4, 17,
     "'burst' must be between 1 and 4294967295, not -1", ""},
    // keys of another action
    {"RateKeyOnAllow", RULE("rate = \"1/second\""), 4, 1,
     "'rate' is a rate-limit key, but rule 'rule-1' has action = \"allow\"",
     "remove 'rate', or set action = \"rate-limit\" (or \"inspect\", to limit before inspecting)"},
    {"InspectKeyOnAllow", RULE("queue = 1"), 4, 1,
     "'queue' is an inspect key, but rule 'rule-1' has action = \"allow\"",
     "remove 'queue', or set action = \"inspect\""},
    {"RateKeyOnDrop", "[[rule]]\ntype = \"echo-request\"\naction = \"drop\"\nper = \"source\"\n", 4,
     1, "'per' is a rate-limit key, but rule 'rule-1' has action = \"drop\"",
     "remove 'per', or set action = \"rate-limit\" (or \"inspect\", to limit before inspecting)"},
    // inspect with a limit
    {"InspectLimitWithoutRate", INSPECT_RULE("burst = 10\nper = \"source\""), 4, 1,
     "'burst' limits inspect rule 'rule-1', which has no 'rate'",
     "add rate = \"N/second\" (e.g. rate = \"10/second\") to limit the packets before they are "
     "inspected, or "
     "remove 'burst'"},
    {"InspectOverContinue", INSPECT_RULE("rate = \"5/second\"\nover = \"continue\""), 5, 8,
     "inspect rule 'rule-1' cannot let packets over its limit continue",
     "over the limit they are dropped before the queue, so a flood never reaches the inspection "
     "worker; remove "
     "'over' (or write over = \"drop\")"},
    {"InspectPerSourceKeyWithoutPer", INSPECT_RULE("rate = \"5/second\"\nipv4-prefix = 24"), 5, 1,
     "'ipv4-prefix' applies only with per = \"source\"",
     "add per = \"source\", or remove 'ipv4-prefix'"},
    {"InspectBadRate", INSPECT_RULE("rate = \"5/sec\""), 4, 8, "bad rate '5/sec'",
     "did you mean '5/second'?"},
    {"InspectKeyOnRateLimit", RATE_RULE("no-worker = \"drop\""), 5, 1,
     "'no-worker' is an inspect key, but rule 'rule-1' has action = \"rate-limit\"",
     "remove 'no-worker', or set action = \"inspect\""},
    // rate-limit
    {"RateMissing", "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\n", 3, 10,
     "rate-limit rule 'rule-1' has no 'rate'",
     "add rate = \"N/second\", \"N/minute\", \"N/hour\" or \"N/day\", e.g. rate = \"10/second\""},
    {"RateUnitShort",
     "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"10/sec\"\n", 4, 8,
     "bad rate '10/sec'", "did you mean '10/second'?"},
    {"RateUnitPlural",
     "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"10/minutes\"\n", 4, 8,
     "bad rate '10/minutes'", "did you mean '10/minute'?"},
    {"RateNoUnit", "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"10\"\n", 4,
     8, "bad rate '10'",
     "write \"N/second\", \"N/minute\", \"N/hour\" or \"N/day\", e.g. rate = \"10/second\""},
    {"RateNegative",
     "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"-1/second\"\n", 4, 8,
     "bad rate '-1/second'",
     "write \"N/second\", \"N/minute\", \"N/hour\" or \"N/day\", e.g. rate = \"10/second\""},
    {"RateOverflow",
     "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = "
     "\"99999999999999999999999/second\"\n",
     4, 8, "rate count 99999999999999999999999 does not fit in 64 bits",
     "the kernel's limit takes at most 1000000000/second (one packet per nanosecond)"},
    // What the kernel's limit takes (nft_limit_init): checked here, not failing in the kernel.
    {"RateU64Max",
     "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = "
     "\"18446744073709551615/second\"\n",
     4, 8,
     "rate 18446744073709551615/second is more than the kernel can limit: at most "
     "1000000000/second",
     "the kernel's token bucket counts nanoseconds: past one packet per nanosecond it would not "
     "limit at all"},
    {"RatePerMinuteAboveNanosecond",
     "[[rule]]\ntype = \"echo-request\"\naction = \"inspect\"\nrate = \"60000000001/minute\"\n", 4,
     8, "rate 60000000001/minute is more than the kernel can limit: at most 60000000000/minute",
     "the kernel's token bucket counts nanoseconds: past one packet per nanosecond it would not "
     "limit at all"},
    {"RateBurstOverflowsBucket",
     "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"1/day\"\nburst = "
     "213504\n",
     4, 8,
     "rate 1/day with burst 213504 overflows the kernel's token bucket (86400000000000 ns per "
     "packet times 213504)",
     "at this rate the burst can be at most 213503"},
    {"LogBurstOverflowsBucket",
     "[[rule]]\ntype = \"echo-request\"\naction = \"drop\"\nlog = { rate = \"1/hour\", burst = "
     "4294967295 }\n",
     4, 16,
     "log rate 1/hour with burst 4294967295 overflows the kernel's token bucket (3600000000000 ns "
     "per packet times "
     "4294967295)",
     "at this rate the burst can be at most 5124095"},
    {"RateZero",
     "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"0/minute\"\n", 4, 8,
     "'rate' must be at least 1/minute, not '0/minute'",
     "to drop every such packet, use action = \"drop\""},
    {"RateNotString", "[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = 10\n", 4,
     8, "'rate' must be a string, not an integer",
     "write \"N/second\", \"N/minute\", \"N/hour\" or \"N/day\", e.g. rate = \"10/second\""},
    {"BurstZero", RATE_RULE("burst = 0"), 5, 9, "'burst' must be between 1 and 4294967295, not 0",
     ""},
    {"PerUnknown", RATE_RULE("per = \"src\""), 5, 7, "unknown per 'src'",
     "'per' is one of: global, source"},
    {"OverUnknown", RATE_RULE("over = \"accept\""), 5, 8, "unknown over 'accept'",
     "'over' is one of: drop, continue"},
    {"PerSourceKeyWithGlobal", RATE_RULE("timeout = 30"), 5, 1,
     "'timeout' applies only with per = \"source\"", "add per = \"source\", or remove 'timeout'"},
    {"PerSourceKeyWithExplicitGlobal", RATE_RULE("per = \"global\"\nmax-sources = 10"), 6, 1,
     "'max-sources' applies only with per = \"source\"",
     "add per = \"source\", or remove 'max-sources'"},
    {"Ipv4PrefixRange", RATE_RULE("per = \"source\"\nipv4-prefix = 33"), 6, 15,
     "'ipv4-prefix' must be between 1 and 32, not 33", ""},
    {"Ipv6PrefixRange", RATE_RULE("per = \"source\"\nipv6-prefix = 0"), 6, 15,
     "'ipv6-prefix' must be between 1 and 128, not 0", ""},
    {"TimeoutZero", RATE_RULE("per = \"source\"\ntimeout = 0"), 6, 11,
     "'timeout' must be between 1 and 4294967, not 0", ""},
    {"MaxSourcesZero", RATE_RULE("per = \"source\"\nmax-sources = 0"), 6, 15,
     "'max-sources' must be between 1 and 4294967295, not 0", ""},
    // max-size
    {"MaxSizeZero", RULE("max-size = 0"), 4, 12, "'max-size' must be between 1 and 65535, not 0",
     "max-size is the ICMP message's length in bytes, its header included, at most 65535 (the "
     "largest IP datagram)"},
    {"MaxSizeTooLarge", RULE("max-size = 65536"), 4, 12,
     "'max-size' must be between 1 and 65535, not 65536",
     "max-size is the ICMP message's length in bytes, its header included, at most 65535 (the "
     "largest IP datagram)"},
    {"MaxSizeNotAnInteger", RULE("max-size = \"1k\""), 4, 12,
     "'max-size' must be an integer, not a string",
     "max-size is the ICMP message's length in bytes, its header included, at most 65535 (the "
     "largest IP datagram)"},
    // inspect
    {"QueueRange", INSPECT_RULE("queue = 70000"), 4, 9,
     "'queue' must be between 0 and 65535, not 70000", ""},
    {"QueuesRange", INSPECT_RULE("queues = 65"), 4, 10, "'queues' must be between 1 and 64, not 65",
     ""},
    {"QueuesPastTheEnd", INSPECT_RULE("queue = 65534\nqueues = 4"), 5, 10,
     "queues 65534..65537 run past the last queue number, 65535", "lower 'queue' to at most 65532"},
    {"NoWorkerUnknown", INSPECT_RULE("no-worker = \"fail-open\""), 4, 13,
     "unknown no-worker 'fail-open'", "'no-worker' is one of: accept, drop"},
};

INSTANTIATE_TEST_SUITE_P(Diagnostics, ParserErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

TEST(ParserTest, MaxSizeAndItsPosition) {
  auto p = parse(RULE("  max-size = 1500"));
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  const Rule& r = p.policy->rules.at(0);
  ASSERT_TRUE(r.max_size);
  EXPECT_EQ(*r.max_size, 1500);
  EXPECT_EQ(r.max_size_loc.line, 4u);
  EXPECT_EQ(r.max_size_loc.col, 14u);
  EXPECT_FALSE(parse(RULE("")).policy->rules.at(0).max_size);
}

// Each scope key keeps the position of its value, so that a kernel error on
// the expressions it becomes points at it (netlink/kernel_error.h).
TEST(ParserTest, EachScopeKeyKeepsItsPosition) {
  auto p = parse(R"([hooks.input]
[hooks.forward]

[[rule]]
types = ["echo-request"]
hooks = ["forward"]
iif = "eth0"
oif = ["eth1"]
source = "198.18.0.0/15"
destination = ["198.19.0.0/16"]
destination-type = "unicast"
hop-limit = 64
action = "rate-limit"
rate = "10/second"
log = true

[[rule]]
types = ["echo-reply"]
action = "allow"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  const Scope& s = p.policy->rules[0].scope;
  auto at = [](const SourceLoc& l) { return std::pair{l.line, l.col}; };
  EXPECT_EQ(at(s.iif_loc), std::pair(7u, 7u));
  EXPECT_EQ(at(s.oif_loc), std::pair(8u, 7u));
  EXPECT_EQ(at(s.source_loc), std::pair(9u, 10u));
  EXPECT_EQ(at(s.destination_loc), std::pair(10u, 15u));
  EXPECT_EQ(at(s.destination_type_loc), std::pair(11u, 20u));
  EXPECT_EQ(at(s.hop_limit_loc), std::pair(12u, 13u));
  EXPECT_EQ(at(p.policy->rules[0].limit->loc), std::pair(14u, 8u));
  EXPECT_EQ(at(p.policy->rules[0].log->loc), std::pair(15u, 7u));
  // Keys a rule does not write have no position.
  const Scope& none = p.policy->rules[1].scope;
  for (const auto* l : {&none.iif_loc, &none.oif_loc, &none.source_loc, &none.destination_loc,
                        &none.destination_type_loc, &none.hop_limit_loc})
    EXPECT_FALSE(l->known());
}

}  // namespace
}  // namespace icmpwall::policy
