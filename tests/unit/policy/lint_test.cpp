// SPDX-License-Identifier: GPL-2.0-or-later
// policy/lint.cpp: every warning fires where the policy breaks what the
// RFC protects, at the rule's (or hook's) position, and stays quiet where it
// does not, starting with sound host and router policies.
#include "icmpwall/policy/lint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "policy_test_util.h"

namespace icmpwall::policy {
namespace {

using testing::find_diag;
using testing::has_diag;
using testing::rendered;

Diagnostics lint_text(const std::string& text) {
  auto p = testing::parse(text);
  EXPECT_TRUE(p.policy) << rendered(p.diags);
  Diagnostics d;
  if (p.policy) lint(*p.policy, d);
  return d;
}

size_t containing(const Diagnostics& d, Severity severity, std::string_view part) {
  size_t n = 0;
  for (const auto& x : d.items())
    n += x.severity == severity && x.message.find(part) != std::string::npos;
  return n;
}

size_t warnings_containing(const Diagnostics& d, std::string_view part) {
  return containing(d, Severity::warning, part);
}

size_t errors_containing(const Diagnostics& d, std::string_view part) {
  return containing(d, Severity::error, part);
}

// Sound policies: nothing to warn about.
constexpr char kHostPolicy[] = R"([icmpwall]
role = "host"

[hooks.input]
default = "drop"

[hooks.output]
default = "allow"

[[rule]]
name = "ping"
types = ["echo-request"]
action = "rate-limit"
rate = "10/second"
per = "source"
hooks = ["input"]

[[rule]]
name = "replies"
types = ["echo-reply"]
action = "allow"

[[rule]]
name = "errors"
types = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"]
action = "allow"

[[rule]]
name = "nd"
types = ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-advert", "nd-router-solicit", "nd-redirect"]
hop-limit = 255
action = "allow"

[[rule]]
name = "nd-forged"
types = ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-advert", "nd-router-solicit", "nd-redirect"]
action = "drop"

[[rule]]
name = "mld"
types = ["mld-listener-query", "mld-listener-report", "mld-listener-done", "mld2-listener-report"]
source = ["fe80::/10", "::/128"]
action = "allow"
)";

constexpr char kRouterPolicy[] = R"([icmpwall]
role = "router"

[hooks.input]
default = "drop"

[hooks.forward]
default = "allow"

[hooks.output]
default = "allow"

[[rule]]
name = "smurf"
types = ["echo-request"]
destination-type = ["broadcast", "multicast"]
hooks = ["forward"]
action = "drop"

[[rule]]
name = "no-redirects"
types = ["redirect"]
hooks = ["input"]
action = "drop"

[[rule]]
name = "deprecated"
types = ["source-quench", "info-request", "info-reply", "address-mask-request", "address-mask-reply"]
action = "drop"

[[rule]]
name = "ping"
types = ["echo-request"]
action = "rate-limit"
rate = "100/second"
hooks = ["input"]

[[rule]]
name = "errors"
types = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem", "echo-reply"]
action = "allow"
hooks = ["input"]

[[rule]]
name = "nd"
types = ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-advert", "nd-router-solicit"]
hop-limit = 255
action = "allow"
hooks = ["input"]

[[rule]]
name = "mld"
types = ["mld-listener-query", "mld-listener-report", "mld-listener-done", "mld2-listener-report"]
source = ["fe80::/10"]
action = "allow"
hooks = ["input"]
)";

TEST(LintTest, SoundHostPolicyIsQuiet) {
  auto d = lint_text(kHostPolicy);
  EXPECT_TRUE(d.empty()) << rendered(d);
}

TEST(LintTest, SoundRouterPolicyIsQuiet) {
  auto d = lint_text(kRouterPolicy);
  EXPECT_TRUE(d.empty()) << rendered(d);
}

// Every shipped preset, router-edge's interface-scoped drops included.
TEST(LintTest, PresetsAreQuiet) {
  const std::filesystem::path dir = std::filesystem::path(ICMPWALL_SOURCE_DIR) / "policies";
  size_t presets = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".toml") continue;
    SCOPED_TRACE(e.path().string());
    Diagnostics d;
    auto p = parse_policy_file(e.path().string(), d);
    ASSERT_TRUE(p) << rendered(d);
    lint(*p, d);
    EXPECT_TRUE(d.empty()) << rendered(d);
    ++presets;
  }
  EXPECT_GE(presets, 4u);
}

TEST(LintTest, DefaultPolicyIsQuiet) {
  EXPECT_TRUE(lint_text("[icmpwall]\nempty = true\n").empty());
  EXPECT_TRUE(
      lint_text("[[rule]]\ntype = \"echo-request\"\naction = \"rate-limit\"\nrate = \"5/second\"\n")
          .empty());
}

