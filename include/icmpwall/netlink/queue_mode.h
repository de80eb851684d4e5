// SPDX-License-Identifier: GPL-2.0-or-later
// How `inspect` rules reach NFQUEUE on this kernel (the nft queue
// expression, or the xt NFQUEUE target where the kernel lacks it), and the
// names the command line and the daemon config choose it by.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace icmpwall::netlink {

enum class QueueMode { native, compat };
const char* to_string(QueueMode m);  // "native" / "compat"

// "auto" (probe_queue_mode() decides), "native", "compat".
const std::vector<std::string>& queue_mode_names();
// The mode a name chooses; none for "auto" and for any name not in
// queue_mode_names() (which the caller has checked against).
std::optional<QueueMode> queue_mode_named(std::string_view name);

}  // namespace icmpwall::netlink
