// SPDX-License-Identifier: GPL-2.0-or-later
// Rate limits under real floods. A policy on the server limits echo
// requests to `rate = "10/second", burst = 5`; the client floods for 3
// seconds (ping -i 0.002 -w 3, ~1500 requests), so the replies must number
// burst + rate * 3 = 35, within 10%. iputils ping keeps one echo identifier
// per run, which conntrack sees as one established flow: a table of the
// test's own proves conntrack did, and the limit must hold anyway.
// Global limits share one budget between sources (and families); per-source
// limits give each source (IPv6: each /64 by default) a budget of its own.
#include <gmock/gmock.h>

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
action = "rate-limit"
rate = "10/second"
burst = 5
per = ")" +
         per + "\"\n";
}

::testing::AssertionResult within_budget(const PingResult& p, double expected = kExpected) {
  if (p.received >= expected * 0.9 && p.received <= expected * 1.1)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << p.received << " replies, expected " << expected << " +-10%\n"
         << p.describe();
}

class RateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
  }
  void apply(const std::string& per) {
    auto r = apply_policy_text(net_->server, policy(per));
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  static Argv flood_args(const std::string& src, const std::string& dst) {
    return {"ping", "-n", "-q", "-i", "0.002", "-w", std::to_string(kSeconds), "-I", src, dst};
  }
  // Two floods at once, from two source addresses of the client.
  std::pair<PingResult, PingResult> two_floods(const std::string& src_a, const std::string& src_b,
                                               const std::string& dst) {
    Process& b = net_->client.spawn(flood_args(src_b, dst));
    auto a = parse_ping(net_->client.run(flood_args(src_a, dst), {Millis(20'000)}));
    b.wait_for_exit(Millis(10'000));
    return {a, parse_ping(finished(b))};
  }
  std::unique_ptr<Topology> net_;
};

class OneIdFloodTest : public RateLimitTest, public ::testing::WithParamInterface<Family> {};

TEST_P(OneIdFloodTest, GlobalLimitHoldsForAnEstablishedFlow) {
  apply("global");
  auto track = net_->server.nft_load(
      "table inet track {\n"
      "  counter established {}\n"
      "  chain input {\n"
      "    type filter hook input priority -10; policy accept;\n"
      "    icmp type echo-request ct state established counter name \"established\"\n"
      "    icmpv6 type echo-request ct state established counter name \"established\"\n"
      "  }\n"
      "}\n");
  ASSERT_TRUE(track.ok()) << track.describe();

  const bool v4 = GetParam() == Family::v4;
  Observer client_in(net_->client);
  const auto from = client_in.snapshot();
  auto p = parse_ping(net_->client.run(
      flood_args(v4 ? Addr::client_v4 : Addr::client_v6, v4 ? Addr::server_v4 : Addr::server_v6),
      {Millis(20'000)}));
  ASSERT_GT(p.transmitted, 10 * kRate) << "the flood was too slow to test anything\n"
                                       << p.describe();
  EXPECT_TRUE(within_budget(p));

  auto c = read_counters(net_->server, "icmpwall");
  const uint64_t passed = c[rule_counter("ping")].packets;
  EXPECT_EQ(echo_replies_since(client_in, from, GetParam(), passed), passed) << p.describe();
  EXPECT_NEAR(static_cast<double>(c[over_counter("ping")].packets),
              static_cast<double>(p.transmitted - p.received), 2.0);
  EXPECT_GT(read_counter(net_->server, "established", "track").packets,
            static_cast<uint64_t>(p.transmitted / 2))
      << "conntrack did not see the flood as one established flow";
}

INSTANTIATE_TEST_SUITE_P(Families, OneIdFloodTest, ::testing::Values(Family::v4, Family::v6),
                         [](const auto& info) {
                           return std::string(info.param == Family::v4 ? "Ipv4" : "Ipv6");
                         });

TEST_F(RateLimitTest, GlobalLimitIsSharedBySources) {
  apply("global");
  auto [a, b] = two_floods(Addr::client_v4, Addr::client2_v4, Addr::server_v4);
  PingResult sum;
  sum.received = a.received + b.received;
  sum.cmd.out = a.describe() + b.describe();
  EXPECT_TRUE(within_budget(sum));
  EXPECT_GT(a.received, 0) << a.describe();
  EXPECT_GT(b.received, 0) << b.describe();
}

TEST_F(RateLimitTest, PerSourceLimitGivesEachSourceItsBudget) {
  apply("source");
  Observer client_in(net_->client);
  const auto from = client_in.snapshot();
  auto [a, b] = two_floods(Addr::client_v4, Addr::client2_v4, Addr::server_v4);
  EXPECT_TRUE(within_budget(a));
  EXPECT_TRUE(within_budget(b));
  auto c = read_counters(net_->server, "icmpwall");
  const uint64_t passed = c[rule_counter("ping")].packets;
  EXPECT_EQ(echo_replies_since(client_in, from, Family::v4, passed), passed)
      << a.describe() << b.describe();
}

TEST_F(RateLimitTest, PerSourceIpv6SourcesInOneSlash64ShareABudget) {
  apply("source");
  auto [a, b] = two_floods(Addr::client_v6, Addr::client2_v6, Addr::server_v6);
  PingResult sum;
  sum.received = a.received + b.received;
  sum.cmd.out = a.describe() + b.describe();
  EXPECT_TRUE(within_budget(sum));
}

TEST_F(RateLimitTest, PerSourceIpv6SourcesInTwoSlash64sHaveTheirOwn) {
  apply("source");
  auto [a, b] = two_floods(Addr::client_v6, Addr::client_other64_v6, Addr::server_v6);
  EXPECT_TRUE(within_budget(a));
  EXPECT_TRUE(within_budget(b));
}

// A flood with a fresh identifier in every request (many conntrack flows,
// none established) is held to the same budget, over the time it took.
TEST_F(RateLimitTest, FloodWithDistinctIdentifiersIsLimitedToo) {
  ICMPWALL_REQUIRE_CRAFT();
  apply("global");
  auto r = craft(net_->client, {"--src", Addr::client_v4, "--dst", Addr::server_v4, "--type", "8",
                                "--count", "120", "--interval", "0.015", "--random-id"});
  ASSERT_TRUE(r.ok()) << r.describe();
  double span = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str(), "sent %*d packets in %lf seconds", &span), 1) << r.out;
  const double expected = kBurst + kRate * span;
  // The last requests may still be in flight: poll until all 120 are counted.
  Counters c;
  poll_until(
      [&] {
        c = read_counters(net_->server, "icmpwall");
        return c[rule_counter("ping")].packets + c[over_counter("ping")].packets >= 120;
      },
      Millis(3000));
  EXPECT_EQ(c[rule_counter("ping")].packets + c[over_counter("ping")].packets, 120u);
  EXPECT_NEAR(static_cast<double>(c[rule_counter("ping")].packets), expected,
              std::max(2.0, expected * 0.1))
      << r.out;
}

}  // namespace
}  // namespace icmpwall::integration