// ---- path MTU discovery -------------------------------------------------------------

TEST(LintTest, DroppingDestinationUnreachableDropsFragNeeded) {
  auto d = lint_text(R"([[rule]]
name = "unreach"
types = ["destination-unreachable"]
action = "drop"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::error, 1, 1,
      "rule 'unreach' drops ICMPv4 frag-needed on input: path MTU discovery breaks and TCP "
      "connections stall in black holes (RFC 1191, RFC 8201, RFC 4890 4.3.1)",
      "let them through: types = [\"frag-needed\", \"packet-too-big\"], action = \"allow\""));
}

TEST(LintTest, DroppingPacketTooBigByName) {
  auto d = lint_text("[[rule]]\ntypes = [\"packet-too-big\"]\naction = \"drop\"\n");
  EXPECT_EQ(errors_containing(d, "rule 'rule-1' drops ICMPv6 packet-too-big on input"), 1u)
      << rendered(d);
}

// Hiding a router's errors toward an outside interface: a rule restricted to
// that interface which drops all of destination-unreachable takes
// frag-needed with it, which breaks path MTU discovery from outside.
TEST(LintTest, InterfaceScopedDropOfDestinationUnreachableIsAnError) {
  auto d = lint_text(R"([icmpwall]
role = "router"
[hooks.output]
default = "allow"
[[rule]]
name = "hide"
types = ["time-exceeded", "destination-unreachable"]
hooks = ["output"]
oif = ["wan0", "wan1"]
action = "drop"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::error, 5, 1,
      "rule 'hide' drops ICMPv4 frag-needed on output to wan0, wan1: path MTU discovery breaks "
      "and TCP connections stall in black holes (RFC 1191, RFC 8201, RFC 4890 4.3.1)",
      "let them through: types = [\"frag-needed\", \"packet-too-big\"], action = \"allow\""));
  EXPECT_EQ(d.count(Severity::error), 1u) << rendered(d);
  // The rest of what it drops is restricted to an interface: deliberate.
  EXPECT_EQ(d.count(Severity::warning), 0u) << rendered(d);
  const std::string text = render(d.items().front());
  EXPECT_NE(text.find("p.toml:5:1: error: rule 'hide' drops ICMPv4 frag-needed"), std::string::npos)
      << text;
  EXPECT_NE(text.find(" 5 | [[rule]]\n   | ^"), std::string::npos) << text;
}

TEST(LintTest, InterfaceScopedDropOfPacketTooBigOnInputIsAnError) {
  auto d = lint_text(R"([[rule]]
name = "no-ptb"
types = ["packet-too-big"]
iif = "wan0"
action = "drop"
)");
  EXPECT_EQ(errors_containing(d, "rule 'no-ptb' drops ICMPv6 packet-too-big on input from wan0"),
            1u)
      << rendered(d);
}

TEST(LintTest, AllowForFragNeededBeforeInterfaceScopedDropIsQuiet) {
  auto policy = [](const std::string& pmtud_types) {
    return R"([icmpwall]
role = "router"
[hooks.forward]
default = "allow"
[hooks.output]
default = "allow"
[[rule]]
name = "hide"
types = ["time-exceeded", "destination-unreachable"]
oif = "wan0"
action = "drop"
[[rule]]
name = "pmtud"
types = [)" +
           pmtud_types + R"(]
oif = "wan0"
action = "allow"
)";
  };
  auto d = lint_text(policy(R"("packet-too-big")"));
  EXPECT_EQ(
      errors_containing(d, "rule 'hide' drops ICMPv4 frag-needed on forward and output to wan0"),
      1u)
      << rendered(d);
  // A rule for the code comes before the rule for its whole type, wherever
  // it stands in the file.
  auto fixed = lint_text(policy(R"("frag-needed", "packet-too-big")"));
  EXPECT_EQ(fixed.count(Severity::error), 0u) << rendered(fixed);
  EXPECT_EQ(warnings_containing(fixed, "path MTU"), 0u) << rendered(fixed);
}

// A drop restricted by more than interfaces (a source, a destination) is
// still a deliberate exception; a hook's default stays a warning.
TEST(LintTest, PmtuDropsByPrefixOrDefaultAreNotErrors) {
  auto d = lint_text(R"([hooks.input]
default = "drop"
[[rule]]
types = ["frag-needed", "packet-too-big"]
iif = "wan0"
source = ["198.18.0.0/15", "2001:db8::/32"]
action = "drop"
)");
  EXPECT_EQ(d.count(Severity::error), 0u) << rendered(d);
  EXPECT_EQ(warnings_containing(d, "the default of hook input drops ICMPv4 frag-needed"), 1u)
      << rendered(d);
}

