// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkRouteView against a real kernel: what it answers about routes,
// local addresses, connected networks, forwarding, routers (gateways of
// routes, IPv6 neighbours flagged as routers) and neighbours' link-layer
// addresses in a scratch namespace, that the answers are cached, and that
// the kernel's notifications drop the cache at once.
//
// Two scratch namespaces (netns.h), joined by a veth pair:
//
//   host rv0 198.18.20.2/24 2001:db8:20::2/64 —— pv0 198.18.20.1/24 fe80::1 peer
//
// The host routes 198.18.40.0/24 via 198.18.20.1 and 2001:db8:40::/64 via
// fe80::1, and has no default route. The view is opened inside the host
// namespace (EnterNetns) and asked after leaving it: its sockets stay in
// the namespace they were created in.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "command.h"
#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/netlink/netns.h"
#include "netns.h"

namespace icmpwall::integration {
namespace {

using inspect::Address;
using inspect::Family;
using inspect::NetlinkRouteView;
using inspect::RouteCacheOptions;

Address addr(const char* text) {
  auto a = inspect::parse_address(text);
  if (!a) throw std::runtime_error(std::string("bad address in test: ") + text);
  return *a;
}

class NetlinkRouteViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and veth pairs";
    host_ = std::make_unique<Netns>();
    peer_ = std::make_unique<Netns>();
    link_veth(*host_, "rv0", *peer_, "pv0");
    host_->add_address("rv0", "198.18.20.2/24");
    host_->add_address("rv0", "2001:db8:20::2/64");
    peer_->add_address("pv0", "198.18.20.1/24");
    peer_->add_address("pv0", "fe80::1/64");
    host_->add_route("198.18.40.0/24", "198.18.20.1");
    host_->add_route("2001:db8:40::/64", "fe80::1", "rv0");
    rv0_ = host_->ifindex_of("rv0");
  }

  std::unique_ptr<NetlinkRouteView> open_view(RouteCacheOptions options = {}) {
    auto inside = netlink::EnterNetns::open(host_->name());
    EXPECT_TRUE(inside) << inside.error().message;
    auto view = NetlinkRouteView::open(options);
    EXPECT_TRUE(view) << view.error().message;
    return view ? std::move(view.value()) : nullptr;
  }

  std::unique_ptr<Netns> host_, peer_;
  uint32_t rv0_ = 0;
};

TEST_F(NetlinkRouteViewTest, RoutesThroughAGateway) {
  auto view = open_view();
  ASSERT_TRUE(view);
  auto r = view->route(addr("198.18.40.9"), std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->gateway, addr("198.18.20.1"));
  EXPECT_EQ(r->oif, rv0_);
  r = view->route(addr("198.18.40.9"), addr("198.18.20.2"));  // from our address
  ASSERT_TRUE(r);
  EXPECT_EQ(r->gateway, addr("198.18.20.1"));

  auto r6 = view->route(addr("2001:db8:40::9"), std::nullopt);
  ASSERT_TRUE(r6);
  EXPECT_EQ(r6->gateway, addr("fe80::1"));
  EXPECT_EQ(r6->oif, rv0_);
}

TEST_F(NetlinkRouteViewTest, OnLinkLocalAndUnreachableDestinations) {
  auto view = open_view();
  ASSERT_TRUE(view);
  auto r = view->route(addr("198.18.20.1"), std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->on_link());
  EXPECT_EQ(r->oif, rv0_);
  auto r6 = view->route(addr("2001:db8:20::1"), std::nullopt);
  ASSERT_TRUE(r6);
  EXPECT_TRUE(r6->on_link());
  EXPECT_FALSE(view->route(addr("198.18.99.1"), std::nullopt)) << "no default route";
  EXPECT_FALSE(view->route(addr("2001:db8:99::1"), std::nullopt));
  EXPECT_FALSE(view->route(addr("198.18.20.2"), std::nullopt)) << "a local address is not unicast";
}

