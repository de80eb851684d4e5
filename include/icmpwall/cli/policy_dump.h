// SPDX-License-Identifier: GPL-2.0-or-later
// `--dump=policy`: the policy tree as icmpwall understood it, names
// resolved to family/type/code, one line per rule.
#pragma once

#include <string>

#include "icmpwall/policy/policy.h"

namespace icmpwall::cli {

std::string dump_policy(const policy::Policy& p);

}  // namespace icmpwall::cli
