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
  sd_notify(0, state.c_str());
}

std::string reloading_state() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return fmt::format(
      "RELOADING=1\nMONOTONIC_USEC={}",
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

Log::Log(std::ostream& plain) : plain_(plain), journal_(stderr_is_journal()) {}

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
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace icmpwall::daemon
