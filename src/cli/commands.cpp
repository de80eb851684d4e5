// apply / check / flush, each a flat list of stages.
#include "icmpwall/cli/commands.h"

#include <fmt/format.h>

#include <iostream>

#include "icmpwall/cli/exit_codes.h"
#include "icmpwall/cli/policy_dump.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/compile/render.h"
#include "icmpwall/daemon/serve.h"
#include "icmpwall/inspect/engine_config.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/netlink/netns.h"
#include "icmpwall/policy/lint.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::cli {
namespace {

// Parse, lint and compile a policy; prints diagnostics. Empty on failure.
struct Compiled {
  policy::Policy policy;
  nft::Table table;
};

std::optional<Compiled> load_and_compile(const std::string& path, const CommonOptions& common,
                                         const std::string& dump) {
  Diagnostics diags;
  auto policy = policy::parse_policy_file(path, diags);
  if (policy) policy::lint(*policy, diags);
  if (common.strict) diags.promote_warnings();
  std::optional<nft::Table> table;
  if (policy && !diags.has_errors()) table = compile::compile(*policy, diags);
  diags.render(std::cerr, common.color);
  if (!table || diags.has_errors()) {
    std::cerr << fmt::format("{}: {} error(s), {} warning(s)\n", path, diags.count(Severity::error),
                             diags.count(Severity::warning));
    return std::nullopt;
  }
  if (dump == "policy") std::cout << dump_policy(*policy);
  if (dump == "nft") std::cout << compile::render_nft(*table);
  return Compiled{std::move(*policy), std::move(*table)};
}

size_t count_rules(const nft::Table& t) {
  size_t n = 0;
  for (const auto& c : t.chains) n += c.rules.size();
  return n;
}

size_t count_elements(const nft::Table& t) {
  size_t n = 0;
  for (const auto& s : t.sets) n += s.elements.size();
  return n;
}

bool uses_queue(const nft::Table& t) {
  for (const auto& c : t.chains)
    for (const auto& r : c.rules)
      for (const auto& s : r.stmts)
        if (std::holds_alternative<nft::Queue>(s)) return true;
  return false;
}

}  // namespace

int cmd_check(const CommonOptions& common, const std::string& policy_path, const std::string& dump) {
  auto compiled = load_and_compile(policy_path, common, dump);
  if (!compiled) return kPolicy;
  std::cerr << fmt::format("{}: ok ({} rules, {} nft rules, {} set elements)\n", policy_path,
                           compiled->policy.rules.size(), count_rules(compiled->table),
                           count_elements(compiled->table));
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
  // 3. into the namespace, 4. one atomic batch
  auto ns = netlink::EnterNetns::open(opts.netns);
  if (!ns) {
    std::cerr << "icmpwall: " << ns.error().message << "\n";
    return kKernel;
  }
  netlink::ApplyOptions apply_opts;
  if (opts.queue_mode == "native") apply_opts.queue_mode = netlink::QueueMode::native;
  if (opts.queue_mode == "compat") apply_opts.queue_mode = netlink::QueueMode::compat;
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
      opts.policy_path, compiled->table.name, count_rules(compiled->table),
      count_elements(compiled->table), stats->messages, stats->bytes,
      uses_queue(compiled->table)
          ? fmt::format("; NFQUEUE via {}", stats->queue_mode == netlink::QueueMode::native
                                                ? "nft queue"
                                                : "xt NFQUEUE (kernel lacks nft queue)")
          : "");
  return kOk;
}

int cmd_daemon(const DaemonOptions& opts) {
  // 1. policy -> nft model
  auto compiled = load_and_compile(opts.policy_path, opts.common, "");
  if (!compiled) return kPolicy;
  // the detectors' thresholds, from [inspect.*]
  auto engine = inspect::engine_config(compiled->policy);
  if (!engine) {
    std::cerr << "icmpwall: " << engine.error().message << "\n";
    return kPolicy;
  }
  // 2. into the namespace: every thread the daemon starts lives there too
  auto ns = netlink::EnterNetns::open(opts.netns);
  if (!ns) {
    std::cerr << "icmpwall: " << ns.error().message << "\n";
    return kKernel;
  }
  // 3. apply, inspect, until a signal
  daemon::ServeOptions serve;
  if (opts.queue_mode == "native") serve.queue_mode = netlink::QueueMode::native;
  if (opts.queue_mode == "compat") serve.queue_mode = netlink::QueueMode::compat;
  serve.copy_range = opts.copy_range;
  serve.flush_on_exit = opts.flush_on_exit;
  serve.engine = std::move(*engine);
  return daemon::serve(compiled->policy, compiled->table, serve, std::cout, std::cerr);
}

int cmd_flush(const std::string& netns, const std::string& table) {
  auto ns = netlink::EnterNetns::open(netns);
  if (!ns) {
    std::cerr << "icmpwall: " << ns.error().message << "\n";
    return kKernel;
  }
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
