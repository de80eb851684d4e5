// SPDX-License-Identifier: GPL-2.0-or-later
// JSON text for anything that leaves icmpwall (events, the stats socket,
// command output, the audit's reports). nlohmann's dump() throws on a
// string that is not valid UTF-8 (a policy path, a rule comment, a table
// name, a kernel message can hold any bytes); here each invalid byte
// becomes U+FFFD instead, so printing can never throw. Every dump() outside
// tests goes through this.
#pragma once

#include <concepts>
#include <nlohmann/json.hpp>
#include <string>

namespace icmpwall {

// -1: one line; else pretty-printed with that indent.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The same for nlohmann::ordered_json (keys in insertion order: the
// audit's reports). A template so that a plain string still converts to
// nlohmann::json above without ambiguity.
template <std::same_as<nlohmann::ordered_json> Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace icmpwall
