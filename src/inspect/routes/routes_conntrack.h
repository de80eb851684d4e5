// SPDX-License-Identifier: GPL-2.0-or-later
// Connection tracking lookups for NetlinkRouteView::flow_known: one
// ctnetlink socket and one loopback UDP socket, both created in the
// namespace of the caller of open(). Not thread-safe: the view's mutex
// guards it.
#pragma once

#include <memory>
#include <optional>

#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/util/result.h"

namespace icmpwall::inspect {

class ConntrackLookup {
 public:
  static Result<std::unique_ptr<ConntrackLookup>> open();
  ~ConntrackLookup();

  // True / false: conntrack holds / does not hold an entry for `flow`;
  // none: the namespace does not track connections (probed), the flow is
  // not of a kind conntrack keys by ports or ids, or the kernel did not
  // answer.
  std::optional<bool> knows(const FlowTuple& flow);

 private:
  struct State;
  explicit ConntrackLookup(std::unique_ptr<State> state);
  std::optional<bool> lookup(const FlowTuple& flow);
  bool tracking();
  std::unique_ptr<State> state_;
};

}  // namespace icmpwall::inspect
