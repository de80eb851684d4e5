// SPDX-License-Identifier: GPL-2.0-or-later
// A policy rate unit as the kernel's limit takes it (NFTA_LIMIT_UNIT:
// seconds), for the limit expression and the named limit object alike.
#pragma once

#include <cstdint>

#include "icmpwall/policy/policy.h"

namespace icmpwall::netlink {

inline uint64_t unit_seconds(policy::RateUnit u) {
  switch (u) {
    case policy::RateUnit::second: return 1;
    case policy::RateUnit::minute: return 60;
    case policy::RateUnit::hour: return 3600;
    case policy::RateUnit::day: return 86400;
  }
  return 1;
}

}  // namespace icmpwall::netlink
