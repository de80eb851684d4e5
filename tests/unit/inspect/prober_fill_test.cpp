// SPDX-License-Identifier: GPL-2.0-or-later
// prober_fill.h: random prober filler (python3-icmplib's letters and
// digits) is recognised at every size; data in printable encodings (hex,
// base32, base36, base64 with its + and /, lower-case words, English text,
// shell output) is not.
#include "icmpwall/inspect/detect/prober_fill.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace icmpwall::inspect {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes draw(std::string_view alphabet, size_t n, std::mt19937& rng) {
  Bytes b(n);
  for (auto& c : b) c = static_cast<uint8_t>(alphabet[rng() % alphabet.size()]);
  return b;
}

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

constexpr std::string_view kAlnum =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890";

bool fill(const Bytes& b) {
  AlnumCounts counts;
  return is_prober_fill(b, counts);
}

TEST(ProberFill, RandomAlphanumericFillerAtEverySize) {
  std::mt19937 rng(1);
  for (size_t n : {16, 24, 32, 40, 56, 64, 100, 512, 1400, 1492}) {
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(fill(draw(kAlnum, n, rng))) << n << " " << i;
  }
}

TEST(ProberFill, PrintableEncodingsOfDataAreNot) {
  std::mt19937 rng(2);
  for (size_t n : {40, 56, 100, 1400}) {
    for (int i = 0; i < 200; ++i) {
      EXPECT_FALSE(fill(draw("0123456789abcdef", n, rng))) << "hex " << n;
      EXPECT_FALSE(fill(draw("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n, rng))) << "base32 " << n;
      EXPECT_FALSE(fill(draw("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", n, rng))) << "base36 " << n;
      EXPECT_FALSE(fill(draw("abcdefghijklmnopqrstuvwxyz", n, rng))) << "lower " << n;
    }
  }
  // base64 of random data: a 100-byte chunk lacks + and / about one time
  // in 24 (it is then uniform alphanumeric, and so filler); a flow of them
  // shows + or / within a few packets (the tunnel detector's flow test).
  int base64 = 0;
  for (int i = 0; i < 400; ++i) {
    base64 += fill(draw(std::string(kAlnum) + "+/", 100, rng));
  }
  EXPECT_LE(base64, 40);
  EXPECT_FALSE(fill(text("The quick brown fox jumps over the lazy dog again and again")));
  EXPECT_FALSE(fill(text("ThequickbrownfoxjumpsoverthelazydogagainandagainTHEEND")));
  EXPECT_FALSE(fill(text("uidrootgidrootgroupsrootwhoamiHostnameUnameetcpasswd")));
  EXPECT_FALSE(fill(text("short")));  // below kMinProberFill
  Bytes binary(56);
  for (auto& c : binary) c = static_cast<uint8_t>(rng());
  EXPECT_FALSE(fill(binary));
}

TEST(ProberFill, ClassStatisticGrowsWithSkew) {
  EXPECT_NEAR(alnum_g({26, 26, 10}), 0.0, 1e-9);
  EXPECT_GT(alnum_g({0, 32, 8}), kMaxAlnumG);    // 40 bytes of base32
  EXPECT_LT(alnum_g({20, 24, 12}), kMaxAlnumG);  // an ordinary draw
  EXPECT_GT(alnum_g({0, 0, 40}), kMaxAlnumG);
}

}  // namespace
}  // namespace icmpwall::inspect
