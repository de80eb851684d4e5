// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "icmpwall/util/file.h"

namespace icmpwall {
namespace {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

const char* severity_color(Severity s) {
  switch (s) {
    case Severity::error: return "\033[1;31m";
    case Severity::warning: return "\033[1;35m";
    case Severity::note: return "\033[1;36m";
  }
  return "";
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Text from a policy (a value, a key, a line) may hold control characters,
// a terminal's escape sequences among them: in a message they show as
// \u00XX, in an excerpt as '?' (one byte for one, so the caret stays
// under its column). A tab stays a tab in an excerpt.
std::string printable(std::string_view text, std::string_view kept = {}) {
  const auto escaped = [&](char c) { return is_control(c) && kept.find(c) == kept.npos; };
  if (std::none_of(text.begin(), text.end(), escaped)) return std::string(text);
  std::string out;
  for (char c : text)
    if (escaped(c))
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    else
      out += c;
  return out;
}

std::string printable_excerpt(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c != '\t' && is_control(c)) c = '?';
  return out;
}

// "file:line:col: " or "" for a position nowhere.
std::string position(const SourceLoc& loc) {
  if (!loc.known()) return loc.file ? loc.file->path() + ": " : std::string{};
  return fmt::format("{}:{}:{}: ", loc.file->path(), loc.line, loc.col);
}

// A long line is shown as this many bytes around the column, with "…"
// where it was cut: a 60 MiB line costs the excerpt a line, not 60 MiB.
constexpr size_t kExcerptBefore = 40;
constexpr size_t kExcerptAfter = 80;

// Steps `i` back to the start of the UTF-8 sequence it falls in.
size_t sequence_start(std::string_view s, size_t i) {
  while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) --i;
  return i;
}

// The source line with a caret under the column.
void append_excerpt(std::string& out, const SourceLoc& loc) {
  if (!loc.known()) return;
  std::string_view line = loc.file->line(loc.line);
  const size_t col = std::min<size_t>(loc.col ? loc.col - 1 : 0, line.size());
  const size_t from = col > kExcerptBefore ? sequence_start(line, col - kExcerptBefore) : 0;
  const size_t to = std::min(line.size(), sequence_start(line, col + kExcerptAfter));
  std::string_view text = line.substr(from, to - from);
  const std::string_view lead = from > 0 ? "…" : "";
  std::string num = std::to_string(loc.line);
  out += fmt::format(" {} | {}{}{}\n", num, lead, printable_excerpt(text),
                     to < line.size() ? "…" : "");
  std::string pad(from > 0 ? 1 : 0, ' ');
  for (size_t i = from; i < col; ++i) pad += line[i] == '\t' ? '\t' : ' ';
  out += fmt::format(" {} | {}^\n", std::string(num.size(), ' '), pad);
}

}  // namespace

std::string render(const Diagnostic& d, bool color) {
  std::string out;
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  out += fmt::format("{}{}{}{}:{} {}{}\n", bold, position(d.loc),
                     color ? severity_color(d.severity) : "", severity_name(d.severity), reset,
                     printable(d.message), reset);
  append_excerpt(out, d.loc);
  if (!d.hint.empty()) out += fmt::format("hint: {}\n", printable(d.hint));
  for (const auto& r : d.related) {
    out += fmt::format("{}{}note:{} {}\n", position(r.loc),
                       color ? severity_color(Severity::note) : "", reset, printable(r.message));
    append_excerpt(out, r.loc);
  }
  return out;
}

std::string printable_lines(std::string_view text) {
  return printable(text, "\n\t");
}

Diagnostic& Diagnostics::error(SourceLoc loc, std::string message, std::string hint) {
  items_.push_back({Severity::error, std::move(loc), std::move(message), std::move(hint), {}});
  return items_.back();
}

Diagnostic& Diagnostics::warning(SourceLoc loc, std::string message, std::string hint) {
  items_.push_back({Severity::warning, std::move(loc), std::move(message), std::move(hint), {}});
  return items_.back();
}

bool Diagnostics::has_errors() const {
  return count(Severity::error) > 0;
}

size_t Diagnostics::count(Severity s) const {
  return std::count_if(items_.begin(), items_.end(),
                       [s](const Diagnostic& d) { return d.severity == s; });
}

void Diagnostics::promote_warnings() {
  for (auto& d : items_)
    if (d.severity == Severity::warning) d.severity = Severity::error;
}

void Diagnostics::render(std::ostream& out, bool color) const {
  for (const auto& d : items_) out << icmpwall::render(d, color);
}

std::optional<std::string> read_source_text(const std::string& path, size_t max_bytes,
                                            std::string_view what, Diagnostics& diags) {
  auto text = read_regular_file(path, max_bytes);
  if (!text) {
    diags.error({std::make_shared<const SourceFile>(path, std::string{}), 0, 0},
                fmt::format("cannot read {}: {}", what, text.error().message));
    return std::nullopt;
  }
  return std::move(*text);
}

}  // namespace icmpwall
