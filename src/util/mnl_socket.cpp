// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/mnl_socket.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <climits>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/netns.h"

namespace icmpwall {

void MnlSocket::Close::operator()(mnl_socket* s) const {
  if (s) mnl_socket_close(s);
}

Result<MnlSocket> MnlSocket::open(int bus, const MnlSocketOptions& options) {
  MnlSocket s;
  {
    TRY(auto in_ns, EnterNetns::open(options.netns));
    s.sock_.reset(mnl_socket_open2(bus, SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0)));
    if (!s.sock_) return errno_error("opening " + options.what);
    if (mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0)
      return errno_error("binding " + options.what);
  }
  s.portid_ = mnl_socket_get_portid(s.get());
  const int fd = s.fd();
  if (options.receive_buffer > 0 &&
      !set_socket_buffer(fd, SO_RCVBUF, static_cast<size_t>(options.receive_buffer)))
    return errno_error("setting the receive buffer of " + options.what);
  if (options.receive_timeout_ms > 0) {
    timeval tv{options.receive_timeout_ms / 1000, (options.receive_timeout_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
      return errno_error("setting the receive timeout of " + options.what);
  }
  for (unsigned group : options.groups)
    if (mnl_socket_setsockopt(s.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
      return errno_error(fmt::format("joining group {} on {}", group, options.what));
  if (options.extended_acks) {
    int one = 1;
    mnl_socket_setsockopt(s.get(), NETLINK_EXT_ACK, &one, sizeof one);
    mnl_socket_setsockopt(s.get(), NETLINK_CAP_ACK, &one, sizeof one);
  }
  return s;
}

int MnlSocket::fd() const {
  return mnl_socket_get_fd(sock_.get());
}

int MnlSocket::receive_buffer() const {
  int bytes = 0;
  socklen_t len = sizeof bytes;
  getsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &bytes, &len);
  return bytes;
}

bool set_socket_buffer(int fd, int opt, size_t bytes) {
  const int force = opt == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
  const int v = bytes > INT_MAX ? INT_MAX : static_cast<int>(bytes);
  return setsockopt(fd, SOL_SOCKET, force, &v, sizeof v) == 0 ||
         setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v) == 0;
}

int netlink_errno(int error) {
  constexpr int kMaxErrno = 4095;  // the kernel's MAX_ERRNO
  return error <= 0 && error >= -kMaxErrno ? -error : EPROTO;
}

}  // namespace icmpwall
