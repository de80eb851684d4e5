// SPDX-License-Identifier: GPL-2.0-or-later
// Random filler of ICMP probers: payloads that change with every request
// and still carry nothing, told apart from data by their statistics.
//
// Some probers fill each request with fresh random symbols instead of a
// fixed pattern. python3-icmplib (random_byte_message) draws every byte of
// every request uniformly from the 62 symbols [a-zA-Z0-9] (random.choices),
// with no timestamp, a fixed payload_size (56 by default) and one
// identifier per session; the echo reply returns it unchanged. By the
// content tests alone such a payload is text, of high entropy, and
// different every time: a tunnel. What separates it from data is that it
// is *uniform over that alphabet*: letters of both cases and digits in the
// proportions 26:26:10, and as many distinct symbols as random draws give.
// Data does not look like that: hex (16 symbols, no upper case), base32
// and base36 (no lower case), English or shell text (spaces, punctuation,
// skewed letters), binary or encrypted bytes (outside the alphabet).
//
// The test, on the payload past an optional timestamp header:
//   - every byte in [a-zA-Z0-9] and at least kMinProberFill of them;
//   - class proportions: the G statistic (log-likelihood ratio) of the
//     lower/upper/digit counts against 26:26:10 below kMaxAlnumG, about
//     p = 1e-9 for two degrees of freedom, so a real prober fails it once
//     in a billion payloads while a base32 or hex chunk of 40 bytes fails
//     it outright (the tunnel detector also tests the sum over a flow's
//     requests, which only grows for data and stays flat for a prober);
//   - distinct symbols: at least the number expected of uniform draws
//     minus 6 standard deviations (a short vocabulary repeated fails);
//   - no shell marker (payload_stats.h).
// A payload that passes is random filler: it triggers neither text,
// entropy nor variation, but every byte of it still counts as information
// for the flow's volume budget, so filler cannot carry data faster than a
// tunnel's budget allows.
#pragma once

#include <cstdint>
#include <span>

namespace icmpwall::inspect {

inline constexpr uint32_t kMinProberFill = 16;
inline constexpr double kMaxAlnumG = 41.4;  // chi-square(2) tail of about 1e-9

struct AlnumCounts {
  uint32_t lower = 0;
  uint32_t upper = 0;
  uint32_t digit = 0;
  uint32_t n() const { return lower + upper + digit; }
  AlnumCounts& operator+=(const AlnumCounts& o) {
    lower += o.lower;
    upper += o.upper;
    digit += o.digit;
    return *this;
  }
};

// The G statistic of the class counts against uniform draws over
// [a-zA-Z0-9] (0 for no bytes).
double alnum_g(const AlnumCounts& counts);

// Whether `fill` is random prober filler (see above); `counts` receives
// its class counts when every byte is alphanumeric.
bool is_prober_fill(std::span<const uint8_t> fill, AlnumCounts& counts);

}  // namespace icmpwall::inspect