TEST(LintTest, DefaultDropWithoutAllowRuleDropsPmtu) {
  auto d = lint_text("[hooks.forward]\ndefault = \"drop\"\n[icmpwall]\nempty = true\n");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "the default of hook forward drops ICMPv4 frag-needed and ICMPv6 packet-too-big: path MTU "
      "discovery breaks and TCP connections stall in black holes (RFC 1191, RFC 8201, RFC 4890 "
      "4.3.1)",
      "let them through: types = [\"frag-needed\", \"packet-too-big\"], action = \"allow\""));
}

TEST(LintTest, RateLimitingPacketTooBig) {
  auto d = lint_text(R"([[rule]]
name = "ptb"
types = ["packet-too-big", "frag-needed"]
action = "rate-limit"
rate = "100/second"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "rule 'ptb' rate-limits ICMPv4 frag-needed and ICMPv6 packet-too-big on input: path MTU "
      "discovery breaks and TCP connections stall in black holes (RFC 1191, RFC 8201, RFC 4890 "
      "4.3.1)",
      "let them through: types = [\"frag-needed\", \"packet-too-big\"], action = \"allow\""));
}

// Inspecting PMTU messages is fine; limiting them before inspection is not.
TEST(LintTest, RateLimitedInspectionOfPacketTooBig) {
  auto d = lint_text(R"([[rule]]
name = "ptb"
types = ["frag-needed", "packet-too-big"]
action = "inspect"
rate = "100/second"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "rule 'ptb' rate-limits ICMPv4 frag-needed and ICMPv6 packet-too-big on input: path MTU "
      "discovery breaks and TCP connections stall in black holes (RFC 1191, RFC 8201, RFC 4890 "
      "4.3.1)",
      "let them through: types = [\"frag-needed\", \"packet-too-big\"], action = \"allow\""))
      << rendered(d);
  auto plain = lint_text(R"([[rule]]
name = "ptb"
types = ["frag-needed", "packet-too-big"]
action = "inspect"
)");
  EXPECT_EQ(warnings_containing(plain, "frag-needed"), 0u) << rendered(plain);
}

// Inspection without reassembly sees first fragments only.
TEST(LintTest, InspectingWithoutReassemblyWarns) {
  auto by_default = lint_text(R"([[rule]]
name = "echo"
types = ["echo-request"]
action = "inspect"
)");
  EXPECT_TRUE(has_diag(
      by_default, Severity::warning, 1, 1,
      "rule 'echo' inspects, but fragments = \"follow\": the inspection worker sees only the first "
      "fragment of a fragmented message, so data in later fragments is never inspected (RFC 1858)",
      "set fragments = \"reassemble\" under [icmpwall]: the kernel then reassembles (conntrack) "
      "before the filter hooks and the worker sees whole messages"))
      << rendered(by_default);
  auto dropping = lint_text(R"([icmpwall]
fragments = "drop"

[[rule]]
name = "echo"
types = ["echo-request"]
action = "inspect"
)");
  EXPECT_EQ(warnings_containing(dropping, "fragments = \"drop\""), 1u) << rendered(dropping);
  const auto* d = find_diag(dropping, "fragments = \"drop\"");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->loc.line, 2u);  // at the setting
  EXPECT_EQ(d->loc.col, 13u);
  auto reassembling = lint_text(R"([icmpwall]
fragments = "reassemble"

[[rule]]
name = "echo"
types = ["echo-request"]
action = "inspect"
)");
  EXPECT_EQ(warnings_containing(reassembling, "fragment"), 0u) << rendered(reassembling);
  // Without inspection, no warning whatever the mode.
  EXPECT_EQ(
      warnings_containing(lint_text("[[rule]]\ntypes = [\"echo-request\"]\naction = \"allow\"\n"),
                          "fragment"),
      0u);
}

TEST(LintTest, CodeSpecificAllowBeforeTypeWideDropKeepsPmtu) {
  auto d = lint_text(R"([[rule]]
types = ["destination-unreachable"]
action = "drop"

[[rule]]
types = ["frag-needed", "packet-too-big"]
action = "allow"
)");
  EXPECT_EQ(warnings_containing(d, "frag-needed"), 0u) << rendered(d);
  EXPECT_EQ(warnings_containing(d, "packet-too-big"), 0u) << rendered(d);
  // The other codes of destination-unreachable are still dropped.
  EXPECT_EQ(warnings_containing(d, "rule 'rule-1' drops ICMPv4 and ICMPv6 destination-unreachable"),
            1u)
      << rendered(d);
}

TEST(LintTest, ConditionalAllowSatisfiesDefaultDrop) {
  auto d = lint_text(R"([hooks.input]
default = "drop"
[[rule]]
types = ["frag-needed", "packet-too-big"]
iif = "eth0"
action = "allow"
)");
  EXPECT_EQ(warnings_containing(d, "path MTU"), 0u) << rendered(d);
}

