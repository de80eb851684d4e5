// SPDX-License-Identifier: GPL-2.0-or-later
// JSON pieces the audit's reports share (report.cpp, drift_report.cpp), on
// nlohmann::ordered_json so keys keep their documented order. Text from the
// ruleset (comments, names) may hold any bytes: they are written with
// json_text() (util/json_text.h), which replaces invalid UTF-8 with U+FFFD
// instead of throwing, so the JSON is always valid.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "icmpwall/audit/evaluate.h"
#include "icmpwall/util/json_text.h"

namespace icmpwall::audit {

using Json = nlohmann::ordered_json;

// A string, or null when empty.
inline Json or_null(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

// {"family","table","chain","handle"[,"hook"]}, null for no location.
inline Json location_json(const Location& l, bool with_hook) {
  if (l.table.empty()) return nullptr;
  Json j = {{"family", l.family}, {"table", l.table}, {"chain", l.chain}, {"handle", l.handle}};
  if (with_hook) j["hook"] = l.hook;
  return j;
}

// "unknown_beyond": {"reason", "at"} and "unmodelled": [{"expression", "at"}],
// each only when there is something to say.
inline void add_findings(Json& j, const Evaluation& e, bool with_hook) {
  if (e.unknown_beyond)
    j["unknown_beyond"] = {{"reason", e.unknown_beyond->reason},
                           {"at", location_json(e.unknown_beyond->where, with_hook)}};
  if (e.unmodelled.empty()) return;
  Json list = Json::array();
  for (const auto& u : e.unmodelled)
    list.push_back({{"expression", u.expression}, {"at", location_json(u.where, with_hook)}});
  j["unmodelled"] = std::move(list);
}

}  // namespace icmpwall::audit
