// SPDX-License-Identifier: GPL-2.0-or-later
// The commands' and tests' name for util's EnterNetns (util/netns.h), which
// owns entering a named network namespace.
#pragma once

#include "icmpwall/util/netns.h"

namespace icmpwall::netlink {

using icmpwall::EnterNetns;

}  // namespace icmpwall::netlink
