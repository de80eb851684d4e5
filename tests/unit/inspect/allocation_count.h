// SPDX-License-Identifier: GPL-2.0-or-later
// Allocations through operator new in this test binary, which replaces the
// global operator new and delete with counting ones (allocation_count.cpp).
// They live in a file of their own: the replacements are the whole
// binary's, not one test file's, and a compiler that sees them inlined
// into the standard allocator takes free() for a mismatched delete.
#pragma once

#include <cstdint>

namespace alloc_test {

uint64_t allocations();

}  // namespace alloc_test
