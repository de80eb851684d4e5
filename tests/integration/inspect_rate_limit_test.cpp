// SPDX-License-Identifier: GPL-2.0-or-later
// Rate-limit, then inspect: an `inspect` rule with `rate` limits its
// packets in the kernel before the queue. A flood of echo requests to the
// server (ping -i 0.002 -w 3, ~1500 requests) through a rule with
// rate = "10/second", burst = 5 is cut to burst + rate * 3 = 35 in the
// kernel: the rest is counted in rule.NAME.over and dropped there, never
// reaching userspace. With a daemon inspecting, the daemon receives only
// the share within the limit (its own queue counter says so); without a
// daemon and no-worker = "accept", that share passes uninspected and the
// rest is still dropped.
#include <gmock/gmock.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

constexpr int kRate = 10;
constexpr int kBurst = 5;
constexpr int kSeconds = 3;
constexpr double kExpected = kBurst + kRate * kSeconds;

std::string policy(const std::string& per) {
  return R"([hooks.input]
default = "allow"

[[rule]]
name = "ping"
types = ["echo-request"]
action = "inspect"
no-worker = "accept"
rate = "10/second"
burst = 5
per = ")" +
         per + "\"\n";
}

::testing::AssertionResult within_budget(uint64_t got, double expected = kExpected) {
  if (got >= expected * 0.9 && got <= expected * 1.1) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << got << ", expected " << expected << " +-10%";
}

class InspectRateLimitTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
  }
  bool v4() const { return GetParam() == Family::v4; }
  PingResult flood() {
    auto p = parse_ping(
        net_->client.run({"ping", "-n", "-q", "-i", "0.002", "-w", std::to_string(kSeconds),
                          v4() ? Addr::server_v4 : Addr::server_v6},
                         {Millis(20'000)}));
    EXPECT_GT(p.transmitted, 10 * kRate) << "the flood was too slow to test anything\n"
                                         << p.describe();
    return p;
  }
  std::unique_ptr<Topology> net_;
};

// No daemon: under the limit the queue is bypassed (accepted), over it
// the kernel drops.
TEST_P(InspectRateLimitTest, WithoutADaemonTheShareWithinTheLimitPassesAndTheRestIsDropped) {
  auto r = apply_policy_text(net_->server, policy("source"));
  ASSERT_TRUE(r.ok()) << r.describe();
  Observer client_in(net_->client);
  const auto from = client_in.snapshot();
  auto p = flood();
  EXPECT_TRUE(within_budget(static_cast<uint64_t>(p.received))) << p.describe();
  auto c = read_counters(net_->server, "icmpwall");
  const uint64_t passed = c[rule_counter("ping")].packets;
  EXPECT_EQ(echo_replies_since(client_in, from, GetParam(), passed), passed) << p.describe();
  EXPECT_NEAR(static_cast<double>(c[over_counter("ping")].packets),
              static_cast<double>(p.transmitted - p.received), 2.0);
}

// A daemon inspecting: it receives only what the limit let through.
TEST_P(InspectRateLimitTest, TheDaemonSeesOnlyTheShareWithinTheLimit) {
  TempFile policy_file(policy("global"), ".toml");
  const std::string sock = "/tmp/icmpwall-limit-" + std::to_string(getpid()) + ".sock";
  TempFile config("policy = \"" + policy_file.path() + "\"\nstats_socket = \"" + sock + "\"\n",
                  ".toml");
  Daemon daemon(net_->server, {{"--config", config.path()}, {}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  auto p = flood();
  EXPECT_TRUE(within_budget(static_cast<uint64_t>(p.received))) << p.describe();
  auto c = read_counters(net_->server, "icmpwall");
  const uint64_t queued = c[rule_counter("ping")].packets;
  EXPECT_TRUE(within_budget(queued));
  EXPECT_GT(c[over_counter("ping")].packets, static_cast<uint64_t>(p.transmitted) / 2)
      << "the flood was not cut in the kernel";

  // The flood ends at its deadline without waiting for the last replies:
  // a request the kernel counted just before may not have been read yet.
  uint64_t received = 0;
  poll_until(
      [&] {
        auto stats = icmpwall({"stats", "--socket", sock, "--json"});
        if (!stats.ok()) return false;
        received = nlohmann::json::parse(stats.out)["queues"][0]["received"].get<uint64_t>();
        return received >= queued;
      },
      Millis(5'000));
  EXPECT_EQ(received, queued) << "the daemon received more (or less) than the limit let through";
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

INSTANTIATE_TEST_SUITE_P(Families, InspectRateLimitTest, ::testing::Values(Family::v4, Family::v6),
                         [](const auto& info) {
                           return std::string(info.param == Family::v4 ? "Ipv4" : "Ipv6");
                         });

}  // namespace
}  // namespace icmpwall::integration
