// SPDX-License-Identifier: GPL-2.0-or-later
// policy/inspect_settings.h and the parser's [inspect.*] tables: values
// land with their positions; every diagnostic (unknown section or key,
// wrong kind, out of range) appears at its line:col with its hint; settings
// without an inspect rule warn; the lint warns of a router told to accept
// redirects; the README documents every knob as the table does.
#include "icmpwall/policy/inspect_settings.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "policy_test_util.h"

namespace icmpwall::policy {
namespace {

using testing::has_diag;
using testing::parse;
using testing::parse_and_lint;
using testing::rendered;

constexpr char kInspectRule[] = "[[rule]]\ntype = \"echo-request\"\naction = \"inspect\"\n";

// ---- the knob table ---------------------------------------------------------------

TEST(InspectKnobsTest, KeysAreUniqueKebabCaseAndInKnownSections) {
  std::set<std::pair<std::string_view, std::string_view>> seen;
  const auto& sections = inspect_sections();
  for (const auto& k : inspect_knobs()) {
    EXPECT_TRUE(seen.emplace(k.section, k.key).second) << k.section << "." << k.key;
    EXPECT_NE(std::find(sections.begin(), sections.end(), k.section), sections.end()) << k.section;
    for (char c : k.key)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << k.key;
    EXPECT_FALSE(k.doc.empty()) << k.key;
  }
  for (auto s : sections) EXPECT_FALSE(inspect_keys(s).empty()) << s;
}

TEST(InspectKnobsTest, DefaultsAreInRange) {
  for (const auto& k : inspect_knobs())
    EXPECT_TRUE(in_range(k, k.default_value)) << k.section << "." << k.key;
}

TEST(InspectKnobsTest, RangesAndValuesAreFormattedAsAPolicyWritesThem) {
  const Knob* bits = find_knob("tunnel", "entropy-bits");
  ASSERT_TRUE(bits);
  EXPECT_EQ(describe_range(*bits), "number in (0, 8]");
  EXPECT_EQ(format_value(*bits, {.number = 7.5}), "7.5");
  EXPECT_FALSE(in_range(*bits, {.number = 0}));
  EXPECT_TRUE(in_range(*bits, {.number = 8}));
  const Knob* enforce = find_knob("sweep", "enforce");
  ASSERT_TRUE(enforce);
  EXPECT_EQ(describe_range(*enforce), "\"log\", \"drop\" or \"block\"");
  EXPECT_EQ(format_value(*enforce, enforce->default_value), "\"block\"");
  const Knob* flows = find_knob("tunnel", "max-flows");
  ASSERT_TRUE(flows);
  EXPECT_EQ(describe_range(*flows), "integer 1..16777216");
  EXPECT_FALSE(in_range(*flows, {.integer = 0}));
  EXPECT_FALSE(find_knob("tunnel", "window"));
}

// The README's "inspect settings" tables are exactly what the knob table says.
TEST(InspectKnobsTest, ReadmeDocumentsEveryKnob) {
  std::ifstream in(std::string(ICMPWALL_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream text;
  text << in.rdbuf();
  const std::string table = inspect_settings_markdown();
  EXPECT_NE(text.str().find(table), std::string::npos)
      << "README.md's inspect settings differ from the knob table; the table is:\n"
      << table;
}

// ---- parsing ----------------------------------------------------------------------

TEST(InspectSettingsTest, AbsentMeansEmpty) {
  auto p = parse(kInspectRule);
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.policy->inspect.empty());
  EXPECT_FALSE(p.policy->inspect.find("tunnel", "enforce"));
}

TEST(InspectSettingsTest, ValuesLandWithTheirPositions) {
  auto p = parse(std::string(kInspectRule) + R"([inspect.tunnel]
max-echo-payload = 2000
entropy-bits = 6.5
drop-score = 5
enforce = "drop"
block-for = 60

[inspect.tunnel.weights]
ip-packet = 20

[inspect.sweep]
max-destinations = 64
enforce = "log"

[inspect.redirect]
accept = false

[inspect.errors]
drop-quoted-errors = false
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.diags.empty()) << rendered(p.diags);
  const auto& in = p.policy->inspect;
  ASSERT_EQ(in.values.size(), 10u);
  // In file order.
  EXPECT_EQ(in.values[0].knob->key, "max-echo-payload");
  EXPECT_EQ(in.values[9].knob->key, "drop-quoted-errors");

  const auto* payload = in.find("tunnel", "max-echo-payload");
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->value.integer, 2000);
  EXPECT_EQ(payload->loc.line, 5u);
  EXPECT_EQ(payload->loc.col, 20u);
  ASSERT_TRUE(in.find("tunnel", "entropy-bits"));
  EXPECT_DOUBLE_EQ(in.find("tunnel", "entropy-bits")->value.number, 6.5);
  ASSERT_TRUE(in.find("tunnel", "drop-score"));
  EXPECT_DOUBLE_EQ(in.find("tunnel", "drop-score")->value.number, 5);  // an integer is a number
  ASSERT_TRUE(in.find("tunnel", "enforce"));
  EXPECT_EQ(in.find("tunnel", "enforce")->value.choice, 1);  // "drop"
  ASSERT_TRUE(in.find("tunnel", "block-for"));
  EXPECT_EQ(in.find("tunnel", "block-for")->value.integer, 60);
  ASSERT_TRUE(in.find("tunnel.weights", "ip-packet"));
  EXPECT_DOUBLE_EQ(in.find("tunnel.weights", "ip-packet")->value.number, 20);
  EXPECT_EQ(in.find("tunnel.weights", "ip-packet")->loc.line, 12u);
  ASSERT_TRUE(in.find("sweep", "max-destinations"));
  EXPECT_EQ(in.find("sweep", "max-destinations")->value.integer, 64);
  ASSERT_TRUE(in.find("sweep", "enforce"));
  EXPECT_EQ(in.find("sweep", "enforce")->value.choice, 0);  // "log"
  ASSERT_TRUE(in.find("redirect", "accept"));
  EXPECT_FALSE(in.find("redirect", "accept")->value.flag);
  EXPECT_EQ(in.find("redirect", "accept")->loc.line, 19u);
  EXPECT_EQ(in.find("redirect", "accept")->loc.col, 10u);
  ASSERT_TRUE(in.find("errors", "drop-quoted-errors"));
  EXPECT_FALSE(in.find("errors", "drop-quoted-errors")->value.flag);
  EXPECT_FALSE(in.find("sweep", "window"));
}

TEST(InspectSettingsTest, BlockPrefixLengthsLandWithTheirPositions) {
  auto p =
      parse(std::string(kInspectRule) + "[inspect.block]\nipv4-prefix = 24\nipv6-prefix = 48\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.diags.empty()) << rendered(p.diags);
  const auto* v4 = p.policy->inspect.find("block", "ipv4-prefix");
  const auto* v6 = p.policy->inspect.find("block", "ipv6-prefix");
  ASSERT_TRUE(v4);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v4->value.integer, 24);
  EXPECT_EQ(v6->value.integer, 48);
  EXPECT_EQ(v6->loc.line, 6u);
  EXPECT_EQ(v6->loc.col, 15u);
}

TEST(InspectSettingsTest, PolicyWideEnforceNeverBlockAndVerify) {
  auto p = parse(std::string(kInspectRule) + R"([inspect]
enforce = "log"

[inspect.block]
never-block = ["198.18.7.0/24", "2001:db8:7::/48", "198.18.9.9", "198.18.7.0/24"]
verify = "route"
)");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.diags.empty()) << rendered(p.diags);
  const auto* enforce = p.policy->inspect.find("", "enforce");
  ASSERT_TRUE(enforce);
  EXPECT_EQ(enforce->value.choice, 0);  // "log"
  EXPECT_EQ(enforce->loc.line, 5u);
  const auto* never = p.policy->inspect.find("block", "never-block");
  ASSERT_TRUE(never);
  // canonical, each once
  EXPECT_EQ(never->value.prefixes,
            (std::vector<std::string>{"198.18.7.0/24", "2001:db8:7::/48", "198.18.9.9/32"}));
  EXPECT_EQ(never->loc.line, 8u);
  const auto* verify = p.policy->inspect.find("block", "verify");
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->value.choice, 1);  // "route"
  const Knob* k = find_knob("block", "never-block");
  ASSERT_TRUE(k);
  EXPECT_EQ(format_value(*k, never->value),
            R"(["198.18.7.0/24", "2001:db8:7::/48", "198.18.9.9/32"])");
  EXPECT_EQ(format_value(*k, k->default_value), "[]");
  EXPECT_EQ(describe_range(*k), "array of prefixes");
  // an empty list is no list
  auto empty = parse(std::string(kInspectRule) + "[inspect.block]\nnever-block = []\n");
  ASSERT_TRUE(empty.policy) << rendered(empty.diags);
  EXPECT_TRUE(empty.policy->inspect.find("block", "never-block")->value.prefixes.empty());
}

TEST(InspectSettingsTest, DottedKeysUnderInspectWork) {
  auto p =
      parse(std::string(kInspectRule) + "[inspect]\nsweep.window = 60\ntunnel.weights.rate = 0\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  ASSERT_TRUE(p.policy->inspect.find("sweep", "window"));
  EXPECT_EQ(p.policy->inspect.find("sweep", "window")->value.integer, 60);
  ASSERT_TRUE(p.policy->inspect.find("tunnel.weights", "rate"));
  EXPECT_DOUBLE_EQ(p.policy->inspect.find("tunnel.weights", "rate")->value.number, 0);
}

TEST(InspectSettingsTest, SettingsWithoutAnInspectRuleWarn) {
  auto p = parse(
      "[[rule]]\ntype = \"echo-request\"\naction = \"drop\"\n\n[inspect.sweep]\nwindow = 60\n"
      "[inspect.errors]\ndrop-quoted-errors = false\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_EQ(p.diags.count(Severity::warning), 1u) << rendered(p.diags);
  EXPECT_TRUE(
      has_diag(p.diags, Severity::warning, 6, 10,
               "[inspect.*] settings have no effect: no rule has action = \"inspect\"",
               "add a [[rule]] with action = \"inspect\", or remove the [inspect.*] settings"));
  // The values are kept all the same.
  EXPECT_EQ(p.policy->inspect.values.size(), 2u);
}

TEST(InspectSettingsTest, SettingsWithAnInspectRuleDoNotWarn) {
  auto p = parse(std::string(kInspectRule) + "[inspect.sweep]\nwindow = 60\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(p.diags.empty()) << rendered(p.diags);
}

// ---- the lint: redirects on a router ------------------------------------------------

TEST(InspectSettingsLintTest, RouterAcceptingRedirectsWarns) {
  auto p = parse_and_lint("[icmpwall]\nrole = \"router\"\n" + std::string(kInspectRule) +
                          "[inspect.redirect]\naccept = true\n");
  ASSERT_TRUE(p.policy) << rendered(p.diags);
  EXPECT_TRUE(has_diag(
      p.diags, Severity::warning, 7, 10,
      "[inspect.redirect] accept = true on a router: a router must not take its routes from "
      "redirects (RFC 1812 5.2.7.2, RFC 4861 8.1)",
      "remove 'accept' (a router's inspection worker refuses redirects by default)"));
}

TEST(InspectSettingsLintTest, RouterRefusingOrHostAcceptingDoesNotWarn) {
  for (const char* text : {"[icmpwall]\nrole = \"router\"\n[inspect.redirect]\naccept = false\n",
                           "[icmpwall]\nrole = \"host\"\n[inspect.redirect]\naccept = true\n"}) {
    auto p = parse_and_lint(std::string(kInspectRule) + text);
    ASSERT_TRUE(p.policy) << rendered(p.diags);
    for (const auto& d : p.diags.items())
      EXPECT_EQ(d.message.find("[inspect.redirect]"), std::string::npos) << rendered(p.diags);
  }
}

// ---- one diagnostic per case ------------------------------------------------------

struct ErrorCase {
  const char* name;
  const char* text;  // after kInspectRule (three lines)
  uint32_t line;
  uint32_t col;
  const char* message;
  const char* hint;
};

class InspectSettingsErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(InspectSettingsErrorTest, ReportsOneErrorAtItsPosition) {
  const auto& c = GetParam();
  auto p = parse(std::string(kInspectRule) + c.text);
  EXPECT_FALSE(p.policy);
  EXPECT_EQ(p.diags.count(Severity::error), 1u) << rendered(p.diags);
  EXPECT_TRUE(has_diag(p.diags, Severity::error, c.line, c.col, c.message, c.hint));
}

const ErrorCase kErrorCases[] = {
    {"UnknownSection", "[inspect.tunel]\n", 4, 10, "unknown section [inspect.tunel]",
     "did you mean 'tunnel'?"},
    {"UnknownSectionFar", "[inspect.zzzzzz]\n", 4, 10, "unknown section [inspect.zzzzzz]",
     "the sections are tunnel, sweep, block, redirect, errors; [inspect] itself takes enforce"},
    {"UnknownTopKeyNearEnforce", "[inspect]\nenforc = \"log\"\n", 5, 1,
     "unknown section [inspect.enforc]", "did you mean 'enforce'?"},
    {"PolicyEnforceUnknown", "[inspect]\nenforce = \"dry-run\"\n", 5, 11,
     "unknown enforce 'dry-run'", "'enforce' is one of: log, drop, block"},
    {"NeverBlockHostBits",
     "[inspect.block]\nnever-block = [\"198.18.0.0/15\", \"198.18.7.1/24\"]\n", 5, 33,
     "'198.18.7.1/24' has host bits set", "did you mean '198.18.7.0/24'?"},
    {"NeverBlockHostBitsV6", "[inspect.block]\nnever-block = [\"2001:db8::1/64\"]\n", 5, 16,
     "'2001:db8::1/64' has host bits set", "did you mean '2001:db8::/64'?"},
    {"NeverBlockNotAPrefix", "[inspect.block]\nnever-block = [\"monitoring\"]\n", 5, 16,
     "'monitoring' is not an IPv4 or IPv6 address or prefix",
     "e.g. \"198.18.0.0/15\", \"2001:db8::/32\" or a single address \"192.0.2.1\""},
    {"NeverBlockNotAnArray", "[inspect.block]\nnever-block = \"198.18.0.0/15\"\n", 5, 15,
     "'never-block' must be an array of prefixes, not a string",
     "write never-block = [\"198.18.0.0/15\"]"},
    {"NeverBlockEntryNotString", "[inspect.block]\nnever-block = [15]\n", 5, 16,
     "a 'never-block' entry must be a string, not an integer",
     "e.g. \"198.18.0.0/15\", \"2001:db8::/32\" or a single address \"192.0.2.1\""},
    {"VerifyUnknown", "[inspect.block]\nverify = \"rout\"\n", 5, 10, "unknown verify 'rout'",
     "did you mean 'route'? ('verify' is one of: link, route)"},
    {"SectionNotATable", "[inspect]\ntunnel = 3\n", 5, 10,
     "'inspect.tunnel' must be a table, not an integer",
     "write [inspect.tunnel] and put its settings under it"},
    {"WeightsNotATable", "[inspect.tunnel]\nweights = 3\n", 5, 11,
     "'inspect.tunnel.weights' must be a table, not an integer",
     "write [inspect.tunnel.weights] and put its settings under it"},
    {"UnknownTunnelKey", "[inspect.tunnel]\nmax-echo-paylod = 1\n", 5, 1,
     "unknown key 'max-echo-paylod' in [inspect.tunnel]", "did you mean 'max-echo-payload'?"},
    {"UnknownTunnelKeySnakeCase", "[inspect.tunnel]\nblock_score = 1\n", 5, 1,
     "unknown key 'block_score' in [inspect.tunnel]", "did you mean 'block-score'?"},
    {"UnknownWeight", "[inspect.tunnel.weights]\nentropi = 1\n", 5, 1,
     "unknown key 'entropi' in [inspect.tunnel.weights]", "did you mean 'entropy'?"},
    {"UnknownSweepKey", "[inspect.sweep]\nmax-destination = 10\n", 5, 1,
     "unknown key 'max-destination' in [inspect.sweep]", "did you mean 'max-destinations'?"},
    {"UnknownRedirectKeyFar", "[inspect.redirect]\nzzzzzzzz = true\n", 5, 1,
     "unknown key 'zzzzzzzz' in [inspect.redirect]",
     "valid keys here: accept, require-datagram, block-for"},
    {"UnknownErrorsKey", "[inspect.errors]\ndrop-quoted = true\n", 5, 1,
     "unknown key 'drop-quoted' in [inspect.errors]", "did you mean 'drop-quoted-errors'?"},
    {"IntegerRange", "[inspect.tunnel]\nmax-echo-payload = 70000\n", 5, 20,
     "'max-echo-payload' must be between 0 and 65535, not 70000",
     "max-echo-payload: integer 0..65535, default 1472"},
    {"IntegerNotInteger", "[inspect.tunnel]\nmax-flows = 1.5\n", 5, 13,
     "'max-flows' must be an integer, not a floating-point number",
     "max-flows: integer 1..16777216, default 65536"},
    {"NumberOpenLowerBound", "[inspect.tunnel]\nentropy-bits = 0\n", 5, 16,
     "'entropy-bits' must be a number in (0, 8], not 0",
     "entropy-bits: number in (0, 8], default 7"},
    {"NumberTooHigh", "[inspect.tunnel]\ntext-min-ratio = 1.5\n", 5, 18,
     "'text-min-ratio' must be a number in (0, 1], not 1.5",
     "text-min-ratio: number in (0, 1], default 0.9"},
    {"NumberNotNumber", "[inspect.tunnel]\ndrop-score = \"high\"\n", 5, 14,
     "'drop-score' must be a number, not a string", "drop-score: number in (0, 1000], default 4"},
    {"WeightNegative", "[inspect.tunnel.weights]\nrate = -1\n", 5, 8,
     "'rate' must be a number in [0, 1000], not -1", "rate: number in [0, 1000], default 1"},
    {"SecondsRange", "[inspect.sweep]\nwindow = 1\n", 5, 10,
     "'window' must be between 2 and 3600, not 1", "window: seconds 2..3600, default 30"},
    {"SecondsNotInteger", "[inspect.tunnel]\nblock-for = \"10m\"\n", 5, 13,
     "'block-for' must be an integer, not a string", "block-for: seconds 1..604800, default 600"},
    {"RedirectBlockForNegative", "[inspect.redirect]\nblock-for = -1\n", 5, 13,
     "'block-for' must be between 0 and 604800, not -1", "block-for: seconds 0..604800, default 0"},
    {"BlockIpv4PrefixTooLong", "[inspect.block]\nipv4-prefix = 33\n", 5, 15,
     "'ipv4-prefix' must be between 1 and 32, not 33", "ipv4-prefix: integer 1..32, default 32"},
    {"BlockIpv6PrefixZero", "[inspect.block]\nipv6-prefix = 0\n", 5, 15,
     "'ipv6-prefix' must be between 1 and 128, not 0", "ipv6-prefix: integer 1..128, default 64"},
    {"UnknownBlockKey", "[inspect.block]\nipv6-prefx = 48\n", 5, 1,
     "unknown key 'ipv6-prefx' in [inspect.block]", "did you mean 'ipv6-prefix'?"},
    {"BooleanNotBoolean", "[inspect.redirect]\naccept = \"no\"\n", 5, 10,
     "'accept' must be true or false, not a string", "accept: true or false, default true"},
    {"EnforceUnknown", "[inspect.sweep]\nenforce = \"blok\"\n", 5, 11, "unknown enforce 'blok'",
     "did you mean 'block'? ('enforce' is one of: log, drop, block)"},
    {"EnforceNotString", "[inspect.tunnel]\nenforce = 1\n", 5, 11,
     "'enforce' must be a string, not an integer", "'enforce' is one of: log, drop, block"},
    {"DottedKeyRange", "[inspect]\nsweep.max-destinations = 300\n", 5, 26,
     "'max-destinations' must be between 2 and 256, not 300",
     "max-destinations: integer 2..256, default 32"},
};

INSTANTIATE_TEST_SUITE_P(Diagnostics, InspectSettingsErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace icmpwall::policy
