// SPDX-License-Identifier: GPL-2.0-or-later
// The policy parser (parser_internal.h): a rule's `types` list (or `type`)
// resolved to one IcmpMatch per family, type and code: names from the
// registry (icmp_types.h), "icmp:N[/CODE]", "icmpv6:N[/CODE]", bare numbers
// with a family, and codes by number or by name.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "parser_internal.h"
#include "shown.h"

namespace icmpwall::policy {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + names[i] + "'";
  }
  return out;
}

}  // namespace

bool Parser::parse_types(const toml::table& tbl, Rule& rule, const RuleState& st) {
  const auto* types = tbl.get("types");
  const auto* type = tbl.get("type");
  if (types && type) {
    // Point at whichever comes second in the file.
    const toml::node* second =
        std::tie(types->source().begin.line, types->source().begin.column) >
                std::tie(type->source().begin.line, type->source().begin.column)
            ? types
            : type;
    error(at(*second), "a rule takes 'types' or 'type', not both",
          "put every type in one 'types' list");
    return false;
  }
  if (!types && !type) {
    error(rule.loc, fmt::format("rule '{}' names no ICMP type", rule.name),
          R"(add types = ["echo-request", ...] or type = "echo-request")");
    return false;
  }
  bool ok = true;
  if (type) {
    if (type->is_string() || type->is_integer())
      ok &= resolve_entry(*type, st, rule.matches);
    else {
      wrong_kind(*type, "type", "a string or an integer",
                 R"(for several types, write types = ["a", "b"])");
      return false;
    }
  } else {
    const auto* arr = types->as_array();
    if (!arr) {
      wrong_kind(*types, "types", "an array",
                 types->is_string() ? fmt::format(R"(write types = ["{}"] or type = "{}")",
                                                  shown(types->as_string()->get()),
                                                  shown(types->as_string()->get()))
                                    : R"(e.g. types = ["echo-request", "echo-reply"])");
      return false;
    }
    if (arr->empty()) {
      error(at(*types), "'types' must not be empty", R"(e.g. types = ["echo-request"])");
      return false;
    }
    for (const auto& e : *arr) {
      if (!e.is_string() && !e.is_integer()) {
        error(at(e),
              fmt::format("a 'types' entry must be a string or an integer, not {}", node_kind(e)));
        ok = false;
        continue;
      }
      ok &= resolve_entry(e, st, rule.matches);
    }
  }
  return ok;
}

// One entry of `types` (or the value of `type`) -> matches appended to `out`.
bool Parser::resolve_entry(const toml::node& n, const RuleState& st, std::vector<IcmpMatch>& out) {
  const SourceLoc loc = at(n);
  std::vector<NamedMatch> found;
  std::string number;
  std::string_view text;
  if (const auto* i = n.as_integer()) {
    number = std::to_string(i->get());
    text = number;
    if (!resolve_number(i->get(), number, loc, st, found)) return false;
  } else {
    text = n.as_string()->get();
    if (!resolve_text(text, loc, st, found)) return false;
  }
  bool added = false;
  for (const auto& m : found) {
    bool dup = std::any_of(out.begin(), out.end(), [&](const IcmpMatch& o) {
      return o.family == m.family && o.type == m.type && o.code == m.code;
    });
    if (dup) continue;
    out.push_back({m.family, m.type, m.code, loc});
    added = true;
  }
  if (!added)
    diags_.warning(loc, fmt::format("'{}' is already named by this rule", shown(text)),
                   "remove this entry");
  return true;
}

bool Parser::resolve_number(int64_t v, const std::string& text, const SourceLoc& loc,
                            const RuleState& st, std::vector<NamedMatch>& found) {
  if (!st.family) {
    error(loc, fmt::format("a bare type number needs family = \"ipv4\" or \"ipv6\""),
          v >= 0 && v <= 255
              ? fmt::format(R"(write "icmp:{0}" for ICMPv4 or "icmpv6:{0}" for ICMPv6)", v)
              : "ICMP types are 0..255");
    return false;
  }
  if (v < 0 || v > 255) {
    error(loc, fmt::format("ICMP type {} is out of range", shown(text)), "ICMP types are 0..255");
    return false;
  }
  found.push_back({*st.family, static_cast<uint8_t>(v), std::nullopt});
  return true;
}

// A code, by number or by name within (f, type); reported when unknown.
std::optional<uint8_t> Parser::resolve_code(std::string_view code, Family f, uint8_t type,
                                            const SourceLoc& loc, bool report) {
  if (auto num = parse_number(code)) {
    if (*num > 255) {
      if (report)
        error(loc, fmt::format("ICMP code {} is out of range", shown(code)),
              "ICMP codes are 0..255");
      return std::nullopt;
    }
    return static_cast<uint8_t>(*num);
  }
  if (auto c = lookup_code(f, type, code)) return c;
  if (report) report_unknown_code(code, {{f, type, std::nullopt}}, loc);
  return std::nullopt;
}

