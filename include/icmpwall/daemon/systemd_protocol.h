// SPDX-License-Identifier: GPL-2.0-or-later
// systemd's two datagram protocols, spoken directly (libsystemd and the
// six libraries it loads would cost every command's start ~1 MB and a
// fraction of a millisecond for three calls the daemon makes):
//
// - notify (sd_notify(3)): the state, newline-separated VAR=value lines,
//   as one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path,
//   or "@name" for an abstract one);
// - the journal's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL):
//   FIELD=value lines, a value holding a newline as FIELD, newline, its
//   length (64-bit little endian), the value, newline; one datagram to
//   /run/systemd/journal/socket, or, too big for one, a sealed memfd
//   passed with SCM_RIGHTS.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// Sends `state` to the notify socket at `address`.
Result<void> send_notify(const std::string& address, std::string_view state);

// One journal entry in the native format.
std::string journal_entry(const std::vector<std::pair<std::string, std::string>>& fields);
// Sends `entry` to the journal socket at `path`.
Result<void> send_journal(const std::string& path, const std::string& entry);

}  // namespace icmpwall::daemon
