// SPDX-License-Identifier: GPL-2.0-or-later
// Recognising real-ping payloads (see payload_model.h for the models and
// why a fixed fill after a short header is what they all share).
#include "icmpwall/inspect/detect/payload_model.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace icmpwall::inspect {

namespace {

using Bytes = std::span<const uint8_t>;

constexpr uint32_t kPrefixWindow = 2 * kMaxPingPeriod;  // bytes the period search looks at
constexpr uint32_t kMinRepeat = 8;  // a block must be seen repeating this many bytes
constexpr uint32_t kMinRamp = 4;    // shortest counting-up fill accepted

// The smallest period of b[0, m) for m = min(|b|, kPrefixWindow), by the
// prefix function: period = m - pi[m-1].
uint32_t smallest_prefix_period(Bytes b) {
  const uint32_t m = static_cast<uint32_t>(std::min<size_t>(b.size(), kPrefixWindow));
  std::array<uint8_t, kPrefixWindow> pi{};
  for (uint32_t i = 1; i < m; ++i) {
    uint32_t k = pi[i - 1];
    while (k > 0 && b[i] != b[k]) k = pi[k - 1];
    if (b[i] == b[k]) ++k;
    pi[i] = static_cast<uint8_t>(k);
  }
  return m - pi[m - 1];
}

// A repetition of a block of at most kMaxPingPeriod bytes, seen repeating.
uint32_t repeat_period(Bytes rest) {
  if (rest.size() < kMinRepeat + 1) return 0;
  // Cheap rejection first: a period p needs rest[p, p+8) == rest[0, 8).
  // memchr finds the places where rest[0] occurs again (most payload
  // headers, a timestamp, have few), and only those are compared.
  const size_t last = std::min<size_t>(kMaxPingPeriod, rest.size() - kMinRepeat);
  const uint8_t* base = rest.data();
  size_t candidate = 0;  // the first p that passes
  for (size_t p = 1; p <= last && candidate == 0; ++p) {
    const void* hit = std::memchr(base + p, base[0], last - p + 1);
    if (hit == nullptr) break;
    p = static_cast<size_t>(static_cast<const uint8_t*>(hit) - base);
    if (std::memcmp(base + p, base, kMinRepeat) == 0) candidate = p;
  }
  if (candidate == 0) return 0;
  // No p below the first candidate is a period. If the whole rest repeats
  // with it (one memcmp of the rest against itself shifted), it is the
  // smallest period, which the prefix function below would find too; a
  // fill of a single byte or a Windows alphabet ends here.
  if (std::memcmp(base + candidate, base, rest.size() - candidate) == 0)
    return static_cast<uint32_t>(candidate);
  const uint32_t p = smallest_prefix_period(rest);
  if (p > kMaxPingPeriod || rest.size() < p + kMinRepeat) return 0;
  // rest[i] == rest[i - p] for every i past the window: one memcmp of
  // the rest against itself shifted by p.
  if (rest.size() > kPrefixWindow &&
      std::memcmp(base + kPrefixWindow, base + kPrefixWindow - p, rest.size() - kPrefixWindow) != 0)
    return 0;
  return p;
}

// Adds `b` to `a` in each of the eight byte lanes, mod 256 (no carry from
// one lane into the next).
uint64_t add_lanes(uint64_t a, uint64_t b) {
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  return ((a & kLow7) + (b & kLow7)) ^ ((a ^ b) & kHigh);
}

// Whether b is an arithmetic progression of `step` mod 256.
bool is_ramp(Bytes b, uint8_t step) {
  const size_t n = b.size();
  size_t i = 1;
  if (n >= 16) {
    // Past a first word checked byte by byte, each 8 bytes are the 8
    // before them plus 8 * step in every lane.
    for (; i < 8; ++i) {
      if (static_cast<uint8_t>(b[i] - b[i - 1]) != step) return false;
    }
    const uint64_t advance = 0x0101010101010101ull * static_cast<uint8_t>(step * 8);
    uint64_t expect;
    std::memcpy(&expect, b.data(), 8);
    for (; i + 8 <= n; i += 8) {
      expect = add_lanes(expect, advance);
      uint64_t word;
      std::memcpy(&word, b.data() + i, 8);
      if (word != expect) return false;
    }
  }
  for (; i < n; ++i) {
    if (static_cast<uint8_t>(b[i] - b[i - 1]) != step) return false;
  }
  return true;
}

// An arithmetic progression of bytes mod 256 (step 0 is a repeat, found
// above). Returns the step, 0 if not a ramp.
//
// A progression of step s repeats every 256 / gcd(s, 256) bytes, so the
// rest is one exactly when its first period is and the bytes past it
// repeat the ones a period before (one memcmp): a 1400-byte iputils
// payload costs one 256-byte ramp test and a memcmp.
uint32_t ramp_step(Bytes rest) {
  if (rest.size() < kMinRamp) return 0;
  const uint8_t step = static_cast<uint8_t>(rest[1] - rest[0]);
  if (step == 0) return 0;
  const size_t period = size_t{256} >> std::countr_zero(step);
  if (!is_ramp(rest.first(std::min(period, rest.size())), step)) return 0;
  if (rest.size() > period &&
      std::memcmp(rest.data() + period, rest.data(), rest.size() - period) != 0)
    return 0;
  return step;
}

uint32_t le32(Bytes b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 |
         uint32_t{b[at + 3]} << 24;
}
uint32_t be32(Bytes b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

constexpr uint32_t kMicroseconds = 1000000;
constexpr uint32_t kYear2000 = 946684800;

}  // namespace

uint32_t timestamp_header(Bytes p) {
  if (p.size() >= 16 && le32(p, 4) == 0 && le32(p, 12) == 0 && le32(p, 8) < kMicroseconds &&
      le32(p, 0) >= kYear2000) {
    return 16;
  }
  if (p.size() >= 8) {
    if (be32(p, 0) >= kYear2000 && be32(p, 4) < kMicroseconds) return 8;
    if (le32(p, 0) >= kYear2000 && le32(p, 4) < kMicroseconds) return 8;
  }
  return 0;
}

namespace {

// Whether the payload's last 8 bytes occur again p bytes before them for
// some period p: what any repeat fill ends with, whichever header it
// follows (repeat_period's result is a period of the whole rest, and the
// rest is at least p + 8 bytes). One test for all headers, so a payload
// that repeats nothing (a ramp, random data) skips every period search.
// memchr finds where the tail's first byte occurs in the 64 bytes before
// it, and only those places are compared (a counting fill has none there).
bool tail_repeats(Bytes b) {
  if (b.size() < kMinRepeat + 1) return false;
  const size_t end = b.size() - kMinRepeat;
  const uint8_t* tail = b.data() + end;
  const uint8_t* from = tail - std::min<size_t>(kMaxPingPeriod, end);
  while (from < tail) {
    const auto* hit = static_cast<const uint8_t*>(std::memchr(from, tail[0], tail - from));
    if (hit == nullptr) return false;
    if (std::memcmp(hit, tail, kMinRepeat) == 0) return true;
    from = hit + 1;
  }
  return false;
}

// Whether the payload's last 3 bytes count up (or down) by a step other
// than 0: what any ramp fill ends with (ramp_step needs 4 or more bytes,
// all of them one progression).
bool tail_ramps(Bytes b) {
  const size_t n = b.size();
  if (n < kMinRamp) return false;
  const uint8_t step = static_cast<uint8_t>(b[n - 1] - b[n - 2]);
  return step != 0 && static_cast<uint8_t>(b[n - 2] - b[n - 3]) == step;
}

}  // namespace

PingModel match_ping_model(Bytes payload) {
  using Fill = PingModel::Fill;
  if (payload.empty()) return {Fill::empty, 0, 0};
  // The fill runs to the payload's end, so its end says which fills can
  // be there at all; most payloads rule one of the two out (and random
  // data both) before any header is tried.
  const bool repeats = tail_repeats(payload);
  const bool ramps = tail_ramps(payload);
  for (uint32_t header = 0;
       (repeats || ramps) && header <= kMaxPingHeader && header < payload.size(); header += 4) {
    Bytes rest = payload.subspan(header);
    if (uint32_t p = repeats ? repeat_period(rest) : 0) {
      return {Fill::repeat, static_cast<uint8_t>(header), static_cast<uint16_t>(p)};
    }
    if (uint32_t step = ramps ? ramp_step(rest) : 0) {
      return {Fill::ramp, static_cast<uint8_t>(header), static_cast<uint16_t>(step)};
    }
  }
  const size_t n = payload.size();
  if (n == 4 || n == 8 || n == 16) return {Fill::stamp, static_cast<uint8_t>(n), 0};
  return {};
}

}  // namespace icmpwall::inspect
