// SPDX-License-Identifier: GPL-2.0-or-later
// The audit's kernel part where the kernel's routing decides what becomes
// of ICMP the ruleset lets through, against real traffic through a router:
//
//   client c0 ── r0 router r1 ── p1 peer (198.18.83.1, 2001:db8:83::1 and
//                          r2 ── p2       198.18.84.1, 2001:db8:84::1 on lo)
//
//   c0/r0 198.18.80.0/24 2001:db8:80::/64, r1/p1 .81, r2/p2 .82 (.1 the router)
//
// The router reaches 198.18.83.1 by r1 (metric 10) and by r2 (metric 20),
// 198.18.84.1 by r1 only; the peer answers by p2. The peer sets p1 down:
// r1 stays up without a carrier, its routes marked linkdown.
//  - ignore_routes_with_linkdown off: the router still uses r1; the
//    client's echo to .83.1 and the router's own echo replies to .83.1 are
//    lost, and the audit says the routes are still used.
//  - on: the router takes r2; both are answered; .84.1, with no route
//    left, gets destination-unreachable from the router; the audit says
//    the routes are skipped.
// IPv6 forwarding per interface (force_forwarding, where the kernel has
// it): with all.forwarding = 0 nothing is forwarded until the interfaces
// the echo and its reply arrive on force it, as the audit says.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

const Millis kTimeout{5000};

class AuditKernelRoutingTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    v4_ = std::string(GetParam()) == "ipv4";
    client_ = std::make_unique<Netns>();
    router_ = std::make_unique<Netns>();
    peer_ = std::make_unique<Netns>();
    link_veth(*client_, "c0", *router_, "r0");
    link_veth(*router_, "r1", *peer_, "p1");
    link_veth(*router_, "r2", *peer_, "p2");
    for (auto [ns, dev, net, host] : {std::tuple{client_.get(), "c0", 80, 2},
                                      {router_.get(), "r0", 80, 1},
                                      {router_.get(), "r1", 81, 1},
                                      {peer_.get(), "p1", 81, 2},
                                      {router_.get(), "r2", 82, 1},
                                      {peer_.get(), "p2", 82, 2}}) {
      ns->add_address(dev, fmt::format("198.18.{}.{}/24", net, host));
      ns->add_address(dev, fmt::format("2001:db8:{}::{}/64", net, host));
    }
    for (int net : {83, 84}) {
      peer_->add_address("lo", fmt::format("198.18.{}.1/32", net));
      peer_->add_address("lo", fmt::format("2001:db8:{}::1/128", net));
      client_->add_route(addr(net, true), v4_ ? "198.18.80.1" : "2001:db8:80::1");
    }
    peer_->add_route(v4_ ? "198.18.80.0/24" : "2001:db8:80::/64",
                     v4_ ? "198.18.82.1" : "2001:db8:82::1");
    route("add", addr(83, true), 81, 10);
    route("add", addr(83, true), 82, 20);
    route("add", addr(84, true), 81, 10);
    router_->sysctl(v4_ ? "net.ipv4.conf.all.forwarding" : "net.ipv6.conf.all.forwarding", "1");
  }

  // 198.18.NET.1(/32) or 2001:db8:NET::1(/128)
  std::string addr(int net, bool prefix = false) const {
    return v4_ ? fmt::format("198.18.{}.1{}", net, prefix ? "/32" : "")
               : fmt::format("2001:db8:{}::1{}", net, prefix ? "/128" : "");
  }
  // A route of the router to `to` via the peer's address on 198.18.VIA.0/24.
  void route(const char* op, const std::string& to, int via, int metric) const {
    router_->ip({v4_ ? "-4" : "-6", "route", op, to, "via",
                 v4_ ? fmt::format("198.18.{}.2", via) : fmt::format("2001:db8:{}::2", via),
                 "metric", std::to_string(metric)});
  }
  std::string sysctl_name(const std::string& dev, const char* key) const {
    return fmt::format("net.{}.conf.{}.{}", v4_ ? "ipv4" : "ipv6", dev, key);
  }

  CommandResult audit(const Argv& extra) const {
    Argv args = {"audit", "--netns", router_->name(), "--family", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    return icmpwall(args);
  }
  json audit_json(const Argv& extra) const {
    Argv args = extra;
    args.push_back("--json");
    auto r = audit(args);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    auto j = json::parse(r.out, nullptr, false);
    return j.is_discarded() ? json() : j;
  }
  // The audit's routes through links that are down, this family's.
  json linkdown_routes() const {
    auto j = audit_json({"--hook", "forward", "--type", "echo-request"});
    json out = json::array();
    for (const auto& r : j["kernel"]["linkdown_routes"])
      if (r["family"] == GetParam()) out.push_back(r);
    return out;
  }
  // The notes of the audit's entry for `hook` `type`.
  std::string notes(const std::string& hook, const std::string& type) const {
    auto j = audit_json({"--hook", hook, "--type", type});
    if (!j.contains("entries") || j["entries"].empty()) return "";
    return j["entries"][0]["kernel"]["notes"].dump();
  }

  PingResult ping_from_client(int net) const { return ping(*client_, addr(net)); }
  // The peer's echo to the router, from 198.18.83.1: the router's reply
  // goes back by its route to .83.1.
  PingResult ping_router_from_peer() const {
    return ping(*peer_, v4_ ? "198.18.80.1" : "2001:db8:80::1",
                {"-c", "3", "-i", "0.2", "-W", "1", "-I", addr(83)});
  }

  bool v4_ = true;
  std::unique_ptr<Netns> client_, router_, peer_;
};

