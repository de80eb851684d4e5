// SPDX-License-Identifier: GPL-2.0-or-later
// The stats socket end to end, in /tmp: one document per connection, mode
// 0660, a stale file replaced, the file gone with the server.
#include "icmpwall/daemon/stats_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "icmpwall/util/fd.h"

namespace icmpwall::daemon {
namespace {

std::string socket_path() {
  return "/tmp/icmpwall-stats-unit-" + std::to_string(getpid()) + ".sock";
}

TEST(StatsServer, AnswersEachConnectionWithTheCurrentDocument) {
  const auto path = socket_path();
  std::atomic<int> calls{0};
  {
    auto server =
        StatsServer::start(path, [&] { return "{\"n\":" + std::to_string(++calls) + "}"; });
    ASSERT_TRUE(server) << server.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    auto first = read_stats(path);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->document, "{\"n\":1}\n");
    // The listener's credentials, from the kernel: this process.
    EXPECT_EQ(first->peer.pid, ::getpid());
    EXPECT_EQ(first->peer.uid, ::geteuid());
    EXPECT_EQ(read_stats(path)->document, "{\"n\":2}\n");
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "socket file left behind";
  EXPECT_FALSE(read_stats(path));
}

TEST(StatsServer, ReplacesAStaleFile) {
  const auto path = socket_path();
  std::ofstream(path) << "stale";
  auto server = StatsServer::start(path, [] { return std::string("{}"); });
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_EQ(read_stats(path)->document, "{}\n");
}

// Something else listening at the path: `answer` runs on each accepted
// connection until the client is gone.
class HostileListener {
 public:
  explicit HostileListener(const std::string& path, std::function<void(int)> answer) : path_(path) {
    ::unlink(path.c_str());
    listener_ = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener_.get(), 4), 0);
    thread_ = std::thread([this, answer] {
      Fd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c.valid()) answer(c.get());
    });
  }
  ~HostileListener() {
    ::shutdown(listener_.get(), SHUT_RDWR);  // ends an accept still waiting
    thread_.join();
    ::unlink(path_.c_str());
  }

 private:
  std::string path_;
  Fd listener_;
  std::thread thread_;
};

TEST(StatsServer, ReadingAnEndlessAnswerStopsAtTheCap) {
  const auto path = socket_path();
  HostileListener endless(path, [](int fd) {
    const std::string chunk(65536, 'x');
    while (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
    }
  });
  auto r = read_stats(path, std::chrono::seconds(30), 1 << 20);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("more than 1048576 bytes"));
}

TEST(StatsServer, ReadingATrickleEndsAtTheTimeout) {
  const auto path = socket_path();
  std::atomic<bool> done{false};
  // One byte now and then: each read gets something, the whole never ends.
  HostileListener trickle(path, [&](int fd) {
    while (!done && ::send(fd, "x", 1, MSG_NOSIGNAL) == 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = read_stats(path, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  done = true;
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("did not finish its answer within 300 ms"));
  EXPECT_EQ(r.error().code, ETIMEDOUT);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(StatsServer, BadPaths) {
  EXPECT_FALSE(StatsServer::start("", [] { return std::string(); }));
  EXPECT_FALSE(StatsServer::start("/nonexistent-dir/s.sock", [] { return std::string(); }));
  EXPECT_FALSE(StatsServer::start(std::string(200, 'x'), [] { return std::string(); }));
  auto r = read_stats("/nonexistent-dir/s.sock");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("is the daemon running?"));
  EXPECT_EQ(r.error().code, ENOENT);
}

}  // namespace
}  // namespace icmpwall::daemon
