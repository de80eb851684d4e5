// SPDX-License-Identifier: GPL-2.0-or-later
#include "key_depth.h"

#include <algorithm>

namespace icmpwall::policy {

std::optional<std::pair<uint32_t, uint32_t>> too_many_key_dots(std::string_view text) {
  size_t dots = 0;  // in the key being read
  uint32_t line = 1, col = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    ++col;
    switch (c) {
      case '\n':
        ++line;
        col = 0;
        dots = 0;
        break;
      case '=':
      case '[':
      case ']':
      case '{':
      case '}':
      case ',': dots = 0; break;
      case '#':
        while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
        break;
      case '"':
      case '\'': {
        // Skip a string: basic ("), literal ('), or their multi-line forms.
        // Character by character: a policy may hold 100 000 strings.
        auto three_at = [&](size_t j) {
          return j + 2 < text.size() && text[j] == c && text[j + 1] == c && text[j + 2] == c;
        };
        const bool multi = three_at(i);
        const size_t width = multi ? 3 : 1;
        size_t j = i + width;
        while (j < text.size()) {
          if (c == '"' && text[j] == '\\') {
            j += 2;
            continue;
          }
          if (!multi && text[j] == '\n') break;
          if (multi ? three_at(j) : text[j] == c) break;
          ++j;
        }
        for (size_t k = i + 1; k < std::min(j + width, text.size()); ++k) {
          if (text[k] == '\n') {
            ++line;
            col = 0;
          } else {
            ++col;
          }
        }
        i = std::min(j + width, text.size()) - 1;
        break;
      }
      case '.':
        if (++dots > kMaxKeyDots) return std::pair{line, col};
        break;
      default: break;
    }
  }
  return std::nullopt;
}

}  // namespace icmpwall::policy
