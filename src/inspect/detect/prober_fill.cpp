// SPDX-License-Identifier: GPL-2.0-or-later
// Random prober filler (see prober_fill.h for the model and its tests).
#include "icmpwall/inspect/detect/prober_fill.h"

#include <cmath>

#include "icmpwall/inspect/detect/payload_stats.h"

namespace icmpwall::inspect {

namespace {

constexpr double kSymbols = 62;
constexpr double kShare[3] = {26 / kSymbols, 26 / kSymbols, 10 / kSymbols};

// Expected distinct symbols in n uniform draws over m, minus 6 standard
// deviations (occupancy: E = m(1-q^n), Var = m(m-1)(1-2/m)^n + m q^n -
// m^2 q^2n with q = 1-1/m), minus 3 more for the discrete tail where
// nearly every symbol is expected (the number missing is then about
// Poisson: 4 missing of 512 draws happens once in 10^9).
double min_distinct(uint32_t n) {
  const double m = kSymbols;
  const double q = std::pow(1 - 1 / m, n);
  const double mean = m * (1 - q);
  const double var = m * (m - 1) * std::pow(1 - 2 / m, n) + m * q - m * m * q * q;
  return mean - 6 * std::sqrt(std::max(var, 0.0)) - 3;
}

}  // namespace

double alnum_g(const AlnumCounts& c) {
  const double n = c.n();
  if (n == 0) return 0;
  const double observed[3] = {static_cast<double>(c.lower), static_cast<double>(c.upper),
                              static_cast<double>(c.digit)};
  double g = 0;
  for (int i = 0; i < 3; ++i) {
    if (observed[i] > 0) g += observed[i] * std::log(observed[i] / (n * kShare[i]));
  }
  return 2 * g;
}

bool is_prober_fill(std::span<const uint8_t> fill, AlnumCounts& counts) {
  counts = {};
  if (fill.size() < kMinProberFill) return false;
  uint64_t seen[2] = {0, 0};  // bit c: symbol c seen (all below 128)
  for (uint8_t b : fill) {
    if (b >= 'a' && b <= 'z') {
      ++counts.lower;
    } else if (b >= 'A' && b <= 'Z') {
      ++counts.upper;
    } else if (b >= '0' && b <= '9') {
      ++counts.digit;
    } else {
      counts = {};
      return false;
    }
    seen[b >> 6] |= uint64_t{1} << (b & 63);
  }
  if (alnum_g(counts) > kMaxAlnumG) return false;
  const int distinct = __builtin_popcountll(seen[0]) + __builtin_popcountll(seen[1]);
  if (distinct < min_distinct(static_cast<uint32_t>(fill.size()))) return false;
  return !has_shell_marker(fill);
}

}  // namespace icmpwall::inspect
