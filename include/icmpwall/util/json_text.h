// JSON text for anything that leaves icmpwall (events, the stats socket,
// command output). nlohmann's dump() throws on a string that is not valid
// UTF-8 (a policy path, a rule comment, a kernel message can hold any
// bytes); here each invalid byte becomes U+FFFD instead, so printing can
// never throw. Every dump() outside tests goes through this.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace icmpwall {

// -1: one line; else pretty-printed with that indent.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace icmpwall
