// SPDX-License-Identifier: GPL-2.0-or-later
// The memory an engine's detector tables take, known before the engine is
// built, and the budget a policy's [inspect.*] table sizes must fit.
//
// The tables (flow_table.h) are allocated whole when the engine is
// constructed and never grow, so their size follows from the settings:
// tunnel max-flows, max-pending-requests, max-pattern-pairs and sweep
// max-sources, each times its table's entry size. The entry sizes are the
// tables' own (their memory_bytes() for one and two entries), so they
// follow the types as these change.
#pragma once

#include <cstdint>
#include <optional>

#include "icmpwall/inspect/engine.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::inspect {

// The most the detector tables of one engine may take: 2 GiB. A reload
// holds two engines for a moment (the old one keeps serving until the new
// one is in place), so the daemon may need twice this.
inline constexpr uint64_t kEngineTableBudget = uint64_t{2} << 30;

// Bytes of the detector tables an engine with `config` allocates (an
// upper bound: each table's bucket array is rounded up to a power of two).
uint64_t engine_table_bytes(const EngineConfig& config);

// engine_config(policy) as diagnostics: a setting the detectors refuse,
// and tables over kEngineTableBudget (an error at the largest table
// setting the policy gives, naming every table's share). Empty on error.
std::optional<EngineConfig> engine_settings(const policy::Policy& policy, Diagnostics& diags);

}  // namespace icmpwall::inspect