// An unknown code name for a type, in one family or in both.
void Parser::report_unknown_code(std::string_view code, const std::vector<NamedMatch>& types,
                                 const SourceLoc& loc) {
  Keys names;
  for (const auto& t : types)
    for (const auto& c : icmp_codes())
      if (c.family == t.family && c.type == t.type && !contains(names, c.name))
        names.push_back(c.name);
  const auto& first = types.front();
  std::string type_name = describe(first.family, first.type);
  std::string subject =
      types.size() == 1 ? fmt::format("{} {}", family_word(first.family), type_name) : type_name;
  std::string hint =
      names.empty() ? fmt::format("{} has no named codes; write the code number", type_name)
                    : suggest(code, names, fmt::format("codes of {}: {}", subject, join(names)));
  error(loc, fmt::format("unknown code '{}' for {}", shown(code), subject), hint);
}

bool Parser::resolve_text(std::string_view text, const SourceLoc& loc, const RuleState& st,
                          std::vector<NamedMatch>& found) {
  // "icmp:N[/CODE]" / "icmpv6:N[/CODE]"
  for (auto [prefix, fam] : {std::pair{std::string_view("icmp:"), Family::ipv4},
                             std::pair{std::string_view("icmpv6:"), Family::ipv6}}) {
    if (!text.starts_with(prefix)) continue;
    std::string_view rest = text.substr(prefix.size());
    auto slash = rest.find('/');
    std::string_view num = rest.substr(0, slash);
    auto type = parse_number(num);
    if (!type || *type > 255) {
      error(loc, fmt::format("bad type number in '{}'", shown(text)),
            fmt::format(R"(write "{}N" or "{}N/CODE" with N in 0..255, e.g. "{}8")", prefix, prefix,
                        prefix));
      return false;
    }
    if (st.family && *st.family != fam) {
      error(loc,
            fmt::format("'{}' is an {} type, but the rule has family = \"{}\"", shown(text),
                        family_word(fam), to_string(*st.family)),
            fmt::format(R"(write "{}{}" or change the rule's family)",
                        fam == Family::ipv4 ? "icmpv6:" : "icmp:", rest));
      return false;
    }
    std::optional<uint8_t> code;
    if (slash != std::string_view::npos) {
      code = resolve_code(rest.substr(slash + 1), fam, static_cast<uint8_t>(*type), loc, true);
      if (!code) return false;
    }
    found.push_back({fam, static_cast<uint8_t>(*type), code});
    return true;
  }

  if (parse_number(text)) {
    auto v = parse_number(text);
    return resolve_number(*v > 1000 ? 1000 : static_cast<int64_t>(*v), std::string(text), loc, st,
                          found);
  }

  auto slash = text.find('/');
  std::string_view type_part = text.substr(0, slash);
  std::vector<NamedMatch> meanings;
  if (auto num = parse_number(type_part)) {
    if (!resolve_number(*num > 1000 ? 1000 : static_cast<int64_t>(*num), std::string(type_part),
                        loc, st, meanings))
      return false;
  } else {
    meanings = lookup_name(type_part);
    if (meanings.empty()) {
      auto near = nearest_names(type_part);
      error(
          loc, fmt::format("unknown ICMP type '{}'", shown(type_part)),
          near.empty()
              ? R"(`icmpwall check --list-types` lists every name; write "icmp:N" or "icmpv6:N" for a number)"
              : fmt::format("did you mean {}?", quoted_list(near)));
      return false;
    }
    if (slash != std::string_view::npos &&
        std::none_of(meanings.begin(), meanings.end(),
                     [](const NamedMatch& m) { return !m.code; })) {
      const auto& m = meanings.front();
      error(loc,
            fmt::format("'{}' already names a code ({}), so it cannot take '/{}'", type_part,
                        describe(m.family, m.type, m.code), shown(text.substr(slash + 1))),
            fmt::format("write '{}' alone, or '{}/{}'", type_part, describe(m.family, m.type),
                        shown(text.substr(slash + 1))));
      return false;
    }
    if (slash != std::string_view::npos)
      std::erase_if(meanings, [](const NamedMatch& m) { return m.code.has_value(); });
    std::vector<NamedMatch> in_family;
    for (const auto& m : meanings)
      if (!st.family || m.family == *st.family) in_family.push_back(m);
    if (in_family.empty()) {
      const auto& m = meanings.front();
      std::string hint = fmt::format("'{}' exists only in {}; remove family or name an {} type",
                                     type_part, to_string(m.family), family_word(*st.family));
      if (type_part == "packet-too-big") hint = "its ICMPv4 counterpart is 'frag-needed'";
      if (type_part == "frag-needed") hint = "its ICMPv6 counterpart is 'packet-too-big'";
      error(loc,
            fmt::format("'{}' is an {} {}, but the rule has family = \"{}\"", type_part,
                        family_word(m.family), m.code ? "type and code" : "type",
                        to_string(*st.family)),
            hint);
      return false;
    }
    meanings = std::move(in_family);
  }

  if (slash == std::string_view::npos) {
    if (found.empty())
      found = std::move(meanings);
    else
      found.insert(found.end(), meanings.begin(), meanings.end());
    return true;
  }
  std::string_view code_part = text.substr(slash + 1);
  size_t before = found.size();
  for (const auto& m : meanings)
    if (auto c = resolve_code(code_part, m.family, m.type, loc, false))
      found.push_back({m.family, m.type, c});
  if (found.size() == before) {
    if (parse_number(code_part))
      error(loc, fmt::format("ICMP code {} is out of range", shown(code_part)),
            "ICMP codes are 0..255");
    else
      report_unknown_code(code_part, meanings, loc);
    return false;
  }
  return true;
}

}  // namespace icmpwall::policy
