// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/events.h"

#include <fmt/format.h>
#include <net/if.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/json_text.h"

namespace icmpwall::daemon {

using json = nlohmann::json;

void add_packet_fields(json& j, const inspect::Packet& p) {
  j["family"] = policy::to_string(p.ip.family);
  j["src"] = inspect::to_string(p.ip.src);
  j["dst"] = inspect::to_string(p.ip.dst);
  j["type"] = p.icmp.type;
  j["code"] = p.icmp.code;
}

void add_eve_packet_fields(json& j, const inspect::Packet& p) {
  j["src_ip"] = inspect::to_string(p.ip.src);
  j["dest_ip"] = inspect::to_string(p.ip.dst);
  j["proto"] = p.ip.family == policy::Family::ipv6 ? "IPv6-ICMP" : "ICMP";
  j["icmp_type"] = p.icmp.type;
  j["icmp_code"] = p.icmp.code;
}

std::string detection_json(const inspect::Event& e) {
  json j;
  j["event"] = "detection";
  j["reason"] = e.finding->reason;
  j["action"] = inspect::to_string(e.finding->outcome);
  j["score"] = e.finding->score;
  if (e.packet) {
    const auto& p = *e.packet;
    add_packet_fields(j, p);
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

std::string drift_json(const DriftFinding& f) {
  const size_t shown = std::min(f.lines.size(), kDriftDetails);
  json j{{"event", "drift"},
         {"table", f.table},
         {"drift", f.drift()},
         {"missing", f.counts.missing},
         {"extra", f.counts.extra},
         {"differs", f.counts.differs},
         {"overrides", f.counts.overrides},
         {"details", std::vector<std::string>(f.lines.begin(), f.lines.begin() + shown)}};
  if (shown < f.lines.size()) j["details_omitted"] = f.lines.size() - shown;
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

namespace {

// What a SIEM's rules key on: one signature per kind of detection.
struct Signature {
  std::string_view reason_prefix;  // the reason, or the start of a family of reasons
  uint32_t id;
  const char* text;
  const char* category;  // Suricata's classification.config wording
  int severity;          // 1 (high) .. 3 (low)
};

constexpr Signature kSignatures[] = {
    {"tunnel", 9'100'001, "ICMPWALL ICMP tunnel", "Potential Corporate Privacy Violation", 1},
    {"sweep", 9'100'002, "ICMPWALL ICMP address sweep", "Detection of a Network Scan", 2},
    {"redirect-", 9'100'003, "ICMPWALL forged ICMP redirect", "Misc Attack", 2},
    {"error-", 9'100'004, "ICMPWALL forged ICMP error", "Misc Attack", 2},
    {"malformed", 9'100'005, "ICMPWALL malformed ICMP packet", "Generic Protocol Command Decode",
     3},
};
constexpr Signature kOtherSignature{"", 9'100'000, "ICMPWALL ICMP detection", "Misc activity", 3};

const Signature& signature_of(std::string_view reason) {
  for (const auto& s : kSignatures)
    if (reason.starts_with(s.reason_prefix)) return s;
  return kOtherSignature;
}

}  // namespace

EveTime EveTime::now() {
  EveTime t{std::chrono::system_clock::now()};
  const std::time_t secs = std::chrono::system_clock::to_time_t(t.time);
  std::tm local{};
  if (localtime_r(&secs, &local)) t.utc_offset_s = local.tm_gmtoff;
  return t;
}

std::string eve_timestamp(const EveTime& when) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(when.time);
  const auto us = duration_cast<microseconds>(when.time - secs).count();
  const std::time_t local = system_clock::to_time_t(secs) + when.utc_offset_s;
  std::tm tm{};
  gmtime_r(&local, &tm);
  const long off = when.utc_offset_s < 0 ? -when.utc_offset_s : when.utc_offset_s;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{}{:02}{:02}", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us,
                     when.utc_offset_s < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
}

std::string eve_json(const inspect::Event& e, std::string_view in_iface, const EveTime& when) {
  const auto& f = *e.finding;
  const Signature& sig = signature_of(f.reason);
  json j;
  j["timestamp"] = eve_timestamp(when);
  j["event_type"] = "alert";
  if (e.packet) add_eve_packet_fields(j, *e.packet);
  if (!in_iface.empty()) j["in_iface"] = std::string(in_iface);
  const bool stopped = f.outcome == inspect::Outcome::drop || f.outcome == inspect::Outcome::block;
  j["alert"] = {{"action", stopped ? "blocked" : "allowed"},
                {"gid", 1},
                {"signature_id", sig.id},
                {"rev", 1},
                {"signature", sig.text},
                {"category", sig.category},
                {"severity", sig.severity}};
  json own{{"reason", f.reason}, {"outcome", inspect::to_string(f.outcome)}, {"score", f.score}};
  if (f.outcome == inspect::Outcome::block) {
    own["block_seconds"] = f.block_for.count();
    if (e.block)
      own["block_prefix"] =
          fmt::format("{}/{}", inspect::to_string(e.block->address), e.block->length);
  }
  if (e.block_withheld) own["block_withheld"] = e.block_withheld;
  if (e.would) own["would"] = inspect::to_string(*e.would);
  j["icmpwall"] = std::move(own);
  return json_text(j);
}

std::string eve_line(const inspect::Event& e) {
  char name[IF_NAMESIZE] = {};
  const uint32_t iif = e.context ? e.context->iif : 0;
  const bool named = iif != 0 && if_indextoname(iif, name) != nullptr;
  return eve_json(e, named ? std::string_view(name) : std::string_view(), EveTime::now());
}

}  // namespace icmpwall::daemon
