// What the inspect stage's netlink clients (the rtnetlink route view and
// the ctnetlink flow lookup) share: an owned libmnl socket.
#pragma once

#include <fmt/format.h>
#include <libmnl/libmnl.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/result.h"

namespace icmpwall::inspect {

struct CloseMnl {
  void operator()(mnl_socket* s) const {
    if (s) mnl_socket_close(s);
  }
};
using MnlSocket = std::unique_ptr<mnl_socket, CloseMnl>;

}  // namespace icmpwall::inspect
