// SPDX-License-Identifier: GPL-2.0-or-later
// A set element's key, held inline: the model's keys are at most 16 bytes
// (an IPv6 address, an interface name), and a table of 100 000 prefixes
// should not cost 200 000 heap blocks for them.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <vector>

namespace icmpwall::nft {

class SetKey {
 public:
  static constexpr size_t kMaxBytes = 16;

  SetKey() = default;
  SetKey(std::initializer_list<uint8_t> bytes) { assign(bytes.begin(), bytes.size()); }
  explicit SetKey(std::span<const uint8_t> bytes) { assign(bytes.data(), bytes.size()); }
  SetKey(const std::vector<uint8_t>& bytes) { assign(bytes.data(), bytes.size()); }

  // Grows with `value` bytes or shrinks to `n` bytes.
  void resize(size_t n, uint8_t value = 0) {
    check(n);
    if (n > size_) std::fill(bytes_.begin() + size_, bytes_.begin() + n, value);
    std::fill(bytes_.begin() + n, bytes_.end(), uint8_t{0});
    size_ = static_cast<uint8_t>(n);
  }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint8_t* begin() { return data(); }
  uint8_t* end() { return data() + size_; }
  const uint8_t* begin() const { return data(); }
  const uint8_t* end() const { return data() + size_; }
  uint8_t& operator[](size_t i) { return bytes_[i]; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }
  uint8_t at(size_t i) const {
    if (i >= size_) throw std::out_of_range("set key byte past its end");
    return bytes_[i];
  }

  // Byte by byte, like the vectors the kernel's keys are compared as.
  friend bool operator==(const SetKey& a, const SetKey& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend std::strong_ordering operator<=>(const SetKey& a, const SetKey& b) {
    return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  static void check(size_t n) {
    if (n > kMaxBytes) throw std::length_error("set key longer than 16 bytes");
  }
  void assign(const uint8_t* bytes, size_t n) {
    check(n);
    std::copy_n(bytes, n, bytes_.begin());
    size_ = static_cast<uint8_t>(n);
  }

  std::array<uint8_t, kMaxBytes> bytes_{};  // past size_: zero
  uint8_t size_ = 0;
};

}  // namespace icmpwall::nft
