// SPDX-License-Identifier: GPL-2.0-or-later
// MnlSocketOptions::netns: a netlink socket opened inside a named network
// namespace stays there, and the calling thread is back in its own when
// open() returns; a missing namespace fails with the namespace's own error.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "harness.h"
#include "icmpwall/util/fd.h"
#include "icmpwall/util/mnl_socket.h"

namespace icmpwall::integration {
namespace {

// The inode of a network namespace file (two files name the same
// namespace exactly when their inodes are equal).
ino_t inode_of(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

ino_t inode_of(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd.valid() ? inode_of(fd.get()) : 0;
}

TEST(MnlSocketNetnsTest, SocketOpensInTheNamedNamespaceAndTheThreadStaysHome) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  const ino_t home = inode_of("/proc/thread-self/ns/net");
  const ino_t target = inode_of("/run/netns/" + ns.name());
  ASSERT_NE(home, 0u);
  ASSERT_NE(target, 0u);
  ASSERT_NE(home, target);

  MnlSocketOptions options;
  options.netns = ns.name();
  auto s = MnlSocket::open(NETLINK_NETFILTER, options);
  ASSERT_TRUE(s.ok()) << s.error().message;
  Fd socket_ns(ioctl(s->fd(), SIOCGSKNS));
  ASSERT_TRUE(socket_ns.valid()) << "SIOCGSKNS";
  EXPECT_EQ(inode_of(socket_ns.get()), target);
  EXPECT_EQ(inode_of("/proc/thread-self/ns/net"), home);

  auto plain = MnlSocket::open(NETLINK_NETFILTER);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  Fd plain_ns(ioctl(plain->fd(), SIOCGSKNS));
  ASSERT_TRUE(plain_ns.valid());
  EXPECT_EQ(inode_of(plain_ns.get()), home);
}

TEST(MnlSocketNetnsTest, MissingNamespaceKeepsTheNamespaceErrorText) {
  ICMPWALL_REQUIRE_ROOT();
  MnlSocketOptions options;
  options.netns = "iw-mnl-does-not-exist";
  auto s = MnlSocket::open(NETLINK_NETFILTER, options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "network namespace 'iw-mnl-does-not-exist' (/run/netns/iw-mnl-does-not-exist): No "
            "such file or directory");
  options.netns = "../etc";
  auto bad = MnlSocket::open(NETLINK_NETFILTER, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "invalid network namespace name '../etc'");
}

}  // namespace
}  // namespace icmpwall::integration
