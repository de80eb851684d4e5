// SPDX-License-Identifier: GPL-2.0-or-later
// apply / check / flush / audit, each a flat list of stages.
#include "icmpwall/cli/commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "icmpwall/audit/dump.h"
#include "icmpwall/audit/kernel_sysctl.h"
#include "icmpwall/audit/report.h"
#include "icmpwall/cli/audit_drift_command.h"
#include "icmpwall/cli/policy_dump.h"
#include "icmpwall/compile/render.h"
#include "icmpwall/daemon/load.h"
#include "icmpwall/daemon/serve.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/netlink/netns.h"
#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/util/exit_codes.h"

namespace icmpwall::cli {
namespace {

// Parse, lint and compile a policy as the daemon would load it; prints
// diagnostics. Empty on failure.
std::optional<daemon::CompiledPolicy> load_and_compile(const std::string& path,
                                                       const CommonOptions& common,
                                                       const std::string& dump) {
  Diagnostics diags;
  auto compiled = daemon::compile_policy_file(path, common.strict, diags);
  diags.render(std::cerr, common.color);
  if (!compiled) {
    std::cerr << fmt::format("{}: {} error(s), {} warning(s)\n", path, diags.count(Severity::error),
                             diags.count(Severity::warning));
    return std::nullopt;
  }
  if (dump == "policy") std::cout << dump_policy(compiled->policy);
  if (dump == "nft") std::cout << compile::render_nft(compiled->table);
  return compiled;
}

// --type: a number, or a name of either family (with its code, if the
// name implies one). Empty on an unknown name.
std::vector<policy::NamedMatch> resolve_type(const std::string& text,
                                             std::optional<policy::Family> family) {
  std::vector<policy::NamedMatch> out;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    int n = std::stoi(text.substr(0, 4));
    if (n > 255) return out;
    for (auto f : {policy::Family::ipv4, policy::Family::ipv6})
      if (!family || *family == f) out.push_back({f, static_cast<uint8_t>(n), std::nullopt});
    return out;
  }
  for (const auto& m : policy::lookup_name(text))
    if (!family || *family == m.family) out.push_back(m);
  return out;
}

// Enters the named network namespace for the rest of the command (empty:
// stays); reports a failure on stderr.
std::optional<netlink::EnterNetns> enter_netns(const std::string& name) {
  auto ns = netlink::EnterNetns::open(name);
  if (!ns) {
    std::cerr << "icmpwall: " << ns.error().message << "\n";
    return std::nullopt;
  }
  return std::move(*ns);
}

}  // namespace

int cmd_check(const CommonOptions& common, const std::string& policy_path,
              const std::string& dump) {
  auto compiled = load_and_compile(policy_path, common, dump);
  if (!compiled) return kPolicy;
  std::cerr << fmt::format("{}: ok ({} rules, {} nft rules, {} set elements)\n", policy_path,
                           compiled->policy.rules.size(), nft::count_rules(compiled->table),
                           nft::count_elements(compiled->table));
  return kOk;
}

int cmd_apply(const ApplyOptions& opts) {
  // 1. policy -> nft model
  auto compiled = load_and_compile(opts.policy_path, opts.common, opts.dump);
  if (!compiled) return kPolicy;
  // 2. --dry-run stops before the kernel
  if (opts.dry_run) {
    if (opts.dump != "nft") std::cout << compile::render_nft(compiled->table);
    return kOk;
  }
  // The batch needs only the table: the parsed policy (at 100 000 prefixes
  // several MB) goes before it is built, its memory reused by the batch.
  compiled->policy = {};
  // 3. into the namespace, 4. one atomic batch
  auto ns = enter_netns(opts.netns);
  if (!ns) return kKernel;
  netlink::ApplyOptions apply_opts;
  apply_opts.queue_mode = netlink::queue_mode_named(opts.queue_mode);
  Diagnostics diags;
  auto stats = netlink::apply_table(compiled->table, diags, apply_opts);
  diags.render(std::cerr, opts.common.color);
  if (!stats) {
    if (diags.empty()) std::cerr << "icmpwall: " << stats.error().message << "\n";
    std::cerr << "icmpwall: nothing was changed\n";
    return kKernel;
  }
  std::cerr << fmt::format(
      "applied {}: table inet {} ({} rules, {} set elements; {} netlink messages, {} bytes{})\n",
      opts.policy_path, compiled->table.name, nft::count_rules(compiled->table),
      nft::count_elements(compiled->table), stats->messages, stats->bytes,
      nft::uses_queue(compiled->table)
          ? fmt::format("; NFQUEUE via {}", stats->queue_mode == netlink::QueueMode::native
                                                ? "nft queue"
                                                : "xt NFQUEUE (kernel lacks nft queue)")
          : "");
  if (auto kept = netlink::kept_text(*stats); !kept.empty()) std::cerr << kept << "\n";
  return kOk;
}

int cmd_daemon(const DaemonOptions& opts) {
  // 1. what to load (again on every SIGHUP): the config file, overridden by
  //    the command line
  daemon::LoadRequest request = opts.load;
  if (request.config_path.empty() && request.policy_path.empty())
    request.config_path = daemon::kDefaultConfigPath;
  request.strict = opts.common.strict;
  request.queue_mode = netlink::queue_mode_named(opts.queue_mode);
  // 2. into the namespace: every thread the daemon starts lives there too
  auto ns = enter_netns(opts.netns);
  if (!ns) return kKernel;
  // 3. load, apply, inspect, until a signal
  return daemon::serve(request, std::cout, std::cerr);
}

