// SPDX-License-Identifier: GPL-2.0-or-later
// policies/router-edge.toml with real traffic. The client's side of the
// router (r0) is the outside: the preset's "wan0" is replaced by "r0", as a
// user writes their own outside interface. The server is inside.
// Traceroute from outside must not see the router (its time-exceeded and
// destination-unreachable toward r0 are dropped, the observer on the
// router's output hook shows they were generated and dropped by icmpwall),
// nor any time-exceeded from inside; traceroute from inside still sees the
// router; and path MTU discovery from outside still works: the router's
// own frag-needed / packet-too-big toward the outside pass.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr size_t kBytes = 2 << 20;
const Millis kTransferTimeout{20'000};

// The preset as a user installs it, with `outside` as its outside interface.
std::string edge_policy(const std::string& outside, bool with_pmtud = true) {
  std::string text = read_file(preset_path("router-edge"));
  const std::string from = "oif = \"wan0\"";
  const std::string to = "oif = \"" + outside + "\"";
  size_t replaced = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
    ++replaced;
  }
  EXPECT_EQ(replaced, 3u) << "router-edge.toml no longer has three oif = \"wan0\" lines";
  if (!with_pmtud) {  // the edge-pmtud rule removed
    const size_t rule = text.find("[[rule]]\nname = \"edge-pmtud\"");
    const size_t end = text.find("[[rule]]", rule + 1);
    EXPECT_NE(rule, std::string::npos);
    EXPECT_NE(end, std::string::npos);
    text.erase(rule, end - rule);
  }
  return text;
}

class RouterEdgePresetTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
  }
  void apply_all() {
    auto r = apply_policy_text(net_->router, edge_policy(Topology::router_client_if));
    ASSERT_TRUE(r.ok()) << r.describe();
    for (const Netns* ns : {&net_->client, &net_->server}) {
      r = apply_policy(*ns, preset_path("host"));
      ASSERT_TRUE(r.ok()) << r.describe();
    }
  }
  bool v4() const { return GetParam() == Family::v4; }
  std::string client() const { return v4() ? Addr::client_v4 : Addr::client_v6; }
  std::string server() const { return v4() ? Addr::server_v4 : Addr::server_v6; }
  std::string router_outside() const { return v4() ? Addr::router_c_v4 : Addr::router_c_v6; }
  std::string router_inside() const { return v4() ? Addr::router_s_v4 : Addr::router_s_v6; }
  int time_exceeded() const { return v4() ? 11 : 3; }
  int unreachable() const { return v4() ? 3 : 1; }
  int mtu_signal() const { return v4() ? 3 : 2; }
  uint64_t counter(const std::string& rule) const {
    return read_counter(net_->router, rule_counter(rule)).packets;
  }
  std::unique_ptr<Topology> net_;
};

// From outside the router is a `*` in both traceroute modes: it sends its
// time-exceeded (the observer counts it before icmpwall) and icmpwall drops
// it on the way out (not counted after). The destination still answers.
TEST_P(RouterEdgePresetTest, TracerouteFromOutsideDoesNotSeeTheRouter) {
  apply_all();
  Observer obs(net_->router, {"output"});
  for (auto mode : {TraceMode::udp, TraceMode::icmp}) {
    SCOPED_TRACE(mode == TraceMode::udp ? "udp" : "icmp");
    const auto before = obs.snapshot();
    const uint64_t hidden = counter("edge-hide-errors");
    auto tr = traceroute(net_->client, server(), mode);
    EXPECT_THAT(tr.hops, ElementsAre("*", server())) << tr.describe();
    const auto after = obs.snapshot();
    EXPECT_GE(Observer::delta(before, after, "output", Stage::before, GetParam(), time_exceeded()),
              1u)
        << "the router sent no time-exceeded: the test did not exercise hiding";
    EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, GetParam(), time_exceeded()),
              0u);
    EXPECT_GE(counter("edge-hide-errors"), hidden + 1);
  }
  // ping with a TTL of 1: no "Time to live exceeded" from the router.
  auto p = ping(net_->client, server(), {"-c", "1", "-W", "1", "-t", "1"});
  EXPECT_EQ(p.received, 0) << p.describe();
  EXPECT_THAT(p.cmd.out, ::testing::Not(HasSubstr(router_outside()))) << p.describe();
}

// The router's own port-unreachable to outside is dropped too: a UDP
// traceroute to the router's inside address gets no answer at all, while
// echo to it is still answered (RFC 1812 4.3.3.6).
TEST_P(RouterEdgePresetTest, RouterAddressesGiveNoErrorsToTheOutside) {
  apply_all();
  Observer obs(net_->router, {"output"});
  const auto before = obs.snapshot();
  auto tr = traceroute(net_->client, router_inside(), TraceMode::udp, 2);
  EXPECT_THAT(tr.hops, ElementsAre("*", "*")) << tr.describe();
  const auto after = obs.snapshot();
  EXPECT_GE(Observer::delta(before, after, "output", Stage::before, GetParam(), unreachable()), 1u);
  EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, GetParam(), unreachable()), 0u);
  auto p = ping(net_->client, router_inside());
  EXPECT_EQ(p.received, 3) << p.describe();
}