TEST(LintTest, ConditionalDropIsADeliberateException) {
  auto d = lint_text(R"([[rule]]
types = ["packet-too-big", "destination-unreachable", "time-exceeded"]
source = ["2001:db8::/32", "192.0.2.0/24"]
action = "drop"
)");
  EXPECT_TRUE(d.empty()) << rendered(d);
}

TEST(LintTest, UnconditionalDropAfterRateLimitIsReported) {
  auto d = lint_text(R"([[rule]]
name = "limit"
types = ["time-exceeded"]
action = "rate-limit"
rate = "10/second"
over = "continue"
[[rule]]
name = "rest"
types = ["time-exceeded"]
action = "drop"
)");
  // The rate limit lets some through, so "rest" drops only what is over it.
  EXPECT_EQ(warnings_containing(d, "traceroute"), 0u) << rendered(d);
}

// ---- neighbor discovery ---------------------------------------------------------------

TEST(LintTest, DroppingNeighborDiscoveryOnInput) {
  auto d = lint_text(R"([hooks.input]
default = "drop"
[[rule]]
types = ["echo-request", "packet-too-big", "destination-unreachable", "time-exceeded", "parameter-problem"]
action = "allow"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "the default of hook input drops ICMPv6 nd-neighbor-solicit, nd-neighbor-advert and "
      "nd-router-advert: IPv6 "
      "stops working on the link (RFC 4861, RFC 4890 4.4.1)",
      "allow neighbor discovery from the link: types = [\"nd-neighbor-solicit\", "
      "\"nd-neighbor-advert\", "
      "\"nd-router-solicit\", \"nd-router-advert\"], hop-limit = 255, action = \"allow\""));
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);
}

TEST(LintTest, RouterNeedsRouterSolicitationsNotAdvertisements) {
  auto d = lint_text(R"([icmpwall]
role = "router"
[hooks.input]
[[rule]]
name = "no-rs"
types = ["nd-router-solicit"]
action = "drop"
[[rule]]
name = "no-ra"
types = ["nd-router-advert"]
action = "drop"
)");
  EXPECT_EQ(warnings_containing(d, "rule 'no-rs' drops ICMPv6 nd-router-solicit on input"), 1u)
      << rendered(d);
  EXPECT_EQ(warnings_containing(d, "no-ra"), 0u) << rendered(d);
}

TEST(LintTest, HostMayDropRouterSolicitations) {
  auto d = lint_text(
      "[[rule]]\ntype = \"nd-router-solicit\"\nhop-limit = 255\naction = \"drop\"\n"
      "[[rule]]\ntype = \"nd-router-solicit\"\naction = \"drop\"\n");
  EXPECT_TRUE(d.empty()) << rendered(d);
}

TEST(LintTest, DroppingNeighborDiscoveryOnOutput) {
  auto d = lint_text(R"([hooks.output]
[[rule]]
name = "quiet"
types = ["neighbor-solicitation"]
action = "drop"
)");
  EXPECT_EQ(warnings_containing(d, "rule 'quiet' drops ICMPv6 nd-neighbor-solicit on output"), 1u)
      << rendered(d);
}

TEST(LintTest, NeighborDiscoveryOnForwardMayBeDropped) {
  auto d = lint_text(
      "[hooks.forward]\n[[rule]]\ntypes = [\"neighbor-solicitation\"]\naction = \"drop\"\n");
  EXPECT_EQ(warnings_containing(d, "nd-neighbor-solicit"), 0u) << rendered(d);
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);  // only the smurf warning of the forward default
}

TEST(LintTest, NeighborDiscoveryWithoutHopLimit) {
  auto d = lint_text(R"([[rule]]
name = "nd"
types = ["neighbor-solicitation", "neighbor-advertisement", "echo-request"]
action = "allow"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "rule 'nd' allows ICMPv6 nd-neighbor-solicit and nd-neighbor-advert on input without "
      "hop-limit = 255: off-link hosts can forge neighbor discovery (RFC 4861 6.1.1, 7.1.1)",
      "add hop-limit = 255"));
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);
}

TEST(LintTest, NeighborDiscoveryHopLimitOnlyMattersOnInput) {
  EXPECT_TRUE(
      lint_text("[hooks.output]\n[[rule]]\ntypes = [\"nd-neighbor-solicit\"]\naction = \"allow\"\n")
          .empty());
  EXPECT_TRUE(
      lint_text(
          "[[rule]]\ntypes = [\"nd-neighbor-solicit\"]\nhop-limit = 255\naction = \"allow\"\n")
          .empty());
  EXPECT_EQ(
      warnings_containing(lint_text("[[rule]]\ntypes = [\"nd-neighbor-solicit\"]\nhop-limit = 64\n"
                                    "action = \"allow\"\n"),
                          "without hop-limit = 255"),
      1u);
}

