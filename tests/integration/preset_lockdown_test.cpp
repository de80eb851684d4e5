// SPDX-License-Identifier: GPL-2.0-or-later
// policies/lockdown.toml with real traffic. Client and server run the
// lockdown preset. What must still work does: ping (within one global echo
// budget of 1/second, burst 2, shared by every source and both families),
// traceroute, errors, PMTU signals (pmtud_test.cpp), neighbor and router
// advertisements from on-link senders, MLD queries from link-local
// sources. Everything else is dropped on input by the default, and on
// output only errors, echo and neighbor discovery / MLD reports leave.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::ElementsAre;

class LockdownPresetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    for (const Netns* ns : {&net_->client, &net_->server}) {
      auto r = apply_policy(*ns, preset_path("lockdown"));
      ASSERT_TRUE(r.ok()) << r.describe();
    }
  }
  Link router_to_server() const {
    return {&net_->router, Topology::router_server_if, net_->server.mac_of(Topology::server_if)};
  }
  std::unique_ptr<Topology> net_;
};

// The bucket holds 2 and refills at 1/s. One echo a second, first v4 then
// v6, never empties it: every request is answered.
TEST_F(LockdownPresetTest, PingAndPing6PassAtOnePerSecond) {
  for (const char* dst : {Addr::server_v4, Addr::server_v6}) {
    auto p = ping(net_->client, dst, {"-c", "2", "-i", "1", "-W", "1"});
    EXPECT_EQ(p.received, 2) << p.describe();
  }
  auto c = read_counters(net_->server, "icmpwall");
  EXPECT_EQ(c[rule_counter("echo-request")].packets, 4u);
  EXPECT_EQ(c[over_counter("echo-request")].packets, 0u);
}

// UDP probes cost no echo budget; ICMP probes with at most 2 hops cost one
// request each at the server, two in all: the burst.
TEST_F(LockdownPresetTest, TracerouteWorks) {
  for (auto mode : {TraceMode::udp, TraceMode::icmp}) {
    const int hops = mode == TraceMode::udp ? 4 : 2;
    auto tr = traceroute(net_->client, Addr::server_v4, mode, hops);
    EXPECT_THAT(tr.hops, ElementsAre(Addr::router_c_v4, Addr::server_v4)) << tr.describe();
    tr = traceroute(net_->client, Addr::server_v6, mode, hops);
    EXPECT_THAT(tr.hops, ElementsAre(Addr::router_c_v6, Addr::server_v6)) << tr.describe();
  }
}

