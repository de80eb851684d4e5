// SPDX-License-Identifier: GPL-2.0-or-later
// A user's value as a diagnostic quotes it: whole when short, else its
// first kMaxShown bytes (never splitting a UTF-8 sequence) and "…", so a
// 60 MiB string in a policy costs its diagnostic a line, not 60 MiB.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace icmpwall::policy {

inline constexpr size_t kMaxShown = 80;

std::string shown(std::string_view value);

}  // namespace icmpwall::policy
