// SPDX-License-Identifier: GPL-2.0-or-later
// policies/host.toml with real traffic. Client and server run the host
// preset, the router none: ping and traceroute work through it; crafted
// ICMP at the server's input shows which types get past icmpwall (the
// observer counts them before and after its chains) and which rule or
// default counted them. The expectations mirror the preset file: a change
// of the preset's behaviour must change this test too.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::ElementsAre;

class HostPresetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    for (const Netns* ns : {&net_->client, &net_->server}) {
      auto r = apply_policy(*ns, preset_path("host"));
      ASSERT_TRUE(r.ok()) << r.describe();
    }
  }
  // Frames from the router to the server, the server's input observed.
  Link router_to_server() const {
    return {&net_->router, Topology::router_server_if, net_->server.mac_of(Topology::server_if)};
  }
  std::unique_ptr<Topology> net_;
};

TEST_F(HostPresetTest, PingAndTracerouteWork) {
  const Netns& server = net_->server;
  auto before = read_counters(server, "icmpwall");
  for (const char* dst : {Addr::server_v4, Addr::server_v6}) {
    auto p = ping(net_->client, dst);
    EXPECT_EQ(p.received, 3) << p.describe();
  }
  auto d = counter_deltas(before, read_counters(server, "icmpwall"));
  EXPECT_EQ(d[rule_counter("echo-request")], 6u);
  EXPECT_EQ(d[over_counter("echo-request")], 0u);

  // The client's input must let the router's time-exceeded and the
  // server's port-unreachable / echo-reply through.
  for (const char* dst : {Addr::server_v4, Addr::server_v6})
    for (auto mode : {TraceMode::udp, TraceMode::icmp}) {
      auto tr = traceroute(net_->client, dst, mode);
      const bool v4 = dst == std::string(Addr::server_v4);
      EXPECT_THAT(tr.hops, ElementsAre(v4 ? Addr::router_c_v4 : Addr::router_c_v6, dst))
          << tr.describe();
    }
  auto c = read_counters(net_->client, "icmpwall");
  EXPECT_GE(c[rule_counter("errors")].packets, 4u)
      << "time-exceeded and port-unreachable, both families";
  EXPECT_GE(c[rule_counter("echo-reply")].packets, 6u + 2u);
}

TEST_F(HostPresetTest, Ipv4TypesAllowedDroppedAndCounted) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->server, {"input"});
  const auto link = router_to_server();
  auto before = read_counters(net_->server, "icmpwall");

  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "0,3/3,8,11,12";  // echo-reply, port-unreachable, echo-request, errors
  auto allowed = send_probe(obs, "input", link, p);
  for (int t : {0, 3, 8, 11, 12}) EXPECT_TRUE(passed(allowed, t));
  p.types = "3/4";  // frag-needed: PMTUD
  EXPECT_TRUE(passed(send_probe(obs, "input", link, p), 3));

  p.types = "5/1,4,13,14,15,16,17,18";  // redirect, deprecated
  p.extra = {"--gw", "198.18.2.99"};
  auto named = send_probe(obs, "input", link, p);
  for (int t : {5, 4, 13, 14, 15, 16, 17, 18}) EXPECT_TRUE(dropped(named, t));
  p.types = "200,253,42";  // nothing registered / experimental
  p.extra = {};
  auto unknown = send_probe(obs, "input", link, p);
  for (int t : {200, 253, 42}) EXPECT_TRUE(dropped(unknown, t));
  // Echo to the subnet broadcast: smurf reflection, dropped by its own rule.
  p.types = "8";
  p.dst = Addr::server_bcast_v4;
  EXPECT_TRUE(dropped(send_probe(obs, "input", link, p), 8));

  auto d = counter_deltas(before, read_counters(net_->server, "icmpwall"));
  EXPECT_EQ(d[rule_counter("echo-reply")], 3u);
  EXPECT_EQ(d[rule_counter("echo-request")], 3u);
  EXPECT_EQ(d[rule_counter("errors")], 4u * 3u);
  EXPECT_EQ(d[rule_counter("redirect")], 3u);
  EXPECT_EQ(d[rule_counter("deprecated")], 7u * 3u);
  EXPECT_EQ(d[rule_counter("echo-to-broadcast")], 3u);
  EXPECT_EQ(d["default.input"], 3u * 3u);
}

