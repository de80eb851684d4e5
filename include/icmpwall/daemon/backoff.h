// SPDX-License-Identifier: GPL-2.0-or-later
// Capped exponential backoff: the delay before the next retry starts at
// `first`, doubles after every failure and never exceeds `cap`; a success
// (reset) starts it over.
#pragma once

#include <algorithm>
#include <chrono>

namespace icmpwall::daemon {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;
  Backoff(Duration first, Duration cap) : first_(first), cap_(std::max(first, cap)), next_(first) {}

  // The delay to wait after this failure; the next one is twice as long.
  Duration failed() {
    const Duration now = next_;
    next_ = next_ > cap_ / 2 ? cap_ : next_ * 2;
    ++failures_;
    return now;
  }
  void reset() {
    next_ = first_;
    failures_ = 0;
  }
  // Failures since the last reset.
  unsigned failures() const { return failures_; }

 private:
  Duration first_, cap_, next_;
  unsigned failures_ = 0;
};

}  // namespace icmpwall::daemon
