// SPDX-License-Identifier: GPL-2.0-or-later
#include "key_depth.h"

#include <algorithm>
#include <array>

namespace icmpwall::policy {
namespace {

// One pass over the text, keeping the line and where it starts (the column
// of a byte is its distance from there, plus one).
class DotScan {
 public:
  explicit DotScan(std::string_view text) : text_(text), n_(text.size()) {}

  std::optional<std::pair<uint32_t, uint32_t>> run() {
    size_t dots = 0;  // in the key being read
    for (size_t i = 0; i < n_; ++i) {
      switch (text_[i]) {
        case '\n':
          new_line(i);
          dots = 0;
          break;
        case '=':
        case '[':
        case ']':
        case '{':
        case '}':
        case ',': dots = 0; break;
        case '#': {
          // To the end of the line; the new line itself is read next.
          const size_t nl = text_.find('\n', i);
          i = (nl == std::string_view::npos ? n_ : nl) - 1;
          break;
        }
        case '"':
        case '\'': i = skip_string(i) - 1; break;
        case '.':
          if (++dots > kMaxKeyDots)
            return std::pair{line_, static_cast<uint32_t>(i - line_start_ + 1)};
          break;
        default: break;
      }
    }
    return std::nullopt;
  }

 private:
  void new_line(size_t at) {
    ++line_;
    line_start_ = at + 1;
  }

  bool three_at(size_t j, char quote) const {
    return j + 2 < n_ && text_[j] == quote && text_[j + 1] == quote && text_[j + 2] == quote;
  }

  // Skips the string that opens at `i`: basic ("), literal ('), or their
  // multi-line forms; returns one past its closing delimiter, or where an
  // unfinished one stops (a single-line string stops after a new line).
  // Its new lines (multi-line, escaped, or the one that stops it) move the
  // line on but end no key. Byte by byte: a policy may hold 100 000
  // strings.
  size_t skip_string(size_t i) {
    const char quote = text_[i];
    const bool basic = quote == '"';
    const bool multi = three_at(i, quote);
    const size_t width = multi ? 3 : 1;
    size_t j = i + width;
    while (j < n_) {
      while (j < n_ && !kStop[static_cast<uint8_t>(text_[j])]) ++j;
      if (j >= n_) break;
      const char c = text_[j];
      if (c == quote) {
        if (!multi || three_at(j, quote)) break;
      } else if (c == '\n') {
        if (!multi) {
          new_line(j);
          break;
        }
        new_line(j);
      } else if (c == '\\' && basic) {
        if (j + 1 < n_ && text_[j + 1] == '\n') new_line(j + 1);
        ++j;
      }
      ++j;
    }
    return std::min(j + width, n_);
  }

  static constexpr std::array<bool, 256> kStop = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {'"', '\'', '\\', '\n'}) t[c] = true;
    return t;
  }();

  std::string_view text_;
  size_t n_;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

std::optional<std::pair<uint32_t, uint32_t>> too_many_key_dots(std::string_view text) {
  return DotScan(text).run();
}

}  // namespace icmpwall::policy
