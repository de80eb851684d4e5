// SPDX-License-Identifier: GPL-2.0-or-later
#include "emptiness.h"

#include <fmt/format.h>

#include <algorithm>

namespace icmpwall::policy {
namespace {

// Just past the last character that is not whitespace (1:1 for a blank text).
SourceLoc end_of_text(const std::shared_ptr<const SourceFile>& file) {
  const std::string& text = file->text();
  const size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return {file, 1, 1};
  size_t line_start = text.rfind('\n', end);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  const auto line = static_cast<uint32_t>(
      std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(end), '\n') + 1);
  return {file, line, static_cast<uint32_t>(end - line_start + 2)};
}

}  // namespace

std::optional<Diagnostic> emptiness_error(const std::shared_ptr<const SourceFile>& file,
                                          const Contents& c) {
  if (c.declared_empty && c.rules > 0)
    return Diagnostic{
        Severity::error,
        *c.declared_empty,
        fmt::format("empty = true, but the policy has {} rule{}", c.rules, c.rules == 1 ? "" : "s"),
        "remove 'empty', or the rules",
        {}};
  if (c.declared_empty || c.rules > 0) return std::nullopt;
  return Diagnostic{Severity::error,
                    end_of_text(file),
                    c.hooks ? "the policy has no [[rule]]"
                            : "the policy is empty: it declares no hook and no [[rule]]",
                    "a policy without rules is refused so that an empty or cut-off file cannot "
                    "replace a ruleset; "
                    "if it is meant to have none, say so: empty = true under [icmpwall]",
                    {}};
}

}  // namespace icmpwall::policy
