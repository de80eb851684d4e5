// SPDX-License-Identifier: GPL-2.0-or-later
// The one spelling of the kernel's netfilter hooks, as nft prints them,
// by hook number (NF_INET_PRE_ROUTING .. NF_INET_INGRESS). The compiler's
// hooks, the audit's walk and its drift report all name hooks from here;
// the policy's own hooks (input, forward, output) are policy::to_string.
#pragma once

#include <array>
#include <cstdint>

namespace icmpwall {

inline constexpr std::array<const char*, 6> kNfHookNames = {"prerouting", "input",       "forward",
                                                            "output",     "postrouting", "ingress"};

// The name of netfilter hook `hooknum`, or nullptr beyond NF_INET_INGRESS.
constexpr const char* nf_hook_name(uint32_t hooknum) {
  return hooknum < kNfHookNames.size() ? kNfHookNames[hooknum] : nullptr;
}

}  // namespace icmpwall
