// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/shared_library.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>

using namespace icmpwall;
using ::testing::HasSubstr;

namespace {

TEST(SharedLibraryTest, ResolvesAFunction) {
  const auto lib = SharedLibrary::open("libc.so.6");
  ASSERT_TRUE(lib) << lib.error().message;
  const auto length = lib->function<size_t (*)(const char*)>("strlen");
  ASSERT_TRUE(length) << length.error().message;
  EXPECT_EQ((*length)("icmpwall"), 8u);
}

TEST(SharedLibraryTest, AMissingLibraryIsNamedInItsError) {
  const auto lib = SharedLibrary::open("libicmpwall-absent.so.0");
  ASSERT_FALSE(lib);
  EXPECT_THAT(lib.error().message, HasSubstr("libicmpwall-absent.so.0"));
}

TEST(SharedLibraryTest, AMissingFunctionIsNamedInItsError) {
  const auto lib = SharedLibrary::open("libc.so.6");
  ASSERT_TRUE(lib) << lib.error().message;
  const auto f = lib->function<void (*)()>("icmpwall_absent_function");
  ASSERT_FALSE(f);
  EXPECT_THAT(f.error().message, HasSubstr("icmpwall_absent_function"));
}

}  // namespace
