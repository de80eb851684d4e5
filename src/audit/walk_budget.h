// SPDX-License-Identifier: GPL-2.0-or-later
// The work one packet's evaluation may take: rule steps over all its
// walks, and a deadline shared by a whole report. Spent, the walk stops
// where it is and the outcome is conditional, unknown beyond that point,
// so every packet gets an answer in bounded time whatever the ruleset.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace icmpwall::audit {

class WalkBudget {
 public:
  using Clock = std::chrono::steady_clock;
  WalkBudget(size_t steps, std::optional<Clock::time_point> deadline)
      : steps_(steps), left_(steps), deadline_(deadline) {}

  // One more step; false once the budget is spent (then why() says why).
  bool spend() {
    if (!why_.empty()) return false;
    if (left_ == 0) {
      why_ = fmt::format("the audit's step budget ({} rule steps for this packet) ran out", steps_);
      return false;
    }
    --left_;
    if (deadline_ && (left_ % 256 == 0 || steps_ - left_ == 1) && Clock::now() >= *deadline_) {
      why_ = "the audit's time budget ran out";
      return false;
    }
    return true;
  }
  // `n` steps at once (a walk resumed where another was: the steps of
  // walking there again); false, charging nothing, if fewer are left or
  // the deadline is past.
  bool charge(size_t n) {
    if (!why_.empty() || left_ < n) return false;
    if (deadline_ && Clock::now() >= *deadline_) return false;
    left_ -= n;
    return true;
  }
  bool spent() const { return !why_.empty(); }
  const std::string& why() const { return why_; }

 private:
  size_t steps_;
  size_t left_;
  std::optional<Clock::time_point> deadline_;
  std::string why_;
};

}  // namespace icmpwall::audit
