// SPDX-License-Identifier: GPL-2.0-or-later
// `log` through NFLOG ([icmpwall] log-group) on the server of client —
// router — server: the daemon in the server's namespace reads the group,
// and real pings that a logged rule or the logged default drops become
// structured events (the events file's eve-style lines and the JSON event
// lines) naming the rule, the ICMP type and code and the interface, in
// both families; the kernel's log limit bounds a burst; a SIGHUP that
// changes the group rebinds; and without any daemon `apply` still loads
// the policy (the kernel drops what nobody reads).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// IPv4 echo requests are dropped by a logged rule (at most 3 logged a
// minute), IPv6 ones by the logged default; neighbor discovery passes.
std::string nflog_policy(int group) {
  return fmt::format(R"([icmpwall]
log-group = {}

[hooks.input]
default = "drop"
log = {{ rate = "100/second", burst = 100 }}

[[rule]]
name = "nd"
types = ["neighbor-solicitation", "neighbor-advertisement"]
action = "allow"

[[rule]]
name = "no-ping4"
types = ["echo-request"]
family = "ipv4"
action = "drop"
log = {{ rate = "1/minute", burst = 3 }}
)",
                     group);
}

class NflogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    policy_ = std::make_unique<TempFile>(nflog_policy(5), ".toml");
    eve_ = std::make_unique<TempFile>("", ".json");
  }

  std::unique_ptr<Daemon> start_daemon() {
    auto d = std::make_unique<Daemon>(
        net_->server, DaemonArgs{{"--policy", policy_->path(), "--events-file", eve_->path()}});
    EXPECT_TRUE(d->wait_ready()) << d->err();
    return d;
  }

  // The events file's lines whose alert.signature is `rule`.
  std::vector<json> eve_of(const std::string& rule) const {
    std::vector<json> out;
    std::istringstream in(eve_->read());
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << line;
      if (!j.is_discarded() && j["alert"].value("signature", "") == rule) out.push_back(j);
    }
    return out;
  }

  bool wait_eve(const std::string& rule, size_t n = 1) const {
    return poll_until([&] { return eve_of(rule).size() >= n; }, Millis(10'000));
  }

  std::unique_ptr<Topology> net_;
  std::unique_ptr<TempFile> policy_;
  std::unique_ptr<TempFile> eve_;
};

TEST_F(NflogTest, DroppedPingsOfBothFamiliesBecomeEventsNamingTheRule) {
  auto daemon = start_daemon();
  EXPECT_EQ(ping(net_->client, Addr::server_v4, {"-c", "1", "-W", "1"}).received, 0);
  ASSERT_TRUE(wait_eve("no-ping4")) << eve_->read() << daemon->err();
  const json v4 = eve_of("no-ping4").front();
  EXPECT_EQ(v4["event_type"], "alert");
  EXPECT_EQ(v4["src_ip"], Addr::client_v4);
  EXPECT_EQ(v4["dest_ip"], Addr::server_v4);
  EXPECT_EQ(v4["proto"], "ICMP");
  EXPECT_EQ(v4["icmp_type"], 8);
  EXPECT_EQ(v4["icmp_code"], 0);
  EXPECT_EQ(v4["in_iface"], Topology::server_if);
  EXPECT_EQ(v4["alert"]["action"], "blocked");
  EXPECT_EQ(v4["icmpwall"]["action"], "drop");
  EXPECT_EQ(v4["icmpwall"]["hook"], "input");
  EXPECT_EQ(v4["icmpwall"]["group"], 5);

  EXPECT_EQ(ping(net_->client, Addr::server_v6, {"-c", "1", "-W", "1"}).received, 0);
  ASSERT_TRUE(wait_eve("default.input")) << eve_->read() << daemon->err();
  const json v6 = eve_of("default.input").front();
  EXPECT_EQ(v6["src_ip"], Addr::client_v6);
  EXPECT_EQ(v6["proto"], "IPv6-ICMP");
  EXPECT_EQ(v6["icmp_type"], 128);
  EXPECT_EQ(v6["icmp_code"], 0);
  EXPECT_EQ(v6["in_iface"], Topology::server_if);
  EXPECT_EQ(v6["alert"]["action"], "blocked");

  // The same events on the JSON event lines (keys in alphabetical order).
  EXPECT_TRUE(daemon->wait_out(R"({"action":"drop","code":0,"dst":"198.18.2.2","event":"log")"))
      << daemon->out();
  EXPECT_TRUE(daemon->wait_out(R"("rule":"no-ping4","src":"198.18.1.2","type":8})"))
      << daemon->out();
  EXPECT_TRUE(daemon->wait_out(R"("rule":"default.input","src":"2001:db8:1::2","type":128})"))
      << daemon->out();
  EXPECT_THAT(daemon->out(), HasSubstr(R"("iif":"s0")"));
}

// A burst of 10 against a log limit of burst 3: at most 3 events. The
// IPv6 ping after it is a marker: read from the same socket after the
// burst, its event means the burst's have all been read.
TEST_F(NflogTest, TheLogLimitBoundsABurst) {
  auto daemon = start_daemon();
  EXPECT_EQ(ping(net_->client, Addr::server_v4, {"-c", "10", "-i", "0.02", "-W", "1"}).received, 0);
  EXPECT_EQ(ping(net_->client, Addr::server_v6, {"-c", "1", "-W", "1"}).received, 0);
  ASSERT_TRUE(wait_eve("default.input")) << eve_->read() << daemon->err();
  const size_t logged = eve_of("no-ping4").size();
  EXPECT_GE(logged, 1u);
  EXPECT_LE(logged, 3u) << eve_->read();
}

TEST_F(NflogTest, ReloadWithAnotherGroupRebinds) {
  auto daemon = start_daemon();
  std::ofstream(policy_->path()) << nflog_policy(6);
  daemon->signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_out(R"("event":"reload","ok":true)")) << daemon->err();
  EXPECT_EQ(ping(net_->client, Addr::server_v4, {"-c", "1", "-W", "1"}).received, 0);
  ASSERT_TRUE(wait_eve("no-ping4")) << eve_->read() << daemon->err();
  EXPECT_EQ(eve_of("no-ping4").front()["icmpwall"]["group"], 6);
  EXPECT_THAT(net_->server.nft_list_table("icmpwall").out, HasSubstr("group 6"));
}

// No daemon: the table loads, the drop holds, the rule names its group.
TEST_F(NflogTest, ApplyWithoutADaemonStillFilters) {
  auto r = apply_policy(net_->server, policy_->path());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(ping(net_->client, Addr::server_v4, {"-c", "1", "-W", "1"}).received, 0);
  EXPECT_EQ(ping(net_->client, Addr::server_v6, {"-c", "1", "-W", "1"}).received, 0);
  const std::string listing = net_->server.nft_list_table("icmpwall").out;
  EXPECT_THAT(listing, HasSubstr(R"(log prefix "icmpwall no-ping4 " group 5)"));
  EXPECT_THAT(listing, HasSubstr(R"(log prefix "icmpwall default.input " group 5)"));
}

}  // namespace
}  // namespace icmpwall::integration