int cmd_audit(const AuditOptions& opts) {
  // 1. the question
  std::optional<policy::Family> family;
  std::optional<policy::Hook> hook;
  if (!opts.family.empty()) {
    auto f = audit::parse_family(opts.family);
    if (!f) return std::cerr << "icmpwall audit: " << f.error().message << "\n", kUsage;
    family = *f;
  }
  if (!opts.hook.empty()) {
    auto h = audit::parse_hook(opts.hook);
    if (!h) return std::cerr << "icmpwall audit: " << h.error().message << "\n", kUsage;
    hook = *h;
  }
  std::vector<policy::NamedMatch> types;
  if (!opts.type.empty()) {
    types = resolve_type(opts.type, family);
    if (types.empty()) {
      std::cerr << fmt::format("icmpwall audit: unknown ICMP type '{}'", opts.type);
      auto near = policy::nearest_names(opts.type);
      if (!near.empty()) std::cerr << fmt::format(" (did you mean {}?)", fmt::join(near, ", "));
      std::cerr << "\n";
      return kUsage;
    }
  }
  if (!opts.policy_path.empty()) {
    // --policy: drift and overrides (audit_drift_command.cpp)
    if (opts.explain) return std::cerr << "icmpwall audit: --explain excludes --policy\n", kUsage;
    auto compiled = load_and_compile(opts.policy_path, CommonOptions{}, "");
    if (!compiled) return kPolicy;
    auto ns = enter_netns(opts.netns);
    if (!ns) return kKernel;
    audit::ReportFilter filter{family, hook, std::nullopt};
    if (types.size() == 1) filter = {types[0].family, hook, types[0].type};
    return audit_drift(compiled->table, filter, opts);
  }
  audit::Packet packet;
  if (opts.explain) {
    if (!family || !hook || types.empty()) {
      std::cerr << "icmpwall audit --explain: needs --family, --hook and --type\n";
      return kUsage;
    }
    packet.family = *family;
    packet.hook = *hook;
    packet.type = types[0].type;
    packet.code = static_cast<uint8_t>(opts.code.value_or(types[0].code.value_or(0)));
    for (auto [text, out] :
         {std::pair{&opts.src, &packet.src}, std::pair{&opts.dst, &packet.dst}}) {
      if (text->empty()) continue;
      auto a = audit::parse_address(*family, *text);
      if (!a) return std::cerr << "icmpwall audit: " << a.error().message << "\n", kUsage;
      *out = *a;
    }
    packet.iif = opts.iif;
    packet.oif = opts.oif;
    if (opts.hop_limit) packet.hop_limit = static_cast<uint8_t>(*opts.hop_limit);
    packet.ct_state = audit::ct_state_bit(opts.ct_state);
  }
  // 2. into the namespace, 3. one consistent dump
  auto ns = enter_netns(opts.netns);
  if (!ns) return kKernel;
  auto ruleset = audit::dump_ruleset();
  if (!ruleset) {
    std::cerr << "icmpwall: audit: " << ruleset.error().message << "\n";
    return kKernel;
  }
  // ... and the namespace's own ICMP sysctls and links (/proc/sys/net and
  // rtnetlink are the calling thread's namespace)
  const auto sysctls = audit::read_kernel_state();
  // 4. evaluate (within the time budget), add the kernel's effect, print
  const auto options = audit::evaluate_options(opts.time_budget);
  auto with_kernel = [&](audit::ReportEntry& e) {
    e.kernel = audit::kernel_effect(e.packet, e.evaluation, sysctls);
  };
  if (opts.explain) {
    auto entry = audit::report_entry(*ruleset, packet, options);
    with_kernel(entry);
    if (opts.json)
      std::cout << audit::render_json({entry}, &sysctls);
    else
      std::cout << audit::render_explain(entry);
    return kOk;
  }
  std::vector<audit::ReportEntry> entries;
  if (types.empty()) types.push_back({policy::Family::ipv4, 0, std::nullopt});
  for (const auto& t : types) {
    audit::ReportFilter filter{family, hook, std::nullopt};
    if (!opts.type.empty()) {
      filter.family = t.family;
      filter.type = t.type;
    }
    auto part = audit::build_report(*ruleset, filter, options);
    for (auto& e : part) with_kernel(entries.emplace_back(std::move(e)));
  }
  std::cout << (opts.json ? audit::render_json(entries, &sysctls)
                          : audit::render_text(entries, opts.color, &sysctls));
  return kOk;
}

int cmd_flush(const std::string& netns, const std::string& table) {
  auto ns = enter_netns(netns);
  if (!ns) return kKernel;
  auto removed = netlink::flush_table(table);
  if (!removed) {
    std::cerr << "icmpwall: flush: " << removed.error().message << "\n";
    return kKernel;
  }
  std::cerr << (*removed ? fmt::format("removed table inet {}\n", table)
                         : fmt::format("table inet {} was not loaded\n", table));
  return kOk;
}

}  // namespace icmpwall::cli
