// SPDX-License-Identifier: GPL-2.0-or-later
// One-line text for rules and expressions, for debugging and tests.
//
// The text names each expression in kernel order, separated by "; ", in
// a compact form close to `nft --debug=netlink`:
//
//   meta l4proto -> r1; cmp eq r1 01; payload th+0 1 -> r1; cmp eq r1 08;
//   counter 3/252; immediate accept
//
// Byte strings print as hex; verdicts by name ("jump NAME").
#pragma once

#include <string>

#include "icmpwall/audit/ruleset.h"

namespace icmpwall::audit {

std::string describe(const Verdict& v);
std::string describe(const Expr& e);
std::string describe(const Rule& r);
// "01020304" for {1,2,3,4}; "" for empty.
std::string hex(const Bytes& b);

}  // namespace icmpwall::audit
