// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/metrics_http.h"

#include <fmt/format.h>

#include "icmpwall/daemon/http_module.h"

namespace icmpwall::daemon {
namespace {

constexpr size_t kAnsweringThreads = 2;

}  // namespace

struct MetricsServer::State {
  std::unique_ptr<http::Server> server;
};

MetricsServer::MetricsServer(std::unique_ptr<State> s) : state_(std::move(s)) {}
MetricsServer::MetricsServer(MetricsServer&&) noexcept = default;
MetricsServer& MetricsServer::operator=(MetricsServer&&) noexcept = default;
MetricsServer::~MetricsServer() = default;

Result<MetricsServer> MetricsServer::bind(const ListenAddress& at) {
  TRY(const http::Module* module, http_module());
  http::ServerOptions o;
  o.host = at.host;
  o.port = at.port;
  o.answering_threads = kAnsweringThreads;
  o.max_waiting_connections = kMaxWaitingConnections;
  o.max_requests_per_connection = kMaxRequestsPerConnection;
  o.max_request_bytes = kMaxRequestBytes;
  o.read_timeout = kReadTimeout;
  o.keep_alive_timeout = kKeepAliveTimeout;
  auto server = module->bind_server(o);
  if (!server)
    return Error{fmt::format(
        "metrics: cannot listen on {} (in use, not an address of this host, or a port below "
        "1024 without CAP_NET_BIND_SERVICE)",
        to_string(at))};
  auto s = std::make_unique<State>();
  s->server = std::move(*server);
  return MetricsServer(std::move(s));
}

void MetricsServer::serve(Render render) {
  state_->server->serve("/metrics", "text/plain; version=0.0.4; charset=utf-8",
                        "the daemon could not render its metrics; see its log\n",
                        std::move(render));
}

int MetricsServer::port() const {
  return state_->server->port();
}

}  // namespace icmpwall::daemon
