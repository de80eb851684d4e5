// SPDX-License-Identifier: GPL-2.0-or-later
// An Error from an errno value: the message names what failed and says
// why in strerror's words; the Error keeps the code.
#pragma once

#include <string_view>

#include "icmpwall/util/result.h"

namespace icmpwall {

// "<what>: <strerror(code)>".
Error errno_error(std::string_view what, int code);
// The same for the current errno, read after `what` is built.
Error errno_error(std::string_view what);
// strerror(code) alone.
Error errno_error(int code);

}  // namespace icmpwall