TEST_F(NetlinkRouteViewTest, LocalAddressesAndConnectedNetworks) {
  auto view = open_view();
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->is_local(addr("198.18.20.2")));
  EXPECT_TRUE(view->is_local(addr("2001:db8:20::2")));
  EXPECT_TRUE(view->is_local(addr("127.0.0.1")));
  EXPECT_TRUE(view->is_local(addr("::1")));
  EXPECT_FALSE(view->is_local(addr("198.18.20.1")));
  EXPECT_FALSE(view->is_local(addr("2001:db8:20::1")));
  EXPECT_FALSE(view->is_local(addr("198.18.40.9")));

  EXPECT_TRUE(view->on_link(addr("198.18.20.77"), rv0_));
  EXPECT_TRUE(view->on_link(addr("2001:db8:20::77"), rv0_));
  EXPECT_TRUE(view->on_link(addr("fe80::77"), rv0_));
  EXPECT_FALSE(view->on_link(addr("198.18.40.9"), rv0_)) << "behind a gateway";
  EXPECT_FALSE(view->on_link(addr("198.18.20.77"), 1)) << "connected to rv0, not to lo";
}

TEST_F(NetlinkRouteViewTest, AnyIpLocalRouteCountsAsLocal) {
  host_->ip({"route", "add", "local", "198.18.30.0/24", "dev", "lo"});
  host_->ip({"-6", "route", "add", "local", "2001:db8:30::/64", "dev", "lo"});
  auto view = open_view();
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->is_local(addr("198.18.30.77")));
  EXPECT_TRUE(view->is_local(addr("2001:db8:30::77")));
  EXPECT_FALSE(view->is_local(addr("198.18.31.77")));
}

TEST_F(NetlinkRouteViewTest, AnswersAreCachedUntilTheKernelAnnouncesAChange) {
  RouteCacheOptions hour;
  hour.ttl = std::chrono::hours(1);
  auto view = open_view(hour);
  ASSERT_TRUE(view);

  EXPECT_FALSE(view->is_local(addr("198.18.20.5")));
  const uint64_t asked = view->kernel_queries();
  EXPECT_FALSE(view->is_local(addr("198.18.20.5")));
  EXPECT_TRUE(view->is_local(addr("198.18.20.2")));
  EXPECT_EQ(view->kernel_queries(), asked) << "a fresh cache answers without the kernel";

  // A new address: the notification drops the cache, the next answer is new.
  host_->ip({"addr", "add", "198.18.20.5/24", "dev", "rv0"});
  EXPECT_TRUE(poll_until([&] { return view->is_local(addr("198.18.20.5")); }, Millis(2000)));
  EXPECT_GT(view->invalidations(), 0u);

  // A route changed under a cached answer.
  ASSERT_EQ(view->route(addr("198.18.40.9"), std::nullopt)->gateway, addr("198.18.20.1"));
  host_->ip({"route", "replace", "198.18.40.0/24", "via", "198.18.20.3"});
  EXPECT_TRUE(poll_until(
      [&] {
        auto r = view->route(addr("198.18.40.9"), std::nullopt);
        return r && r->gateway == addr("198.18.20.3");
      },
      Millis(2000)));

  // Forwarding switched on: the host becomes a router.
  EXPECT_FALSE(view->forwarding(Family::ipv4));
  EXPECT_FALSE(view->forwarding(Family::ipv6));
  host_->sysctl("net.ipv4.conf.all.forwarding", "1");
  EXPECT_TRUE(poll_until([&] { return view->forwarding(Family::ipv4); }, Millis(2000)));
  EXPECT_FALSE(view->forwarding(Family::ipv6));
  host_->sysctl("net.ipv6.conf.all.forwarding", "1");
  EXPECT_TRUE(poll_until([&] { return view->forwarding(Family::ipv6); }, Millis(2000)));
}

TEST_F(NetlinkRouteViewTest, ZeroTtlAsksTheKernelEveryTime) {
  RouteCacheOptions none;
  none.ttl = Millis(0);
  auto view = open_view(none);
  ASSERT_TRUE(view);
  ASSERT_TRUE(view->route(addr("198.18.40.9"), std::nullopt));
  const uint64_t asked = view->kernel_queries();
  ASSERT_TRUE(view->route(addr("198.18.40.9"), std::nullopt));
  EXPECT_EQ(view->kernel_queries(), asked + 1);
}

