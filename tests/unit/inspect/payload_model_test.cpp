// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for the real-ping payload models (src/inspect/detect/payload_model.cpp)
// and the payload measures (src/inspect/detect/payload_stats.cpp).
#include "icmpwall/inspect/detect/payload_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "detect_packets.h"
#include "icmpwall/inspect/detect/payload_stats.h"

using namespace icmpwall::inspect;
using namespace detect_test;
using Fill = PingModel::Fill;

namespace {

TEST(PingModel, IputilsDefaultIsTimestampThenCountingBytes) {
  const Bytes p = iputils(56, 1700000000, 123456);
  EXPECT_EQ(p[16], 0x10);
  EXPECT_EQ(p[55], 0x37);
  const PingModel m = match_ping_model(p);
  EXPECT_EQ(m.fill, Fill::ramp);
  EXPECT_EQ(m.header, 16);
  EXPECT_EQ(m.period, 1);
  EXPECT_EQ(m.information(56), 16u);
}

TEST(PingModel, IputilsLargeSizesWrapAndStayExplained) {
  for (size_t size : {100u, 1400u, 1472u, 9000u, 65000u, 65507u}) {
    const PingModel m = match_ping_model(iputils(size, 1700000000, 999999));
    EXPECT_EQ(m.fill, Fill::ramp) << size;
    EXPECT_EQ(m.header, 16) << size;
  }
}

TEST(PingModel, IputilsSmallSizesWithoutTimestamp) {
  EXPECT_EQ(match_ping_model(iputils(8, 0, 0)).fill, Fill::ramp);
  EXPECT_EQ(match_ping_model(iputils(12, 0, 0)).fill, Fill::ramp);
  EXPECT_EQ(match_ping_model(iputils(0, 0, 0)).fill, Fill::empty);
  // 16 bytes: only the timestamp.
  EXPECT_EQ(match_ping_model(iputils(16, 1700000000, 77)).fill, Fill::stamp);
}

TEST(PingModel, IputilsPatterns) {
  EXPECT_EQ(match_ping_model(iputils(56, 1700000000, 5, {0xff})).fill, Fill::repeat);
  EXPECT_EQ(match_ping_model(iputils(56, 1700000000, 5, {0x41, 0x42, 0x43, 0x44})).fill,
            Fill::repeat);
  const Bytes sixteen = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                         0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe};
  const PingModel m = match_ping_model(iputils(1400, 1700000000, 5, sixteen));
  EXPECT_EQ(m.fill, Fill::repeat);
  EXPECT_EQ(m.period, 16);
  // A 3-byte pattern does not divide the 16-byte timestamp.
  EXPECT_EQ(match_ping_model(iputils(100, 1700000000, 5, {1, 2, 3})).fill, Fill::repeat);
}

TEST(PingModel, BusyBox) {
  const PingModel m = match_ping_model(busybox(56, 0x12345678));
  EXPECT_EQ(m.fill, Fill::repeat);
  EXPECT_EQ(m.header, 4);
  EXPECT_EQ(match_ping_model(busybox(1000, 0x9abcdef0, 0xaa)).fill, Fill::repeat);
  EXPECT_EQ(match_ping_model(busybox(4, 0xdeadbeef)).fill, Fill::stamp);
}

TEST(PingModel, MacOs) {
  const PingModel m = match_ping_model(macos(56, 1700000000, 654321));
  EXPECT_EQ(m.fill, Fill::ramp);
  EXPECT_EQ(m.header, 8);
  EXPECT_EQ(match_ping_model(macos(8000, 1700000000, 1)).fill, Fill::ramp);
}

TEST(PingModel, Windows) {
  const Bytes w = windows();
  EXPECT_EQ(std::string(w.begin(), w.end()), "abcdefghijklmnopqrstuvwabcdefghi");
  const PingModel m = match_ping_model(w);
  EXPECT_EQ(m.fill, Fill::repeat);
  EXPECT_EQ(m.header, 0);
  EXPECT_EQ(m.period, 23);
  EXPECT_TRUE(match_ping_model(windows(1472)).explained());
  EXPECT_TRUE(match_ping_model(windows(10)).explained());  // ping -l 10: a..j
}

TEST(PingModel, DataIsNotExplained) {
  std::mt19937 rng(1);
  for (size_t size : {24u, 32u, 56u, 64u, 1024u}) {
    EXPECT_FALSE(match_ping_model(random_bytes(size, rng)).explained()) << size;
  }
  EXPECT_FALSE(match_ping_model(text("whoami\n")).explained());
  EXPECT_FALSE(match_ping_model(text("uid=0(root) gid=0(root) groups=0(root)\n")).explained());
  // A fill broken by its last byte is not a fill.
  Bytes zeros(65000, 0);
  zeros.back() = 1;
  EXPECT_FALSE(match_ping_model(zeros).explained());
  Bytes ramp = iputils(2000, 1, 1);
  ramp[1999] ^= 0x55;
  EXPECT_FALSE(match_ping_model(ramp).explained());
  // Data after a header longer than any ping's.
  Bytes late(200, 0);
  for (size_t i = 0; i < 40; ++i) late[i] = static_cast<uint8_t>(rng());
  EXPECT_FALSE(match_ping_model(late).explained());
}

