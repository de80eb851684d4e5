// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/load.h"

#include "icmpwall/compile/compiler.h"
#include "icmpwall/inspect/engine_budget.h"
#include "icmpwall/policy/lint.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::daemon {

std::optional<Loaded> load(const LoadRequest& request, Diagnostics& diags) {
  // 1. the config file, 2. the command line on top
  DaemonConfig config;
  config.stats_socket.clear();  // only a config file (or --stats-socket) turns it on
  if (!request.config_path.empty()) {
    auto c = parse_config_file(request.config_path, diags);
    if (!c) return std::nullopt;
    config = std::move(*c);
  }
  if (!request.policy_path.empty()) config.policy = request.policy_path;
  config.strict = config.strict || request.strict;
  if (request.queue_mode) config.queue_mode = request.queue_mode;
  if (request.copy_range) config.copy_range = *request.copy_range;
  if (request.flush_on_exit) config.on_stop = OnStop::flush;
  if (request.stats_socket) config.stats_socket = *request.stats_socket;
  if (request.metrics_listen) {
    auto a = parse_listen_address(*request.metrics_listen);
    if (!a) {
      diags.error(
          {std::make_shared<const SourceFile>("--metrics-listen", *request.metrics_listen), 0, 0},
          a.error().message);
      return std::nullopt;
    }
    config.metrics_listen = *a;
  }
  if (request.events_file) config.events_file = *request.events_file;

  // 3. the policy: parse, lint, compile, the detectors' thresholds
  auto compiled = compile_policy_file(config.policy, config.strict, diags);
  if (!compiled) return std::nullopt;
  return Loaded{std::move(config), std::move(compiled->policy), std::move(compiled->table),
                std::move(compiled->engine)};
}

std::optional<CompiledPolicy> compile_policy_file(const std::string& path, bool strict,
                                                  Diagnostics& diags) {
  auto policy = policy::parse_policy_file(path, diags);
  if (policy) policy::lint(*policy, diags);
  // Also when parsing failed: the parser's warnings count as errors too.
  if (strict) diags.promote_warnings();
  if (!policy || diags.has_errors()) return std::nullopt;
  auto table = compile::compile(*policy, diags);
  if (!table || diags.has_errors()) return std::nullopt;
  auto engine = inspect::engine_settings(*policy, diags);
  if (!engine || diags.has_errors()) return std::nullopt;
  return CompiledPolicy{std::move(*policy), std::move(*table), std::move(*engine)};
}

}  // namespace icmpwall::daemon
