// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's counters as `icmpwall stats` shows them.
//
// The daemon writes one JSON document (schema 1, below) per connection to
// its stats socket; the client prints it as is (--json) or renders it in
// the Prometheus text exposition format (--prometheus), for
// node_exporter's textfile collector:
//   {"schema":1,"version":"0.1.0","uptime_s":N,"reloads":N,"reload_failures":N,
//    "last_reload_unix":N (the start or the last reload that replaced the policy),
//    "reloading":false (true while a reload (SIGHUP) runs),
//    "last_reload_error":"..." (only while the last reload was refused: why,
//      with its error diagnostics as `icmpwall check` prints them; never a
//      metric),
//    "policy":"/etc/...","table":"icmpwall",
//    "inspected":N,"verdicts":{"pass":N,"log":N,"drop":N,"block":N},
//    "block_requests":N,"reasons":{"tunnel":N,...},
//    "queues":[{"queue":N,"received":N,"accepted":N,"dropped":N,...}],
//    "types":[{"family":"ipv4","type":"echo-request","number":8,"packets":N}],
//    "events_file":{"lines":N,"dropped":N}  (only with an events file),
//    "crowdsec":{"connected":true,"decisions":N,"alerts_sent":N,"alerts_dropped":N,
//                "api_failures":N,"decisions_added":N,"decisions_deleted":N,
//                "decisions_refused":N,"kernel_failures":N}  (only with CrowdSec)
//    "nflog":{"groups":[N],"received":N,"events":N,"suppressed":N,"overflows":N,
//             "malformed":N,"undecoded":N,"unknown_rule":N,"recv_errors":N,
//             "packets":[{"rule":...,"family":...,"type":...,"number":N,"packets":N}]}
//      (only once the policy logged to an NFLOG group)
//    "drift":{"interval_s":N,"checks":N,"failures":N,"missing":N,"extra":N,
//             "differs":N,"overrides":N,"last_check_unix":N (after the first check)}
//      (only with drift checks on; drift_watch.h)}
//
// The same document, rendered, is what `--metrics-listen` serves over
// HTTP (metrics_http.h): one renderer for both. Metric names follow the
// Prometheus conventions (counters end in _total, base units, labels with
// bounded values only: family, type, verdict, reason, queue; never an
// address). The drift gauge (icmpwall_drift{kind}) appears after the
// first drift check.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "icmpwall/daemon/crowdsec.h"
#include "icmpwall/daemon/drift_watch.h"
#include "icmpwall/daemon/engine_slot.h"
#include "icmpwall/daemon/nflog_reader.h"
#include "icmpwall/inspect/engine.h"
#include "icmpwall/queue/reader.h"

namespace icmpwall::daemon {

struct StatsInput {
  std::string version;
  std::chrono::seconds uptime{0};
  std::chrono::system_clock::time_point last_reload{};
  uint64_t reloads = 0;
  uint64_t reload_failures = 0;
  bool reloading = false;         // a reload (SIGHUP) runs
  std::string last_reload_error;  // why the last reload was refused; empty after one that took
  std::string policy;
  std::string table;
  inspect::EngineCounters engine;  // summed over every engine since start
  std::vector<std::pair<uint16_t, queue::Counters>> queues;
  std::vector<TypeCount> types;
  // Lines written to the events file and dropped because its writer was
  // behind; none without an events file.
  std::optional<std::pair<uint64_t, uint64_t>> events_file;
  // The CrowdSec client's counters; none without CrowdSec.
  std::optional<CrowdSecCounters> crowdsec;
  // The NFLOG reader's counters and the groups bound now; none before a
  // policy logged to a group.
  std::optional<NflogCounters> nflog;
  std::set<uint16_t> nflog_groups;
  // The drift checks' counters; none with drift checks off.
  std::optional<DriftCounters> drift;
};

nlohmann::json stats_json(const StatsInput& in);

// The Prometheus text format (version 0.0.4): one # HELP and one # TYPE
// per metric family, icmpwall_ names, label values escaped (\\, \", \n).
// Keys missing from the document (an older daemon's) leave their metrics
// out, or at 0 for the counters every version has.
std::string render_prometheus(const nlohmann::json& stats);

// Sums engine counters (an engine retired by a reload into the total).
void add_counters(inspect::EngineCounters& total, const inspect::EngineCounters& more);
void add_counters(queue::Counters& total, const queue::Counters& more);

}  // namespace icmpwall::daemon
