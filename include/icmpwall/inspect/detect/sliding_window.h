// SPDX-License-Identifier: GPL-2.0-or-later
// A count over a sliding time window in constant space: two fixed buckets
// of one window each, the current one and the one before, and the estimate
// current + previous * (share of the previous bucket still inside the
// window). This is exact when events are spread evenly and never off by
// more than the previous bucket's count; it is what rate limiters use to
// keep per-flow state small.
#pragma once

#include <chrono>
#include <cstdint>

namespace icmpwall::inspect {

class SlidingCount {
 public:
  using Clock = std::chrono::steady_clock;

  // Adds `amount` at `now` (time never runs backwards for one counter;
  // an earlier `now` counts in the current bucket).
  void add(Clock::time_point now, Clock::duration window, uint64_t amount) {
    roll(now, window);
    current_ += amount;
  }

  // Events in the window ending at `now`.
  double count(Clock::time_point now, Clock::duration window) const {
    if (window.count() <= 0) return static_cast<double>(current_);
    auto elapsed = now - start_;
    if (elapsed >= 2 * window) return 0;
    if (elapsed >= window) {
      // `current_` has become the previous bucket.
      double left = 1.0 - static_cast<double>((elapsed - window).count()) / window.count();
      return current_ * left;
    }
    double left =
        elapsed.count() <= 0 ? 1.0 : 1.0 - static_cast<double>(elapsed.count()) / window.count();
    return current_ + previous_ * left;
  }

  double per_second(Clock::time_point now, Clock::duration window) const {
    double seconds = std::chrono::duration<double>(window).count();
    return seconds > 0 ? count(now, window) / seconds : 0;
  }

 private:
  void roll(Clock::time_point now, Clock::duration window) {
    if (started_ == false) {
      start_ = now;
      started_ = true;
      return;
    }
    auto elapsed = now - start_;
    if (elapsed < window) return;
    if (elapsed < 2 * window) {
      previous_ = current_;
      start_ += window;
    } else {
      previous_ = 0;
      start_ = now;
    }
    current_ = 0;
  }

  Clock::time_point start_{};
  uint64_t current_ = 0;
  uint64_t previous_ = 0;
  bool started_ = false;
};

}  // namespace icmpwall::inspect