// ---- MLD -----------------------------------------------------------------------------

TEST(LintTest, MldFromAnywhere) {
  auto d = lint_text(R"([[rule]]
name = "mld"
types = ["mld-listener-query", "mld2-listener-report"]
action = "allow"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "rule 'mld' allows ICMPv6 mld-listener-query and mld2-listener-report on input from sources "
      "that are not link-local: MLD messages must come from link-local addresses (RFC 2710, RFC "
      "3810)",
      "add source = [\"fe80::/10\"] (and \"::/128\" for reports sent during DAD)"));
}

TEST(LintTest, MldFromAGlobalPrefix) {
  auto d = lint_text(R"([[rule]]
types = ["mld-listener-report"]
source = ["fe80::/10", "2001:db8::/32"]
action = "allow"
)");
  EXPECT_EQ(warnings_containing(d, "not link-local"), 1u) << rendered(d);
}

TEST(LintTest, MldFromLinkLocalIsFine) {
  EXPECT_TRUE(
      lint_text(
          "[[rule]]\ntypes = [\"mld-listener-report\"]\nsource = [\"fe80::/64\", \"::/128\"]\n"
          "action = \"allow\"\n")
          .empty());
  EXPECT_TRUE(
      lint_text("[[rule]]\ntypes = [\"mld-listener-report\"]\naction = \"drop\"\n").empty());
}

// ---- error messages -------------------------------------------------------------------

TEST(LintTest, DroppingTimeExceededAndParameterProblem) {
  auto d = lint_text(R"([hooks.input]
[hooks.forward]
[[rule]]
name = "errs"
types = ["time-exceeded", "parameter-problem"]
action = "drop"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 3, 1,
      "rule 'errs' drops ICMPv4 and ICMPv6 time-exceeded and parameter-problem on input and "
      "forward: traceroute and error reporting break (RFC 1122 3.2.2, RFC 4890 4.3.1)",
      "let them through: types = [\"time-exceeded\", \"parameter-problem\"], action = \"allow\""));
}

TEST(LintTest, DefaultDropOfAnUncoveredCode) {
  auto d = lint_text(R"([hooks.input]
default = "drop"
[[rule]]
types = ["ttl-exceeded", "parameter-problem", "destination-unreachable", "packet-too-big", "echo-request"]
action = "allow"
[[rule]]
types = ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-advert"]
hop-limit = 255
action = "allow"
)");
  // reassembly-timeout (code 1) is left to the default.
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "the default of hook input drops ICMPv4 and ICMPv6 time-exceeded: traceroute and error "
      "reporting break (RFC 1122 3.2.2, RFC 4890 4.3.1)",
      "let them through: types = [\"time-exceeded\", \"parameter-problem\"], action = \"allow\""));
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);
}

TEST(LintTest, DroppingDestinationUnreachable) {
  auto d = lint_text(R"([hooks.output]
[[rule]]
name = "stealth"
types = ["port-unreachable"]
action = "drop"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 2, 1,
      "rule 'stealth' drops ICMPv4 and ICMPv6 destination-unreachable on output: connections to "
      "unreachable destinations hang instead of failing fast (RFC 1122 3.2.2.1)",
      "let them through: types = [\"destination-unreachable\"], action = \"allow\""));
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);
}

TEST(LintTest, DroppingAnUnnamedCodeOfDestinationUnreachable) {
  auto d = lint_text("[[rule]]\ntypes = [\"destination-unreachable/200\"]\naction = \"drop\"\n");
  EXPECT_EQ(warnings_containing(d, "drops ICMPv4 and ICMPv6 destination-unreachable"), 1u)
      << rendered(d);
}

// ---- deprecated types --------------------------------------------------------------

TEST(LintTest, AllowingDeprecatedTypes) {
  auto d = lint_text(R"([[rule]]
name = "old"
types = ["source-quench", "address-mask-request", "echo-request"]
action = "allow"
[[rule]]
name = "trace"
family = "ipv4"
types = [30]
action = "rate-limit"
rate = "1/second"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "rule 'old' allows ICMPv4 source-quench and address-mask-request on input: these types are "
      "deprecated, have no legitimate use and only serve attacks (RFC 6918, RFC 6633)",
      "drop them, or leave them to a default of drop"));
  EXPECT_EQ(
      warnings_containing(d, "rule 'trace' lets through (rate-limited) ICMPv4 traceroute on input"),
      1u)
      << rendered(d);
}

