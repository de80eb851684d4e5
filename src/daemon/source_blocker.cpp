// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/source_blocker.h"

#include <ostream>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/daemon/events.h"
#include "icmpwall/netlink/set_elements.h"

namespace icmpwall::daemon {

void SourceBlocker::block(const inspect::BlockedPrefix& prefix, std::chrono::seconds period) {
  const size_t len = prefix.address.family == policy::Family::ipv4 ? 4 : 16;
  auto r = netlink::add_timed_elements(
      table_, compile::blocked_set_name(prefix.address.family),
      {netlink::prefix_element(std::span(prefix.address.bytes).first(len), prefix.length,
                               std::chrono::duration_cast<std::chrono::milliseconds>(period))});
  write_event(block_json(prefix, static_cast<long>(period.count()), r ? "" : r.error().message));
}

void SourceBlocker::write_event(const std::string& line) {
  std::lock_guard lock(events_mutex_);
  events_ << line << "\n" << std::flush;
}

}  // namespace icmpwall::daemon
