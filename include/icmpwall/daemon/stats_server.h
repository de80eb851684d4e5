// SPDX-License-Identifier: GPL-2.0-or-later
// The stats socket: a Unix stream socket (mode 0660) on which the daemon
// answers each connection with one JSON document (stats.h) and closes it.
// No request is read. One thread serves it, woken by an eventfd to stop;
// the socket file is removed when the server goes.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

class StatsServer {
 public:
  using Render = std::function<std::string()>;
  // Replaces a stale socket file at `path`.
  static Result<StatsServer> start(const std::string& path, Render render);
  StatsServer(StatsServer&&) noexcept;
  StatsServer& operator=(StatsServer&&) noexcept;
  ~StatsServer();

 private:
  struct State;
  explicit StatsServer(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

// The client side: connects to `path` and reads the document. Whatever
// listens there, the read is bounded: connecting and reading end within
// `timeout` all told, and a document larger than `max_bytes` (far more
// than any daemon writes) is an error. An error from connect() or the
// deadline keeps its errno (ENOENT, ECONNREFUSED, ETIMEDOUT, ...).
struct StatsAnswer {
  std::string document;
  // Who listens at the path, as the kernel says (SO_PEERCRED): the process
  // that called listen(), with its effective user and group then. What it
  // wrote is its own word; this is not.
  ucred peer{};
};
inline constexpr size_t kMaxStatsBytes = size_t{16} << 20;
Result<StatsAnswer> read_stats(const std::string& path,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5),
                               size_t max_bytes = kMaxStatsBytes);

}  // namespace icmpwall::daemon