TEST(LintTest, DroppingOrDefaultingDeprecatedTypesIsFine) {
  EXPECT_TRUE(
      lint_text("[[rule]]\ntypes = [\"source-quench\", \"info-request\"]\naction = \"drop\"\n")
          .empty());
  EXPECT_TRUE(
      lint_text(
          "[icmpwall]\nfragments = \"reassemble\"\n[[rule]]\ntypes = [\"address-mask-request\"]\n"
          "action = \"inspect\"\n")
          .empty());
}

// ---- redirects on a router ---------------------------------------------------------

TEST(LintTest, RouterAcceptingRedirectsByRule) {
  auto d = lint_text(R"([icmpwall]
role = "router"
[hooks.input]
default = "drop"
[[rule]]
name = "redir"
types = ["redirect"]
hop-limit = 255
action = "allow"
[[rule]]
types = ["echo-request", "destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"]
action = "allow"
[[rule]]
types = ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-solicit"]
hop-limit = 255
action = "allow"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 5, 1,
      "rule 'redir' accepts ICMPv4 redirect and ICMPv6 nd-redirect on input: a router must not "
      "take its routes from redirects (RFC 1812 5.2.7.2, RFC 4861 8.1)",
      "drop them on input: types = [\"redirect\"], hooks = [\"input\"], action = \"drop\""));
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);
}

TEST(LintTest, RouterAcceptingRedirectsByDefault) {
  auto d = lint_text("[icmpwall]\nrole = \"router\"\nempty = true\n[hooks.input]\n");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 4, 1,
      "the default of hook input accepts ICMPv4 redirect and ICMPv6 nd-redirect: a router must not "
      "take its routes from redirects (RFC 1812 5.2.7.2, RFC 4861 8.1)",
      "drop them on input: types = [\"redirect\"], hooks = [\"input\"], action = \"drop\""));
}

TEST(LintTest, RedirectsAreTheHostsBusinessOrDropped) {
  EXPECT_TRUE(
      lint_text("[[rule]]\ntypes = [\"redirect\"]\nhop-limit = 255\naction = \"allow\"\n").empty());
  EXPECT_TRUE(
      lint_text(
          "[icmpwall]\nrole = \"router\"\n[[rule]]\ntypes = [\"redirect\"]\naction = \"drop\"\n")
          .empty());
  EXPECT_TRUE(
      lint_text(
          "[icmpwall]\nrole = \"router\"\n[hooks.forward]\n[[rule]]\ntypes = [\"echo-request\"]\n"
          "destination-type = [\"broadcast\", \"multicast\"]\naction = \"drop\"\n")
          .empty());
}

// ---- smurf ---------------------------------------------------------------------------

TEST(LintTest, ForwardDefaultAllowsEchoToBroadcast) {
  auto d = lint_text("[hooks.forward]\n[icmpwall]\nempty = true\n");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "the default of hook forward lets through ICMPv4 and ICMPv6 echo-request to broadcast and "
      "multicast destinations: the network becomes a smurf amplifier (RFC 2644)",
      "drop them first: types = [\"echo-request\"], destination-type = [\"broadcast\", "
      "\"multicast\"], hooks = [\"forward\"], action = \"drop\""));
}

TEST(LintTest, RuleAllowingEchoToBroadcast) {
  auto d = lint_text(R"([hooks.forward]
default = "drop"
[[rule]]
name = "bcast"
types = ["echo-request"]
destination-type = "broadcast"
source = "10.0.0.0/8"
action = "allow"
[[rule]]
types = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"]
action = "allow"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 3, 1,
      "rule 'bcast' lets through ICMPv4 echo-request to broadcast destinations on forward: the "
      "network becomes a smurf amplifier (RFC 2644)",
      "drop them first: types = [\"echo-request\"], destination-type = [\"broadcast\", "
      "\"multicast\"], hooks = [\"forward\"], action = \"drop\""));
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);
}

TEST(LintTest, ForwardingEchoFromSomeSourcesIsNotSmurf) {
  auto d = lint_text(R"([hooks.forward]
default = "drop"
[[rule]]
types = ["echo-request"]
source = ["10.0.0.0/8", "2001:db8::/32"]
action = "allow"
[[rule]]
types = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"]
action = "allow"
)");
  EXPECT_TRUE(d.empty()) << rendered(d);
}

TEST(LintTest, UnicastOnlyEchoForwardIsNotSmurf) {
  auto d = lint_text(R"([hooks.forward]
default = "drop"
[[rule]]
types = ["echo-request"]
destination-type = "unicast"
action = "allow"
[[rule]]
types = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"]
action = "allow"
)");
  EXPECT_TRUE(d.empty()) << rendered(d);
}

// ---- echo ----------------------------------------------------------------------------

