// SPDX-License-Identifier: GPL-2.0-or-later
// One (re)load of the daemon's inputs: the config file (if any), the
// command line's overrides on top, then the policy it names parsed,
// linted (strict as configured) and compiled, and the detectors'
// thresholds. Start-up and every SIGHUP go through the same function, so
// a reload accepts exactly what a start would.
#pragma once

#include <optional>
#include <string>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/daemon/config.h"
#include "icmpwall/inspect/engine_config.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::daemon {

// What the command line gave; each set field overrides the config file.
struct LoadRequest {
  std::string config_path;  // empty: no config file, policy_path is required
  std::string policy_path;
  bool strict = false;  // --strict (only ever turns strictness on)
  std::optional<netlink::QueueMode> queue_mode;
  std::optional<uint32_t> copy_range;
  bool flush_on_exit = false;
  std::optional<std::string> stats_socket;
  std::optional<std::string> metrics_listen;  // ADDR:PORT
  std::optional<std::string> events_file;
  std::optional<std::string> crowdsec_url;
  std::optional<std::string> crowdsec_bouncer_key_file;
  std::optional<std::string> crowdsec_machine_id;
  std::optional<std::string> crowdsec_machine_password_file;
  std::optional<uint32_t> crowdsec_poll_interval;  // seconds
  std::optional<std::string> crowdsec_ca_file;
  std::optional<uint32_t> busy_poll_us;
  std::optional<uint32_t> drift_check_interval;  // seconds
};

struct Loaded {
  DaemonConfig config;
  policy::Policy policy;
  nft::Table table;
  inspect::EngineConfig engine;
};

std::optional<Loaded> load(const LoadRequest& request, Diagnostics& diags);

// A policy file parsed, linted (every warning, the parser's too, promoted
// to an error when strict),
// compiled, and its detectors' thresholds taken from [inspect.*] with
// their tables within budget: what `icmpwall check` and `apply` accept
// and what the daemon loads. Each stage runs only if the ones before it
// reported no error; empty if any did.
struct CompiledPolicy {
  policy::Policy policy;
  nft::Table table;
  inspect::EngineConfig engine;
};

std::optional<CompiledPolicy> compile_policy_file(const std::string& path, bool strict,
                                                  Diagnostics& diags);

}  // namespace icmpwall::daemon
