// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

using namespace icmpwall;

namespace {

AddrRange v4(const char* addr, uint8_t len) {
  uint8_t b[4];
  inet_pton(AF_INET, addr, b);
  return prefix_range(b, 4, len);
}
AddrRange v6(const char* addr, uint8_t len) {
  uint8_t b[16];
  inet_pton(AF_INET6, addr, b);
  return prefix_range(b, 16, len);
}
std::string fmt4(U128 v) {
  uint8_t b[4];
  int_to_addr(v, b, 4);
  return format_addr(b, 4);
}

TEST(AddressTest, PrefixRangeCoversTheWholePrefix) {
  auto r = v4("198.18.4.0", 22);
  EXPECT_EQ(fmt4(r.first), "198.18.4.0");
  EXPECT_EQ(fmt4(r.last), "198.18.7.255");
  auto all = v4("0.0.0.0", 0);
  EXPECT_EQ(fmt4(all.last), "255.255.255.255");
  auto all6 = v6("::", 0);
  EXPECT_EQ(all6.last, ~U128{0});
}

// Every length reads and writes big-endian: the word-sized paths (4, 16
// bytes) agree with the byte-by-byte one (the others).
TEST(AddressTest, IntegersAreBigEndianAtEveryLength) {
  uint8_t bytes[16];
  for (size_t i = 0; i < 16; ++i) bytes[i] = static_cast<uint8_t>(0xf1 - 7 * i);
  for (size_t len : {1, 2, 4, 5, 8, 12, 16}) {
    U128 expected = 0;
    for (size_t i = 0; i < len; ++i) expected = expected << 8 | bytes[i];
    EXPECT_EQ(addr_to_int(bytes, len), expected) << len;
    uint8_t back[16] = {};
    int_to_addr(expected, back, len);
    EXPECT_EQ(std::memcmp(back, bytes, len), 0) << len;
  }
  // Writing keeps the low bytes of a wider value.
  uint8_t four[4];
  int_to_addr(U128{0xaabbccdd} << 64 | 0x11223344, four, 4);
  EXPECT_EQ(addr_to_int(four, 4), 0x11223344u);
}

TEST(AddressTest, MergeJoinsOverlappingAndAdjacentRanges) {
  auto merged = merge_ranges(
      {v4("198.18.1.0", 24), v4("198.18.0.0", 24), v4("198.18.0.128", 25), v4("198.18.3.0", 24)});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(fmt4(merged[0].first), "198.18.0.0");
  EXPECT_EQ(fmt4(merged[0].last), "198.18.1.255");
  EXPECT_EQ(fmt4(merged[1].first), "198.18.3.0");
}

TEST(AddressTest, MergeDoesNotWrapAtTheTopOfTheSpace) {
  auto merged = merge_ranges({v4("255.255.255.255", 32), v4("0.0.0.0", 32)});
  EXPECT_EQ(merged.size(), 2u);
}

TEST(AddressTest, RangeAsPrefixRecognisesExactPrefixesOnly) {
  EXPECT_EQ(range_as_prefix(v4("198.18.0.0", 15), 4), 15);
  EXPECT_EQ(range_as_prefix(v6("2001:db8::", 32), 16), 32);
  EXPECT_EQ(range_as_prefix(v6("2001:db8::1", 128), 16), 128);
  auto merged = merge_ranges({v4("198.18.1.0", 24), v4("198.18.2.0", 24)});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_FALSE(range_as_prefix(merged[0], 4).has_value());  // 1.0-2.255 is not a prefix
}

TEST(AddressTest, FormatsBothFamilies) {
  uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8};
  EXPECT_EQ(format_addr(b6, 16), "2001:db8::");
}

}  // namespace