TEST_P(AuditKernelRoutingTest, IgnoreRoutesWithLinkdownIsWhatForwardedAndOwnIcmpMeet) {
  // every link up: by r1, answered; no link down, nothing said (once the
  // neighbours are resolved: IPv6's first echo can take a second)
  ASSERT_TRUE(poll_until([&] { return ping_from_client(83).received > 0; }, kTimeout));
  EXPECT_EQ(ping_from_client(83).received, 3);
  EXPECT_EQ(linkdown_routes().size(), 0u);

  // the peer sets p1 down: r1 loses its carrier, its routes are marked
  // linkdown (once the kernel has processed the carrier change)
  peer_->ip({"link", "set", "p1", "down"});
  ASSERT_TRUE(poll_until(
      [&] {
        auto r =
            router_->run({"ip", v4_ ? "-4" : "-6", "route", "show", addr(83, true)}, {kTimeout});
        return r.out.find("linkdown") != std::string::npos;
      },
      kTimeout))
      << "r1's routes never marked linkdown";

  // off: still used
  auto routes = linkdown_routes();
  ASSERT_EQ(routes.size(), 1u) << routes.dump();
  EXPECT_EQ(routes[0]["interface"], "r1");
  EXPECT_EQ(routes[0]["skipped"], false) << routes.dump();
  auto j = audit_json({"--hook", "forward", "--type", "echo-request"});
  bool listed = false;
  for (const auto& l : j["kernel"]["links"])
    if (l["name"] == "r1") {
      listed = true;
      EXPECT_EQ(l["up"], true);
      EXPECT_EQ(l["carrier"], false);
    }
  EXPECT_TRUE(listed) << j["kernel"].dump();
  auto text = audit({"--hook", "forward", "--type", "echo-request"});
  EXPECT_THAT(text.out,
              HasSubstr(fmt::format("kernel: {} routes through r1 are still used though its link "
                                    "is down (up, no carrier",
                                    GetParam())))
      << text.describe();
  EXPECT_THAT(notes("forward", "echo-request"), HasSubstr("routes through r1 are still used"));
  EXPECT_THAT(notes("output", "echo-reply"), HasSubstr("routes through r1 are still used"));
  EXPECT_EQ(ping_from_client(83).received, 0) << "forwarded into r1 and lost";
  EXPECT_EQ(ping_router_from_peer().received, 0) << "the router's replies sent into r1";

  // on: skipped
  router_->sysctl(sysctl_name("r1", "ignore_routes_with_linkdown"), "1");
  routes = linkdown_routes();
  ASSERT_EQ(routes.size(), 1u) << routes.dump();
  EXPECT_EQ(routes[0]["skipped"], true) << routes.dump();
  EXPECT_THAT(routes[0]["decided_by"].get<std::string>(),
              HasSubstr(sysctl_name("r1", "ignore_routes_with_linkdown") + " = 1"));
  text = audit({"--hook", "output", "--type", "echo-reply"});
  EXPECT_THAT(text.out,
              HasSubstr(fmt::format("kernel: {} routes through r1 are skipped: its link is down",
                                    GetParam())))
      << text.describe();
  EXPECT_THAT(notes("output", "echo-reply"), HasSubstr("routes through r1 are skipped"));
  auto p = ping_from_client(83);
  EXPECT_EQ(p.received, 3) << "forwarded by r2: " << p.describe();
  p = ping_router_from_peer();
  EXPECT_EQ(p.received, 3) << "the router's replies by r2: " << p.describe();
  // no route left: destination-unreachable from the router
  p = ping_from_client(84);
  EXPECT_EQ(p.received, 0) << p.describe();
  EXPECT_THAT(p.cmd.out, HasSubstr(v4_ ? "From 198.18.80.1 icmp_seq=1 Destination Net Unreachable"
                                       : "From 2001:db8:80::1 icmp_seq=1 Destination "
                                         "unreachable: No route"))
      << p.describe();
}

