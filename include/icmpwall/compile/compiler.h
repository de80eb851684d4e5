// SPDX-License-Identifier: GPL-2.0-or-later
// policy::Policy -> nft::Table.
//
// Per hook: a base chain that sends ICMP (and only ICMP) to one dispatcher
// chain per family; the dispatcher does a single verdict-map lookup keyed
// by type . code (an interval map, so a type-wide rule is one element
// `type . 0-255`), then applies the hook's default. Each map element jumps
// to a "key chain" holding, in precedence order, the rules that name that
// type/code, so per-packet cost does not grow with the number of types.
// Conflicts (same type/code/scope, different actions) are diagnosed here.
#pragma once

#include <optional>
#include <string>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::compile {

std::optional<nft::Table> compile(const policy::Policy& policy, Diagnostics& diags);

// Where a policy has `inspect` rules, the table also holds one set per
// family of sources the inspection worker blocked (elements with a
// timeout), checked before the verdict map, and a counter of what they
// dropped.
inline constexpr const char* kBlockedCounter = "inspect.blocked";
inline constexpr uint32_t kBlockedTimeoutMs = 300'000;  // default; elements carry their own
inline constexpr uint32_t kBlockedMax = 65536;
inline std::string blocked_set_name(policy::Family f) {
  return f == policy::Family::ipv4 ? "inspect.blocked.v4" : "inspect.blocked.v6";
}

}  // namespace icmpwall::compile