inspect::LinkAddress mac(const std::string& text) {
  inspect::LinkAddress m;
  unsigned b[6] = {};
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    throw std::runtime_error("bad MAC in test: " + text);
  for (int i = 0; i < 6; ++i) m.bytes[i] = static_cast<uint8_t>(b[i]);
  m.len = 6;
  return m;
}

TEST_F(NetlinkRouteViewTest, RoutersAreGatewaysOfRoutesAndIpv6NeighboursFlaggedAsRouters) {
  host_->ip({"route", "add", "198.18.50.0/24", "nexthop", "via", "198.18.20.1", "nexthop", "via",
             "198.18.20.9"});
  host_->ip({"-6", "neigh", "add", "2001:db8:20::fe", "lladdr", "02:00:00:00:20:fe", "dev", "rv0",
             "router", "nud", "permanent"});
  auto view = open_view();
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->is_router(addr("198.18.20.1")));
  EXPECT_TRUE(view->is_router(addr("198.18.20.9"))) << "a multipath nexthop";
  EXPECT_TRUE(view->is_router(addr("fe80::1")));
  EXPECT_TRUE(view->is_router(addr("2001:db8:20::fe"))) << "neighbour with the router flag";
  EXPECT_FALSE(view->is_router(addr("198.18.20.7")));
  EXPECT_FALSE(view->is_router(addr("2001:db8:20::7")));

  EXPECT_TRUE(view->holds_local_or_router(addr("2001:db8:20::"), 64));  // ::2 and ::fe
  EXPECT_TRUE(view->holds_local_or_router(addr("198.18.20.0"), 24));
  EXPECT_FALSE(view->holds_local_or_router(addr("2001:db8:21::"), 64));
  EXPECT_FALSE(view->holds_local_or_router(addr("198.18.21.0"), 24));
}

TEST_F(NetlinkRouteViewTest, NeighboursLinkLayerAddressesAndTheirChanges) {
  RouteCacheOptions hour;
  hour.ttl = std::chrono::hours(1);
  auto view = open_view(hour);
  ASSERT_TRUE(view);
  // A neighbour learned from real traffic.
  EXPECT_FALSE(view->neighbour(addr("198.18.20.1"), rv0_));
  host_->run_checked({"ping", "-c", "1", "-W", "2", "198.18.20.1"});
  const auto peer_mac = mac(peer_->mac_of("pv0"));
  EXPECT_TRUE(poll_until([&] { return view->neighbour(addr("198.18.20.1"), rv0_) == peer_mac; },
                         Millis(2000)));
  EXPECT_FALSE(view->neighbour(addr("198.18.20.1"), 1)) << "on rv0, not on lo";

  // Entries added and changed by hand: the notification drops the cached table.
  host_->ip({"-6", "neigh", "add", "2001:db8:20::7", "lladdr", "02:00:00:00:20:07", "dev", "rv0",
             "nud", "permanent"});
  EXPECT_TRUE(poll_until(
      [&] { return view->neighbour(addr("2001:db8:20::7"), rv0_) == mac("02:00:00:00:20:07"); },
      Millis(2000)));
  host_->ip({"-6", "neigh", "replace", "2001:db8:20::7", "lladdr", "02:00:00:00:20:08", "dev",
             "rv0", "nud", "permanent"});
  EXPECT_TRUE(poll_until(
      [&] { return view->neighbour(addr("2001:db8:20::7"), rv0_) == mac("02:00:00:00:20:08"); },
      Millis(2000)));
  // An entry that never resolved has no usable link-layer address.
  host_->run({"ping", "-c", "1", "-W", "1", "198.18.20.66"});
  EXPECT_FALSE(view->neighbour(addr("198.18.20.66"), rv0_));
}

}  // namespace
}  // namespace icmpwall::integration
