// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/crowdsec_alert.h"

#include <fmt/format.h>
#include <time.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "icmpwall/daemon/crowdsec_decisions.h"
#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/util/json_text.h"

namespace icmpwall::daemon {
namespace {

using json = nlohmann::json;

json alert(const LocalBlock& b) {
  const std::string scenario = scenario_for(b.reason);
  const bool whole =
      b.prefix.length == (b.prefix.address.family == policy::Family::ipv4 ? 32 : 128);
  const std::string address = inspect::to_string(b.prefix.address);
  const std::string value = whole ? address : to_string(b.prefix);
  const char* scope = whole ? "Ip" : "Range";
  const std::string at = rfc3339_utc(b.at);
  json source{{"scope", scope}, {"value", value}};
  source[whole ? "ip" : "range"] = value;
  return {{"scenario", scenario},
          {"scenario_hash", ""},
          {"scenario_version", ""},
          {"message", fmt::format("icmpwall: {} from {}, blocked for {} s", b.reason,
                                  to_string(b.prefix), b.period.count())},
          {"events_count", 1},
          {"events", json::array()},
          {"start_at", at},
          {"stop_at", at},
          {"capacity", 0},
          {"leakspeed", "0"},
          {"simulated", false},
          {"source", std::move(source)},
          {"decisions", json::array({{{"origin", kDecisionOrigin},
                                      {"type", "ban"},
                                      {"scope", scope},
                                      {"value", value},
                                      {"duration", fmt::format("{}s", b.period.count())},
                                      {"scenario", scenario}}})}};
}

}  // namespace

std::string scenario_for(std::string_view reason) {
  if (reason == "tunnel" || reason == "sweep") return fmt::format("icmpwall/{}", reason);
  if (reason.starts_with("redirect")) return "icmpwall/redirect";
  if (reason.starts_with("error-")) return "icmpwall/forged-error";
  std::string name = "icmpwall/";
  for (char c : reason.substr(0, 64))
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '-';
  return reason.empty() ? name + "unknown" : name;
}

std::string alerts_body(const std::vector<LocalBlock>& blocks) {
  json out = json::array();
  for (const auto& b : blocks) out.push_back(alert(b));
  return json_text(out);
}

std::string login_body(const std::string& machine_id, const std::string& password) {
  return json_text(
      json{{"machine_id", machine_id},
           {"password", password},
           {"scenarios",
            {"icmpwall/tunnel", "icmpwall/sweep", "icmpwall/redirect", "icmpwall/forged-error"}}});
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  const time_t secs = std::chrono::system_clock::to_time_t(t);
  tm utc{};
  gmtime_r(&secs, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

}  // namespace icmpwall::daemon
