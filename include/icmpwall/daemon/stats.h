// The daemon's counters as `icmpwall stats` shows them.
//
// The daemon writes one JSON document (schema 1, below) per connection to
// its stats socket; the client prints it as is (--json) or renders it in
// the Prometheus text exposition format (--prometheus), for
// node_exporter's textfile collector:
//   {"schema":1,"uptime_s":N,"reloads":N,"reload_failures":N,
//    "policy":"/etc/...","table":"icmpwall",
//    "inspected":N,"verdicts":{"pass":N,"log":N,"drop":N,"block":N},
//    "block_requests":N,"reasons":{"tunnel":N,...},
//    "queues":[{"queue":N,"received":N,"accepted":N,"dropped":N,...}],
//    "types":[{"family":"ipv4","type":"echo-request","number":8,"packets":N}]}
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "icmpwall/daemon/engine_slot.h"
#include "icmpwall/inspect/engine.h"
#include "icmpwall/queue/reader.h"

namespace icmpwall::daemon {

struct StatsInput {
  std::chrono::seconds uptime{0};
  uint64_t reloads = 0;
  uint64_t reload_failures = 0;
  std::string policy;
  std::string table;
  inspect::EngineCounters engine;  // summed over every engine since start
  std::vector<std::pair<uint16_t, queue::Counters>> queues;
  std::vector<TypeCount> types;
};

nlohmann::json stats_json(const StatsInput& in);

// The Prometheus text format: one # HELP and one # TYPE per metric family,
// icmpwall_ names, label values escaped (\\, \", \n).
std::string render_prometheus(const nlohmann::json& stats);

// Sums engine counters (an engine retired by a reload into the total).
void add_counters(inspect::EngineCounters& total, const inspect::EngineCounters& more);
void add_counters(queue::Counters& total, const queue::Counters& more);

}  // namespace icmpwall::daemon
