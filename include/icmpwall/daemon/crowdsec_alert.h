// SPDX-License-Identifier: GPL-2.0-or-later
// What icmpwall sends to the CrowdSec local API as a machine (watcher):
// the login (POST /v1/watchers/login) and its blocks as alerts
// (POST /v1/alerts), one alert per block, each with one ban decision:
//   {"scenario":"icmpwall/tunnel","scenario_hash":"","scenario_version":"",
//    "message":"icmpwall: tunnel from 198.18.1.2/32, blocked for 300 s",
//    "events_count":1,"events":[],"start_at":T,"stop_at":T,"capacity":0,
//    "leakspeed":"0","simulated":false,
//    "source":{"scope":"Ip","value":"198.18.1.2","ip":"198.18.1.2"},
//    "decisions":[{"origin":"icmpwall","type":"ban","scope":"Ip",
//                  "value":"198.18.1.2","duration":"300s",
//                  "scenario":"icmpwall/tunnel"}]}
// A prefix of the address's whole width is scope Ip (value: the address),
// a shorter one scope Range (value: A/LEN).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "icmpwall/inspect/engine.h"

namespace icmpwall::daemon {

// The origin of every decision icmpwall pushes.
inline constexpr const char* kDecisionOrigin = "icmpwall";

// A block the daemon made.
struct LocalBlock {
  inspect::BlockedPrefix prefix;
  std::chrono::seconds period{0};
  std::string reason;  // the detection's: "tunnel", "sweep", "redirect-...", "error-..."
  std::chrono::system_clock::time_point at;
};

// "icmpwall/tunnel", "icmpwall/sweep", "icmpwall/redirect" (every
// redirect-* reason), "icmpwall/forged-error" (every error-* reason),
// else "icmpwall/" and the reason (letters, digits and '-' only).
std::string scenario_for(std::string_view reason);

// The JSON array of alerts for `blocks`.
std::string alerts_body(const std::vector<LocalBlock>& blocks);

// {"machine_id":...,"password":...,"scenarios":[every icmpwall scenario]}
std::string login_body(const std::string& machine_id, const std::string& password);

// "2026-12-05T23:11:44Z"
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

}  // namespace icmpwall::daemon
