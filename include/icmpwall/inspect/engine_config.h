// SPDX-License-Identifier: GPL-2.0-or-later
// The inspection engine's settings as a policy gives them: the detectors'
// defaults, with every [inspect.*] setting of the policy applied on top
// (policy/inspect_settings.h lists the knobs). On a router the redirect
// validator accepts no redirects unless the policy says otherwise.
#pragma once

#include <optional>
#include <string_view>

#include "icmpwall/inspect/engine.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/result.h"

namespace icmpwall::inspect {

// The settings for `policy`, checked by the detectors' validate(); an
// error names the policy key at fault.
Result<EngineConfig> engine_config(const policy::Policy& policy);

// The value the knob `section`/`key` has in `config`, in the knob's
// representation; none if no field answers to it. Lets the documented
// defaults be checked against the structs'.
std::optional<policy::KnobValue> knob_value(const EngineConfig& config, std::string_view section,
                                            std::string_view key);

}  // namespace icmpwall::inspect
