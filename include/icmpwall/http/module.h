// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's HTTP client (CrowdSec's local API) and server (the metrics
// endpoint), built as a module of their own, icmpwall-http.so, which the
// daemon loads (daemon/http_module.h) only when its config asks for either.
//
// cpp-httplib links OpenSSL, zlib and brotli; linked into the binary they
// were loaded and relocated at every start of every command (about half of
// the start-up time and memory of `icmpwall apply` on a small policy).
//
// The binary and the module are built together and must come from the same
// build: `version` is checked before anything else is used. Nothing throws
// out of the module: every failure is an Error.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "icmpwall/util/result.h"

namespace icmpwall::http {

struct ClientOptions {
  std::string base_url;  // "http://198.18.0.10:8080", "https://[2001:db8::1]:8443"
  std::chrono::seconds connect_timeout{3};
  std::chrono::seconds io_timeout{5};
  std::string ca_file;  // https: the CA to verify the server with; empty: the system's
};

struct Request {
  const char* method = "GET";
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;      // sent as application/json when not empty
  size_t max_bytes = 0;  // a longer answer body is an Error
};

struct Reply {
  int status = 0;
  std::string body;
};

// One server at a time, no keep-alive, no redirects followed, the server's
// certificate verified over https.
class Client {
 public:
  virtual ~Client() = default;
  virtual Result<Reply> send(const Request& request) = 0;
  // Any thread: cuts off the call in flight.
  virtual void stop() = 0;
};

struct ServerOptions {
  std::string host;
  uint16_t port = 0;  // 0: the kernel picks one
  size_t answering_threads = 2;
  size_t max_waiting_connections = 16;
  size_t max_requests_per_connection = 16;
  size_t max_request_bytes = 4096;
  std::chrono::seconds read_timeout{2};
  std::chrono::seconds keep_alive_timeout{1};
};

// GET (and HEAD) of one path; 404 elsewhere, other methods refused; a
// handler that throws answers 500.
class Server {
 public:
  // The body of a 200 answer and its content type, or none for a 500.
  using Handler = std::function<std::optional<std::string>()>;
  virtual ~Server() = default;
  // The port bound.
  virtual int port() const = 0;
  // Starts the server thread.
  virtual void serve(const std::string& path, const std::string& content_type,
                     const std::string& failure_text, Handler handler) = 0;
  // Destruction stops accepting, finishes the requests in hand and joins
  // the threads.
};

struct Module {
  const char* version;  // ICMPWALL_VERSION of the build
  Result<std::unique_ptr<Client>> (*open_client)(const ClientOptions&);
  // Binds the listening socket (SO_REUSEADDR, never SO_REUSEPORT); nothing
  // is served before serve(). The Error names no address: the caller does.
  Result<std::unique_ptr<Server>> (*bind_server)(const ServerOptions&);
};

}  // namespace icmpwall::http

// The module's one exported symbol.
extern "C" const icmpwall::http::Module* icmpwall_http_module();
