// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/stats_server.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/fd.h"

namespace icmpwall::daemon {
namespace {

Result<sockaddr_un> address_of(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path)
    return Error{fmt::format("stats socket path '{}' is empty or too long", path)};
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

struct StatsServer::State {
  std::string path;
  Render render;
  Fd listener;
  Fd wake;
  std::thread thread;

  // The thread's edge: a throwing render answers this request with an
  // error document and the thread goes on serving.
  std::string render_or_error() {
    try {
      return render();
    } catch (...) {
      return R"({"error":"the daemon could not render its statistics"})";
    }
  }

  void serve() {
    pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
    while (true) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.valid()) continue;
      timeval tv{1, 0};
      setsockopt(conn.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      write_all(conn.get(), render_or_error() + "\n");
    }
  }

  ~State() {
    if (thread.joinable()) {
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
      thread.join();
    }
    if (listener.valid()) ::unlink(path.c_str());
  }
};

Result<StatsServer> StatsServer::start(const std::string& path, Render render) {
  TRY(auto addr, address_of(path));
  auto s = std::make_unique<State>();
  s->path = path;
  s->render = std::move(render);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("stats socket");
  ::unlink(path.c_str());
  // 0660 from the start: umask 0117 while binding, then chmod to be sure.
  mode_t old = ::umask(0117);
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0) return errno_error(fmt::format("stats socket {}", path));
  s->listener = std::move(fd);
  if (::chmod(path.c_str(), 0660) != 0) return errno_error(fmt::format("chmod {}", path));
  if (::listen(s->listener.get(), 16) != 0) return errno_error(fmt::format("listen {}", path));
  s->wake = Fd(::eventfd(0, EFD_CLOEXEC));
  if (!s->wake.valid()) return errno_error("eventfd");
  s->thread = std::thread([st = s.get()] {
    try {
      st->serve();
    } catch (...) {  // the socket stops answering; the daemon goes on
    }
  });
  return StatsServer(std::move(s));
}

StatsServer::StatsServer(std::unique_ptr<State> s) : state_(std::move(s)) {}
StatsServer::StatsServer(StatsServer&&) noexcept = default;
StatsServer& StatsServer::operator=(StatsServer&&) noexcept = default;
StatsServer::~StatsServer() = default;

Result<StatsAnswer> read_stats(const std::string& path, std::chrono::milliseconds timeout,
                               size_t max_bytes) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  TRY(auto addr, address_of(path));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("socket");
  // A listener whose backlog is full makes connect() wait: as long as the
  // whole read may take.
  const auto ms = timeout.count();
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return errno_error(fmt::format("connect {} (is the daemon running?)", path));
  StatsAnswer answer;
  socklen_t len = sizeof answer.peer;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &answer.peer, &len) != 0)
    return errno_error(fmt::format("SO_PEERCRED of {}", path));
  std::string& out = answer.document;
  char buf[8192];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd.get(), POLLIN, 0};
    const int r = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno_error("poll");
    if (r == 0)
      return Error{fmt::format("{} did not finish its answer within {} ms", path, timeout.count()),
                   ETIMEDOUT};
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(fmt::format("read {}", path));
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes)
      return Error{fmt::format("{} answered with more than {} bytes", path, max_bytes), EMSGSIZE};
    out.append(buf, static_cast<size_t>(n));
  }
  return answer;
}

}  // namespace icmpwall::daemon
