// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "icmpwall/http/module.h"

namespace icmpwall::http {

Result<std::unique_ptr<Client>> open_client(const ClientOptions& options);

}  // namespace icmpwall::http
