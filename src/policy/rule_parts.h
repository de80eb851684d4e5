// SPDX-License-Identifier: GPL-2.0-or-later
// Where a policy's text may be cut so that TOML++ parses it part by part:
// before each line that is a `[[rule]]` header.
//
// A policy of 100 000 rules is a TOML tree of about 120 MB when parsed
// whole; parsed a few hundred rules at a time, each part's tree is freed
// before the next is built, so the same memory (hot in the cache, its
// pages already mapped) serves every part. The parser (parser.cpp) only
// takes the parts when each one is TOML on its own and holds nothing but
// [[rule]] tables; a cut that is not a real header (a line of a
// multi-line string or array) leaves the part before it unfinished, which
// TOML++ refuses, and the parser then reads the text whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace icmpwall::policy {

struct RuleHeader {
  size_t offset = 0;  // of the line's first byte
  uint32_t line = 0;  // 1-based
};

// Every line that is exactly `[[rule]]`, with spaces or tabs around it and
// an optional comment after it, in file order.
std::vector<RuleHeader> rule_headers(std::string_view text);

}  // namespace icmpwall::policy