// A flood from two sources in two families at once gets one budget:
// burst 2 plus 1/s over the 2 seconds.
TEST_F(LockdownPresetTest, EchoBudgetIsGlobal) {
  Observer client_in(net_->client);
  const auto from = client_in.snapshot();
  Process& v6 = net_->client.spawn(
      {"ping", "-n", "-q", "-i", "0.01", "-w", "2", "-I", Addr::client2_v6, Addr::server_v6});
  auto v4 = ping(net_->client, Addr::server_v4, {"-q", "-i", "0.01", "-w", "2"});
  v6.wait_for_exit(Millis(10'000));
  auto v6r = parse_ping(finished(v6));
  ASSERT_GT(v4.transmitted, 50) << v4.describe();
  ASSERT_GT(v6r.transmitted, 50) << v6r.describe();
  const int total = v4.received + v6r.received;
  EXPECT_GE(total, 3) << v4.describe() << v6r.describe();
  EXPECT_LE(total, 5) << v4.describe() << v6r.describe();
  auto c = read_counters(net_->server, "icmpwall");
  // Every request within the budget was answered (a reply can still be on
  // its way when a flood ends at its deadline).
  const uint64_t passed = c[rule_counter("echo-request")].packets;
  auto replies = [&](const Observer::Snapshot& now) {
    return Observer::delta(from, now, "input", Stage::before, Family::v4, 0) +
           Observer::delta(from, now, "input", Stage::before, Family::v6, 129);
  };
  EXPECT_EQ(replies(client_in.wait_for([&](const auto& now) { return replies(now) >= passed; })),
            passed)
      << v4.describe() << v6r.describe();
  EXPECT_NEAR(static_cast<double>(c[over_counter("echo-request")].packets),
              static_cast<double>(v4.transmitted + v6r.transmitted - total), 2.0);
}

TEST_F(LockdownPresetTest, InputAllowsOnlyWhatTheNetworkNeeds) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->server, {"input"});
  const auto link = router_to_server();
  auto before = read_counters(net_->server, "icmpwall");

  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "0,3/4,11,12";
  auto allowed = send_probe(obs, "input", link, p);
  for (int t : {0, 3, 11, 12}) EXPECT_TRUE(passed(allowed, t));
  p.types = "3/1";
  EXPECT_TRUE(passed(send_probe(obs, "input", link, p), 3));
  p.types = "5/1,4,13,14,15,16,17,18,200";
  p.extra = {"--gw", "198.18.2.99"};
  auto blocked = send_probe(obs, "input", link, p);
  for (int t : {5, 4, 13, 14, 15, 16, 17, 18, 200}) EXPECT_TRUE(dropped(blocked, t));

  Probe q{Family::v6, Addr::router_s_v6, Addr::server_v6};
  q.types = "1/4,2,3,4,129";
  auto allowed6 = send_probe(obs, "input", link, q);
  for (int t : {1, 2, 3, 4, 129}) EXPECT_TRUE(passed(allowed6, t));
  q.src = "fe80::1";
  q.types = "134,135,136";
  q.extra = {"--target", Addr::server_v6};
  auto nd = send_probe(obs, "input", link, q);
  for (int t : {134, 135, 136}) EXPECT_TRUE(passed(nd, t));
  q.types = "133";  // router solicitation: a host has no use for it
  EXPECT_TRUE(dropped(send_probe(obs, "input", link, q), 133));
  q.dst = "ff02::1";
  q.types = "130";
  q.extra = {};
  EXPECT_TRUE(passed(send_probe(obs, "input", link, q), 130));
  q.types = "131,132,143";  // reports are for routers
  auto reports = send_probe(obs, "input", link, q);
  for (int t : {131, 132, 143}) EXPECT_TRUE(dropped(reports, t));
  q.src = Addr::router_s_v6;
  q.dst = Addr::server_v6;
  q.types = "137,200";
  q.extra = {"--gw", "fe80::99"};
  auto bad6 = send_probe(obs, "input", link, q);
  for (int t : {137, 200}) EXPECT_TRUE(dropped(bad6, t));

  auto d = counter_deltas(before, read_counters(net_->server, "icmpwall"));
  EXPECT_EQ(d[rule_counter("pmtud")], 2u * 3u);
  EXPECT_EQ(d[rule_counter("errors")], 6u * 3u);  // 3/1, 11, 12; ICMPv6 1, 3, 4
  EXPECT_EQ(d[rule_counter("echo-reply")], 2u * 3u);
  EXPECT_GE(d[rule_counter("neighbor-discovery")], 3u * 3u);
  EXPECT_EQ(d[rule_counter("mld")], 3u);
  EXPECT_EQ(d["default.input"], (9u + 5u + 1u) * 3u);
}

TEST_F(LockdownPresetTest, OutputLetsOnlyErrorsEchoAndNeighborDiscoveryLeave) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->server, {"output"});
  const Link stack{&net_->server, "", ""};
  auto before = read_counters(net_->server, "icmpwall");

  Probe p{Family::v4, Addr::server_v4, Addr::client_v4};
  p.count = 2;
  p.types = "3/3,8";
  auto allowed = send_probe(obs, "output", stack, p);
  for (int t : {3, 8}) EXPECT_TRUE(passed(allowed, t));
  p.types = "13,14,17,18,200";
  auto blocked = send_probe(obs, "output", stack, p);
  for (int t : {13, 14, 17, 18, 200}) EXPECT_TRUE(dropped(blocked, t));

  Probe q{Family::v6, Addr::server_v6, Addr::client_v6};
  q.count = 2;
  q.types = "128";
  EXPECT_TRUE(passed(send_probe(obs, "output", stack, q), 128));
  q.types = "200";
  EXPECT_TRUE(dropped(send_probe(obs, "output", stack, q), 200));
  q.types = "137";
  EXPECT_TRUE(dropped(send_probe(obs, "output", stack, q), 137));

  auto d = counter_deltas(before, read_counters(net_->server, "icmpwall"));
  EXPECT_EQ(d[rule_counter("out-errors")], 2u);
  EXPECT_GE(d[rule_counter("out-echo")], 2u * 2u);
  EXPECT_EQ(d["default.output"], 7u * 2u);
}

}  // namespace
}  // namespace icmpwall::integration
