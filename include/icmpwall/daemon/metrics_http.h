// SPDX-License-Identifier: GPL-2.0-or-later
// `--metrics-listen ADDR:PORT`: the stats document rendered for Prometheus
// (stats.h, the same text as `icmpwall stats --prometheus`) over HTTP, for
// a Prometheus server to scrape.
//
// Only GET /metrics is answered (HEAD too, as HTTP asks); every other path
// is 404 and other methods are refused. The server is bounded: two
// threads answer, at most kMaxWaitingConnections accepted connections wait
// for them (beyond that the listening socket's backlog fills and the
// kernel holds or refuses new ones), each read of a request must complete
// within kReadTimeout, an idle connection is closed after
// kKeepAliveTimeout, a connection serves at most kMaxRequestsPerConnection
// requests, and a request body may not exceed kMaxRequestBytes. A handler
// that throws answers 500; nothing leaves the server's threads.
//
// bind() happens at start, before the daemon drops its capabilities, so a
// port below 1024 works when the daemon starts as root; under the shipped
// systemd unit (CAP_NET_ADMIN only) it needs CAP_NET_BIND_SERVICE added.
// The port is bound without SO_REUSEPORT: a second daemon on the same
// port is an error, not a silent sharer of the scrapes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "icmpwall/daemon/config.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr size_t kMaxWaitingConnections = 16;
inline constexpr size_t kMaxRequestsPerConnection = 16;
inline constexpr size_t kMaxRequestBytes = 4096;
inline constexpr std::chrono::seconds kReadTimeout{2};
// How long an idle kept-alive connection is held; also how long stopping
// may wait for one.
inline constexpr std::chrono::seconds kKeepAliveTimeout{1};

class MetricsServer {
 public:
  // The exposition text, or none when it cannot be rendered (500).
  using Render = std::function<std::optional<std::string>()>;

  // Binds the listening socket; nothing is served before serve().
  static Result<MetricsServer> bind(const ListenAddress& at);
  // Starts the server thread.
  void serve(Render render);
  // The port bound (the configured one, or the kernel's pick for port 0).
  int port() const;

  MetricsServer(MetricsServer&&) noexcept;
  MetricsServer& operator=(MetricsServer&&) noexcept;
  // Stops accepting, finishes the requests in hand, joins the threads.
  ~MetricsServer();

 private:
  struct State;
  explicit MetricsServer(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

}  // namespace icmpwall::daemon
