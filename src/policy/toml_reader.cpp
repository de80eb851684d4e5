// SPDX-License-Identifier: GPL-2.0-or-later
// TomlReader (policy/toml_reader.h): positions, typed getters and their
// diagnostics, shared by the policy parser and the daemon's config.
#include "icmpwall/policy/toml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

#include "icmpwall/util/nearest.h"
#include "shown.h"

namespace icmpwall::policy {

bool contains(const Keys& keys, std::string_view k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

std::string join(const Keys& keys, std::string_view sep) {
  std::string out;
  for (auto k : keys) {
    if (!out.empty()) out += sep;
    out += k;
  }
  return out;
}

std::string suggest(std::string_view word, const Keys& valid, std::string otherwise) {
  auto near = nearest_of(word, valid, 1);
  if (near.empty()) return otherwise;
  return fmt::format("did you mean '{}'?", near.front());
}

const char* node_kind(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::optional<toml::table> TomlReader::parse(std::string_view what) {
  try {
    // No source path: TOML++ would give every node and key a shared
    // pointer to it, while positions here name file_ (at()).
    return toml::parse(std::string_view(file_->text()));
  } catch (const toml::parse_error& e) {
    error(at(e.source()), std::string(e.description()), "this is not valid TOML (https://toml.io)");
  } catch (const std::exception& e) {
    error(nowhere(), fmt::format("cannot parse {}: {}", what, e.what()));
  }
  return std::nullopt;
}

void TomlReader::unknown_key(const toml::key& k, const Keys& valid, std::string_view where) {
  error(at(k), fmt::format("unknown key '{}' in {}", shown(k.str()), where),
        suggest(k.str(), valid, fmt::format("valid keys here: {}", join(valid))));
}

void TomlReader::wrong_kind(const toml::node& n, std::string_view key, std::string_view expected,
                            std::string hint) {
  error(at(n), fmt::format("'{}' must be {}, not {}", key, expected, node_kind(n)),
        std::move(hint));
}

std::optional<std::string_view> TomlReader::get_string(const toml::node& n, std::string_view key,
                                                       std::string hint) {
  if (const auto* s = n.as_string()) return std::string_view(s->get());
  wrong_kind(n, key, "a string", std::move(hint));
  return std::nullopt;
}

std::optional<int64_t> TomlReader::get_int(const toml::node& n, std::string_view key, int64_t lo,
                                           int64_t hi, std::string hint) {
  const auto* i = n.as_integer();
  if (!i) {
    wrong_kind(n, key, "an integer", std::move(hint));
    return std::nullopt;
  }
  int64_t v = i->get();
  if (v < lo || v > hi) {
    if (hi == INT64_MAX)
      error(at(n), fmt::format("'{}' must be at least {}, not {}", key, lo, v), std::move(hint));
    else
      error(at(n), fmt::format("'{}' must be between {} and {}, not {}", key, lo, hi, v),
            std::move(hint));
    return std::nullopt;
  }
  return v;
}

std::optional<std::string_view> TomlReader::get_choice(const toml::node& n, std::string_view key,
                                                       const Keys& choices) {
  // The hint and the quoted value are built only for a message: a policy
  // of 100 000 rules asks for two choices per rule.
  const auto* str = n.as_string();
  if (!str) {
    wrong_kind(n, key, "a string", fmt::format("'{}' is one of: {}", key, join(choices)));
    return std::nullopt;
  }
  std::string_view s = str->get();
  if (contains(choices, s)) return s;
  check_choice(at(n), key, s, shown(s), choices);
  return std::nullopt;
}

bool TomlReader::check_choice(const SourceLoc& loc, std::string_view key, std::string_view value,
                              std::string_view shown, const Keys& choices) {
  if (contains(choices, value)) return true;
  std::string all = fmt::format("'{}' is one of: {}", key, join(choices));
  auto near = nearest_of(value, choices, 1);
  error(loc, fmt::format("unknown {} '{}'", key, shown),
        near.empty() ? all : fmt::format("did you mean '{}'? ({})", near.front(), all));
  return false;
}

}  // namespace icmpwall::policy
