// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for the address predicates (src/inspect/routes/routes_address.cpp) and
// StaticRouteView (src/inspect/routes/routes_static.cpp), the table the validator
// tests stand in for the kernel with.
#include "icmpwall/inspect/routes/routes.h"

#include <gtest/gtest.h>

#include "icmp_builder.h"
#include "icmpwall/util/address.h"

using namespace icmpwall::inspect;
using namespace icmpwall::inspect::testing;

namespace {

TEST(AddressPredicateTest, PrefixContains) {
  EXPECT_TRUE(prefix_contains(v4("198.18.0.0"), 24, v4("198.18.0.200")));
  EXPECT_FALSE(prefix_contains(v4("198.18.0.0"), 24, v4("198.18.1.1")));
  EXPECT_TRUE(prefix_contains(v4("198.18.0.0"), 23, v4("198.18.1.1")));
  EXPECT_FALSE(prefix_contains(v4("198.18.0.0"), 25, v4("198.18.0.128")));
  EXPECT_TRUE(prefix_contains(v4("198.18.0.0"), 0, v4("203.0.113.1")));
  EXPECT_TRUE(prefix_contains(v4("198.18.0.7"), 32, v4("198.18.0.7")));
  EXPECT_FALSE(prefix_contains(v4("198.18.0.7"), 33, v4("198.18.0.7")));
  EXPECT_TRUE(prefix_contains(v6("2001:db8::"), 64, v6("2001:db8::ffff")));
  EXPECT_FALSE(prefix_contains(v6("2001:db8::"), 64, v6("2001:db8:0:1::1")));
  EXPECT_TRUE(prefix_contains(v6("2001:db8::"), 63, v6("2001:db8:0:1::1")));
  EXPECT_FALSE(prefix_contains(v4("0.0.0.0"), 0, v6("::")));  // families differ
}

// masked() keeps the first `len` bits and clears the rest, for every
// length (beyond the family's width too), as the 128-bit prefix range does.
TEST(AddressPredicateTest, MaskedAgreesWithPrefixRange) {
  for (const Address& a : {v4("198.19.255.171"), v6("2001:db8:fedc:ba98:7654:3210:ffff:abcd")}) {
    const size_t n = a.family == Family::ipv4 ? 4 : 16;
    for (unsigned len = 0; len <= 255; ++len) {
      Address expected{a.family, {}};
      icmpwall::int_to_addr(
          icmpwall::prefix_range(a.bytes.data(), n, static_cast<uint8_t>(len)).first,
          expected.bytes.data(), n);
      const Address got = masked(a, static_cast<uint8_t>(len));
      EXPECT_EQ(got.family, a.family);
      EXPECT_EQ(got.bytes, expected.bytes) << to_string(a) << "/" << len;
    }
  }
  EXPECT_EQ(to_string(masked(v4("198.18.7.200"), 21)), "198.18.0.0");
  EXPECT_EQ(to_string(masked(v6("2001:db8:1:2:3:4:5:6"), 64)), "2001:db8:1:2::");
}

TEST(AddressPredicateTest, SpecialRanges) {
  EXPECT_TRUE(is_unspecified(v4("0.0.0.0")));
  EXPECT_TRUE(is_unspecified(v6("::")));
  EXPECT_FALSE(is_unspecified(v6("::1")));
  EXPECT_TRUE(is_multicast(v4("224.0.0.1")));
  EXPECT_TRUE(is_multicast(v4("239.255.255.255")));
  EXPECT_FALSE(is_multicast(v4("240.0.0.1")));
  EXPECT_TRUE(is_multicast(v6("ff02::1")));
  EXPECT_FALSE(is_multicast(v6("fe80::1")));
  EXPECT_TRUE(is_loopback(v4("127.0.0.5")));
  EXPECT_TRUE(is_loopback(v6("::1")));
  EXPECT_FALSE(is_loopback(v6("::2")));
  EXPECT_TRUE(is_link_local(v6("fe80::1")));
  EXPECT_TRUE(is_link_local(v6("febf::1")));
  EXPECT_FALSE(is_link_local(v6("fec0::1")));
  EXPECT_TRUE(is_link_local(v4("169.254.1.1")));
  EXPECT_FALSE(is_link_local(v4("198.18.0.1")));
  EXPECT_TRUE(is_limited_broadcast(v4("255.255.255.255")));
  EXPECT_FALSE(is_limited_broadcast(v4("198.18.0.255")));
}

TEST(AddressPredicateTest, TextRoundTrip) {
  EXPECT_EQ(to_string(v4("198.18.0.1")), "198.18.0.1");
  EXPECT_EQ(to_string(v6("2001:db8::1")), "2001:db8::1");
  EXPECT_EQ(parse_address("2001:db8::1"), v6("2001:db8::1"));
  EXPECT_EQ(parse_address("198.18.0.1"), v4("198.18.0.1"));
  EXPECT_EQ(make_v4(0xc6120001), v4("198.18.0.1"));
  EXPECT_FALSE(parse_address("198.18.0.256"));
}

TEST(StaticRouteViewTest, LongestPrefixWins) {
  StaticRouteView routes;
  routes.add_route(v4("0.0.0.0"), 0, Route{v4("198.18.0.1"), 2})
      .add_route(v4("198.18.9.0"), 24, Route{v4("198.18.0.4"), 2})
      .add_route(v4("198.18.0.0"), 24, Route{std::nullopt, 2});
  EXPECT_EQ(routes.route(v4("198.18.9.9"), std::nullopt)->gateway, v4("198.18.0.4"));
  EXPECT_EQ(routes.route(v4("198.18.7.7"), std::nullopt)->gateway, v4("198.18.0.1"));
  EXPECT_TRUE(routes.route(v4("198.18.0.9"), std::nullopt)->on_link());
  EXPECT_FALSE(routes.route(v6("2001:db8::1"), std::nullopt));
}

TEST(StaticRouteViewTest, LocalConnectedForwarding) {
  StaticRouteView routes;
  routes.add_local(v4("198.18.0.2")).add_connected(v4("198.18.0.0"), 24, 2);
  EXPECT_TRUE(routes.is_local(v4("198.18.0.2")));
  EXPECT_FALSE(routes.is_local(v4("198.18.0.3")));
  EXPECT_TRUE(routes.on_link(v4("198.18.0.3"), 2));
  EXPECT_FALSE(routes.on_link(v4("198.18.0.3"), 3));
  EXPECT_FALSE(routes.on_link(v4("198.18.1.3"), 2));
  EXPECT_TRUE(routes.on_link(v6("fe80::9"), 7));  // link-local: on every link
  EXPECT_FALSE(routes.forwarding(Family::ipv4));
  routes.set_forwarding(Family::ipv6, true);
  EXPECT_FALSE(routes.forwarding(Family::ipv4));
  EXPECT_TRUE(routes.forwarding(Family::ipv6));
}

TEST(StaticRouteViewTest, RoutersAndNeighbours) {
  const LinkAddress a{{2, 0, 0, 0, 0, 1}, 6};
  StaticRouteView routes;
  routes.add_local(v6("2001:db8:1::2"))
      .add_route(v4("0.0.0.0"), 0, Route{v4("198.18.0.1"), 2})
      .add_neighbour(v4("198.18.0.7"), 2, a)
      .add_neighbour(v6("fe80::fe"), 2, a, /*router=*/true);
  EXPECT_TRUE(routes.is_router(v4("198.18.0.1")));
  EXPECT_TRUE(routes.is_router(v6("fe80::fe")));
  EXPECT_FALSE(routes.is_router(v4("198.18.0.7")));
  EXPECT_EQ(routes.neighbour(v4("198.18.0.7"), 2), a);
  EXPECT_FALSE(routes.neighbour(v4("198.18.0.7"), 3));
  EXPECT_FALSE(routes.neighbour(v4("198.18.0.8"), 2));
  EXPECT_TRUE(routes.holds_local_or_router(v6("2001:db8:1::"), 64));
  EXPECT_TRUE(routes.holds_local_or_router(v4("198.18.0.0"), 24));
  EXPECT_FALSE(routes.holds_local_or_router(v4("198.18.1.0"), 24));
  EXPECT_FALSE(routes.holds_local_or_router(v6("2001:db8:2::"), 64));
}

}  // namespace
