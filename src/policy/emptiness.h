// SPDX-License-Identifier: GPL-2.0-or-later
// A policy without rules is refused unless it says it is meant to be
// empty ([icmpwall] empty = true): a file cut short, or emptied by
// mistake, would otherwise replace a strict ruleset with one that filters
// nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "icmpwall/util/diagnostics.h"

namespace icmpwall::policy {

struct Contents {
  size_t rules = 0;                         // [[rule]] entries
  bool hooks = false;                       // any [hooks.*]
  std::optional<SourceLoc> declared_empty;  // where empty = true is
};

// The error such a policy gets, if any: at `empty = true` when there are
// rules after all, else just past the file's last character.
std::optional<Diagnostic> emptiness_error(const std::shared_ptr<const SourceFile>& file,
                                          const Contents& c);

}  // namespace icmpwall::policy