// Whichever byte breaks a long fill (inside a word the fast comparison
// reads, or in the bytes after the last word), the fill is not a fill.
// (Bytes from 100 on: a break closer to the start is a longer period.)
TEST(PingModel, AFillBrokenAnywhereIsNotExplained) {
  for (size_t size : {203u, 1400u}) {
    const Bytes ramp = iputils(size, 1700000000, 5);
    const Bytes repeat = busybox(size, 77, 0xa5);
    for (size_t at = 100; at < size; ++at) {
      Bytes r = ramp;
      r[at] ^= 0x01;
      EXPECT_FALSE(match_ping_model(r).explained()) << "ramp of " << size << ", byte " << at;
      Bytes b = repeat;
      b[at] ^= 0x80;
      EXPECT_FALSE(match_ping_model(b).explained()) << "repeat of " << size << ", byte " << at;
    }
  }
  // Steps whose eight-fold wraps in a byte lane.
  for (uint8_t step : {1, 3, 31, 32, 33, 127, 128, 255}) {
    Bytes r(300);
    for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<uint8_t>(7 + i * step);
    const PingModel m = match_ping_model(r);
    // A step that is a multiple of 4 repeats within 64 bytes: a repeat.
    EXPECT_EQ(m.fill, step % 4 == 0 ? Fill::repeat : Fill::ramp) << int{step};
    if (m.fill == Fill::ramp) {
      EXPECT_EQ(m.period, step);
    }
    r[299] ^= 0x40;
    EXPECT_FALSE(match_ping_model(r).explained()) << int{step};
  }
}

// The model's definition written out plainly (payload_model.h): after a
// header of 0 to 32 bytes in steps of 4, the rest's smallest period p <= 64
// with p + 8 bytes seen, else a progression of 4 or more bytes with a step
// other than 0; else a bare 4, 8 or 16 bytes are a stamp.
PingModel reference_model(const Bytes& payload) {
  if (payload.empty()) return {Fill::empty, 0, 0};
  for (size_t header = 0; header <= kMaxPingHeader && header < payload.size(); header += 4) {
    const size_t n = payload.size() - header;
    const uint8_t* r = payload.data() + header;
    for (size_t p = 1; p <= kMaxPingPeriod && p + 8 <= n; ++p) {
      if (std::memcmp(r + p, r, n - p) == 0) {
        return {Fill::repeat, static_cast<uint8_t>(header), static_cast<uint16_t>(p)};
      }
    }
    const auto step = static_cast<uint8_t>(n >= 2 ? r[1] - r[0] : 0);
    bool ramp = n >= 4 && step != 0;
    for (size_t i = 1; ramp && i < n; ++i) ramp = static_cast<uint8_t>(r[i] - r[i - 1]) == step;
    if (ramp) return {Fill::ramp, static_cast<uint8_t>(header), step};
  }
  const size_t n = payload.size();
  if (n == 4 || n == 8 || n == 16) return {Fill::stamp, static_cast<uint8_t>(n), 0};
  return {};
}

// The fast tests (memchr candidates, word-wide ramps, a ramp checked over
// one period and then by its repetition) agree with the definition on
// fills of every step and period after random headers, long and short,
// whole or with one byte changed anywhere.
TEST(PingModel, AgreesWithItsDefinition) {
  std::mt19937 rng(20261205);
  auto below = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  for (int round = 0; round < 60000; ++round) {
    const size_t header = below(4) == 0 ? 0 : below(41);
    const size_t size = header + (below(8) == 0 ? below(2000) : below(300));
    Bytes b(size);
    for (size_t i = 0; i < header && i < size; ++i) b[i] = static_cast<uint8_t>(rng());
    const auto start = static_cast<uint8_t>(rng());
    switch (below(3)) {
      case 0: {  // a counting fill of any step
        const auto step = static_cast<uint8_t>(below(4) == 0 ? rng() : 1 + below(3));
        for (size_t i = header; i < size; ++i)
          b[i] = static_cast<uint8_t>(start + (i - header) * step);
        break;
      }
      case 1: {  // a repeated block of 1 to 80 bytes
        const size_t period = 1 + below(80);
        Bytes block(period);
        for (auto& x : block) x = static_cast<uint8_t>(below(4) == 0 ? rng() : 'a' + below(3));
        for (size_t i = header; i < size; ++i) b[i] = block[(i - header) % period];
        break;
      }
      default:  // random bytes
        for (size_t i = header; i < size; ++i) b[i] = static_cast<uint8_t>(rng());
    }
    if (size > 0 && below(3) == 0)
      b[below(static_cast<uint32_t>(size))] ^= static_cast<uint8_t>(1 + below(255));
    const PingModel want = reference_model(b);
    const PingModel got = match_ping_model(b);
    ASSERT_EQ(got.fill, want.fill) << "round " << round << ", size " << size;
    ASSERT_EQ(got.header, want.header) << "round " << round;
    ASSERT_EQ(got.period, want.period) << "round " << round;
  }
}

