// SPDX-License-Identifier: GPL-2.0-or-later
// http::Client over cpp-httplib.
#include "client.h"

#include <httplib.h>

#include <cerrno>

#include "exception_error.h"

namespace icmpwall::http {
namespace {

class HttplibClient final : public Client {
 public:
  explicit HttplibClient(const std::string& base_url) : client_(base_url) {}

  httplib::Client& client() { return client_; }

  Result<Reply> send(const Request& request) override {
    try {
      httplib::Request req;
      req.method = request.method;
      req.path = request.path;
      for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
      if (!request.body.empty()) {
        req.body = request.body;
        req.headers.emplace("Content-Type", "application/json");
      }
      std::string got;
      bool too_big = false;
      req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
        if (got.size() + len > request.max_bytes) {
          too_big = true;
          return false;
        }
        got.append(data, len);
        return true;
      };
      auto res = client_.send(req);
      if (too_big) return Error{"answer too large", EFBIG};
      if (!res) return Error{httplib::to_string(res.error())};
      return Reply{res->status, std::move(got)};
    } catch (...) {
      return exception_error();
    }
  }

  void stop() override { client_.stop(); }

 private:
  httplib::Client client_;
};

}  // namespace

Result<std::unique_ptr<Client>> open_client(const ClientOptions& o) {
  try {
    auto c = std::make_unique<HttplibClient>(o.base_url);
    auto& h = c->client();
    h.set_connection_timeout(o.connect_timeout);
    h.set_read_timeout(o.io_timeout);
    h.set_write_timeout(o.io_timeout);
    h.set_keep_alive(false);
    h.set_follow_location(false);
    h.set_decompress(false);
    if (!h.is_valid()) return Error{"no HTTP client"};
    if (o.base_url.starts_with("https://")) {
      h.enable_server_certificate_verification(true);
      if (!o.ca_file.empty()) h.set_ca_cert_path(o.ca_file.c_str());
    }
    return std::unique_ptr<Client>(std::move(c));
  } catch (...) {
    return exception_error();
  }
}

}  // namespace icmpwall::http
