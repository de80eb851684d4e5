// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/systemd.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <ostream>

#include "icmpwall/util/shared_library.h"

namespace icmpwall::daemon {
namespace {

// $JOURNAL_STREAM is "<device>:<inode>" of the stream systemd connected;
// it counts only if stderr is still that stream.
bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (!env) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

// libsystemd, opened at the first call from the daemon and kept: linked
// into the binary, it and the five libraries it loads would be loaded and
// relocated at every start of every command. Missing (it never is where
// the package is installed: it depends on it), notifications are no-ops
// and log lines go to stderr, which systemd's stream also journals.
struct Libsystemd {
  decltype(&sd_notify) notify = nullptr;
  decltype(&sd_watchdog_enabled) watchdog_enabled = nullptr;
  decltype(&sd_journal_sendv) journal_sendv = nullptr;
};

Result<Libsystemd> open_libsystemd() {
  TRY(const auto so, SharedLibrary::open("libsystemd.so.0"));
  Libsystemd l;
  TRY(l.notify, so.function<decltype(l.notify)>("sd_notify"));
  TRY(l.watchdog_enabled, so.function<decltype(l.watchdog_enabled)>("sd_watchdog_enabled"));
  TRY(l.journal_sendv, so.function<decltype(l.journal_sendv)>("sd_journal_sendv"));
  return l;
}

const Libsystemd& libsystemd() {
  static const Libsystemd lib = [] {
    auto l = open_libsystemd();
    return l ? *l : Libsystemd{};
  }();
  return lib;
}

}  // namespace

void notify(const std::string& state) {
  if (!std::getenv("NOTIFY_SOCKET")) return;  // no systemd to tell: nothing to load
  if (const auto f = libsystemd().notify) f(0, state.c_str());
}

std::string reloading_state() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return fmt::format(
      "RELOADING=1\nMONOTONIC_USEC={}",
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  if (!std::getenv("WATCHDOG_USEC")) return std::nullopt;
  const auto f = libsystemd().watchdog_enabled;
  uint64_t usec = 0;
  if (!f || f(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

Log::Log(std::ostream& plain)
    : plain_(plain), journal_(stderr_is_journal() && libsystemd().journal_sendv) {}

void Log::write(Priority p, const std::string& message, const Fields& fields) {
  if (!journal_) {
    plain_ << "icmpwall daemon: " << message << "\n" << std::flush;
    return;
  }
  std::vector<std::string> lines;
  lines.push_back("MESSAGE=" + message);
  lines.push_back(fmt::format("PRIORITY={}", static_cast<int>(p)));
  lines.push_back("SYSLOG_IDENTIFIER=icmpwall");
  for (const auto& [k, v] : fields) lines.push_back(k + "=" + v);
  std::vector<iovec> iov;
  for (auto& l : lines) iov.push_back({l.data(), l.size()});
  libsystemd().journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace icmpwall::daemon
