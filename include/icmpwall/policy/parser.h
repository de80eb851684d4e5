// SPDX-License-Identifier: GPL-2.0-or-later
// TOML policy file -> policy::Policy, with every problem collected as a
// Diagnostic at its file:line:col. On any error the result is empty and
// the diagnostics say why; warnings may accompany a good policy.
#pragma once

#include <optional>
#include <string>

#include "icmpwall/policy/policy.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::policy {

std::optional<Policy> parse_policy_text(std::string path, std::string text, Diagnostics& diags);
std::optional<Policy> parse_policy_file(const std::string& path, Diagnostics& diags);

}  // namespace icmpwall::policy
