#include "icmpwall/daemon/source_blocker.h"

#include <ostream>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/daemon/events.h"
#include "icmpwall/netlink/set_elements.h"

namespace icmpwall::daemon {

void SourceBlocker::block(const inspect::Address& source, std::chrono::seconds period) {
  const size_t len = source.family == policy::Family::ipv4 ? 4 : 16;
  auto r = netlink::add_timed_elements(
      table_, compile::blocked_set_name(source.family),
      {{std::vector<uint8_t>(source.bytes.begin(), source.bytes.begin() + len),
        std::chrono::duration_cast<std::chrono::milliseconds>(period)}});
  std::lock_guard lock(events_mutex_);
  events_ << block_json(source, static_cast<long>(period.count()), r ? "" : r.error().message)
          << "\n"
          << std::flush;
}

}  // namespace icmpwall::daemon
