// SPDX-License-Identifier: GPL-2.0-or-later
// The stats socket end to end, in /tmp: one document per connection, mode
// 0660, a stale file replaced, the file gone with the server.
#include "icmpwall/daemon/stats_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

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
    EXPECT_EQ(*first, "{\"n\":1}\n");
    EXPECT_EQ(*read_stats(path), "{\"n\":2}\n");
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "socket file left behind";
  EXPECT_FALSE(read_stats(path));
}

TEST(StatsServer, ReplacesAStaleFile) {
  const auto path = socket_path();
  std::ofstream(path) << "stale";
  auto server = StatsServer::start(path, [] { return std::string("{}"); });
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_EQ(*read_stats(path), "{}\n");
}

TEST(StatsServer, BadPaths) {
  EXPECT_FALSE(StatsServer::start("", [] { return std::string(); }));
  EXPECT_FALSE(StatsServer::start("/nonexistent-dir/s.sock", [] { return std::string(); }));
  EXPECT_FALSE(StatsServer::start(std::string(200, 'x'), [] { return std::string(); }));
  auto r = read_stats("/nonexistent-dir/s.sock");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("is the daemon running?"));
}

}  // namespace
}  // namespace icmpwall::daemon
