// Recognising real-ping payloads (see payload_model.h for the models and
// why a fixed fill after a short header is what they all share).
#include "icmpwall/inspect/payload_model.h"

#include <algorithm>
#include <array>
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
  bool candidate = false;
  for (size_t p = 1; p <= last && !candidate; ++p) {
    const void* hit = std::memchr(base + p, base[0], last - p + 1);
    if (hit == nullptr) break;
    p = static_cast<size_t>(static_cast<const uint8_t*>(hit) - base);
    candidate = std::memcmp(base + p, base, kMinRepeat) == 0;
  }
  if (!candidate) return 0;
  const uint32_t p = smallest_prefix_period(rest);
  if (p > kMaxPingPeriod || rest.size() < p + kMinRepeat) return 0;
  for (size_t i = kPrefixWindow; i < rest.size(); ++i) {
    if (rest[i] != rest[i - p]) return 0;
  }
  return p;
}

// An arithmetic progression of bytes mod 256 (step 0 is a repeat, found
// above). Returns the step, 0 if not a ramp.
uint32_t ramp_step(Bytes rest) {
  if (rest.size() < kMinRamp) return 0;
  const uint8_t step = static_cast<uint8_t>(rest[1] - rest[0]);
  if (step == 0) return 0;
  for (size_t i = 2; i < rest.size(); ++i) {
    if (static_cast<uint8_t>(rest[i] - rest[i - 1]) != step) return 0;
  }
  return step;
}

}  // namespace

PingModel match_ping_model(Bytes payload) {
  using Fill = PingModel::Fill;
  if (payload.empty()) return {Fill::empty, 0, 0};
  for (uint32_t header = 0; header <= kMaxPingHeader && header < payload.size(); header += 4) {
    Bytes rest = payload.subspan(header);
    if (uint32_t p = repeat_period(rest)) {
      return {Fill::repeat, static_cast<uint8_t>(header), static_cast<uint16_t>(p)};
    }
    if (uint32_t step = ramp_step(rest)) {
      return {Fill::ramp, static_cast<uint8_t>(header), static_cast<uint16_t>(step)};
    }
  }
  const size_t n = payload.size();
  if (n == 4 || n == 8 || n == 16) return {Fill::stamp, static_cast<uint8_t>(n), 0};
  return {};
}

}  // namespace icmpwall::inspect
