// SPDX-License-Identifier: GPL-2.0-or-later
// The CrowdSec client against a local API played by an HTTP server on
// loopback: alerts pushed after a login (and a new login when the token is
// refused), decisions pulled with the bouncer key, and a hostile or broken
// API — garbage, huge and deeply nested bodies, refusals, an answer that
// never comes — counted as failures without ending or wedging anything.
// (The kernel side is tested with a real crowdsec in
// tests/integration/crowdsec_test.cpp; here there is no table, so every
// kernel change fails and is counted.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "icmpwall/daemon/crowdsec.h"

namespace icmpwall::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A credential file that lives as long as the test.
struct KeyFile {
  explicit KeyFile(const std::string& text) {
    char tmpl[] = "/tmp/icmpwall-crowdsec-XXXXXX";
    const int fd = mkstemp(tmpl);
    path = tmpl;
    ::close(fd);
    std::ofstream(path) << text;
  }
  ~KeyFile() { ::unlink(path.c_str()); }
  std::string path;
};

class FakeLapi {
 public:
  FakeLapi() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Connections wait in the backlog until the loop runs; bounded anyway.
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~FakeLapi() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

struct Events {
  std::mutex m;
  std::vector<std::string> lines;
  std::string all() {
    std::lock_guard lock(m);
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  }
};

std::unique_ptr<CrowdSec> client(const CrowdSecConfig& c, Events& events) {
  CrowdSec::Sinks sinks{[&events](const std::string& l) {
                          std::lock_guard lock(events.m);
                          events.lines.push_back(l);
                        },
                        {}};
  auto cs = CrowdSec::open(c, std::move(sinks), nullptr);
  EXPECT_TRUE(cs) << cs.error().message;
  return std::move(*cs);
}

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

TEST(CrowdSecClient, CredentialsOnlyFromSaneFiles) {
  KeyFile good("abc123\n"), spaced("abc 123\n"), two("abc\ndef\n"), empty("");
  EXPECT_EQ(*read_credential(good.path), "abc123");
  EXPECT_FALSE(read_credential(spaced.path));
  EXPECT_FALSE(read_credential(two.path)) << "a newline inside would split an HTTP header";
  EXPECT_FALSE(read_credential(empty.path));
  EXPECT_FALSE(read_credential("/nonexistent/key"));
  EXPECT_FALSE(read_credential("/dev/zero"));
  CrowdSecConfig c{"http://127.0.0.1:1", "/nonexistent/key", "", "", 1s};
  EXPECT_FALSE(CrowdSec::open(c, {}, nullptr));
}

TEST(CrowdSecClient, ACaFileMustHoldACertificate) {
  KeyFile key("abc123\n"), not_pem("abc123\n");
  KeyFile pem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  CrowdSecConfig c{"https://127.0.0.1:1", key.path, "", "", 1s};
  for (const std::string& bad :
       {std::string("/nonexistent/ca.pem"), not_pem.path, std::string("/dev/zero")}) {
    c.ca_file = bad;
    auto cs = CrowdSec::open(c, {}, nullptr);
    ASSERT_FALSE(cs) << bad;
    EXPECT_THAT(cs.error().message, HasSubstr("crowdsec_ca_file " + bad));
  }
  c.ca_file = pem.path;
  EXPECT_TRUE(CrowdSec::open(c, {}, nullptr)) << "checked for a certificate, parsed on connecting";
}

TEST(CrowdSecClient, PullsWithTheBouncerKey) {
  FakeLapi lapi;
  std::atomic<int> startups = 0, deltas = 0;
  std::string key_seen;
  std::mutex m;
  lapi.server().Get(
      "/v1/decisions/stream", [&](const httplib::Request& req, httplib::Response& res) {
        {
          std::lock_guard lock(m);
          key_seen = req.get_header_value("X-Api-Key");
        }
        if (req.get_param_value("startup") == "true") {
          ++startups;
          res.set_content(R"({"new":[{"duration":"5m","id":1,"origin":"cscli","scenario":"t",)"
                          R"("scope":"Ip","type":"ban","value":"198.18.7.7"}],"deleted":null})",
                          "application/json");
        } else {
          ++deltas;
          res.set_content(R"({"new":null,"deleted":null})", "application/json");
        }
      });
  KeyFile key("bouncerkey");
  Events events;
  auto cs = client({lapi.url(), key.path, "", "", 1s}, events);
  cs->start("icmpwall-no-such-table", {});
  ASSERT_TRUE(eventually([&] { return deltas >= 1; })) << events.all();
  cs->stop();
  EXPECT_EQ(startups, 1);
  {
    std::lock_guard lock(m);
    EXPECT_EQ(key_seen, "bouncerkey");
  }
  const auto c = cs->counters();
  EXPECT_TRUE(c.connected);
  EXPECT_EQ(c.decisions_added, 1u);
  EXPECT_EQ(c.decisions, 1u);
  EXPECT_GE(c.kernel_failures, 1u) << "no such table here";
  EXPECT_EQ(c.api_failures, 0u);
  EXPECT_THAT(events.all(), HasSubstr(R"("action":"add")"));
  EXPECT_THAT(events.all(), HasSubstr(R"("prefix":"198.18.7.7/32")"));
}

TEST(CrowdSecClient, BroadAndProtectedDecisionsAreRefused) {
  FakeLapi lapi;
  lapi.server().Get("/v1/decisions/stream", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"new":[{"duration":"5m","id":1,"scope":"Range","type":"ban","value":"0.0.0.0/0"},)"
        R"({"duration":"5m","id":2,"scope":"Range","type":"ban","value":"2001::/16"},)"
        R"({"duration":"5m","id":3,"scope":"Ip","type":"ban","value":"127.0.0.1"},)"
        R"({"duration":"5m","id":4,"scope":"Ip","type":"ban","value":"198.18.9.9"},)"
        R"({"duration":"5m","id":5,"scope":"Ip","type":"ban","value":"bogus"}]})",
        "application/json");
  });
  KeyFile key("k");
  Events events;
  auto cs = client({lapi.url(), key.path, "", "", 1s}, events);
  inspect::BlockConfig::Prefix never{*inspect::parse_address("198.18.9.0"), 24};
  cs->start("icmpwall-no-such-table", {never});
  ASSERT_TRUE(eventually([&] { return cs->counters().decisions_refused >= 5; })) << events.all();
  cs->stop();
  EXPECT_EQ(cs->counters().decisions, 0u);
  for (const char* why : {"too-broad", "special-address", "never-block", "is not an IPv4"})
    EXPECT_THAT(events.all(), HasSubstr(why));
}

