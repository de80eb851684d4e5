// SPDX-License-Identifier: GPL-2.0-or-later
// A cheap pre-scan of a policy's text that keeps TOML++ off deep
// recursion: TOML++ recurses once per part of a dotted key ("a.b.c..." or
// [a.b.c...]) and has no limit of its own. Real keys have a handful of
// parts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace icmpwall::policy {

// Most dots one key may hold.
inline constexpr size_t kMaxKeyDots = 64;

// The line and column of the first dot that takes one key past
// kMaxKeyDots, if any. Dots in strings and comments do not count, and the
// count starts over at whatever ends a key: '=', a bracket or brace, ','
// or a new line. A value's dots (a float) thus stay far below the limit.
std::optional<std::pair<uint32_t, uint32_t>> too_many_key_dots(std::string_view text);

}  // namespace icmpwall::policy
