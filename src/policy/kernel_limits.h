// SPDX-License-Identifier: GPL-2.0-or-later
// What the kernel's limit expression takes (net/netfilter/nft_limit.c,
// nft_limit_init, packet mode): the period is unit * 10^9 ns; each packet
// costs period / rate ns, and the bucket holds cost * burst ns, all in 64
// bits. A rate above one packet per nanosecond costs nothing (the limit
// would let everything through), and a bucket past 2^64 - 1 ns is refused
// with EOVERFLOW; both are caught here, at the policy's position, instead
// of failing in the kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "icmpwall/policy/policy.h"

namespace icmpwall::policy {

struct LimitProblem {
  std::string message;
  std::string hint;
};

// `what` names the limit in the message ("rate", "log rate").
std::optional<LimitProblem> kernel_limit_problem(const Rate& rate, uint64_t burst,
                                                 const char* what);

}  // namespace icmpwall::policy
