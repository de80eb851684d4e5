// SPDX-License-Identifier: GPL-2.0-or-later
#include "rule_parts.h"

#include <cstring>

namespace icmpwall::policy {
namespace {

bool blank(char c) {
  return c == ' ' || c == '\t';
}

// `[[rule]]`, blanks around it, then the line's end or a comment.
bool is_rule_header(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && blank(line[i])) ++i;
  constexpr std::string_view kHeader = "[[rule]]";
  if (line.substr(i, kHeader.size()) != kHeader) return false;
  i += kHeader.size();
  while (i < line.size() && (blank(line[i]) || line[i] == '\r')) ++i;
  return i == line.size() || line[i] == '#';
}

}  // namespace

std::vector<RuleHeader> rule_headers(std::string_view text) {
  std::vector<RuleHeader> out;
  size_t start = 0;
  uint32_t line = 1;
  while (start < text.size()) {
    const void* nl = std::memchr(text.data() + start, '\n', text.size() - start);
    size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    if (is_rule_header(text.substr(start, end - start))) out.push_back({start, line});
    start = end + 1;
    ++line;
  }
  return out;
}

}  // namespace icmpwall::policy
