// SPDX-License-Identifier: GPL-2.0-or-later
// MnlSocket: open, bind and options, on sockets any user may open
// (NETLINK_ROUTE) in the test's own namespace; nothing is sent.
#include "icmpwall/util/mnl_socket.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

namespace icmpwall {
namespace {

using ::testing::HasSubstr;

TEST(MnlSocket, OpensBoundWithAPortId) {
  auto s = MnlSocket::open(NETLINK_ROUTE);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(*s);
  EXPECT_NE(s->portid(), 0u);
  EXPECT_EQ(s->portid(), mnl_socket_get_portid(s->get()));
  EXPECT_TRUE(fcntl(s->fd(), F_GETFD) & FD_CLOEXEC);
  EXPECT_FALSE(fcntl(s->fd(), F_GETFL) & O_NONBLOCK);
}

TEST(MnlSocket, SetsTheOptionsAskedFor) {
  MnlSocketOptions o;
  o.nonblocking = true;
  o.receive_buffer = 64 * 1024;
  o.receive_timeout_ms = 1500;
  o.groups = {RTNLGRP_LINK};
  auto s = MnlSocket::open(NETLINK_ROUTE, o);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(fcntl(s->fd(), F_GETFL) & O_NONBLOCK);
  // The kernel doubles what is asked (capped at rmem_max without privileges).
  EXPECT_GT(s->receive_buffer(), 0);
  timeval tv{};
  socklen_t len = sizeof tv;
  ASSERT_EQ(getsockopt(s->fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
  EXPECT_EQ(tv.tv_sec, 1);
  EXPECT_EQ(tv.tv_usec, 500000);
}

TEST(MnlSocket, AFailureNamesTheSocketAndKeepsTheErrno) {
  MnlSocketOptions o;
  o.what = "the test socket";
  auto s = MnlSocket::open(MAX_LINKS + 1, o);  // no such netlink family
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("opening the test socket: "));
  EXPECT_NE(s.error().code, 0);
}

TEST(MnlSocket, MovesOwnership) {
  auto s = MnlSocket::open(NETLINK_ROUTE);
  ASSERT_TRUE(s);
  const int fd = s->fd();
  MnlSocket moved = std::move(*s);
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_FALSE(*s);
}

TEST(SetSocketBuffer, GrowsTheBuffer) {
  auto s = MnlSocket::open(NETLINK_ROUTE);
  ASSERT_TRUE(s);
  const int before = s->receive_buffer();
  ASSERT_TRUE(set_socket_buffer(s->fd(), SO_RCVBUF, 4096));
  EXPECT_LT(s->receive_buffer(), before);  // a smaller buffer is always granted
  ASSERT_TRUE(set_socket_buffer(s->fd(), SO_SNDBUF, 8192));
  int snd = 0;
  socklen_t len = sizeof snd;
  getsockopt(s->fd(), SOL_SOCKET, SO_SNDBUF, &snd, &len);
  EXPECT_EQ(snd, 2 * 8192);
}

}  // namespace
}  // namespace icmpwall
