// SPDX-License-Identifier: GPL-2.0-or-later
// policies/router.toml with real traffic. The router runs the router
// preset, client and server the host preset. Ping and traceroute cross it;
// crafted ICMP in transit (client to server) shows what the forward hook
// lets through (RFC 4890 4.3: errors, packet-too-big, echo) and what it
// drops (link-local-only messages, deprecated and unknown types); crafted
// ICMP to the router itself shows its input policy. The observer watches
// the router's forward and input hooks before and after icmpwall.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::ElementsAre;

class RouterPresetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    auto r = apply_policy(net_->router, preset_path("router"));
    ASSERT_TRUE(r.ok()) << r.describe();
    for (const Netns* ns : {&net_->client, &net_->server}) {
      r = apply_policy(*ns, preset_path("host"));
      ASSERT_TRUE(r.ok()) << r.describe();
    }
  }
  // Frames from the client to the router's MAC: forwarded if addressed to
  // the server, delivered if addressed to the router.
  Link client_to_router() const {
    return {&net_->client, Topology::client_if, net_->router.mac_of(Topology::router_client_if)};
  }
  std::unique_ptr<Topology> net_;
};

TEST_F(RouterPresetTest, PingAndTracerouteCrossTheRouter) {
  auto before = read_counters(net_->router, "icmpwall");
  for (const char* dst : {Addr::server_v4, Addr::server_v6, Addr::router_c_v4, Addr::router_c_v6}) {
    auto p = ping(net_->client, dst);
    EXPECT_EQ(p.received, 3) << p.describe();
  }
  for (const char* dst : {Addr::server_v4, Addr::server_v6})
    for (auto mode : {TraceMode::udp, TraceMode::icmp}) {
      auto tr = traceroute(net_->client, dst, mode);
      const bool v4 = dst == std::string(Addr::server_v4);
      EXPECT_THAT(tr.hops, ElementsAre(v4 ? Addr::router_c_v4 : Addr::router_c_v6, dst))
          << tr.describe();
    }
  auto d = counter_deltas(before, read_counters(net_->router, "icmpwall"));
  EXPECT_GE(d[rule_counter("transit-echo-request")],
            6u + 2u);  // pings, and traceroute -I's last hop
  EXPECT_GE(d[rule_counter("transit-echo-reply")], 6u + 2u);
  EXPECT_GE(d[rule_counter("transit-errors")], 2u);  // the server's port-unreachable, both families
  EXPECT_EQ(d[over_counter("transit-echo-request")], 0u);
  EXPECT_EQ(d[rule_counter("echo-request")], 6u);  // pings to the router itself
  EXPECT_EQ(d["default.forward"], 0u);
}

TEST_F(RouterPresetTest, Ipv4TransitAllowedDroppedAndCounted) {
  ICMPWALL_REQUIRE_CRAFT();
  // Directed broadcasts are forwarded only when asked for; then the
  // forward hook sees an echo request to a broadcast address.
  net_->router.sysctl("net.ipv4.conf.all.bc_forwarding", "1");
  net_->router.sysctl("net.ipv4.conf.r0.bc_forwarding", "1");
  net_->router.sysctl("net.ipv4.conf.r1.bc_forwarding", "1");
  Observer obs(net_->router, {"forward"});
  const auto link = client_to_router();
  auto before = read_counters(net_->router, "icmpwall");

  Probe p{Family::v4, Addr::client_v4, Addr::server_v4};
  p.types = "0,3/3,8,11,12";
  auto allowed = send_probe(obs, "forward", link, p);
  for (int t : {0, 3, 8, 11, 12}) EXPECT_TRUE(passed(allowed, t));
  p.types = "3/4";
  EXPECT_TRUE(passed(send_probe(obs, "forward", link, p), 3));

  p.types = "5/1,9,10,4,13,14,15,16,17,18,200,253";
  p.extra = {"--gw", "198.18.2.99"};
  auto blocked = send_probe(obs, "forward", link, p);
  for (int t : {5, 9, 10, 4, 13, 14, 15, 16, 17, 18, 200, 253}) EXPECT_TRUE(dropped(blocked, t));

  p.types = "8";
  p.dst = Addr::server_bcast_v4;
  p.extra = {};
  EXPECT_TRUE(dropped(send_probe(obs, "forward", link, p), 8));

  auto d = counter_deltas(before, read_counters(net_->router, "icmpwall"));
  EXPECT_EQ(d[rule_counter("transit-errors")], 4u * 3u);
  EXPECT_EQ(d[rule_counter("transit-echo-request")], 3u);
  EXPECT_EQ(d[rule_counter("transit-echo-reply")], 3u + 3u);  // crafted, and the server's answers
  EXPECT_EQ(d[rule_counter("transit-link-local")], 3u * 3u);  // redirect, router adv./solicitation
  EXPECT_EQ(d[rule_counter("transit-deprecated")], 7u * 3u);
  EXPECT_EQ(d[rule_counter("transit-echo-broadcast")], 3u);
  EXPECT_EQ(d["default.forward"], 2u * 3u);
}

