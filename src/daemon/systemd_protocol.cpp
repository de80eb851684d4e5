// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/systemd_protocol.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/fd.h"

namespace icmpwall::daemon {
namespace {

// The address of an AF_UNIX socket: a path, or "@name" (abstract).
Result<std::pair<sockaddr_un, socklen_t>> unix_address(const std::string& name) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (name.empty() || (name[0] != '/' && name[0] != '@') || name.size() > sizeof(sa.sun_path))
    return Error{"not an AF_UNIX socket address: " + name, EINVAL};
  std::memcpy(sa.sun_path, name.data(), name.size());
  socklen_t len = offsetof(sockaddr_un, sun_path) + name.size();
  if (name[0] == '@')
    sa.sun_path[0] = '\0';
  else if (name.size() < sizeof(sa.sun_path))
    ++len;  // the terminating NUL of a path
  return std::pair{sa, len};
}

Result<Fd> datagram_socket() {
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("socket(AF_UNIX)");
  return fd;
}

Result<void> send_datagram(int fd, const std::pair<sockaddr_un, socklen_t>& to,
                           std::string_view data, int pass_fd = -1) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_un*>(&to.first);
  msg.msg_namelen = to.second;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  if (pass_fd >= 0) {
    msg.msg_iov = nullptr;
    msg.msg_iovlen = 0;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  if (::sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) return errno_error("sendmsg");
  return {};
}

}  // namespace

Result<void> send_notify(const std::string& address, std::string_view state) {
  TRY(auto to, unix_address(address));
  TRY(Fd fd, datagram_socket());
  return send_datagram(fd.get(), to, state);
}

std::string journal_entry(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += name;
    if (value.find('\n') == std::string::npos) {
      out += '=';
      out += value;
    } else {
      out += '\n';
      uint64_t n = value.size();
      for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
      out += value;
    }
    out += '\n';
  }
  return out;
}

Result<void> send_journal(const std::string& path, const std::string& entry) {
  TRY(auto to, unix_address(path));
  TRY(Fd fd, datagram_socket());
  auto sent = send_datagram(fd.get(), to, entry);
  if (sent || (sent.error().code != EMSGSIZE && sent.error().code != ENOBUFS)) return sent;
  // Too big for one datagram: the entry in a sealed memfd.
  Fd mem(::memfd_create("icmpwall-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem.valid()) return errno_error("memfd_create");
  for (size_t done = 0; done < entry.size();) {
    ssize_t n = ::write(mem.get(), entry.data() + done, entry.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write(memfd)");
    done += static_cast<size_t>(n);
  }
  if (::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    return errno_error("fcntl(F_ADD_SEALS)");
  return send_datagram(fd.get(), to, {}, mem.get());
}

}  // namespace icmpwall::daemon
