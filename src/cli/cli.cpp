// SPDX-License-Identifier: GPL-2.0-or-later
// Command-line parsing (CLI11). Usage errors exit 2; the commands
// themselves live in commands.cpp.
#include "icmpwall/cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "icmpwall/cli/commands.h"
#include "icmpwall/daemon/config.h"
#include "icmpwall/netlink/queue_mode.h"
#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/util/exit_codes.h"
#include "icmpwall/version.h"

namespace icmpwall::cli {
namespace {

// The command the command line names: its first argument that is the
// name of one of `app`'s commands, else null. Only that command's options
// are set up: CLI11 builds each option with its names, description and
// checks, and the options of all six commands took 0.2 ms of every start
// (a third of what `icmpwall --version` costs beyond loading). Every
// command is still listed by --help.
CLI::App* named_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const auto named = app.get_subcommands([&](CLI::App* c) { return c->get_name() == argv[i]; });
    if (!named.empty()) return named.front();
  }
  return nullptr;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"icmpwall: ICMP policy firewall manager", "icmpwall"};
  app.set_version_flag("--version", std::string("icmpwall ") + ICMPWALL_VERSION);
  app.require_subcommand(1);

  CommonOptions common;
  std::string color = "auto";
  app.add_option("--color", color, "Color diagnostics: auto, always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  // The commands, in the order --help lists them; their options below.
  auto* apply_cmd = app.add_subcommand("apply", "Compile a policy and load it atomically");
  auto* check_cmd = app.add_subcommand("check", "Validate and lint a policy; no kernel access");
  auto* daemon_cmd = app.add_subcommand(
      "daemon", "Apply a policy and inspect what its inspect rules queue, until SIGINT/SIGTERM");
  auto* stats_cmd = app.add_subcommand("stats", "Print the running daemon's counters");
  auto* reload_cmd = app.add_subcommand(
      "reload",
      "Make the running daemon reload its config and policy, and say whether it took them");
  auto* flush_cmd = app.add_subcommand("flush", "Remove icmpwall's table (only)");
  auto* audit_cmd = app.add_subcommand(
      "audit", "What the live ruleset (all tables) does with each ICMP type, and why");
  CLI::App* const named = named_command(app, argc, argv);

  ApplyOptions apply;
  if (named == apply_cmd) {
    apply_cmd->add_option("policy", apply.policy_path, "Policy file (TOML)")->required();
    apply_cmd->add_option("--netns", apply.netns, "Run inside this named network namespace");
    apply_cmd->add_flag("--dry-run", apply.dry_run, "Print the nft ruleset, touch nothing");
    apply_cmd->add_flag("--strict", common.strict, "Treat lint warnings as errors");
    apply_cmd
        ->add_option("--queue-mode", apply.queue_mode,
                     "How inspect rules reach NFQUEUE: auto, native, compat")
        ->check(CLI::IsMember(netlink::queue_mode_names()));
    apply_cmd->add_option("--dump", apply.dump, "Print a stage's output: policy, nft")
        ->check(CLI::IsMember({"policy", "nft"}));
  }

  std::string check_path, check_dump;
  bool list_types = false;
  if (named == check_cmd) {
    auto* check_policy = check_cmd->add_option("policy", check_path, "Policy file (TOML)");
    check_cmd
        ->add_flag("--list-types", list_types, "List the ICMP and ICMPv6 names a policy may use")
        ->excludes(check_policy);
    check_cmd->add_flag("--strict", common.strict, "Treat lint warnings as errors");
    check_cmd->add_option("--dump", check_dump, "Print a stage's output: policy, nft")
        ->check(CLI::IsMember({"policy", "nft"}));
  }

  DaemonOptions daemon;
  if (named == daemon_cmd) {
    daemon_cmd->add_option("--config", daemon.load.config_path,
                           "Daemon config (default /etc/icmpwall/icmpwall.toml without --policy)");
    daemon_cmd->add_option("--policy", daemon.load.policy_path,
                           "Policy file (TOML); overrides the config's");
    daemon_cmd->add_option("--netns", daemon.netns, "Run inside this named network namespace");
    daemon_cmd->add_flag("--strict", common.strict, "Treat lint warnings as errors");
    daemon_cmd
        ->add_option("--queue-mode", daemon.queue_mode,
                     "How inspect rules reach NFQUEUE: auto, native, compat")
        ->check(CLI::IsMember(netlink::queue_mode_names()));
    daemon_cmd
        ->add_option("--copy-range", daemon.load.copy_range,
                     "Bytes of each queued packet to inspect (default 1500)")
        ->check(CLI::Range(64, 65531));
    daemon_cmd->add_flag("--flush-on-exit", daemon.load.flush_on_exit,
                         "Remove icmpwall's table when stopping (on_stop = \"flush\")");
    daemon_cmd->add_option("--stats-socket", daemon.load.stats_socket,
                           "Serve counters on this Unix socket (\"\" disables it)");
    daemon_cmd
        ->add_option("--metrics-listen", daemon.load.metrics_listen,
                     "Serve Prometheus metrics over HTTP on ADDR:PORT (GET /metrics)")
        ->check([](const std::string& s) {
          auto a = daemon::parse_listen_address(s);
          return a ? std::string() : a.error().message;
        });
    daemon_cmd->add_option("--events-file", daemon.load.events_file,
                           "Append eve-style JSON events to this file (reopened on SIGHUP)");
    daemon_cmd
        ->add_option(
            "--crowdsec-url", daemon.load.crowdsec_url,
            "The CrowdSec local API (http://ADDR:PORT or https://) to push alerts to and pull "
            "decisions from")
        ->check([](const std::string& s) {
          auto u = daemon::parse_lapi_url(s);
          return u ? std::string() : u.error().message;
        });
    daemon_cmd->add_option("--crowdsec-bouncer-key-file", daemon.load.crowdsec_bouncer_key_file,
                           "File holding the CrowdSec bouncer API key (pulls decisions)");
    daemon_cmd->add_option("--crowdsec-machine-id", daemon.load.crowdsec_machine_id,
                           "CrowdSec machine name that pushes alerts");
    daemon_cmd->add_option("--crowdsec-machine-password-file",
                           daemon.load.crowdsec_machine_password_file,
                           "File holding that CrowdSec machine's password");
    daemon_cmd->add_option("--crowdsec-poll-interval", daemon.load.crowdsec_poll_interval,
                           "Seconds between two pulls of CrowdSec decisions (default 10)");
    daemon_cmd->add_option("--crowdsec-ca-file", daemon.load.crowdsec_ca_file,
                           "PEM certificates trusted for an https:// CrowdSec URL instead of the "
                           "system's store");
    daemon_cmd
        ->add_option("--busy-poll-us", daemon.load.busy_poll_us,
                     "Queue workers keep reading without sleeping this many microseconds after a "
                     "packet: lower latency, a busy core while packets come (default 0: off)")
        ->check(CLI::Range(0u, daemon::kMaxBusyPollUs));
    daemon_cmd
        ->add_option("--drift-check-interval", daemon.load.drift_check_interval,
                     "Seconds between checks that the kernel still holds the policy's table and "
                     "no other table overrides it (default 60; 0: off)")
        ->check(CLI::Range(0u, static_cast<uint32_t>(daemon::kMaxDriftCheckInterval.count())));
  }

  StatsOptions stats;
  if (named == stats_cmd) {
    stats_cmd->add_option("--socket", stats.socket, "The daemon's stats socket");
    auto* stats_json = stats_cmd->add_flag("--json", stats.json, "JSON (the default)");
    stats_cmd->add_flag("--prometheus", stats.prometheus, "Prometheus text exposition format")
        ->excludes(stats_json);
  }

  ReloadOptions reload;
  if (named == reload_cmd) {
    reload_cmd->add_option("--socket", reload.socket, "The daemon's stats socket");
    reload_cmd
        ->add_option("--pid", reload.pid,
                     "The daemon's PID as known otherwise ($MAINPID); refuse if another listens")
        ->check(CLI::PositiveNumber);
    reload_cmd
        ->add_option("--timeout", reload.timeout,
                     "Seconds to wait for the daemon's answer and the reload's end (default 30)")
        ->check(CLI::Range(0.001, 3600.0));
  }

  std::string flush_netns, flush_table = "icmpwall";
  if (named == flush_cmd) {
    flush_cmd->add_option("--netns", flush_netns, "Run inside this named network namespace");
    flush_cmd->add_option("--table", flush_table, "Table name (default icmpwall)");
  }

  AuditOptions audit;
  if (named == audit_cmd) {
    audit_cmd->add_option("--netns", audit.netns, "Run inside this named network namespace");
    audit_cmd->add_flag("--json", audit.json, "JSON output (schema 1)");
    audit_cmd->add_option("--family", audit.family, "ipv4 or ipv6 (default both)");
    audit_cmd->add_option("--hook", audit.hook, "input, forward or output (default all)");
    audit_cmd->add_option("--type", audit.type, "An ICMP/ICMPv6 type name or number");
    audit_cmd->add_flag("--explain", audit.explain,
                        "Show the path of one packet (needs --family, --hook, --type)");
    audit_cmd->add_option("--code", audit.code, "--explain: the ICMP code")
        ->check(CLI::Range(0, 255));
    audit_cmd->add_option("--src", audit.src, "--explain: the source address");
    audit_cmd->add_option("--dst", audit.dst, "--explain: the destination address");
    audit_cmd->add_option("--iif", audit.iif, "--explain: the input interface name");
    audit_cmd->add_option("--oif", audit.oif, "--explain: the output interface name");
    audit_cmd
        ->add_option("--hop-limit", audit.hop_limit, "--explain: the IPv4 TTL / IPv6 hop limit")
        ->check(CLI::Range(0, 255));
    audit_cmd
        ->add_option("--ct-state", audit.ct_state, "--explain: the conntrack state (default new)")
        ->check(CLI::IsMember({"new", "established", "related", "invalid", "untracked"}));
    audit_cmd->add_option("--policy", audit.policy_path,
                          "Compare the live table with this policy; exit 5 on drift or override");
    audit_cmd
        ->add_option(
            "--time-budget", audit.time_budget,
            "Seconds the evaluation may take; past them outcomes are 'unknown beyond here' "
            "(default 60)")
        ->check(CLI::PositiveNumber);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  common.color = color == "always" || (color == "auto" && isatty(STDERR_FILENO));

  try {
    if (*apply_cmd) {
      apply.common = common;
      return cmd_apply(apply);
    }
    if (*check_cmd) {
      if (list_types) {
        std::cout << policy::list_types();
        return kOk;
      }
      if (check_path.empty()) {
        std::cerr << "icmpwall check: a POLICY file is required (or --list-types)\n";
        return kUsage;
      }
      return cmd_check(common, check_path, check_dump);
    }
    if (*flush_cmd) return cmd_flush(flush_netns, flush_table);
    if (*audit_cmd) {
      audit.color = color == "always" || (color == "auto" && isatty(STDOUT_FILENO));
      return cmd_audit(audit);
    }
    if (*stats_cmd) return cmd_stats(stats);
    if (*reload_cmd) return cmd_reload(reload);
    if (*daemon_cmd) {
      daemon.common = common;
      return cmd_daemon(daemon);
    }
  } catch (const std::exception& e) {
    std::cerr << "icmpwall: " << e.what() << "\n";
    return kInternal;
  }
  return kUsage;
}

}  // namespace icmpwall::cli