TEST_F(RouterPresetTest, Ipv6TransitAllowedDroppedAndCounted) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->router, {"forward"});
  const auto link = client_to_router();
  auto before = read_counters(net_->router, "icmpwall");

  // A forwarded packet needs a global source and a hop limit above 1.
  Probe p{Family::v6, Addr::client_v6, Addr::server_v6};
  p.types = "1/4,2,3,4,128,129";
  auto allowed = send_probe(obs, "forward", link, p);
  for (int t : {1, 2, 3, 4, 128, 129}) EXPECT_TRUE(passed(allowed, t));

  p.types = "130,131,132,133,134,135,136,137,143,200,201";
  p.extra = {"--hlim", "64", "--gw", "fe80::99", "--target", Addr::server_v6};
  auto blocked = send_probe(obs, "forward", link, p);
  for (int t : {130, 131, 132, 133, 134, 135, 136, 137, 143, 200, 201})
    EXPECT_TRUE(dropped(blocked, t));

  auto d = counter_deltas(before, read_counters(net_->router, "icmpwall"));
  EXPECT_EQ(d[rule_counter("transit-errors")], 4u * 3u);
  EXPECT_EQ(d[rule_counter("transit-echo-request")], 3u);
  EXPECT_EQ(d[rule_counter("transit-echo-reply")], 3u + 3u);  // crafted, and the server's answers
  EXPECT_EQ(d[rule_counter("transit-link-local")], 9u * 3u);
  EXPECT_EQ(d["default.forward"], 2u * 3u);
}

TEST_F(RouterPresetTest, RouterInputRefusesRedirectsAndDeprecatedTypes) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->router, {"input"});
  const auto link = client_to_router();
  auto before = read_counters(net_->router, "icmpwall");

  Probe p{Family::v4, Addr::client_v4, Addr::router_c_v4};
  p.types = "0,3/3,8,11,12";
  auto allowed = send_probe(obs, "input", link, p);
  for (int t : {0, 3, 8, 11, 12}) EXPECT_TRUE(passed(allowed, t));
  p.types = "5/1,4,13,17,200";
  p.extra = {"--gw", "198.18.1.99"};
  auto blocked = send_probe(obs, "input", link, p);
  for (int t : {5, 4, 13, 17, 200}) EXPECT_TRUE(dropped(blocked, t));

  Probe q{Family::v6, "fe80::2", Addr::router_c_v6};
  q.types = "133,135";  // router solicitation, neighbor solicitation: on-link
  q.extra = {"--target", Addr::router_c_v6};
  auto nd = send_probe(obs, "input", link, q);
  for (int t : {133, 135}) EXPECT_TRUE(passed(nd, t));
  q.src = Addr::client_v6;
  q.types = "137,200";
  q.extra = {"--gw", "fe80::99"};
  auto bad = send_probe(obs, "input", link, q);
  for (int t : {137, 200}) EXPECT_TRUE(dropped(bad, t));

  auto d = counter_deltas(before, read_counters(net_->router, "icmpwall"));
  EXPECT_EQ(d[rule_counter("redirect")], 2u * 3u);
  EXPECT_EQ(d[rule_counter("deprecated")], 3u * 3u);
  EXPECT_EQ(d["default.input"], 2u * 3u);
  EXPECT_EQ(d[rule_counter("echo-request")], 3u);
  EXPECT_EQ(d["default.forward"], 0u);
}

}  // namespace
}  // namespace icmpwall::integration
