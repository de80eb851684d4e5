// SPDX-License-Identifier: GPL-2.0-or-later
// Running kernel-touching code inside a named network namespace
// (`ip netns` convention: /run/netns/NAME). EnterNetns switches the
// calling thread and switches back when it goes out of scope; a netlink
// socket opened in between stays in that namespace (MnlSocketOptions::netns
// does exactly that for one socket).
#pragma once

#include <string>

#include "icmpwall/util/fd.h"
#include "icmpwall/util/result.h"

namespace icmpwall {

class EnterNetns {
 public:
  // Empty name: stays in the current namespace.
  static Result<EnterNetns> open(const std::string& name);
  EnterNetns(EnterNetns&&) noexcept = default;
  EnterNetns& operator=(EnterNetns&&) noexcept = default;
  ~EnterNetns();

 private:
  EnterNetns() = default;
  Fd original_;
};

}  // namespace icmpwall
