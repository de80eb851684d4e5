// SPDX-License-Identifier: GPL-2.0-or-later
// Spelling suggestions (the policy and the daemon config use them): the known words closest to a
// misspelled one (optimal string alignment distance, case-insensitive), so
// that "echo-requets" or "ipv6_prefix" get a "did you mean" hint. Words too
// far away are not suggested at all: a wrong hint is worse than none.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace icmpwall {

// Edit distance with adjacent transpositions counted as one edit.
size_t edit_distance(std::string_view a, std::string_view b);

// Up to `n` of `candidates` close to `word`, nearest first (ties by name).
// A candidate is close when within max(2, |word|/3) edits, or when `word`
// (3 characters or more) is a prefix of it.
std::vector<std::string> nearest_of(std::string_view word,
                                    const std::vector<std::string_view>& candidates, size_t n = 3);

}  // namespace icmpwall
