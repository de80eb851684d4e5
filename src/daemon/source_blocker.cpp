// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/source_blocker.h"

#include <ostream>
#include <utility>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/daemon/events.h"
#include "icmpwall/netlink/set_elements.h"

namespace icmpwall::daemon {
namespace {

// The reason of the blocking detection this thread reported last.
thread_local std::string block_reason;

}  // namespace

void SourceBlocker::note_detection(const inspect::Event& event) {
  if (event.block && event.finding) block_reason = event.finding->reason;
}

void SourceBlocker::block(const inspect::BlockedPrefix& prefix, std::chrono::seconds period) {
  const size_t len = prefix.address.family == policy::Family::ipv4 ? 4 : 16;
  auto r = netlink::add_timed_elements(
      table_, compile::blocked_set_name(prefix.address.family),
      {netlink::prefix_element(std::span(prefix.address.bytes).first(len), prefix.length,
                               std::chrono::duration_cast<std::chrono::milliseconds>(period))});
  write_event(block_json(prefix, static_cast<long>(period.count()), r ? "" : r.error().message));
  std::string reason = std::exchange(block_reason, std::string());
  if (r && on_blocked_) on_blocked_(prefix, period, reason);
}

void SourceBlocker::write_event(const std::string& line) {
  std::lock_guard lock(events_mutex_);
  events_ << line << "\n" << std::flush;
}

}  // namespace icmpwall::daemon
