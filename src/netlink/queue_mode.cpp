// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/netlink/queue_mode.h"

namespace icmpwall::netlink {

const char* to_string(QueueMode m) {
  return m == QueueMode::native ? "native" : "compat";
}

const std::vector<std::string>& queue_mode_names() {
  static const std::vector<std::string> names = {"auto", "native", "compat"};
  return names;
}

std::optional<QueueMode> queue_mode_named(std::string_view name) {
  if (name == "native") return QueueMode::native;
  if (name == "compat") return QueueMode::compat;
  return std::nullopt;
}

}  // namespace icmpwall::netlink