// Timestamps as real pings write them are recognised; random bytes and
// text are not.
TEST(TimestampHeader, RealPingStampsAndNotData) {
  EXPECT_EQ(timestamp_header(iputils(56, 1764921600, 999999)), 16u);
  EXPECT_EQ(timestamp_header(iputils(16, 1764921600, 0)), 16u);
  EXPECT_EQ(timestamp_header(macos(56, 1764921600, 12345)), 8u);
  Bytes le32(8);  // a 32-bit timeval, little-endian
  const uint32_t sec = 1764921600, usec = 500000;
  std::memcpy(le32.data(), &sec, 4);
  std::memcpy(le32.data() + 4, &usec, 4);
  EXPECT_EQ(timestamp_header(le32), 8u);
  EXPECT_EQ(timestamp_header(macos(56, 1764921600, 2000000)), 0u);  // usec out of range
  EXPECT_EQ(timestamp_header(text("0123456789abcdef0123456789abcdef")), 0u);
  EXPECT_EQ(timestamp_header(Bytes(56, 0)), 0u);  // a zero fill is no date
  EXPECT_EQ(timestamp_header(Bytes(4, 0x11)), 0u);
  std::mt19937 rng(3);
  int stamps = 0;
  for (int i = 0; i < 10000; ++i) stamps += timestamp_header(random_bytes(56, rng)) != 0;
  EXPECT_LE(stamps, 10);  // about 1 in 3000
}

TEST(PayloadStats, Entropy) {
  EXPECT_EQ(shannon_entropy(Bytes(1000, 0x41)), 0.0);
  EXPECT_NEAR(shannon_entropy(iputils(65000, 1, 1)), 8.0, 0.01);  // why the model comes first
  std::mt19937 rng(2);
  EXPECT_GT(shannon_entropy(random_bytes(4096, rng)), 7.9);
  const Bytes shell = text("Volume in drive C has no label.\r\n Directory of C:\\Users\\bob\r\n");
  EXPECT_LT(shannon_entropy(shell), entropy_threshold(7.0, shell.size()));
}

TEST(PayloadStats, EntropyThresholdScalesBelow256) {
  EXPECT_DOUBLE_EQ(entropy_threshold(7.0, 256), 7.0);
  EXPECT_DOUBLE_EQ(entropy_threshold(7.0, 4096), 7.0);
  EXPECT_DOUBLE_EQ(entropy_threshold(7.0, 64), 5.25);
  // Random data clears the scaled threshold at every length from 32 up...
  std::mt19937 rng(3);
  for (size_t n : {32u, 48u, 64u, 128u, 255u, 256u, 1400u}) {
    int over = 0;
    for (int i = 0; i < 100; ++i) {
      over += shannon_entropy(random_bytes(n, rng)) >= entropy_threshold(7.0, n);
    }
    EXPECT_GE(over, 99) << n;
  }
  // ... and a 16-byte pattern repeated never does.
  Bytes pattern;
  for (int i = 0; i < 64; ++i) pattern.push_back(static_cast<uint8_t>(rng() % 256 | (i % 16)));
  Bytes repeated;
  for (int r = 0; r < 8; ++r)
    repeated.insert(repeated.end(), pattern.begin(), pattern.begin() + 16);
  EXPECT_LT(shannon_entropy(repeated), entropy_threshold(7.0, repeated.size()));
}

TEST(PayloadStats, TextAndShell) {
  EXPECT_DOUBLE_EQ(printable_ratio(text("whoami\n")), 1.0);
  EXPECT_LT(printable_ratio(iputils(56, 1700000000, 1)), 0.9);
  EXPECT_TRUE(has_shell_marker(text("whoami\n")));
  EXPECT_TRUE(has_shell_marker(text("Microsoft Windows [Version 10.0.19045]\r\n")));
  EXPECT_TRUE(has_shell_marker(text("PS C:\\Users\\bob> ")));
  EXPECT_TRUE(has_shell_marker(text("uid=33(www-data) gid=33(www-data)")));
  EXPECT_FALSE(has_shell_marker(text("hello, this is a monitoring probe")));
  EXPECT_FALSE(has_shell_marker(windows(1000)));
}

}  // namespace
