// SPDX-License-Identifier: GPL-2.0-or-later
// Decisions as the CrowdSec local API's bouncer stream hands them out
// (GET /v1/decisions/stream):
//   {"new":[{"id":1,"origin":"cscli","type":"ban","scope":"Ip",
//            "value":"198.18.7.7","duration":"4m59.5s","scenario":"..."}],
//    "deleted":null}
// Everything in a body is hostile until checked: the body is bounded
// (kMaxStreamBytes, and nested at most kMaxJsonDepth deep), a body that is
// not such an object is an Error, and each decision is checked on its own:
// a ban with scope Ip (an IPv4 or IPv6 address) or Range (a prefix
// A/LEN, its host bits cleared) and a Go duration is kept, other types and
// scopes are ignored (counted), anything malformed is rejected (counted,
// the first reason kept). Nothing here throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "icmpwall/inspect/engine.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr size_t kMaxStreamBytes = 32 << 20;
inline constexpr size_t kMaxJsonDepth = 16;
inline constexpr size_t kMaxDecisionText = 256;  // origin and scenario, cut to this
// A decision's duration is held at most this long (a longer one is cut).
inline constexpr std::chrono::hours kMaxDecisionDuration{24 * 366};

struct Decision {
  uint64_t id = 0;
  inspect::BlockedPrefix prefix;
  std::chrono::milliseconds remaining{0};  // <= 0: expired (deleted ones may be)
  std::string origin;                      // "cscli", "crowdsec", "icmpwall", "CAPI", ...
  std::string scenario;
};

struct StreamUpdate {
  std::vector<Decision> added;
  std::vector<Decision> deleted;
  uint64_t ignored = 0;   // not a ban, or a scope other than Ip and Range
  uint64_t rejected = 0;  // malformed
  std::string first_rejection;
};

Result<StreamUpdate> parse_stream(std::string_view body);

// A Go time.Duration string ("4m59.504414161s", "168h0m0s", "-1.5s",
// "300ms", "0s"), to milliseconds; a value beyond kMaxDecisionDuration
// is cut to it.
Result<std::chrono::milliseconds> parse_go_duration(std::string_view text);

// Scope "Ip" (an address: its whole width) or "Range" (A/LEN, host bits
// clear), either case; an Error for anything else.
Result<inspect::BlockedPrefix> decision_prefix(std::string_view scope, std::string_view value);

// "198.18.7.7/32", "2001:db8::/64"
std::string to_string(const inspect::BlockedPrefix& p);

}  // namespace icmpwall::daemon