TEST(LintTest, DefaultDropWithoutEchoRule) {
  auto d = lint_text(R"([hooks.input]
default = "drop"
[[rule]]
types = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"]
action = "allow"
[[rule]]
types = ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-advert"]
hop-limit = 255
action = "allow"
)");
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 1, 1,
      "the default of hook input drops ICMPv4 and ICMPv6 echo-request, and no rule names them: a "
      "host MUST answer echo requests (RFC 1122 3.2.2.6)",
      "add a rule for them, e.g. types = [\"echo-request\"], action = \"rate-limit\", rate = "
      "\"10/second\""));
  EXPECT_EQ(d.items().size(), 1u) << rendered(d);
}

TEST(LintTest, EchoRuleForOneFamilyOnly) {
  auto d = lint_text(R"([hooks.output]
default = "drop"
[[rule]]
types = ["echo-reply"]
family = "ipv4"
action = "allow"
)");
  EXPECT_EQ(warnings_containing(
                d, "the default of hook output drops ICMPv6 echo-reply, and no rule names them"),
            1u)
      << rendered(d);
  EXPECT_EQ(warnings_containing(d, "ICMPv4 echo-reply"), 0u) << rendered(d);
}

TEST(LintTest, AnyEchoRuleSilencesTheEchoWarning) {
  auto d = lint_text(R"([hooks.input]
default = "drop"
[[rule]]
types = ["echo-request"]
action = "drop"
)");
  EXPECT_EQ(warnings_containing(d, "echo"), 0u) << rendered(d);
  EXPECT_EQ(
      warnings_containing(
          lint_text("[hooks.forward]\ndefault = \"drop\"\n[icmpwall]\nempty = true\n"), "echo"),
      0u);
}

// ---- shadowed rules ------------------------------------------------------------------

TEST(LintTest, IdenticalRuleIsShadowed) {
  auto d = lint_text(R"([[rule]]
name = "a"
types = ["echo-request"]
action = "allow"
[[rule]]
name = "b"
types = ["echo-request"]
action = "allow"
)");
  ASSERT_TRUE(has_diag(d, Severity::warning, 5, 1,
                       "rule 'b' is never reached: rule 'a' decides every packet it matches first",
                       "remove it, or narrow the rule before it"));
  const auto* w = find_diag(d, "never reached");
  ASSERT_EQ(w->related.size(), 1u);
  EXPECT_EQ(w->related[0].loc.line, 1u);
  EXPECT_EQ(w->related[0].message, "rule 'a' is here");
}

TEST(LintTest, EarlierUnconditionalRuleCoversALaterOne) {
  auto d = lint_text(R"([[rule]]
name = "a"
types = ["echo-request", "echo-reply"]
action = "allow"
[[rule]]
name = "b"
types = ["echo-reply"]
family = "ipv6"
action = "allow"
)");
  EXPECT_EQ(warnings_containing(d, "rule 'b' is never reached: rule 'a'"), 1u) << rendered(d);
}

TEST(LintTest, NarrowerConditionsBehindWiderOnes) {
  auto d = lint_text(R"([[rule]]
name = "wide"
types = ["echo-request"]
source = ["10.0.0.0/8"]
action = "allow"
[[rule]]
name = "narrow"
types = ["echo-request"]
source = ["10.1.0.0/16"]
iif = "eth0"
action = "drop"
)");
  EXPECT_EQ(warnings_containing(d, "rule 'narrow' is never reached: rule 'wide'"), 1u)
      << rendered(d);
}

// IPv6 prefixes on both sides of the 64-bit halves the index compares.
TEST(LintTest, Ipv6PrefixesAcrossBothHalves) {
  auto d = lint_text(R"([[rule]]
name = "wide"
types = ["echo-request"]
source = ["2001:db8::/32", "2001:db9:ff00:1:8000::/65"]
action = "allow"
[[rule]]
name = "inside32"
types = ["echo-request"]
source = "2001:db8:0:1:2::/96"
iif = "eth0"
action = "drop"
[[rule]]
name = "inside65"
types = ["echo-request"]
source = "2001:db9:ff00:1:c000::/66"
iif = "eth0"
action = "drop"
[[rule]]
name = "outside"
types = ["echo-request"]
source = ["2001:db9:ff00:1::/66", "2001:dba::/48"]
iif = "eth0"
action = "drop"
)");
  EXPECT_EQ(warnings_containing(d, "rule 'inside32' is never reached: rule 'wide'"), 1u)
      << rendered(d);
  EXPECT_EQ(warnings_containing(d, "rule 'inside65' is never reached: rule 'wide'"), 1u)
      << rendered(d);
  EXPECT_EQ(warnings_containing(d, "rule 'outside' is never reached"), 0u) << rendered(d);
}

