// What the inspect stage's netlink clients (the rtnetlink route view and
// the ctnetlink flow lookup) share: an owned libmnl socket, and an Error
// from errno.
#pragma once

#include <fmt/format.h>
#include <libmnl/libmnl.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "icmpwall/util/result.h"

namespace icmpwall::inspect {

struct CloseMnl {
  void operator()(mnl_socket* s) const {
    if (s) mnl_socket_close(s);
  }
};
using MnlSocket = std::unique_ptr<mnl_socket, CloseMnl>;

// `what` and the message of the current errno, which the Error keeps.
inline Error errno_error(const std::string& what) {
  const int e = errno;
  return Error{fmt::format("{}: {}", what, std::strerror(e)), e};
}

}  // namespace icmpwall::inspect
