// SPDX-License-Identifier: GPL-2.0-or-later
// Path MTU discovery through icmpwall. The router's link to the server has
// an MTU of 1280 while both hosts have 1500, so the server advertises an
// MSS the path cannot carry: the client's full-size segments die at the
// router, which answers with frag-needed (ICMPv4 3/4) or packet-too-big
// (ICMPv6 2). A 2 MB TCP transfer from client to server completes only if
// the client's icmpwall lets those through (RFC 1191, RFC 8201). The
// negative control, a policy that drops them, must stall — so a passing
// positive run means PMTUD really happened.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

constexpr size_t kBytes = 2 << 20;
const Millis kTransferTimeout{20'000};
const Millis kStallTimeout{4'000};

class PmtudTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    net_->lower_router_server_mtu(1280);
  }
  std::string server() const {
    return GetParam() == Family::v4 ? Addr::server_v4 : Addr::server_v6;
  }
  void apply(const Netns& ns, const std::string& policy) {
    auto r = apply_policy(ns, policy);
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  // The type that carries the MTU in this family.
  int signal_type() const { return GetParam() == Family::v4 ? 3 : 2; }
  std::unique_ptr<Topology> net_;
};

TEST_P(PmtudTest, TransferCompletesThroughHostAndRouterPresets) {
  apply(net_->client, preset_path("host"));
  apply(net_->router, preset_path("router"));
  apply(net_->server, preset_path("host"));
  Observer obs(net_->client, {"input"});
  auto before = obs.snapshot();

  auto t = tcp_transfer(net_->client, net_->server, server(), kBytes, kTransferTimeout);
  ASSERT_TRUE(t.completed) << t.describe();

  auto after = obs.snapshot();
  const Family f = GetParam();
  EXPECT_GE(Observer::delta(before, after, "input", Stage::after, f, signal_type()), 1u)
      << "no MTU signal reached the client: the test did not exercise PMTUD";
  EXPECT_GE(read_counter(net_->client, rule_counter("errors")).packets, 1u);
}

TEST_P(PmtudTest, TransferCompletesThroughLockdownPreset) {
  apply(net_->client, preset_path("lockdown"));
  apply(net_->server, preset_path("lockdown"));
  auto t = tcp_transfer(net_->client, net_->server, server(), kBytes, kTransferTimeout);
  ASSERT_TRUE(t.completed) << t.describe();
  EXPECT_GE(read_counter(net_->client, rule_counter("pmtud")).packets, 1u);
}

// The negative control: with the MTU signal dropped the same transfer
// stalls, and icmpwall's counter shows it was icmpwall that dropped it.
TEST_P(PmtudTest, TransferStallsWhenTheMtuSignalIsDropped) {
  apply(net_->router, preset_path("router"));
  {
    // A rule that drops the MTU signals is a lint error; restricted to
    // sources it is a deliberate exception, which the lint lets through.
    TempFile policy(R"(# Breaks PMTUD on purpose.
[hooks.input]
default = "allow"

[[rule]]
name = "no-pmtud"
types = ["frag-needed", "packet-too-big"]
source = ["198.18.0.0/15", "2001:db8::/32"]
action = "drop"
)",
                    ".toml");
    apply(net_->client, policy.path());
  }
  auto t = tcp_transfer(net_->client, net_->server, server(), kBytes, kStallTimeout);
  EXPECT_FALSE(t.completed) << t.describe();
  EXPECT_TRUE(t.sender.timed_out) << t.describe();
  EXPECT_LT(t.received, kBytes);
  EXPECT_GE(read_counter(net_->client, rule_counter("no-pmtud")).packets, 1u);
}

INSTANTIATE_TEST_SUITE_P(Families, PmtudTest, ::testing::Values(Family::v4, Family::v6),
                         [](const auto& info) {
                           return std::string(info.param == Family::v4 ? "Ipv4" : "Ipv6");
                         });

}  // namespace
}  // namespace icmpwall::integration
