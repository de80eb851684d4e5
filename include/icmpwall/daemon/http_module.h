// SPDX-License-Identifier: GPL-2.0-or-later
// icmpwall-http.so (http/module.h), loaded at the first call and kept for
// the life of the process: from <prefix>/lib/icmpwall when the binary is
// <prefix>/sbin/icmpwall, from the binary's directory in a build.
#pragma once

#include "icmpwall/http/module.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr const char* kHttpModuleName = "icmpwall-http.so";

// The module's entry points, or why it could not be loaded.
Result<const http::Module*> http_module();

}  // namespace icmpwall::daemon