TEST(LintTest, ShadowedByTwoRules) {
  auto d = lint_text(R"([[rule]]
name = "a"
types = ["echo-request"]
action = "allow"
[[rule]]
name = "b"
types = ["echo-reply"]
action = "allow"
[[rule]]
name = "c"
types = ["echo-request", "echo-reply"]
action = "allow"
)");
  EXPECT_EQ(
      warnings_containing(d, "rule 'c' is never reached: rules 'a' and 'b' decide every packet"),
      1u)
      << rendered(d);
}

TEST(LintTest, ReachableRulesAreNotShadowed) {
  // A conditional rule goes before an unconditional one, whatever the file order.
  EXPECT_TRUE(
      lint_text(
          "[[rule]]\ntypes = [\"echo-request\"]\naction = \"allow\"\n"
          "[[rule]]\ntypes = [\"echo-request\"]\nsource = \"10.0.0.0/8\"\naction = \"drop\"\n")
          .empty());
  // A code-specific rule goes before a type-wide one.
  EXPECT_TRUE(lint_text("[[rule]]\ntypes = [\"destination-unreachable\"]\naction = \"allow\"\n"
                        "[[rule]]\ntypes = [\"port-unreachable\"]\naction = \"allow\"\n")
                  .empty());
  // Over the limit, packets go on to the next rule.
  EXPECT_TRUE(
      lint_text(
          "[[rule]]\ntypes = [\"echo-request\"]\naction = \"rate-limit\"\nrate = \"1/second\"\n"
          "over = \"continue\"\n[[rule]]\ntypes = [\"echo-request\"]\naction = \"rate-limit\"\n"
          "rate = \"2/second\"\n")
          .empty());
  // Partly covered: echo-reply still reaches it.
  EXPECT_TRUE(
      lint_text("[[rule]]\ntypes = [\"echo-request\"]\naction = \"allow\"\n"
                "[[rule]]\ntypes = [\"echo-request\", \"echo-reply\"]\naction = \"allow\"\n")
          .empty());
  // Other hooks.
  EXPECT_TRUE(
      lint_text("[hooks.input]\n[hooks.output]\n"
                "[[rule]]\ntypes = [\"echo-request\"]\nhooks = [\"input\"]\naction = \"allow\"\n"
                "[[rule]]\ntypes = [\"echo-request\"]\naction = \"allow\"\n")
          .empty());
  // A wider prefix behind a narrower one.
  EXPECT_TRUE(
      lint_text(
          "[[rule]]\ntypes = [\"echo-request\"]\nsource = \"10.1.0.0/16\"\naction = \"allow\"\n"
          "[[rule]]\ntypes = [\"echo-request\"]\nsource = \"10.0.0.0/8\"\naction = \"allow\"\n")
          .empty());
}

TEST(LintTest, ConflictsAreLeftToTheCompiler) {
  // Same scope, different actions: an error the compiler reports, not a shadow.
  auto d = lint_text(
      "[[rule]]\ntypes = [\"echo-request\"]\naction = \"allow\"\n"
      "[[rule]]\ntypes = [\"echo-request\"]\naction = \"rate-limit\"\nrate = \"1/second\"\n");
  EXPECT_EQ(warnings_containing(d, "never reached"), 0u) << rendered(d);
}

// max-size below the smallest message of a named type: everything dropped.
TEST(LintTest, MaxSizeBelowTheTypesSmallestMessage) {
  auto d = lint_text(R"([hooks.input]
default = "allow"

[[rule]]
types = ["echo-request"]
max-size = 7
action = "allow"

[[rule]]
types = ["echo-reply", "destination-unreachable"]
max-size = 20
action = "allow"

[[rule]]
types = ["echo-request", "packet-too-big"]
max-size = 1280
action = "allow"
)");
  EXPECT_TRUE(has_diag(d, Severity::warning, 6, 12,
                       "rule 'rule-1' has max-size = 7, less than the smallest ICMPv4 echo-request "
                       "(8 bytes): every one of them is dropped as oversize",
                       "max-size counts the whole ICMP message: the ICMP header alone: type, code, "
                       "checksum and 4 more bytes; write max-size = 8 or more"));
  EXPECT_TRUE(has_diag(
      d, Severity::warning, 11, 12,
      "rule 'rule-2' has max-size = 20, less than the smallest ICMPv6 destination-unreachable (48 "
      "bytes): every one of them is dropped as oversize",
      "max-size counts the whole ICMP message: its 8-byte header and the 40-byte IPv6 header of "
      "the packet it quotes (RFC 4443); write max-size = 48 or more"));
  EXPECT_EQ(warnings_containing(d, "max-size"), 2u) << rendered(d);
}

}  // namespace
}  // namespace icmpwall::policy
