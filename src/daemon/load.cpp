// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/load.h"

#include <fmt/format.h>

#include <tuple>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/inspect/engine_budget.h"
#include "icmpwall/policy/lint.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::daemon {
namespace {

// The --crowdsec-* options on top of the config's crowdsec_* keys, then
// the whole checked; false (with an error in `diags`) when unusable.
bool crowdsec_overrides(const LoadRequest& r, CrowdSecConfig& c, Diagnostics& diags) {
  auto fail = [&](const std::string& where, const std::string& text, const std::string& why) {
    diags.error({std::make_shared<const SourceFile>(where, text), 0, 0}, why);
    return false;
  };
  if (r.crowdsec_url) {
    auto u = parse_lapi_url(*r.crowdsec_url);
    if (!u) return fail("--crowdsec-url", *r.crowdsec_url, u.error().message);
    c.url = *r.crowdsec_url;
  }
  for (auto [opt, key, field] :
       {std::tuple{&r.crowdsec_bouncer_key_file, "--crowdsec-bouncer-key-file",
                   &c.bouncer_key_file},
        std::tuple{&r.crowdsec_machine_password_file, "--crowdsec-machine-password-file",
                   &c.machine_password_file},
        std::tuple{&r.crowdsec_ca_file, "--crowdsec-ca-file", &c.ca_file}}) {
    if (!*opt) continue;
    if ((*opt)->empty() || (*opt)->front() != '/')
      return fail(key, **opt, std::string(key) + " must be an absolute path");
    *field = **opt;
  }
  if (r.crowdsec_machine_id) c.machine_id = *r.crowdsec_machine_id;
  if (r.crowdsec_poll_interval) {
    if (*r.crowdsec_poll_interval < 1 || *r.crowdsec_poll_interval > kMaxPollInterval.count())
      return fail("--crowdsec-poll-interval", std::to_string(*r.crowdsec_poll_interval),
                  fmt::format("--crowdsec-poll-interval must be between 1 and {} seconds",
                              kMaxPollInterval.count()));
    c.poll_interval = std::chrono::seconds(*r.crowdsec_poll_interval);
  }
  const std::string error = crowdsec_config_error(c);
  if (!error.empty())
    return fail(r.config_path.empty() ? "the command line" : r.config_path, "", error);
  return true;
}

}  // namespace

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
  if (request.busy_poll_us) config.busy_poll_us = *request.busy_poll_us;
  if (request.drift_check_interval)
    config.drift_check_interval = std::chrono::seconds(*request.drift_check_interval);
  if (!crowdsec_overrides(request, config.crowdsec, diags)) return std::nullopt;

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
