#include "icmpwall/daemon/events.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/json_text.h"

namespace icmpwall::daemon {

using json = nlohmann::json;

std::string detection_json(const inspect::Event& e) {
  json j;
  j["event"] = "detection";
  j["reason"] = e.finding->reason;
  j["action"] = inspect::to_string(e.finding->outcome);
  j["score"] = e.finding->score;
  if (e.packet) {
    const auto& p = *e.packet;
    j["family"] = policy::to_string(p.ip.family);
    j["src"] = inspect::to_string(p.ip.src);
    j["dst"] = inspect::to_string(p.ip.dst);
    j["type"] = p.icmp.type;
    j["code"] = p.icmp.code;
    j["id"] = p.icmp.id();
    j["length"] = p.ip.total_len;
  }
  const auto& ctx = *e.context;
  if (ctx.iif) j["iif"] = ctx.iif;
  if (ctx.oif) j["oif"] = ctx.oif;
  if (ctx.hwaddr_len) {
    std::string mac;
    for (size_t i = 0; i < ctx.hwaddr_len; ++i)
      mac += fmt::format("{}{:02x}", i ? ":" : "", ctx.hwaddr[i]);
    j["hwaddr"] = mac;
  }
  if (ctx.ct != inspect::Conntrack::unknown) j["ct"] = inspect::to_string(ctx.ct);
  json signals = json::array();
  for (const auto& s : e.finding->signals)
    signals.push_back({{"name", s.name}, {"value", s.value}, {"threshold", s.threshold}});
  j["signals"] = std::move(signals);
  if (e.finding->outcome == inspect::Outcome::block) {
    j["block_s"] = e.finding->block_for.count();
    if (e.block)
      j["block_prefix"] =
          fmt::format("{}/{}", inspect::to_string(e.block->address), e.block->length);
  }
  if (e.block_withheld) j["block_withheld"] = e.block_withheld;
  if (e.would) j["would"] = inspect::to_string(*e.would);
  return json_text(j);
}

std::string block_json(const inspect::BlockedPrefix& prefix, long seconds,
                       const std::string& error) {
  const std::string address = inspect::to_string(prefix.address);
  json j{{"event", "block"},
         {"address", address},
         {"prefix", fmt::format("{}/{}", address, prefix.length)},
         {"seconds", seconds},
         {"ok", error.empty()}};
  if (!error.empty()) j["error"] = error;
  return json_text(j);
}

std::string summary_json(const inspect::EngineCounters& engine,
                         const std::vector<std::pair<uint16_t, queue::Counters>>& queues) {
  json e{{"packets", engine.packets}, {"passed", engine.passed},
         {"logged", engine.logged},   {"dropped", engine.dropped},
         {"blocked", engine.blocked}, {"block_requests", engine.block_requests},
         {"reasons", engine.reasons}};
  json qs = json::array();
  for (const auto& [num, c] : queues)
    qs.push_back({{"queue", num},
                  {"received", c.received},
                  {"accepted", c.accepted},
                  {"dropped", c.dropped},
                  {"truncated", c.truncated},
                  {"enobufs", c.enobufs},
                  {"recv_errors", c.recv_errors},
                  {"batches", c.batches},
                  {"verdict_messages", c.verdict_messages},
                  {"send_errors", c.send_errors},
                  {"no_conntrack", c.no_conntrack}});
  return json_text(json{{"event", "stopped"}, {"engine", e}, {"queues", qs}});
}

}  // namespace icmpwall::daemon
