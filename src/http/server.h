// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "icmpwall/http/module.h"

namespace icmpwall::http {

Result<std::unique_ptr<Server>> bind_server(const ServerOptions& options);

}  // namespace icmpwall::http
