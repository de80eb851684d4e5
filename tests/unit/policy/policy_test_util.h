// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers for the policy stage's unit tests: parse a policy from a string
// and look for one diagnostic, printing every diagnostic when it is missing.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "icmpwall/policy/lint.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::policy::testing {

struct Parsed {
  std::optional<Policy> policy;
  Diagnostics diags;
};

inline Parsed parse(const std::string& text) {
  Parsed p;
  p.policy = parse_policy_text("p.toml", text, p.diags);
  return p;
}

// Parses (which must succeed) and lints.
inline Parsed parse_and_lint(const std::string& text) {
  Parsed p = parse(text);
  if (p.policy) lint(*p.policy, p.diags);
  return p;
}

inline std::string rendered(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += render(x);
  return out.empty() ? "(no diagnostics)" : out;
}

// A diagnostic of `severity` at line:col with exactly `message` and `hint`.
inline ::testing::AssertionResult has_diag(const Diagnostics& d, Severity severity, uint32_t line,
                                           uint32_t col, std::string_view message,
                                           std::string_view hint) {
  for (const auto& x : d.items())
    if (x.severity == severity && x.loc.line == line && x.loc.col == col && x.message == message &&
        x.hint == hint)
      return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "no " << (severity == Severity::error ? "error" : "warning") << " at " << line << ":"
         << col << " '" << message << "' hint '" << hint << "'; got:\n"
         << rendered(d);
}

// The first diagnostic whose message contains `part`, or null.
inline const Diagnostic* find_diag(const Diagnostics& d, std::string_view part) {
  for (const auto& x : d.items())
    if (x.message.find(part) != std::string::npos) return &x;
  return nullptr;
}

}  // namespace icmpwall::policy::testing