// From inside nothing is hidden: the router is the first hop in both modes.
TEST_P(RouterEdgePresetTest, TracerouteFromInsideSeesTheRouter) {
  apply_all();
  const uint64_t hidden = counter("edge-hide-errors");
  for (auto mode : {TraceMode::udp, TraceMode::icmp}) {
    SCOPED_TRACE(mode == TraceMode::udp ? "udp" : "icmp");
    auto tr = traceroute(net_->server, client(), mode);
    EXPECT_THAT(tr.hops, ElementsAre(router_inside(), client())) << tr.describe();
  }
  EXPECT_EQ(counter("edge-hide-errors"), hidden);
}

// Time-exceeded from inside, on its way out, is dropped in transit (the
// hops behind the router stay hidden); the MTU signals and
// destination-unreachable pass; inward, time-exceeded passes.
TEST_P(RouterEdgePresetTest, InsideTimeExceededDoesNotLeave) {
  ICMPWALL_REQUIRE_CRAFT();
  apply_all();
  Observer obs(net_->router, {"forward"});
  const Link outward{&net_->server, Topology::server_if,
                     net_->router.mac_of(Topology::router_server_if)};
  Probe p{GetParam(), server(), client()};
  p.types = std::to_string(time_exceeded());
  EXPECT_TRUE(dropped(send_probe(obs, "forward", outward, p), time_exceeded()));
  EXPECT_EQ(counter("edge-hide-transit"), 3u);
  p.types = v4() ? "3/4" : "2";  // the MTU signal
  EXPECT_TRUE(passed(send_probe(obs, "forward", outward, p), mtu_signal()));
  EXPECT_EQ(counter("edge-pmtud"), 3u);
  p.types = v4() ? "3/3" : "1/4";  // port-unreachable
  EXPECT_TRUE(passed(send_probe(obs, "forward", outward, p), unreachable()));

  const Link inward{&net_->client, Topology::client_if,
                    net_->router.mac_of(Topology::router_client_if)};
  Probe in{GetParam(), client(), server()};
  in.types = std::to_string(time_exceeded());
  EXPECT_TRUE(passed(send_probe(obs, "forward", inward, in), time_exceeded()));
}

// Path MTU discovery from outside: the router's link inward has an MTU of
// 1280, so the client's full-size segments make the router send
// frag-needed / packet-too-big toward the outside. edge-pmtud lets them
// out and the 2 MB transfer completes.
TEST_P(RouterEdgePresetTest, PathMtuDiscoveryFromOutsideStillWorks) {
  net_->lower_router_server_mtu(1280);
  apply_all();
  Observer obs(net_->client, {"input"});
  const auto before = obs.snapshot();
  auto t = tcp_transfer(net_->client, net_->server, server(), kBytes, kTransferTimeout);
  ASSERT_TRUE(t.completed) << t.describe();
  const auto after = obs.snapshot();
  EXPECT_GE(Observer::delta(before, after, "input", Stage::after, GetParam(), mtu_signal()), 1u)
      << "no MTU signal reached the client: the test did not exercise PMTUD";
  EXPECT_GE(counter("edge-pmtud"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Families, RouterEdgePresetTest, ::testing::Values(Family::v4, Family::v6),
                         [](const auto& info) {
                           return std::string(info.param == Family::v4 ? "Ipv4" : "Ipv6");
                         });

// Without edge-pmtud, edge-hide-errors would take frag-needed with
// destination-unreachable: the lint refuses the policy, at the rule, and
// nothing is loaded.
TEST(RouterEdgePresetLintTest, WithoutThePmtudRuleTheLintRefusesIt) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  auto r = apply_policy_text(ns, edge_policy(Topology::router_client_if, false));
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_THAT(r.err, HasSubstr(": error: rule 'edge-hide-errors' drops ICMPv4 frag-needed on "
                               "output to r0: path MTU discovery breaks"))
      << r.describe();
  EXPECT_THAT(r.err, HasSubstr("hint: let them through")) << r.describe();
  auto listed = ns.run({"nft", "list", "tables"});
  EXPECT_THAT(listed.out, ::testing::Not(HasSubstr("icmpwall"))) << listed.describe();
  // As shipped, the same policy is accepted.
  EXPECT_TRUE(apply_policy_text(ns, edge_policy(Topology::router_client_if)).ok());
}

}  // namespace
}  // namespace icmpwall::integration
