// The daemon's flat list of stages: apply, open the route view, start the
// queue workers around one engine, wait for a signal, stop, report.
#include "icmpwall/daemon/serve.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "icmpwall/util/exit_codes.h"
#include "icmpwall/daemon/events.h"
#include "icmpwall/daemon/source_blocker.h"
#include "icmpwall/queue/worker.h"

namespace icmpwall::daemon {
namespace {

// The queue worker's view of the engine: detected means drop.
class EngineInspector final : public queue::Inspector {
 public:
  explicit EngineInspector(inspect::Engine& engine) : engine_(engine) {}
  queue::Verdict inspect(std::span<const uint8_t> packet, const queue::PacketInfo& info) override {
    auto f = engine_.inspect(packet, info.indev, inspect::Clock::now());
    return f.outcome >= inspect::Outcome::drop ? queue::Verdict::drop : queue::Verdict::accept;
  }

 private:
  inspect::Engine& engine_;
};

// Every queue number an inspect rule sends to, with whether it fails open.
std::map<uint16_t, bool> queues_of(const policy::Policy& p) {
  std::map<uint16_t, bool> out;
  for (const auto& r : p.rules) {
    if (r.action != policy::Action::inspect || !r.inspect) continue;
    for (uint16_t i = 0; i < r.inspect->queues; ++i) {
      auto [it, fresh] = out.emplace(r.inspect->queue + i, r.inspect->fail_open);
      if (!fresh) it->second = it->second && r.inspect->fail_open;  // closed wins
    }
  }
  return out;
}

// SIGINT/SIGTERM blocked in this thread (and so in every worker started
// after it), and received with sigwait.
sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

int serve(const policy::Policy& policy, const nft::Table& table, const ServeOptions& options,
          std::ostream& events, std::ostream& log) {
  const sigset_t signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // 1. the ruleset
  netlink::ApplyOptions apply_opts;
  apply_opts.queue_mode = options.queue_mode;
  Diagnostics diags;
  auto applied = netlink::apply_table(table, diags, apply_opts);
  diags.render(log);
  if (!applied) {
    log << "icmpwall daemon: " << applied.error().message << "; nothing was changed\n";
    return kKernel;
  }

  // 2. the engine
  auto routes = inspect::NetlinkRouteView::open();
  if (!routes) {
    log << "icmpwall daemon: route lookups: " << routes.error().message << "\n";
    return kKernel;
  }
  SourceBlocker blocker(table.name, events);
  inspect::Engine engine(
      options.engine, std::shared_ptr<inspect::RouteView>(std::move(*routes)),
      [&](const inspect::Event& e) { events << detection_json(e) << "\n" << std::flush; },
      [&](const inspect::Address& a, std::chrono::seconds s) { blocker.block(a, s); });
  auto inspector = std::make_shared<EngineInspector>(engine);

  // 3. the workers
  std::vector<queue::Worker> workers;
  for (const auto& [num, fail_open] : queues_of(policy)) {
    queue::QueueConfig qc;
    qc.queue = num;
    qc.copy_range = options.copy_range;
    qc.fail_open = fail_open;
    auto w = queue::Worker::start(qc, inspector);
    if (!w) {
      log << fmt::format("icmpwall daemon: queue {}: {}\n", num, w.error().message);
      return kKernel;
    }
    workers.push_back(std::move(*w));
  }
  std::string queue_list;
  for (const auto& w : workers) queue_list += (queue_list.empty() ? "" : ",") + std::to_string(w.queue());
  events << fmt::format(R"({{"event":"ready","table":"{}","queues":[{}],"queue_mode":"{}"}})",
                        table.name, queue_list, netlink::to_string(applied->queue_mode))
         << "\n"
         << std::flush;

  // 4. until told to stop
  int sig = 0;
  sigwait(&signals, &sig);

  // 5. stop and report
  std::vector<std::pair<uint16_t, queue::Counters>> queue_counters;
  for (auto& w : workers) {
    w.stop();
    if (auto f = w.failure()) log << fmt::format("icmpwall daemon: queue {}: {}\n", w.queue(), f->message);
    queue_counters.emplace_back(w.queue(), w.counters());
  }
  if (options.flush_on_exit) {
    auto r = netlink::flush_table(table.name);
    if (!r) log << "icmpwall daemon: flush: " << r.error().message << "\n";
  }
  events << summary_json(engine.counters(), queue_counters) << "\n" << std::flush;
  return kOk;
}

}  // namespace icmpwall::daemon
