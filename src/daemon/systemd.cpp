// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/systemd.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "icmpwall/daemon/systemd_protocol.h"

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

}  // namespace

void notify(const std::string& state) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket) (void)send_notify(socket, state);  // as sd_notify: nobody listening is no error
}

std::string reloading_state() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return fmt::format(
      "RELOADING=1\nMONOTONIC_USEC={}",
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000);
}

// As sd_watchdog_enabled(3): $WATCHDOG_USEC, a positive number of
// microseconds, for this process if $WATCHDOG_PID is set.
std::optional<std::chrono::microseconds> watchdog_interval() {
  const char* usec_text = std::getenv("WATCHDOG_USEC");
  if (!usec_text) return std::nullopt;
  uint64_t usec = 0;
  const char* end = usec_text + std::strlen(usec_text);
  auto [p, ec] = std::from_chars(usec_text, end, usec);
  if (ec != std::errc{} || p != end || usec == 0) return std::nullopt;
  if (const char* pid_text = std::getenv("WATCHDOG_PID")) {
    const char* pid_end = pid_text + std::strlen(pid_text);
    pid_t pid = 0;
    auto [q, pec] = std::from_chars(pid_text, pid_end, pid);
    if (pec != std::errc{} || q != pid_end || pid != getpid()) return std::nullopt;
  }
  return std::chrono::microseconds(usec);
}

Log::Log(std::ostream& plain) : plain_(plain), journal_(stderr_is_journal()) {}

void Log::write(Priority p, const std::string& message, const Fields& fields) {
  if (!journal_) {
    plain_ << "icmpwall daemon: " << message << "\n" << std::flush;
    return;
  }
  Fields entry;
  entry.emplace_back("MESSAGE", message);
  entry.emplace_back("PRIORITY", std::to_string(static_cast<int>(p)));
  entry.emplace_back("SYSLOG_IDENTIFIER", "icmpwall");
  entry.insert(entry.end(), fields.begin(), fields.end());
  (void)send_journal(kJournalSocket, journal_entry(entry));
}

}  // namespace icmpwall::daemon
