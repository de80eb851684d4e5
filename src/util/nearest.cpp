// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/nearest.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace icmpwall {

size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  const size_t n = a.size(), m = b.size();
  // Three rolling rows: i-2, i-1, i.
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::vector<std::string> nearest_of(std::string_view word,
                                    const std::vector<std::string_view>& candidates, size_t n) {
  // Long inputs are not words anyone misspelled; keep the cost bounded.
  if (word.size() > 64) return {};
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  std::vector<std::pair<size_t, std::string_view>> scored;
  for (auto c : candidates) {
    size_t d = edit_distance(word, c);
    bool prefix = word.size() >= 3 && c.size() > word.size() && c.substr(0, word.size()) == word;
    if (d <= limit || prefix) scored.emplace_back(d, c);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [d, c] : scored) {
    if (out.size() == n) break;
    if (std::find(out.begin(), out.end(), c) == out.end()) out.emplace_back(c);
  }
  return out;
}

}  // namespace icmpwall
