// Which packets a rule names: shared by the lint's checks.
#pragma once

#include <algorithm>
#include <optional>

#include "icmpwall/policy/policy.h"

namespace icmpwall::policy {

inline bool applies_to(const Rule& r, Hook h, const Policy& p) {
  if (r.scope.hooks.empty()) return p.hook(h) != nullptr;
  return std::find(r.scope.hooks.begin(), r.scope.hooks.end(), h) != r.scope.hooks.end();
}

inline bool has_match(const Rule& r, Family f, uint8_t type, std::optional<uint8_t> code) {
  return std::any_of(r.matches.begin(), r.matches.end(),
                     [&](const IcmpMatch& m) { return m.family == f && m.type == type && m.code == code; });
}

}  // namespace icmpwall::policy
