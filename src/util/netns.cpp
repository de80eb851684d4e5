// SPDX-License-Identifier: GPL-2.0-or-later
// Entering a named network namespace for the calling thread.
//
// The current namespace (/proc/thread-self/ns/net) is kept open and
// re-entered on destruction, so a command can switch in, talk netlink and
// leave without affecting the rest of the process once it is done.
#include "icmpwall/util/netns.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>

#include <cerrno>
#include <cstring>

#include "icmpwall/util/errno_error.h"

namespace icmpwall {

Result<EnterNetns> EnterNetns::open(const std::string& name) {
  EnterNetns ns;
  if (name.empty()) return ns;
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    return Error{fmt::format("invalid network namespace name '{}'", name), EINVAL};
  Fd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original.valid()) return errno_error("opening the current network namespace");
  const std::string path = "/run/netns/" + name;
  Fd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target.valid()) return errno_error(fmt::format("network namespace '{}' ({})", name, path));
  if (setns(target.get(), CLONE_NEWNET) != 0)
    return errno_error(fmt::format("entering network namespace '{}'", name));
  ns.original_ = std::move(original);
  return ns;
}

EnterNetns::~EnterNetns() {
  if (original_.valid()) setns(original_.get(), CLONE_NEWNET);
}

}  // namespace icmpwall
