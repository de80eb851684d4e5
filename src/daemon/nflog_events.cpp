// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/nflog_events.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "icmpwall/daemon/events.h"
#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/util/json_text.h"
#include "icmpwall/util/nf_hook_names.h"

namespace icmpwall::daemon {
namespace {

using json = nlohmann::json;
using policy::Action;

constexpr uint32_t kLogSignatureId = 9'100'010;

const char* hook_of(const NflogEvent& e) {
  const char* h = nf_hook_name(e.message->hook);
  return h ? h : "unknown";
}

std::string signature_of(const NflogEvent& e) {
  if (e.source) return e.source->rule;
  return e.message->prefix.value_or("");
}

void add(NflogSources& out, const std::optional<policy::Log>& log, LogSource source) {
  if (log && log->group) out.try_emplace({*log->group, log->prefix}, std::move(source));
}

}  // namespace

NflogSources nflog_sources(const policy::Policy& p) {
  NflogSources out;
  for (const auto& hp : p.hooks)
    add(out, hp.log,
        {fmt::format("default.{}", policy::to_string(hp.hook)),
         policy::to_string(hp.default_action), hp.default_action == Action::drop});
  for (const auto& r : p.rules) {
    // A rate-limit rule logs what is over its limit, dropped unless
    // over_drop is off.
    const bool blocked = r.action == Action::drop ||
                         (r.action == Action::rate_limit && r.limit && r.limit->over_drop);
    add(out, r.log, {r.name, policy::to_string(r.action), blocked});
  }
  return out;
}

std::set<uint16_t> nflog_groups(const policy::Policy& p) {
  std::set<uint16_t> out;
  for (const auto& [key, source] : nflog_sources(p)) out.insert(key.first);
  return out;
}

std::string nflog_json(const NflogEvent& e) {
  json j{{"event", "log"}, {"rule", signature_of(e)}};
  if (e.source) j["action"] = e.source->action;
  j["group"] = e.message->group;
  if (e.message->prefix) j["prefix"] = *e.message->prefix;
  j["hook"] = hook_of(e);
  if (e.packet) add_packet_fields(j, *e.packet);
  if (!e.in_iface.empty()) j["iif"] = e.in_iface;
  if (!e.out_iface.empty()) j["oif"] = e.out_iface;
  return json_text(j);
}

std::string nflog_eve_json(const NflogEvent& e) {
  json j;
  j["timestamp"] = eve_timestamp(e.when);
  j["event_type"] = "alert";
  if (e.packet) add_eve_packet_fields(j, *e.packet);
  if (!e.in_iface.empty()) j["in_iface"] = e.in_iface;
  if (!e.out_iface.empty()) j["out_iface"] = e.out_iface;
  j["alert"] = {{"action", e.source && !e.source->blocked ? "allowed" : "blocked"},
                {"gid", 1},
                {"signature_id", kLogSignatureId},
                {"rev", 1},
                {"signature", signature_of(e)},
                {"category", "Policy log"},
                {"severity", 3}};
  if (!e.source) j["alert"]["action"] = "unknown";
  json own{
      {"rule", std::string(e.rule_label())}, {"hook", hook_of(e)}, {"group", e.message->group}};
  if (e.source) own["action"] = e.source->action;
  if (e.message->prefix) own["prefix"] = *e.message->prefix;
  j["icmpwall"] = std::move(own);
  return json_text(j);
}

Fields nflog_fields(const NflogEvent& e) {
  Fields f{{"ICMPWALL_EVENT", "log"},
           {"ICMPWALL_RULE", signature_of(e)},
           {"ICMPWALL_HOOK", hook_of(e)},
           {"ICMPWALL_GROUP", std::to_string(e.message->group)}};
  if (e.source) f.emplace_back("ICMPWALL_ACTION", e.source->action);
  if (e.packet) {
    f.emplace_back("ICMPWALL_SRC", inspect::to_string(e.packet->ip.src));
    f.emplace_back("ICMPWALL_DST", inspect::to_string(e.packet->ip.dst));
    f.emplace_back("ICMPWALL_TYPE", std::to_string(e.packet->icmp.type));
    f.emplace_back("ICMPWALL_CODE", std::to_string(e.packet->icmp.code));
  }
  if (!e.in_iface.empty()) f.emplace_back("ICMPWALL_IIF", e.in_iface);
  return f;
}

}  // namespace icmpwall::daemon
