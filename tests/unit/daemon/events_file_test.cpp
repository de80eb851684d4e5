// SPDX-License-Identifier: GPL-2.0-or-later
// The events file: a bounded queue that drops and counts, lines appended
// to a regular file only, and the path opened again after a move.
#include "icmpwall/daemon/events_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace icmpwall::daemon {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class EventsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/icmpwall-events-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST(LineQueue, DropsAndCountsWhenFull) {
  LineQueue q(2);
  EXPECT_TRUE(q.push("a"));
  EXPECT_TRUE(q.push("b"));
  EXPECT_FALSE(q.push("c")) << "a third line waits nowhere";
  EXPECT_EQ(q.dropped(), 1u);
  EXPECT_EQ(q.take(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(q.push("d")) << "room again once taken";
  q.close();
  EXPECT_EQ(q.take(), (std::vector<std::string>{"d"})) << "drained after close";
  EXPECT_TRUE(q.take().empty());
  EXPECT_FALSE(q.push("e"));
  EXPECT_EQ(q.dropped(), 2u);
}

TEST_F(EventsFileTest, AppendsToWhatIsThere) {
  const std::string path = dir_ + "/eve.json";
  std::ofstream(path) << "{\"old\":1}\n";
  {
    auto f = EventsFile::open(path);
    ASSERT_TRUE(f) << f.error().message;
    (*f)->start();
    EXPECT_TRUE((*f)->push("{\"n\":1}"));
    EXPECT_TRUE((*f)->push("{\"n\":2}"));
  }  // the destructor writes what is queued
  EXPECT_EQ(slurp(path), "{\"old\":1}\n{\"n\":1}\n{\"n\":2}\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
}

TEST_F(EventsFileTest, NewFileIsNotWorldReadable) {
  const std::string path = dir_ + "/eve.json";
  {
    auto f = EventsFile::open(path);
    ASSERT_TRUE(f) << f.error().message;
    (*f)->push("{}");
  }  // never started: written at the end all the same
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u);
  EXPECT_EQ(slurp(path), "{}\n");
}

TEST_F(EventsFileTest, ReopenAfterMoveWritesToTheConfiguredPath) {
  const std::string path = dir_ + "/eve.json";
  auto f = EventsFile::open(path);
  ASSERT_TRUE(f) << f.error().message;
  (*f)->start();
  (*f)->push("{\"before\":1}");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*f)->lines() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ((*f)->lines(), 1u);
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  ASSERT_TRUE((*f)->reopen());
  (*f)->push("{\"after\":1}");
  f->reset();
  EXPECT_EQ(slurp(path + ".1"), "{\"before\":1}\n");
  EXPECT_EQ(slurp(path), "{\"after\":1}\n");
}

TEST_F(EventsFileTest, OnlyARegularFile) {
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto f = EventsFile::open(fifo);
  ASSERT_FALSE(f) << "a FIFO would block the writer";
  EXPECT_NE(f.error().message.find(fifo), std::string::npos) << f.error().message;
  // A FIFO with a reader opens; it is refused for what it is.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  auto read_end = EventsFile::open(fifo);
  ::close(reader);
  ASSERT_FALSE(read_end);
  EXPECT_NE(read_end.error().message.find("not a regular file"), std::string::npos);
  auto d = EventsFile::open(dir_);
  EXPECT_FALSE(d) << "a directory";
  auto missing = EventsFile::open(dir_ + "/no/such/dir/eve.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot open the events file"), std::string::npos);
}

}  // namespace
}  // namespace icmpwall::daemon
