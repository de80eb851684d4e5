// SPDX-License-Identifier: GPL-2.0-or-later
// read_regular_file: regular files only, never waiting on a FIFO, never
// reading a device without end, bounded in size.
#include "icmpwall/util/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace icmpwall {
namespace {

class ReadRegularFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("icmpwall-file-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(ReadRegularFile, ReadsAWholeFile) {
  std::string text(100000, 'x');
  text += "\nend";
  std::ofstream(path("a.toml")) << text;
  auto r = read_regular_file(path("a.toml"), 1 << 20);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, text);
  auto exact = read_regular_file(path("a.toml"), text.size());
  ASSERT_TRUE(exact) << "a file of exactly the limit is read";
}

TEST_F(ReadRegularFile, RefusesAFileOverTheLimit) {
  std::ofstream(path("big.toml")) << std::string(2049, 'x');
  auto r = read_regular_file(path("big.toml"), 2048);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "larger than 2 KiB, the most icmpwall reads here");
}

TEST_F(ReadRegularFile, RefusesAFifoAtOnceWithoutAWriter) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = read_regular_file(path("fifo"), 1 << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "a FIFO, not a regular file");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST_F(ReadRegularFile, RefusesDevicesDirectoriesAndMissingFiles) {
  auto zero = read_regular_file("/dev/zero", 1 << 20);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message, "a character device, not a regular file");
  auto dir = read_regular_file(dir_.string(), 1 << 20);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().message, "Is a directory");
  auto missing = read_regular_file(path("none.toml"), 1 << 20);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "No such file or directory");
}

TEST(FormatBytes, NamesWholeUnits) {
  EXPECT_EQ(format_bytes(1 << 20), "1 MiB");
  EXPECT_EQ(format_bytes(64u << 20), "64 MiB");
  EXPECT_EQ(format_bytes(uint64_t{2} << 30), "2048 MiB");
  EXPECT_EQ(format_bytes(1500), "1500 bytes");
}

}  // namespace
}  // namespace icmpwall
