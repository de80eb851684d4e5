// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall reload`'s steps (reload_request.h): read the daemon's stats
// until no reload runs, check who listens, signal it, poll until the
// reload has ended.
#include "icmpwall/daemon/reload_request.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "icmpwall/daemon/stats_server.h"
#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/fd.h"
#include "icmpwall/util/file.h"

namespace icmpwall::daemon {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// glibc 2.36 (Debian 12) declares these in <sys/pidfd.h> without extern
// "C", so C++ cannot link them: the system calls themselves.
int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Between two reads of the stats while a reload runs.
constexpr milliseconds kPollInterval{50};
// One read of the socket, as `icmpwall stats` allows it.
constexpr milliseconds kReadTimeout{5'000};

struct Reading {
  ucred peer{};
  ReloadState state;
};

milliseconds left_until(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// One read within what is left of the deadline. The Error's code is
// ETIMEDOUT when the daemon did not answer in time, EPROTO when the answer
// is not a daemon's stats, else connect()'s errno.
Result<Reading> read_state(const std::string& socket, Clock::time_point deadline) {
  const milliseconds left = left_until(deadline);
  if (left.count() == 0) return Error{"no time left", ETIMEDOUT};
  auto answer = read_stats(socket, std::min(left, kReadTimeout));
  // EAGAIN: connect() waited as long as allowed on a full backlog (a
  // daemon that accepts nothing, stopped say).
  if (!answer && answer.error().code == EAGAIN) return Error{answer.error().message, ETIMEDOUT};
  if (!answer) return answer.error();
  auto state = parse_reload_state(answer->document);
  if (!state) return Error{fmt::format("{}: {}", socket, state.error().message), EPROTO};
  return Reading{answer->peer, std::move(*state)};
}

// Reads until no reload runs; a daemon that does not answer in time is
// asked again until the deadline.
Result<Reading> read_when_idle(const std::string& socket, Clock::time_point deadline) {
  std::optional<pid_t> reloading;  // the daemon, seen reloading
  while (true) {
    auto r = read_state(socket, deadline);
    if (r && !r->state.reloading) return r;
    if (!r && r.error().code != ETIMEDOUT) return r;
    if (r) reloading = r->peer.pid;
    if (left_until(deadline).count() == 0)
      return Error{reloading
                       ? fmt::format("a reload that was running did not end (pid {})", *reloading)
                       : fmt::format("no answer from {}", socket),
                   ETIMEDOUT};
    if (r) std::this_thread::sleep_for(std::min(kPollInterval, left_until(deadline)));
  }
}

// Why the process listening at the socket is not one to signal, if it
// is not.
std::optional<std::string> refuse_peer(const std::string& socket, pid_t pid,
                                       std::optional<pid_t> expected) {
  if (pid <= 0)
    return fmt::format("the process listening at {} is in another PID namespace", socket);
  if (pid == 1) return fmt::format("the process listening at {} is PID 1 (init)", socket);
  if (pid == ::getpid()) return fmt::format("{} is served by this very process", socket);
  if (expected && *expected != pid)
    return fmt::format("{} is served by PID {}, not by PID {} (--pid)", socket, pid, *expected);
  return std::nullopt;
}

// The effective user of process `pid` now (the second field of its status
// file's Uid line).
Result<uid_t> effective_uid(pid_t pid) {
  const std::string path = fmt::format("/proc/{}/status", pid);
  auto status = read_regular_file(path, size_t{64} << 10);
  if (!status) return Error{fmt::format("{}: {}", path, status.error().message)};
  std::istringstream lines(*status);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind("Uid:", 0) == 0) {
      std::istringstream fields(line.substr(4));
      uid_t real = 0, effective = 0;
      if (fields >> real >> effective) return effective;
    }
  return Error{path + ": no Uid line"};
}

// The daemon's process, held before the check that it still runs as the
// user that listened: a PID freed and given to another user's process in
// between fails the check, and one freed after it makes the signal fail,
// since the pidfd names the process, not the number.
Result<Fd> open_daemon(const ucred& peer) {
  Fd pidfd(pidfd_open(peer.pid));
  if (!pidfd.valid()) return errno_error(fmt::format("pid {}", peer.pid));
  TRY(uid_t uid, effective_uid(peer.pid));
  if (uid != peer.uid)
    return Error{
        fmt::format("pid {} runs as user {}, but the socket was opened by user {} (the "
                    "process that listened is gone and its PID reused?)",
                    peer.pid, uid, peer.uid)};
  return pidfd;
}

// True once the process behind `pidfd` has ended, waiting for it up to `wait`.
bool exited(const Fd& pidfd, milliseconds wait) {
  pollfd p{pidfd.get(), POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, static_cast<int>(wait.count()))) < 0 && errno == EINTR) {
  }
  return r > 0;
}