TEST(CrowdSecClient, PushesAlertsAndLogsInAgainWhenTheTokenIsRefused) {
  FakeLapi lapi;
  std::atomic<int> logins = 0, posts = 0;
  std::mutex m;
  std::vector<std::string> bodies;
  lapi.server().Post(
      "/v1/watchers/login", [&](const httplib::Request& req, httplib::Response& res) {
        auto j = nlohmann::json::parse(req.body);
        if (j["machine_id"] != "router1" || j["password"] != "secret") {
          res.status = 401;
          return;
        }
        res.set_content(
            nlohmann::json{{"code", 200}, {"token", "tok" + std::to_string(++logins)}}.dump(),
            "application/json");
      });
  lapi.server().Post("/v1/alerts", [&](const httplib::Request& req, httplib::Response& res) {
    // The first token is refused, as an expired one is.
    if (req.get_header_value("Authorization") != "Bearer tok2") {
      res.status = 401;
      return;
    }
    ++posts;
    std::lock_guard lock(m);
    bodies.push_back(req.body);
    res.status = 201;
    res.set_content(R"(["1"])", "application/json");
  });
  KeyFile password("secret");
  Events events;
  auto cs = client({lapi.url(), "", "router1", password.path, 1s}, events);
  cs->start("icmpwall-no-such-table", {});
  cs->push(inspect::mask_prefix(*inspect::parse_address("198.18.1.2"), 32), 300s, "tunnel");
  ASSERT_TRUE(eventually([&] { return cs->counters().alerts_sent == 1; })) << events.all();
  cs->stop();
  EXPECT_EQ(logins, 2);
  EXPECT_EQ(posts, 1);
  std::lock_guard lock(m);
  ASSERT_EQ(bodies.size(), 1u);
  const auto alerts = nlohmann::json::parse(bodies[0]);
  EXPECT_EQ(alerts[0]["scenario"], "icmpwall/tunnel");
  EXPECT_EQ(alerts[0]["decisions"][0]["value"], "198.18.1.2");
  EXPECT_EQ(alerts[0]["decisions"][0]["duration"], "300s");
}

