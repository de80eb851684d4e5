// SPDX-License-Identifier: GPL-2.0-or-later
// Result<T>: a value or an Error, carried up instead of thrown.
//
// Recoverable failures (a bad policy, a netlink error, an unreachable
// namespace) are values. Only fatal start-up errors throw, and main()
// catches them. TRY() unwraps a Result or returns its error early.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace icmpwall {

struct Error {
  std::string message;
  int code = 0;  // errno-style code where one applies, else 0
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> ok() {
  return {};
}

}  // namespace icmpwall

// Unwraps a Result<T> into `lhs`, or returns its Error from the enclosing
// function. Usage: TRY(auto x, make_x());
#define ICMPWALL_CAT2(a, b) a##b
#define ICMPWALL_CAT(a, b) ICMPWALL_CAT2(a, b)
#define TRY(lhs, expr)                                                                 \
  auto ICMPWALL_CAT(try_, __LINE__) = (expr);                                          \
  if (!ICMPWALL_CAT(try_, __LINE__).ok()) return ICMPWALL_CAT(try_, __LINE__).error(); \
  lhs = std::move(ICMPWALL_CAT(try_, __LINE__)).value()
// For Result<void>.
#define TRY_VOID(expr)                             \
  do {                                             \
    auto try_void_ = (expr);                       \
    if (!try_void_.ok()) return try_void_.error(); \
  } while (0)
