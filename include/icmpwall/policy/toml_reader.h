// SPDX-License-Identifier: GPL-2.0-or-later
// Reading a TOML file key by key, with every mistake a Diagnostic at its
// file:line:col: the policy parser (policy/parser.h) and the daemon's
// config (daemon/config.h) both read their files through it.
//
// TomlReader knows one source file and where its diagnostics go. It parses
// the text (a syntax error becomes a diagnostic at its position), turns TOML++
// source regions into SourceLocs, and reads typed values: each getter reports
// a wrong value (type, range, unknown choice with a "did you mean" hint) and
// returns nothing, so the caller goes on to the next key.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "icmpwall/util/diagnostics.h"
#include "icmpwall/util/source.h"

namespace icmpwall::policy {

using Keys = std::vector<std::string_view>;

bool contains(const Keys& keys, std::string_view k);
// "a, b, c" (or with another separator).
std::string join(const Keys& keys, std::string_view sep = ", ");
// "did you mean 'x'?" or, when nothing is close, `otherwise`.
std::string suggest(std::string_view word, const Keys& valid, std::string otherwise);
// "a string", "an integer", ... as a message names a value's type.
const char* node_kind(const toml::node& n);

class TomlReader {
 public:
  TomlReader(std::shared_ptr<const SourceFile> file, Diagnostics& diags)
      : file_(std::move(file)), diags_(diags) {}

  // The file's text as a TOML table; none (and an error at the syntax
  // error's position) if it is not TOML. `what` names the file in the
  // message of an unexpected failure ("the policy").
  std::optional<toml::table> parse(std::string_view what);

  // A position TOML++ gives, in the file: lines of a part of the text
  // count from its first line (line_base_ lines into the file).
  SourceLoc at(const toml::source_region& r) const {
    return {file_, r.begin.line ? r.begin.line + line_base_ : 0, r.begin.column};
  }
  SourceLoc at(const toml::node& n) const { return at(n.source()); }
  SourceLoc at(const toml::key& k) const { return at(k.source()); }
  SourceLoc nowhere() const { return {file_, 0, 0}; }

  Diagnostic& error(SourceLoc loc, std::string message, std::string hint = {}) {
    return diags_.error(std::move(loc), std::move(message), std::move(hint));
  }

  // "unknown key 'K' in WHERE", with the nearest valid key as a hint.
  void unknown_key(const toml::key& k, const Keys& valid, std::string_view where);
  // "'KEY' must be EXPECTED, not <the value's kind>".
  void wrong_kind(const toml::node& n, std::string_view key, std::string_view expected,
                  std::string hint = {});

  // ---- typed getters: report and return nothing when the value is wrong ---

  std::optional<std::string_view> get_string(const toml::node& n, std::string_view key,
                                             std::string hint = {});
  std::optional<int64_t> get_int(const toml::node& n, std::string_view key, int64_t lo, int64_t hi,
                                 std::string hint = {});
  // A string out of `choices`, else an error with the nearest choice.
  std::optional<std::string_view> get_choice(const toml::node& n, std::string_view key,
                                             const Keys& choices);
  // True if `value` is one of `choices`; else "unknown KEY 'SHOWN'" at
  // `loc`, hinted with the nearest choice and the list of them. `shown` is
  // the value as the message quotes it.
  bool check_choice(const SourceLoc& loc, std::string_view key, std::string_view value,
                    std::string_view shown, const Keys& choices);

  // A string, or a non-empty array of strings (each reported on its own):
  // fn(value, position) for each.
  template <typename Fn>
  void for_each_string(const toml::node& n, std::string_view key, Fn fn);

 protected:
  std::shared_ptr<const SourceFile> file_;
  Diagnostics& diags_;
  uint32_t line_base_ = 0;  // lines of the file before the text TOML++ parsed
};

template <typename Fn>
void TomlReader::for_each_string(const toml::node& n, std::string_view key, Fn fn) {
  if (const auto* s = n.as_string()) {
    fn(std::string_view(s->get()), at(n));
    return;
  }
  const auto* arr = n.as_array();
  if (!arr) {
    wrong_kind(n, key, "a string or an array of strings");
    return;
  }
  if (arr->empty()) {
    error(at(n), fmt::format("'{}' must not be empty", key),
          fmt::format("remove '{}' to match any {}", key,
                      key == "destination-type" ? "type" : "value"));
    return;
  }
  for (const auto& e : *arr) {
    if (const auto* s = e.as_string())
      fn(std::string_view(s->get()), at(e));
    else
      error(at(e), fmt::format("a '{}' entry must be a string, not {}", key, node_kind(e)));
  }
}

}  // namespace icmpwall::policy
