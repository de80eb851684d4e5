// SPDX-License-Identifier: GPL-2.0-or-later
// Diagnostics are collected through a stage and reported together.
//
// Each one renders as
//   policies/x.toml:12:9: error: unknown ICMP type 'echo-requets'
//      12 | types = ["echo-requets"]
//         |          ^
//   hint: did you mean 'echo-request'?
// plus optional notes pointing at related places (e.g. the other side of a
// conflict).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "icmpwall/util/source.h"

namespace icmpwall {

enum class Severity { error, warning, note };

struct Diagnostic {
  Severity severity = Severity::error;
  SourceLoc loc;
  std::string message;
  std::string hint;  // may be empty
  struct Related {
    SourceLoc loc;
    std::string message;
  };
  std::vector<Related> related;
};

class Diagnostics {
 public:
  Diagnostic& error(SourceLoc loc, std::string message, std::string hint = {});
  Diagnostic& warning(SourceLoc loc, std::string message, std::string hint = {});
  void add(Diagnostic d) { items_.push_back(std::move(d)); }

  bool has_errors() const;
  size_t count(Severity s) const;
  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

  // Turns every warning into an error (--strict).
  void promote_warnings();

  // Renders every diagnostic; `color` adds ANSI colors (only on a terminal).
  void render(std::ostream& out, bool color = false) const;

 private:
  std::vector<Diagnostic> items_;
};

std::string render(const Diagnostic& d, bool color = false);

// The text of the regular file at `path` (at most max_bytes). If it cannot
// be read: an error "cannot read WHAT: reason" at the file, and nothing.
std::optional<std::string> read_source_text(const std::string& path, size_t max_bytes,
                                            std::string_view what, Diagnostics& diags);

// Text from elsewhere (a policy, an answer on a socket) safe to print on a
// terminal: each control character but newline and tab, an escape
// sequence's ESC among them, shows as \u00XX, as in a diagnostic.
std::string printable_lines(std::string_view text);

}  // namespace icmpwall
