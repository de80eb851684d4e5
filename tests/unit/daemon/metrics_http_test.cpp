// SPDX-License-Identifier: GPL-2.0-or-later
// The metrics endpoint over a real loopback socket: GET /metrics and
// nothing else, a render that fails or throws answers 500, and the server
// stops promptly with a client still connected.
#include "icmpwall/daemon/metrics_http.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <stdexcept>

namespace icmpwall::daemon {
namespace {

MetricsServer serving(MetricsServer::Render render) {
  auto m = MetricsServer::bind({"127.0.0.1", 0});
  EXPECT_TRUE(m) << m.error().message;
  m->serve(std::move(render));
  return std::move(*m);
}

TEST(MetricsHttp, ServesOnlyGetMetrics) {
  auto m = serving([] { return std::optional<std::string>("icmpwall_up 1\n"); });
  httplib::Client c("127.0.0.1", m.port());
  c.set_connection_timeout(std::chrono::seconds(5));
  c.set_read_timeout(std::chrono::seconds(5));
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "icmpwall_up 1\n");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto other = c.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  auto post = c.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_NE(post->status, 200);
  auto big = c.Post("/metrics", std::string(kMaxRequestBytes + 1, 'x'), "text/plain");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413) << "bodies are bounded";
}

TEST(MetricsHttp, FailingOrThrowingRenderAnswers500) {
  auto none = serving([] { return std::optional<std::string>(); });
  httplib::Client c("127.0.0.1", none.port());
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);

  auto throws = serving([]() -> std::optional<std::string> { throw std::runtime_error("x"); });
  httplib::Client t("127.0.0.1", throws.port());
  auto r2 = t.Get("/metrics");
  ASSERT_TRUE(r2) << "the server's thread survived";
  EXPECT_EQ(r2->status, 500);
  auto again = t.Get("/metrics");
  ASSERT_TRUE(again) << "and still answers";
}

TEST(MetricsHttp, StopsPromptlyWithAnIdleClientConnected) {
  auto m = std::make_optional(serving([] { return std::optional<std::string>("x 1\n"); }));
  httplib::Client c("127.0.0.1", m->port());
  c.set_keep_alive(true);
  ASSERT_TRUE(c.Get("/metrics"));  // the connection stays open, idle
  const auto t0 = std::chrono::steady_clock::now();
  m.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(MetricsHttp, StopsBeforeItServed) {
  auto m = MetricsServer::bind({"127.0.0.1", 0});
  ASSERT_TRUE(m);
  EXPECT_GT(m->port(), 0);
}  // bound, never served: the destructor has no thread to stop

TEST(MetricsHttp, AddressInUseIsAnError) {
  auto a = serving([] { return std::optional<std::string>("x 1\n"); });
  auto b = MetricsServer::bind({"127.0.0.1", static_cast<uint16_t>(a.port())});
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace icmpwall::daemon
