// SPDX-License-Identifier: GPL-2.0-or-later
// Counters to JSON (the socket's document) and JSON to the Prometheus text
// exposition format. The renderer groups samples by metric family so that
// each family gets exactly one HELP and one TYPE line, as the format asks.
#include "icmpwall/daemon/stats.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/policy/policy.h"

namespace icmpwall::daemon {

using json = nlohmann::json;

namespace {

// The per-queue counters the document carries, in order.
constexpr std::pair<const char*, uint64_t queue::Counters::*> kQueueFields[] = {
    {"received", &queue::Counters::received},
    {"accepted", &queue::Counters::accepted},
    {"dropped", &queue::Counters::dropped},
    {"truncated", &queue::Counters::truncated},
    {"enobufs", &queue::Counters::enobufs},
    {"recv_errors", &queue::Counters::recv_errors},
    {"batches", &queue::Counters::batches},
    {"verdict_messages", &queue::Counters::verdict_messages},
    {"send_errors", &queue::Counters::send_errors},
    {"verdict_errors", &queue::Counters::verdict_errors},
    {"no_conntrack", &queue::Counters::no_conntrack},
    {"inspect_errors", &queue::Counters::inspect_errors},
};

// The CrowdSec client's counters: the document's key, the help text.
struct CrowdSecField {
  const char* name;
  uint64_t CrowdSecCounters::*field;
  const char* help;
};
constexpr CrowdSecField kCrowdSecCounters[] = {
    {"alerts_sent", &CrowdSecCounters::alerts_sent, "Alerts the CrowdSec local API accepted."},
    {"alerts_dropped", &CrowdSecCounters::alerts_dropped,
     "Alerts dropped because the queue to CrowdSec was full."},
    {"api_failures", &CrowdSecCounters::api_failures,
     "Calls to the CrowdSec local API that failed."},
    {"decisions_added", &CrowdSecCounters::decisions_added,
     "CrowdSec ban decisions put into the blocked-source sets."},
    {"decisions_deleted", &CrowdSecCounters::decisions_deleted,
     "CrowdSec decisions deleted by the local API."},
    {"decisions_refused", &CrowdSecCounters::decisions_refused,
     "CrowdSec decisions refused: malformed, too broad or protected."},
    {"kernel_failures", &CrowdSecCounters::kernel_failures,
     "Changes to the blocked-source sets for CrowdSec the kernel refused."},
};

std::string type_name(policy::Family f, uint8_t type) {
  if (const auto* t = policy::find_type(f, type)) return std::string(t->name);
  return std::to_string(type);
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Metric families in the order first declared, samples under each.
class Exposition {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  void sample(const std::string& name, const char* type, const char* help, const Labels& labels,
              double value) {
    auto [it, fresh] = index_.emplace(name, families_.size());
    if (fresh) families_.push_back({name, type, help, {}});
    std::string line = "icmpwall_" + name;
    if (!labels.empty()) {
      line += "{";
      for (size_t i = 0; i < labels.size(); ++i)
        line += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first,
                            escape_label(labels[i].second));
      line += "}";
    }
    families_[it->second].samples.push_back(fmt::format("{} {}", line, value));
  }

  std::string render() const {
    std::string out;
    for (const auto& f : families_) {
      out += fmt::format("# HELP icmpwall_{} {}\n# TYPE icmpwall_{} {}\n", f.name, f.help, f.name,
                         f.type);
      for (const auto& s : f.samples) out += s + "\n";
    }
    return out;
  }

 private:
  struct Family {
    std::string name, type, help;
    std::vector<std::string> samples;
  };
  std::vector<Family> families_;
  std::map<std::string, size_t> index_;
};

uint64_t num(const json& j, const char* key) {
  return j.contains(key) ? j[key].get<uint64_t>() : 0;
}

}  // namespace

json stats_json(const StatsInput& in) {
  json queues = json::array();
  for (const auto& [n, c] : in.queues) {
    json q{{"queue", n}};
    for (const auto& [name, field] : kQueueFields) q[name] = c.*field;
    queues.push_back(std::move(q));
  }
  json types = json::array();
  for (const auto& t : in.types)
    types.push_back({{"family", policy::to_string(t.family)},
                     {"type", type_name(t.family, t.type)},
                     {"number", t.type},
                     {"packets", t.packets}});
  const auto& e = in.engine;
  json doc{{"schema", 1},
           {"uptime_s", in.uptime.count()},
           {"reloads", in.reloads},
           {"reload_failures", in.reload_failures},
           {"reloading", in.reloading},
           {"policy", in.policy},
           {"table", in.table},
           {"inspected", e.packets},
           {"verdicts",
            {{"pass", e.passed}, {"log", e.logged}, {"drop", e.dropped}, {"block", e.blocked}}},
           {"block_requests", e.block_requests},
           {"reasons", e.reasons},
           {"queues", std::move(queues)},
           {"types", std::move(types)}};
  if (!in.version.empty()) doc["version"] = in.version;
  if (!in.last_reload_error.empty()) doc["last_reload_error"] = in.last_reload_error;
  if (in.last_reload.time_since_epoch().count() != 0)
    doc["last_reload_unix"] =
        std::chrono::duration_cast<std::chrono::seconds>(in.last_reload.time_since_epoch()).count();
  if (in.events_file)
    doc["events_file"] = {{"lines", in.events_file->first}, {"dropped", in.events_file->second}};
  if (const auto& c = in.crowdsec) {
    json cs{{"connected", c->connected}, {"decisions", c->decisions}};
    for (const auto& f : kCrowdSecCounters) cs[f.name] = (*c).*f.field;
    doc["crowdsec"] = std::move(cs);
  }
  if (in.nflog) {
    json n{{"groups", in.nflog_groups}};
    for (const auto& f : kNflogCounterFields) n[f.key] = (*in.nflog).*f.field;
    json packets = json::array();
    for (const auto& [k, count] : in.nflog->packets) {
      const auto& [rule, family, type] = k;
      packets.push_back({{"rule", rule},
                         {"family", policy::to_string(family)},
                         {"type", type_name(family, type)},
                         {"number", type},
                         {"packets", count}});
    }
    n["packets"] = std::move(packets);
    doc["nflog"] = std::move(n);
  }
  if (const auto& d = in.drift) {
    json dj{{"interval_s", d->interval.count()},
            {"checks", d->checks},
            {"failures", d->failures},
            {"missing", d->missing},
            {"extra", d->extra},
            {"differs", d->differs},
            {"overrides", d->overrides}};
    if (d->checks > 0)
      dj["last_check_unix"] =
          std::chrono::duration_cast<std::chrono::seconds>(d->last_check.time_since_epoch())
              .count();
    doc["drift"] = std::move(dj);
  }
  return doc;
}

std::string render_prometheus(const json& s) {
  Exposition x;
  x.sample("up", "gauge", "1 while the icmpwall daemon answers.", {}, 1);
  x.sample("info", "gauge", "The policy and table the daemon serves.",
           {{"policy", s.value("policy", "")}, {"table", s.value("table", "")}}, 1);
  if (s.contains("version"))
    x.sample("build_info", "gauge", "The icmpwall version serving these metrics.",
             {{"version", s.value("version", "")}}, 1);
  x.sample("uptime_seconds", "gauge", "Seconds since the daemon started.", {}, num(s, "uptime_s"));
  if (s.contains("last_reload_unix"))
    x.sample("last_reload_timestamp_seconds", "gauge",
             "Unix time the policy in force was loaded (start or SIGHUP).", {},
             num(s, "last_reload_unix"));
  x.sample("reloads_total", "counter", "Reloads (SIGHUP) that replaced the policy.", {},
           num(s, "reloads"));
  x.sample("reload_failures_total", "counter", "Reloads refused; the old policy stayed.", {},
           num(s, "reload_failures"));
  x.sample("inspected_packets_total", "counter", "Packets the inspection engine judged.", {},
           num(s, "inspected"));
  if (s.contains("verdicts"))
    for (const auto& [verdict, n] : s["verdicts"].items())
      x.sample("verdicts_total", "counter", "Inspected packets per verdict.",
               {{"verdict", verdict}}, n.get<uint64_t>());
  x.sample("block_requests_total", "counter", "Sources handed to the kernel block set.", {},
           num(s, "block_requests"));
  if (s.contains("reasons"))
    for (const auto& [reason, n] : s["reasons"].items())
      x.sample("detections_total", "counter", "Detections per reason.", {{"reason", reason}},
               n.get<uint64_t>());
  for (const auto& q : s.value("queues", json::array())) {
    const std::string queue = std::to_string(q.value("queue", 0));
    for (const auto& [name, field] : kQueueFields)
      x.sample(fmt::format("queue_{}_total", name), "counter",
               fmt::format("NFQUEUE {} per queue.", name).c_str(), {{"queue", queue}},
               num(q, name));
  }
  for (const auto& t : s.value("types", json::array()))
    x.sample("icmp_packets_total", "counter", "Inspected packets per ICMP family and type.",
             {{"family", t.value("family", "")}, {"type", t.value("type", "")}}, num(t, "packets"));
  if (s.contains("events_file")) {
    const auto& f = s["events_file"];
    x.sample("events_file_lines_total", "counter", "Event lines written to the events file.", {},
             num(f, "lines"));
    x.sample("events_file_dropped_total", "counter",
             "Event lines dropped because the events file writer was behind.", {},
             num(f, "dropped"));
  }
  if (s.contains("crowdsec")) {
    const auto& c = s["crowdsec"];
    x.sample("crowdsec_up", "gauge", "1 when the last call to the CrowdSec local API succeeded.",
             {}, c.value("connected", false) ? 1 : 0);
    x.sample("crowdsec_decisions", "gauge", "Prefixes blocked for CrowdSec decisions.", {},
             num(c, "decisions"));
    for (const auto& f : kCrowdSecCounters)
      x.sample(fmt::format("crowdsec_{}_total", f.name), "counter", f.help, {}, num(c, f.name));
  }
  if (s.contains("nflog")) {
    const auto& n = s["nflog"];
    for (const auto& f : kNflogCounterFields)
      x.sample(f.metric, "counter", f.help, {}, num(n, f.key));
    for (const auto& p : n.value("packets", json::array()))
      x.sample("nflog_rule_packets_total", "counter",
               "NFLOG packets per policy rule, ICMP family and type.",
               {{"rule", p.value("rule", "")},
                {"family", p.value("family", "")},
                {"type", p.value("type", "")}},
               num(p, "packets"));
  }
  if (s.contains("drift")) {
    const auto& d = s["drift"];
    x.sample("drift_checks_total", "counter",
             "Drift checks of the live table against the policy that completed.", {},
             num(d, "checks"));
    x.sample("drift_check_failures_total", "counter",
             "Drift checks that could not read or compare the ruleset.", {}, num(d, "failures"));
    // what the last check found; nothing before the first
    if (d.contains("last_check_unix")) {
      for (const auto& [kind, key] : {std::pair{"missing", "missing"},
                                      {"extra", "extra"},
                                      {"differs", "differs"},
                                      {"override", "overrides"}})
        x.sample("drift", "gauge",
                 "What the last drift check found per kind: parts of the policy missing from "
                 "the live table, extra or different in it, and outcomes other tables override.",
                 {{"kind", kind}}, num(d, key));
      x.sample("drift_last_check_timestamp_seconds", "gauge",
               "Unix time of the last completed drift check.", {}, num(d, "last_check_unix"));
    }
  }
  return x.render();
}

void add_counters(inspect::EngineCounters& total, const inspect::EngineCounters& more) {
  total.packets += more.packets;
  total.passed += more.passed;
  total.logged += more.logged;
  total.dropped += more.dropped;
  total.blocked += more.blocked;
  total.block_requests += more.block_requests;
  for (const auto& [reason, n] : more.reasons) total.reasons[reason] += n;
}

void add_counters(queue::Counters& total, const queue::Counters& more) {
  for (const auto& [name, field] : kQueueFields) total.*field += more.*field;
  total.reads += more.reads;
  total.batch_verdicts += more.batch_verdicts;
}

}  // namespace icmpwall::daemon
