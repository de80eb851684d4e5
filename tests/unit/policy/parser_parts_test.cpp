// SPDX-License-Identifier: GPL-2.0-or-later
// A policy's text is parsed by TOML++ a few hundred [[rule]] tables at a
// time when it splits that way (policy/rule_parts.h), else whole. Both
// ways must give the same policy and the same diagnostics at the same
// positions. Writing the first header as `[[ rule ]]` (the same TOML) makes
// the parser read the text whole, which gives the reference.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "policy_test_util.h"

namespace icmpwall::policy {
namespace {

using testing::has_diag;
using testing::parse;
using testing::rendered;

// The same text, read whole: its first `[[rule]]` header written `[[ rule ]]`.
std::string read_whole(std::string text) {
  auto at = text.find("[[rule]]");
  if (at != std::string::npos) text.replace(at, 8, "[[ rule ]]");
  return text;
}

using Flat = std::tuple<Severity, uint32_t, uint32_t, std::string, std::string, std::string>;

std::vector<Flat> flat(const Diagnostics& d) {
  std::vector<Flat> out;
  for (const auto& x : d.items()) {
    std::string related;
    for (const auto& r : x.related)
      related += fmt::format("{}:{} {};", r.loc.line, r.loc.col, r.message);
    out.emplace_back(x.severity, x.loc.line, x.loc.col, x.message, x.hint, related);
  }
  return out;
}

// `n` rules after a 3-line head; rule i (1-based) is 5 lines from line
// 4 + 5 (i - 1): header, name, type, source, action.
std::string rules(size_t n, size_t bad = 0, const char* bad_action = "") {
  std::string out = "[hooks.input]\ndefault = \"allow\"\n\n";
  for (size_t i = 1; i <= n; ++i)
    out += fmt::format(
        "[[rule]]\nname = \"r{}\"\ntype = \"echo-request\"\nsource = \"198.18.{}.{}\"\n"
        "action = \"{}\"\n",
        i, i / 256, i % 256, i == bad ? bad_action : "allow");
  return out;
}

uint32_t action_line(size_t i) {
  return static_cast<uint32_t>(4 + 5 * (i - 1) + 4);
}

TEST(ParserPartsTest, PositionsInEveryPart) {
  for (size_t bad : {1, 128, 129, 200, 300}) {
    SCOPED_TRACE(bad);
    auto p = parse(rules(300, bad, "alow"));
    EXPECT_FALSE(p.policy);
    EXPECT_EQ(p.diags.items().size(), 1u) << rendered(p.diags);
    EXPECT_TRUE(
        has_diag(p.diags, Severity::error, action_line(bad), 10, "unknown action 'alow'",
                 "did you mean 'allow'? ('action' is one of: allow, drop, rate-limit, inspect)"));
    EXPECT_EQ(flat(p.diags), flat(parse(read_whole(rules(300, bad, "alow"))).diags));
  }
}

TEST(ParserPartsTest, SamePolicyEitherWay) {
  const std::string text = rules(400);
  auto parts = parse(text);
  auto whole = parse(read_whole(text));
  ASSERT_TRUE(parts.policy) << rendered(parts.diags);
  ASSERT_TRUE(whole.policy) << rendered(whole.diags);
  ASSERT_EQ(parts.policy->rules.size(), 400u);
  ASSERT_EQ(whole.policy->rules.size(), 400u);
  for (size_t i = 0; i < 400; ++i) {
    const Rule& a = parts.policy->rules[i];
    const Rule& b = whole.policy->rules[i];
    EXPECT_EQ(a.name, fmt::format("r{}", i + 1));
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(std::tie(a.loc.line, a.loc.col), std::tie(b.loc.line, b.loc.col));
    EXPECT_EQ(a.loc.line, 4 + 5 * i);
    EXPECT_EQ(std::tie(a.action_loc.line, a.action_loc.col),
              std::tie(b.action_loc.line, b.action_loc.col));
    ASSERT_EQ(a.matches.size(), 1u);
    ASSERT_EQ(b.matches.size(), 1u);
    EXPECT_EQ(a.matches[0].loc.line, b.matches[0].loc.line);
    ASSERT_EQ(a.scope.source.size(), 1u);
    EXPECT_EQ(a.scope.source, b.scope.source);
    EXPECT_EQ(a.scope.source[0].loc.line, b.scope.source[0].loc.line);
    EXPECT_EQ(a.scope.source_loc.col, b.scope.source_loc.col);
  }
}

// Duplicate names across parts note the first rule, wherever it is.
TEST(ParserPartsTest, DuplicateNameInALaterPart) {
  std::string text = rules(300);
  const std::string second = "name = \"r290\"\n";
  text.replace(text.find("name = \"r2\"\n"), 12, second);
  auto p = parse(text);
  EXPECT_FALSE(p.policy);
  ASSERT_TRUE(has_diag(p.diags, Severity::error, 4 + 5 * 289 + 1, 8, "duplicate rule name 'r290'",
                       "rule names must be unique: they name the rule's counters in the kernel"))
      << rendered(p.diags);
  EXPECT_EQ(flat(p.diags), flat(parse(read_whole(text)).diags));
}

// Texts that do not split into parts of [[rule]] tables only, or whose
// cuts are not headers, are read whole, with the same result.
struct Fallback {
  const char* name;
  std::string text;
};

class ParserFallbackTest : public ::testing::TestWithParam<Fallback> {};

TEST_P(ParserFallbackTest, SameAsReadWhole) {
  const auto& text = GetParam().text;
  auto a = parse(text);
  auto b = parse(read_whole(text));
  EXPECT_EQ(flat(a.diags), flat(b.diags)) << rendered(a.diags) << "\n--\n" << rendered(b.diags);
  ASSERT_EQ(a.policy.has_value(), b.policy.has_value());
  if (a.policy) {
    ASSERT_EQ(a.policy->rules.size(), b.policy->rules.size());
    for (size_t i = 0; i < a.policy->rules.size(); ++i)
      EXPECT_EQ(a.policy->rules[i].name, b.policy->rules[i].name);
    EXPECT_EQ(a.policy->hooks.size(), b.policy->hooks.size());
    EXPECT_EQ(a.policy->inspect.values.size(), b.policy->inspect.values.size());
  }
}

TEST(ParserPartsTest, HeadersWithBlanksCommentsAndCrLf) {
  auto p = parse(
      "[hooks.input]\ndefault = \"drop\"\n  [[rule]]   # first\ntype = \"echo-request\"\n"
      "action = \"allow\"\n\t[[rule]]\r\ntype = \"echo-reply\"\naction = \"bad\"\n");
  EXPECT_FALSE(p.policy);
  EXPECT_TRUE(has_diag(p.diags, Severity::error, 8, 10, "unknown action 'bad'",
                       "'action' is one of: allow, drop, rate-limit, inspect"));
}

const Fallback kFallbacks[] = {
    // A header line inside a multi-line string is not a header.
    {"HeaderInAMultiLineString",
     rules(2) +
         "[[rule]]\nname = \"\"\"\n[[rule]]\n\"\"\"\ntype = \"echo-reply\"\naction = \"drop\"\n"},
    {"HeaderInALiteralString",
     rules(2) + "[[rule]]\nname = '''\n[[rule]]\n'''\ntype = \"echo-reply\"\naction = \"drop\"\n"},
    // Tables after the rules: read whole.
    {"InspectAfterRules", rules(3) + "[inspect.sweep]\nthreshold = 20\n"},
    {"HookAfterRules", rules(3) + "[hooks.output]\ndefault = \"drop\"\n"},
    {"SettingsAfterRules", rules(3) + "[icmpwall]\ntable = \"t\"\n"},
    // `rule` also defined before the first header: a TOML error either way.
    {"RuleTableBeforeHeaders", "[rule]\nx = 1\n" + rules(2)},
    {"RuleArrayBeforeHeaders", "rule = []\n" + rules(2)},
    // Subtables of a rule stay in its part.
    {"RuleSubtables", rules(200) + "[rule.log]\nprefix = \"last \"\n"},
    {"RuleSubtableRedefined",
     rules(2) + "[rule.log]\nprefix = \"a \"\n[rule.log]\nprefix = \"b \"\n"},
    // A syntax error in a later part: the whole text says where.
    {"SyntaxErrorInALaterPart", rules(200) + "[[rule]]\ntype = [\"echo-request\",\naction = 1\n"},
};

INSTANTIATE_TEST_SUITE_P(Texts, ParserFallbackTest, ::testing::ValuesIn(kFallbacks),
                         [](const ::testing::TestParamInfo<Fallback>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace icmpwall::policy
