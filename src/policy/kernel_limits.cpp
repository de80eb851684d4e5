// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel_limits.h"

#include <fmt/format.h>

namespace icmpwall::policy {
namespace {

uint64_t unit_seconds(RateUnit u) {
  switch (u) {
    case RateUnit::second: return 1;
    case RateUnit::minute: return 60;
    case RateUnit::hour: return 3600;
    case RateUnit::day: return 86400;
  }
  return 1;
}

constexpr uint64_t kNsPerSecond = 1'000'000'000;

}  // namespace

std::optional<LimitProblem> kernel_limit_problem(const Rate& rate, uint64_t burst,
                                                 const char* what) {
  const uint64_t period_ns =
      unit_seconds(rate.unit) * kNsPerSecond;  // at most 8.64e13: no overflow
  if (rate.count > period_ns)
    return LimitProblem{
        fmt::format("{} {}/{} is more than the kernel can limit: at most {}/{}", what, rate.count,
                    to_string(rate.unit), period_ns, to_string(rate.unit)),
        "the kernel's token bucket counts nanoseconds: past one packet per nanosecond it would not "
        "limit at all"};
  const uint64_t cost_ns = period_ns / rate.count;
  uint64_t bucket_ns = 0;
  if (__builtin_mul_overflow(cost_ns, burst, &bucket_ns))
    return LimitProblem{
        fmt::format("{} {}/{} with burst {} overflows the kernel's token bucket ({} ns per packet "
                    "times {})",
                    what, rate.count, to_string(rate.unit), burst, cost_ns, burst),
        fmt::format("at this rate the burst can be at most {}", UINT64_MAX / cost_ns)};
  return std::nullopt;
}

}  // namespace icmpwall::policy
