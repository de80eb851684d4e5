// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/errno_error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace icmpwall {
namespace {

TEST(ErrnoError, NamesWhatFailedAndKeepsTheCode) {
  Error e = errno_error("binding queue 3", EBUSY);
  EXPECT_EQ(e.message, std::string("binding queue 3: ") + std::strerror(EBUSY));
  EXPECT_EQ(e.code, EBUSY);
}

TEST(ErrnoError, ReadsTheCurrentErrno) {
  errno = EACCES;
  Error e = errno_error(std::string("opening ") + "a socket");
  EXPECT_EQ(e.message, std::string("opening a socket: ") + std::strerror(EACCES));
  EXPECT_EQ(e.code, EACCES);
}

TEST(ErrnoError, CodeAloneIsStrerror) {
  Error e = errno_error(EISDIR);
  EXPECT_EQ(e.message, std::strerror(EISDIR));
  EXPECT_EQ(e.code, EISDIR);
}

}  // namespace
}  // namespace icmpwall
