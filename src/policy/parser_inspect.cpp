// SPDX-License-Identifier: GPL-2.0-or-later
// The policy parser (parser_internal.h): [inspect] and its sections, each
// value checked against its knob (inspect_settings.h).
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "icmpwall/util/address.h"
#include "parser_internal.h"
#include "shown.h"

namespace icmpwall::policy {

void Parser::parse_inspect_settings(const toml::node& n, Policy& policy) {
  const auto* tbl = n.as_table();
  if (!tbl) {
    wrong_kind(n, "inspect", "a table",
               "write [inspect.tunnel], [inspect.sweep], [inspect.redirect] or [inspect.errors] "
               "and put the "
               "settings under it");
    return;
  }
  const Keys sections = {"tunnel", "sweep", "block", "redirect", "errors"};
  for (auto&& [k, v] : *tbl) {
    // [inspect] itself holds the policy-wide settings (enforce).
    if (const Knob* knob = find_knob("", k.str())) {
      if (auto value = get_knob(v, *knob)) policy.inspect.values.push_back({knob, *value, at(v)});
      continue;
    }
    if (!contains(sections, k.str())) {
      Keys valid = sections;
      for (auto key : inspect_keys("")) valid.push_back(key);
      error(at(k), fmt::format("unknown section [inspect.{}]", shown(k.str())),
            suggest(k.str(), valid,
                    fmt::format("the sections are {}; [inspect] itself takes {}", join(sections),
                                join(inspect_keys("")))));
      continue;
    }
    parse_inspect_section(v, std::string(k.str()), policy);
  }
  std::sort(policy.inspect.values.begin(), policy.inspect.values.end(),
            [](const InspectSetting& a, const InspectSetting& b) {
              return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
            });
  bool inspects = std::any_of(policy.rules.begin(), policy.rules.end(),
                              [](const Rule& r) { return r.action == Action::inspect; });
  if (!inspects && !policy.inspect.empty())
    diags_.warning(policy.inspect.values.front().loc,
                   "[inspect.*] settings have no effect: no rule has action = \"inspect\"",
                   "add a [[rule]] with action = \"inspect\", or remove the [inspect.*] settings");
}

void Parser::parse_inspect_section(const toml::node& n, const std::string& section,
                                   Policy& policy) {
  const std::string where = section_header(section);
  const auto* tbl = n.as_table();
  if (!tbl) {
    wrong_kind(n, fmt::format("inspect.{}", section), "a table",
               fmt::format("write {} and put its settings under it", where));
    return;
  }
  std::vector<std::string_view> keys = inspect_keys(section);
  const bool has_weights = section == "tunnel";
  Keys valid = keys;
  if (has_weights) valid.push_back("weights");
  for (auto&& [k, v] : *tbl) {
    if (has_weights && k.str() == "weights") {
      parse_inspect_section(v, "tunnel.weights", policy);
      continue;
    }
    const Knob* knob = find_knob(section, k.str());
    if (!knob) {
      unknown_key(k, valid, where);
      continue;
    }
    if (auto value = get_knob(v, *knob)) policy.inspect.values.push_back({knob, *value, at(v)});
  }
}

// One value, checked against the knob's kind and range.
std::optional<KnobValue> Parser::get_knob(const toml::node& n, const Knob& knob) {
  const std::string key(knob.key);
  const std::string hint = fmt::format("{}: {}, default {}", key, describe_range(knob),
                                       format_value(knob, knob.default_value));
  KnobValue value;
  switch (knob.kind) {
    case KnobKind::integer:
    case KnobKind::seconds: {
      auto i =
          get_int(n, key, static_cast<int64_t>(knob.min), static_cast<int64_t>(knob.max), hint);
      if (!i) return std::nullopt;
      value.integer = *i;
      return value;
    }
    case KnobKind::number: {
      if (const auto* i = n.as_integer())
        value.number = static_cast<double>(i->get());
      else if (const auto* f = n.as_floating_point())
        value.number = f->get();
      else {
        wrong_kind(n, key, "a number", hint);
        return std::nullopt;
      }
      if (!in_range(knob, value)) {
        error(at(n),
              fmt::format("'{}' must be a {}, not {}", key, describe_range(knob),
                          format_value(knob, value)),
              hint);
        return std::nullopt;
      }
      return value;
    }
    case KnobKind::boolean: {
      const auto* b = n.as_boolean();
      if (!b) {
        wrong_kind(n, key, "true or false", hint);
        return std::nullopt;
      }
      value.flag = b->get();
      return value;
    }
    case KnobKind::choice: {
      auto c = get_choice(n, key, knob.choices);
      if (!c) return std::nullopt;
      value.choice = static_cast<uint8_t>(std::find(knob.choices.begin(), knob.choices.end(), *c) -
                                          knob.choices.begin());
      return value;
    }
    case KnobKind::prefixes: return get_prefixes(n, key);
  }
  return std::nullopt;
}

// An array of prefixes (empty: none), each checked like a rule's source;
// kept as "address/length", duplicates once.
std::optional<KnobValue> Parser::get_prefixes(const toml::node& n, const std::string& key) {
  const auto* arr = n.as_array();
  if (!arr) {
    wrong_kind(n, key, "an array of prefixes",
               n.is_string() ? fmt::format(R"(write {} = ["{}"])", key, shown(n.as_string()->get()))
                             : fmt::format(R"(e.g. {} = ["198.18.0.0/15", "2001:db8::/32"])", key));
    return std::nullopt;
  }
  KnobValue value;
  bool ok = true;
  for (const auto& e : *arr) {
    const auto* str = e.as_string();
    if (!str) {
      error(at(e), fmt::format("a '{}' entry must be a string, not {}", key, node_kind(e)),
            kPrefixExample);
      ok = false;
      continue;
    }
    auto p = parse_prefix(str->get(), at(e));
    if (!p) {
      ok = false;
      continue;
    }
    std::string text = fmt::format(
        "{}/{}", format_addr(p->addr.data(), p->family == Family::ipv4 ? 4 : 16), p->len);
    if (std::find(value.prefixes.begin(), value.prefixes.end(), text) == value.prefixes.end())
      value.prefixes.push_back(std::move(text));
  }
  if (!ok) return std::nullopt;
  return value;
}

}  // namespace icmpwall::policy
