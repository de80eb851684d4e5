// SPDX-License-Identifier: GPL-2.0-or-later
// What the daemon tells systemd (sd_notify) and how it logs.
//
// Notifications go to $NOTIFY_SOCKET when it is set (Type=notify) and are
// no-ops otherwise. Logging goes to the journal as structured entries when
// stderr is the journal stream systemd set up ($JOURNAL_STREAM names its
// device and inode), else as plain lines on the given stream.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace icmpwall::daemon {

// sd_notify(0, state); `state` is newline-separated VAR=value lines.
void notify(const std::string& state);
// "RELOADING=1\nMONOTONIC_USEC=<now>" (systemd 253's reload protocol).
std::string reloading_state();
// The watchdog interval systemd asked for ($WATCHDOG_USEC), if any.
std::optional<std::chrono::microseconds> watchdog_interval();

enum class Priority { error = 3, warning = 4, info = 6 };
using Fields = std::vector<std::pair<std::string, std::string>>;

class Log {
 public:
  // `plain` receives "icmpwall daemon: message" lines off the journal.
  explicit Log(std::ostream& plain);
  void write(Priority p, const std::string& message, const Fields& fields = {});
  void info(const std::string& m, const Fields& f = {}) { write(Priority::info, m, f); }
  void warning(const std::string& m, const Fields& f = {}) { write(Priority::warning, m, f); }
  void error(const std::string& m, const Fields& f = {}) { write(Priority::error, m, f); }
  bool journal() const { return journal_; }

 private:
  std::ostream& plain_;
  bool journal_ = false;
};

}  // namespace icmpwall::daemon
