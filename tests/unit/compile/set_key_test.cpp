// SPDX-License-Identifier: GPL-2.0-or-later
// compile/set_key.h: an inline key compares, grows and refuses as the
// byte vectors it replaces did.
#include "icmpwall/compile/set_key.h"

#include <gtest/gtest.h>

#include <vector>

namespace icmpwall::nft {
namespace {

TEST(SetKeyTest, OrdersLikeAByteVector) {
  const std::vector<std::vector<uint8_t>> keys = {{},  {0},          {0, 0},          {0, 1},
                                                  {1}, {1, 0, 0, 0}, {198, 18, 0, 1}, {255}};
  for (const auto& a : keys)
    for (const auto& b : keys) {
      EXPECT_EQ(SetKey(a) < SetKey(b), a < b);
      EXPECT_EQ(SetKey(a) == SetKey(b), a == b);
      EXPECT_EQ(SetKey(a) == b, a == b);
    }
}

TEST(SetKeyTest, ResizeFillsAndClears) {
  SetKey k{0x20, 0x01, 0x0d, 0xb8};
  k.resize(8, 0xff);
  EXPECT_EQ(k, (std::vector<uint8_t>{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff}));
  k.resize(2);
  k.resize(4);  // the bytes cut off do not come back
  EXPECT_EQ(k, (std::vector<uint8_t>{0x20, 0x01, 0, 0}));
  EXPECT_EQ(k.at(1), 0x01);
  EXPECT_THROW(k.at(4), std::out_of_range);
}

TEST(SetKeyTest, HoldsSixteenBytesAndNoMore) {
  SetKey k;
  EXPECT_TRUE(k.empty());
  k.resize(16, 1);
  EXPECT_EQ(k.size(), 16u);
  EXPECT_THROW(k.resize(17), std::length_error);
  EXPECT_THROW(SetKey(std::vector<uint8_t>(17)), std::length_error);
}

}  // namespace
}  // namespace icmpwall::nft
