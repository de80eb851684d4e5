// SPDX-License-Identifier: GPL-2.0-or-later
// Alerts as the local API's POST /v1/alerts takes them (the shape checked
// against crowdsec 1.4.6): scenario names per detection, scope Ip for a
// whole address and Range for a prefix, the block's duration.
#include "icmpwall/daemon/crowdsec_alert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::daemon {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

inspect::BlockedPrefix prefix(const char* addr, uint8_t len) {
  return inspect::mask_prefix(*inspect::parse_address(addr), len);
}

TEST(CrowdSecAlert, ScenarioPerReason) {
  EXPECT_EQ(scenario_for("tunnel"), "icmpwall/tunnel");
  EXPECT_EQ(scenario_for("sweep"), "icmpwall/sweep");
  EXPECT_EQ(scenario_for("redirect-not-from-gateway"), "icmpwall/redirect");
  EXPECT_EQ(scenario_for("error-no-flow"), "icmpwall/forged-error");
  EXPECT_EQ(scenario_for("odd reason/\"x\""), "icmpwall/odd-reason--x-");
  EXPECT_EQ(scenario_for(""), "icmpwall/unknown");
}

TEST(CrowdSecAlert, OneAlertPerBlockWithOneBanDecision) {
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1796512322));
  const json body = json::parse(alerts_body({{prefix("198.18.1.2", 32), 300s, "tunnel", at},
                                             {prefix("2001:db8:1::", 64), 60s, "sweep", at}}));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 2u);
  const auto& a = body[0];
  EXPECT_EQ(a["scenario"], "icmpwall/tunnel");
  EXPECT_EQ(a["start_at"], "2026-12-05T23:12:02Z");
  EXPECT_EQ(a["events_count"], 1);
  EXPECT_EQ(a["simulated"], false);
  EXPECT_EQ(a["source"], json({{"scope", "Ip"}, {"value", "198.18.1.2"}, {"ip", "198.18.1.2"}}));
  ASSERT_EQ(a["decisions"].size(), 1u);
  EXPECT_EQ(a["decisions"][0], json({{"origin", "icmpwall"},
                                     {"type", "ban"},
                                     {"scope", "Ip"},
                                     {"value", "198.18.1.2"},
                                     {"duration", "300s"},
                                     {"scenario", "icmpwall/tunnel"}}));
  const auto& b = body[1];
  EXPECT_EQ(b["source"]["scope"], "Range");
  EXPECT_EQ(b["source"]["range"], "2001:db8:1::/64");
  EXPECT_EQ(b["decisions"][0]["value"], "2001:db8:1::/64");
  EXPECT_EQ(b["decisions"][0]["duration"], "60s");
  // Every field the local API requires of an alert is there.
  for (const char* key :
       {"scenario", "scenario_hash", "scenario_version", "message", "events_count", "start_at",
        "stop_at", "capacity", "leakspeed", "simulated", "events", "source"})
    EXPECT_TRUE(a.contains(key)) << key;
}

TEST(CrowdSecAlert, LoginNamesTheMachineAndIsValidJsonWhateverThePassword) {
  const json j = json::parse(login_body("router-1", "p\"a\\ss\nword"));
  EXPECT_EQ(j["machine_id"], "router-1");
  EXPECT_EQ(j["password"], "p\"a\\ss\nword");
  EXPECT_EQ(j["scenarios"].size(), 4u);
}

}  // namespace
}  // namespace icmpwall::daemon
