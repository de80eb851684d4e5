// SPDX-License-Identifier: GPL-2.0-or-later
// netlink/set_elements.h prefix_element: a prefix becomes the interval
// [start, end) of a blocked-source set: host bits cleared, the end one
// past the prefix with the carry running across bytes, no end where the
// prefix reaches the top of the address space.
#include "icmpwall/netlink/set_elements.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

namespace icmpwall::netlink {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> v4(const char* text) {
  std::vector<uint8_t> out(4);
  EXPECT_EQ(inet_pton(AF_INET, text, out.data()), 1) << text;
  return out;
}

std::vector<uint8_t> v6(const char* text) {
  std::vector<uint8_t> out(16);
  EXPECT_EQ(inet_pton(AF_INET6, text, out.data()), 1) << text;
  return out;
}

TEST(PrefixElementTest, AnIpv6Slash64) {
  auto e = prefix_element(v6("2001:db8:1::2"), 64, 600s);
  EXPECT_EQ(e.key, v6("2001:db8:1::"));
  EXPECT_EQ(e.key_end, v6("2001:db8:1:1::"));
  EXPECT_EQ(e.timeout, 600s);
}

TEST(PrefixElementTest, TheEndCarriesAcrossBytes) {
  EXPECT_EQ(prefix_element(v6("2001:db8:1:ffff::9"), 64, 1s).key_end, v6("2001:db8:2::"));
  EXPECT_EQ(prefix_element(v4("198.18.255.7"), 24, 1s).key_end, v4("198.19.0.0"));
  EXPECT_EQ(prefix_element(v6("2001:db8:1:fff0::9"), 60, 1s).key, v6("2001:db8:1:fff0::"));
  EXPECT_EQ(prefix_element(v6("2001:db8:1:fff0::9"), 60, 1s).key_end, v6("2001:db8:2::"));
}

TEST(PrefixElementTest, AnIpv4Address) {
  auto e = prefix_element(v4("198.18.1.2"), 32, 5s);
  EXPECT_EQ(e.key, v4("198.18.1.2"));
  EXPECT_EQ(e.key_end, v4("198.18.1.3"));
  e = prefix_element(v4("198.18.1.255"), 32, 5s);
  EXPECT_EQ(e.key_end, v4("198.18.2.0"));
}

TEST(PrefixElementTest, LengthsBeyondTheWidthAreTheWholeAddress) {
  auto e = prefix_element(v4("198.18.1.2"), 40, 5s);
  EXPECT_EQ(e.key, v4("198.18.1.2"));
  EXPECT_EQ(e.key_end, v4("198.18.1.3"));
}

TEST(PrefixElementTest, APrefixReachingTheTopHasNoEnd) {
  auto e = prefix_element(v4("255.255.255.200"), 24, 5s);
  EXPECT_EQ(e.key, v4("255.255.255.0"));
  EXPECT_TRUE(e.key_end.empty());
  e = prefix_element(v6("ffff:ffff:ffff:ffff::1"), 64, 5s);
  EXPECT_TRUE(e.key_end.empty());
  e = prefix_element(v4("198.18.1.2"), 0, 5s);
  EXPECT_EQ(e.key, v4("0.0.0.0"));
  EXPECT_TRUE(e.key_end.empty());
}

}  // namespace
}  // namespace icmpwall::netlink