TEST(CrowdSecClient, TheAlertQueueIsBoundedAndDropsTheOldest) {
  Events events;
  KeyFile password("secret");
  // Nobody listens: every alert stays queued.
  auto cs = client({"http://127.0.0.1:1", "", "router1", password.path, 1s}, events);
  for (size_t i = 0; i < kMaxQueuedAlerts + 10; ++i)
    cs->push(inspect::mask_prefix(inspect::make_v4(0xc6120000 + static_cast<uint32_t>(i)), 32), 60s,
             "sweep");
  EXPECT_EQ(cs->counters().alerts_dropped, 10u);
}

// Bodies no local API sends: each round fails, is counted, and the client
// goes on (and stops when told).
TEST(CrowdSecClient, HostileAnswersAreFailuresNotCrashes) {
  FakeLapi lapi;
  std::atomic<int> served = 0;
  lapi.server().Get("/v1/decisions/stream", [&](const httplib::Request&, httplib::Response& res) {
    switch (served++ % 5) {
      case 0: res.set_content(std::string(kMaxStreamBytes + 1, ' '), "application/json"); break;
      case 1: res.set_content(std::string(200000, '['), "application/json"); break;
      case 2: res.set_content("not json at all", "application/json"); break;
      case 3: res.status = 403; break;
      default: res.set_content(R"({"new":{"id":1}})", "application/json"); break;
    }
  });
  KeyFile key("k");
  Events events;
  // The backoff's first delay is the poll interval (1 s), so five answers
  // take a while: the test waits for three.
  auto cs = client({lapi.url(), key.path, "", "", 1s}, events);
  cs->start("icmpwall-no-such-table", {});
  ASSERT_TRUE(eventually([&] { return cs->counters().api_failures >= 3; }, 20s)) << events.all();
  cs->stop();
  const auto c = cs->counters();
  EXPECT_FALSE(c.connected);
  EXPECT_EQ(c.decisions, 0u);
  EXPECT_THAT(events.all(), HasSubstr(R"("state":"unreachable")"));
  EXPECT_EQ(events.all().find(R"("state":"unreachable")"),
            events.all().rfind(R"("state":"unreachable")"))
      << "one event for the outage, not one per failure";
}

TEST(CrowdSecClient, StopCutsOffACallThatHangs) {
  FakeLapi lapi;
  std::atomic<bool> entered = false;
  lapi.server().Get("/v1/decisions/stream", [&](const httplib::Request&, httplib::Response& res) {
    entered = true;
    std::this_thread::sleep_for(4s);  // under the read timeout
    res.set_content("{}", "application/json");
  });
  KeyFile key("k");
  Events events;
  auto cs = client({lapi.url(), key.path, "", "", 1s}, events);
  cs->start("icmpwall-no-such-table", {});
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  const auto t = std::chrono::steady_clock::now();
  cs->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t, 2s);
}

}  // namespace
}  // namespace icmpwall::daemon