TEST_P(AuditKernelRoutingTest, V6ForceForwardingPerInterfaceIsWhatTheEchoMeets) {
  if (v4_) GTEST_SKIP() << "IPv6 only (IPv4 forwarding is per interface already)";
  auto has = router_->run({"cat", "/proc/sys/net/ipv6/conf/r0/force_forwarding"}, {kTimeout});
  if (has.exit_code != 0)
    GTEST_SKIP() << "this kernel has no net.ipv6.conf.*.force_forwarding: " << has.describe();
  router_->sysctl("net.ipv6.conf.all.forwarding", "0");
  auto j = audit_json({"--hook", "forward", "--type", "echo-request"});
  ASSERT_FALSE(j["entries"].empty()) << j.dump();
  EXPECT_EQ(j["entries"][0]["kernel"]["effective"], "not-forwarded") << j.dump();
  EXPECT_THAT(j["entries"][0]["kernel"]["text"].get<std::string>(),
              HasSubstr("net.ipv6.conf.all.forwarding = 0, and no interface's force_forwarding "
                        "is on"));
  EXPECT_EQ(ping_from_client(83).received, 0);

  // the request arrives on r0, the reply on r2: both forced
  router_->sysctl("net.ipv6.conf.r0.force_forwarding", "1");
  router_->sysctl("net.ipv6.conf.r2.force_forwarding", "1");
  j = audit_json({"--hook", "forward", "--type", "echo-request"});
  EXPECT_EQ(j["entries"][0]["kernel"]["effective"], nullptr) << j.dump();
  EXPECT_THAT(j["entries"][0]["kernel"]["notes"].dump(),
              HasSubstr("forwarded only when received on r0, r2 (force_forwarding; "
                        "net.ipv6.conf.all.forwarding = 0)"));
  auto p = ping_from_client(83);
  EXPECT_EQ(p.received, 3) << p.describe();
}

INSTANTIATE_TEST_SUITE_P(Families, AuditKernelRoutingTest, ::testing::Values("ipv4", "ipv6"));

}  // namespace
}  // namespace icmpwall::integration