ReloadResult no_daemon(pid_t pid, std::string why) {
  return {ReloadOutcome::no_daemon, pid, std::move(why)};
}

ReloadResult timed_out(pid_t pid, const ReloadRequest& req, const std::string& what) {
  return {
      ReloadOutcome::timed_out, pid,
      fmt::format("{} within {} ms{}", what, req.timeout.count(),
                  pid ? "; the daemon may still finish it: icmpwall stats shows the outcome" : "")};
}

// The reload has ended: `after` counts more ended reloads than `before`.
ReloadResult outcome(pid_t pid, const ReloadState& before, const ReloadState& after) {
  if (after.error || after.reloads == before.reloads)
    return {ReloadOutcome::refused, pid,
            after.error.value_or("the daemon did not say why; its log does")};
  return {ReloadOutcome::reloaded, pid,
          fmt::format("reloaded {}: table inet {} (pid {})", after.policy, after.table, pid)};
}

}  // namespace

Result<ReloadState> parse_reload_state(const std::string& document) {
  const auto j = nlohmann::json::parse(document, nullptr, false);
  const auto count = [&](const char* key) {
    return j.contains(key) && j[key].is_number_unsigned();
  };
  if (!j.is_object() || !count("reloads") || !count("reload_failures"))
    return Error{"the answer is not an icmpwall daemon's stats document"};
  ReloadState s;
  s.reloads = j["reloads"].get<uint64_t>();
  s.failures = j["reload_failures"].get<uint64_t>();
  if (auto it = j.find("reloading"); it != j.end() && it->is_boolean()) s.reloading = *it;
  if (auto it = j.find("last_reload_error"); it != j.end() && it->is_string())
    s.error = it->get<std::string>();
  if (auto it = j.find("policy"); it != j.end() && it->is_string()) s.policy = *it;
  if (auto it = j.find("table"); it != j.end() && it->is_string()) s.table = *it;
  return s;
}

ReloadResult request_reload(const ReloadRequest& req) {
  const auto deadline = Clock::now() + req.timeout;
  auto before = read_when_idle(req.socket, deadline);
  if (!before) {
    if (before.error().code == ETIMEDOUT) return timed_out(0, req, before.error().message);
    return no_daemon(0, before.error().message);
  }
  const pid_t pid = before->peer.pid;
  if (auto why = refuse_peer(req.socket, pid, req.expected_pid))
    return no_daemon(pid, *why + "; nothing was signalled");
  auto pidfd = open_daemon(before->peer);
  if (!pidfd) return no_daemon(pid, pidfd.error().message + "; nothing was signalled");
  if (pidfd_send_signal(pidfd->get(), SIGHUP) != 0) {
    const int e = errno;
    auto why = errno_error(fmt::format("SIGHUP to pid {}", pid), e).message;
    return {e == ESRCH ? ReloadOutcome::no_daemon : ReloadOutcome::failed, pid, why};
  }
  while (true) {
    if (exited(*pidfd, std::min(kPollInterval, left_until(deadline))))
      return no_daemon(pid, fmt::format("the daemon (pid {}) ended during the reload", pid));
    auto now = read_state(req.socket, deadline);
    if (!now && now.error().code != ETIMEDOUT)
      return no_daemon(pid, fmt::format("the daemon (pid {}) stopped answering during the "
                                        "reload: {}",
                                        pid, now.error().message));
    if (now && now->peer.pid != pid)
      return no_daemon(pid, fmt::format("pid {} answers at {} now, not the daemon signalled (pid "
                                        "{})",
                                        now->peer.pid, req.socket, pid));
    if (now && now->state.ended() > before->state.ended())
      return outcome(pid, before->state, now->state);
    if (left_until(deadline).count() == 0)
      return timed_out(pid, req, fmt::format("the daemon (pid {}) did not finish the reload", pid));
  }
}

}  // namespace icmpwall::daemon
