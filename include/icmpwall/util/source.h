// SPDX-License-Identifier: GPL-2.0-or-later
// Source files and positions, so that every diagnostic (from the parser,
// the lint, the compiler or the kernel's extended ack) can point at the
// policy line it came from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace icmpwall {

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  // The text of 1-based line `line`, without its newline; empty if out of range.
  std::string_view line(uint32_t line) const;

 private:
  std::string path_;
  std::string text_;
  std::vector<size_t> line_starts_;
};

// A 1-based line/column in a SourceFile. A default SourceLoc is "nowhere"
// (built-in defaults, generated objects).
struct SourceLoc {
  std::shared_ptr<const SourceFile> file;
  uint32_t line = 0;
  uint32_t col = 0;

  bool known() const { return file != nullptr && line != 0; }
};

}  // namespace icmpwall
