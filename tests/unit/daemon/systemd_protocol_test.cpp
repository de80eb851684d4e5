// SPDX-License-Identifier: GPL-2.0-or-later
// systemd's notify and journal protocols against sockets of the test's own.
#include "icmpwall/daemon/systemd_protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <optional>

#include "icmpwall/util/fd.h"

namespace icmpwall::daemon {
namespace {

// A bound datagram socket: a path under a fresh directory, or abstract.
class Receiver {
 public:
  explicit Receiver(bool abstract) {
    char dir[] = "/tmp/icmpwall-sd-XXXXXX";
    if (!abstract) {
      dir_ = ::mkdtemp(dir);
      name_ = dir_ + "/socket";
    } else {
      name_ = "@icmpwall-test-" + std::to_string(::getpid());
    }
    fd_ = Fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, name_.data(), name_.size());
    if (abstract) sa.sun_path[0] = '\0';
    socklen_t len = offsetof(sockaddr_un, sun_path) + name_.size() + (abstract ? 0 : 1);
    bound_ = ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), len) == 0;
  }
  ~Receiver() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool bound() const { return bound_; }
  const std::string& name() const { return name_; }

  // One datagram (non-blocking: it was sent before), with the fd it passed.
  std::pair<std::string, Fd> receive() {
    std::string buf(1 << 16, '\0');
    iovec iov{buf.data(), buf.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return {"(nothing)", Fd()};
    buf.resize(static_cast<size_t>(n));
    Fd passed;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
        passed = Fd(fd);
      }
    return {buf, std::move(passed)};
  }

 private:
  std::string dir_, name_;
  Fd fd_;
  bool bound_ = false;
};

TEST(SystemdProtocol, NotifyToAPath) {
  Receiver r(false);
  ASSERT_TRUE(r.bound());
  ASSERT_TRUE(send_notify(r.name(), "READY=1\nSTATUS=serving"));
  EXPECT_EQ(r.receive().first, "READY=1\nSTATUS=serving");
}

TEST(SystemdProtocol, NotifyToAnAbstractSocket) {
  Receiver r(true);
  ASSERT_TRUE(r.bound());
  ASSERT_TRUE(send_notify(r.name(), "WATCHDOG=1"));
  EXPECT_EQ(r.receive().first, "WATCHDOG=1");
}

TEST(SystemdProtocol, NotifyRefusesWhatIsNoSocketAddress) {
  EXPECT_FALSE(send_notify("", "READY=1"));
  EXPECT_FALSE(send_notify("relative/path", "READY=1"));
  EXPECT_FALSE(send_notify("/nonexistent-icmpwall/socket", "READY=1"));
}

TEST(SystemdProtocol, JournalEntryFieldsAndBinaryValues) {
  using namespace std::string_literals;
  EXPECT_EQ(journal_entry({{"MESSAGE", "hello"}, {"PRIORITY", "6"}}),
            "MESSAGE=hello\nPRIORITY=6\n");
  // A value with a newline: name, newline, 64-bit little-endian length, value.
  EXPECT_EQ(journal_entry({{"MESSAGE", "a\nb"}}), "MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\n"s);
  EXPECT_EQ(journal_entry({}), "");
}

TEST(SystemdProtocol, JournalEntryInOneDatagram) {
  Receiver r(false);
  ASSERT_TRUE(r.bound());
  const std::string entry = journal_entry({{"MESSAGE", "x"}, {"SYSLOG_IDENTIFIER", "icmpwall"}});
  ASSERT_TRUE(send_journal(r.name(), entry));
  auto [got, fd] = r.receive();
  EXPECT_EQ(got, entry);
  EXPECT_FALSE(fd.valid());
}

TEST(SystemdProtocol, AnEntryTooBigForADatagramGoesInASealedMemfd) {
  Receiver r(false);
  ASSERT_TRUE(r.bound());
  const std::string entry = journal_entry({{"MESSAGE", std::string(4 << 20, 'x')}});
  ASSERT_TRUE(send_journal(r.name(), entry));
  auto [got, fd] = r.receive();
  EXPECT_EQ(got, "");
  ASSERT_TRUE(fd.valid());
  struct stat st {};
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  ASSERT_EQ(static_cast<size_t>(st.st_size), entry.size());
  std::string back(entry.size(), '\0');
  ASSERT_EQ(::pread(fd.get(), back.data(), back.size(), 0), static_cast<ssize_t>(back.size()));
  EXPECT_EQ(back, entry);
  EXPECT_EQ(::write(fd.get(), "y", 1), -1);  // sealed
}

}  // namespace
}  // namespace icmpwall::daemon
