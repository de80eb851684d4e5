// SPDX-License-Identifier: GPL-2.0-or-later
// MnlSocket: the one place icmpwall opens a netlink socket (libmnl).
//
// open() creates the socket (close-on-exec) in the calling thread's
// network namespace, or the one options.netns names, where it stays
// whatever thread uses it later; binds
// it with a port id the kernel picks; and sets the options asked for. A
// socket that cannot be set up as asked is closed again and the Error
// names the step, e.g. "binding the rtnetlink socket: Operation not
// permitted". The socket is closed when the owner goes.
//
// Buffers: set_socket_buffer() tries SO_RCVBUFFORCE / SO_SNDBUFFORCE
// first (CAP_NET_ADMIN may exceed rmem_max / wmem_max), then the plain
// option, which the kernel caps at the sysctl.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "icmpwall/util/result.h"

struct mnl_socket;

namespace icmpwall {

struct MnlSocketOptions {
  // Names the socket in errors ("opening <what>: ...").
  std::string what = "the netlink socket";
  // The named network namespace (/run/netns/NAME) the socket is opened in
  // and stays in; the calling thread is back in its own when open()
  // returns. Empty: the calling thread's namespace.
  std::string netns;
  bool nonblocking = false;
  // Multicast groups joined (NETLINK_ADD_MEMBERSHIP), one number each.
  std::vector<unsigned> groups;
  // Receive buffer asked for, in bytes; 0 keeps the kernel's default.
  int receive_buffer = 0;
  // SO_RCVTIMEO: a blocking read gives up (EAGAIN) after this; 0: never.
  int receive_timeout_ms = 0;
  // NETLINK_EXT_ACK (errors carry a message and the offset of the bad
  // attribute) and NETLINK_CAP_ACK (a refused message is not echoed back).
  // Best effort: older kernels answer without them.
  bool extended_acks = false;
};

class MnlSocket {
 public:
  // `bus`: NETLINK_NETFILTER, NETLINK_ROUTE, ...
  static Result<MnlSocket> open(int bus, const MnlSocketOptions& options = {});

  MnlSocket() = default;
  MnlSocket(MnlSocket&&) noexcept = default;
  MnlSocket& operator=(MnlSocket&&) noexcept = default;

  explicit operator bool() const { return sock_ != nullptr; }
  mnl_socket* get() const { return sock_.get(); }
  int fd() const;
  uint32_t portid() const { return portid_; }
  // The receive buffer the kernel granted (it doubles what is asked).
  int receive_buffer() const;

 private:
  struct Close {
    void operator()(mnl_socket* s) const;
  };
  std::unique_ptr<mnl_socket, Close> sock_;
  uint32_t portid_ = 0;
};

// Sets a socket's buffer `opt` (SO_RCVBUF or SO_SNDBUF) to `bytes`
// (capped at INT_MAX): the FORCE variant, else the plain one. False if
// both were refused.
bool set_socket_buffer(int fd, int opt, size_t bytes);

// The errno an NLMSG_ERROR message's `error` field carries: 0 for an
// acknowledgement, else the negated errno. A value the kernel never sends
// (positive, or below -4095, INT_MIN among them) is EPROTO.
int netlink_errno(int error);

}  // namespace icmpwall