TEST_F(HostPresetTest, Ipv6TypesAllowedDroppedAndCounted) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->server, {"input"});
  const auto link = router_to_server();
  auto before = read_counters(net_->server, "icmpwall");

  Probe p{Family::v6, Addr::router_s_v6, Addr::server_v6};
  p.types = "1/4,2,3,4,128,129";  // errors, packet-too-big, echo
  auto allowed = send_probe(obs, "input", link, p);
  for (int t : {1, 2, 3, 4, 128, 129}) EXPECT_TRUE(passed(allowed, t));

  // Neighbor and router discovery from an on-link sender (hop limit 255),
  // MLD from a link-local source.
  p.src = "fe80::1";
  p.types = "133,134,135,136";
  p.extra = {"--target", Addr::server_v6};
  auto nd = send_probe(obs, "input", link, p);
  for (int t : {133, 134, 135, 136}) EXPECT_TRUE(passed(nd, t));
  p.types = "130,131,132,143";
  p.dst = "ff02::1";
  p.extra = {};
  auto mld = send_probe(obs, "input", link, p);
  for (int t : {130, 131, 132, 143}) EXPECT_TRUE(passed(mld, t));

  // The same with the conditions broken: ND forwarded (hop limit 64), MLD
  // from a global address. Both fall to the default.
  p.src = Addr::router_s_v6;
  p.dst = Addr::server_v6;
  p.types = "135,136";
  p.extra = {"--hlim", "64", "--target", Addr::server_v6};
  auto nd_far = send_probe(obs, "input", link, p);
  for (int t : {135, 136}) EXPECT_TRUE(dropped(nd_far, t));
  p.types = "130";
  p.dst = "ff02::1";
  p.extra = {};
  EXPECT_TRUE(dropped(send_probe(obs, "input", link, p), 130));

  // Redirect, unknown types, echo to all-nodes multicast.
  p.dst = Addr::server_v6;
  p.types = "137,200,201,150";
  p.extra = {"--gw", "fe80::99"};
  auto bad = send_probe(obs, "input", link, p);
  for (int t : {137, 200, 201, 150}) EXPECT_TRUE(dropped(bad, t));
  p.types = "128";
  p.dst = "ff02::1";
  p.extra = {};
  EXPECT_TRUE(dropped(send_probe(obs, "input", link, p), 128));

  auto d = counter_deltas(before, read_counters(net_->server, "icmpwall"));
  EXPECT_EQ(d[rule_counter("echo-request")], 3u);
  EXPECT_EQ(d[rule_counter("echo-reply")], 3u);
  EXPECT_EQ(d[rule_counter("errors")], 4u * 3u);
  EXPECT_GE(d[rule_counter("neighbor-discovery")], 4u * 3u);
  EXPECT_GE(d[rule_counter("mld")], 4u * 3u);
  EXPECT_EQ(d[rule_counter("redirect")], 3u);
  EXPECT_EQ(d[rule_counter("echo-to-broadcast")], 3u);
  // hop-64 NS and NA, global-source MLD query, types 200, 201, 150.
  EXPECT_EQ(d["default.input"], 6u * 3u);
}

TEST_F(HostPresetTest, OutputIsNotFiltered) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->server, {"output"});
  auto before = obs.snapshot();
  auto counters_before = read_counters(net_->server, "icmpwall");
  auto r = craft(net_->server, {"--src", Addr::server_v4, "--dst", Addr::client_v4, "--types",
                                "13,200", "--count", "2"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = craft(net_->server,
            {"--v6", "--src", Addr::server_v6, "--dst", Addr::client_v6, "--types", "200"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto after = obs.snapshot();
  EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, Family::v4, 13), 2u);
  EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, Family::v4, 200), 2u);
  EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, Family::v6, 200), 1u);
  auto d = counter_deltas(counters_before, read_counters(net_->server, "icmpwall"));
  EXPECT_GE(d["default.output"], 5u);
}

}  // namespace
}  // namespace icmpwall::integration
