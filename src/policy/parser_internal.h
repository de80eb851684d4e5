// SPDX-License-Identifier: GPL-2.0-or-later
// The policy parser's one class, split by what it reads:
//
//   parser.cpp          the walk's top level: [icmpwall], [hooks.*], the
//                       shared values (rates, log tables), the entry points
//   parser_rules.cpp    each [[rule]]: its name, action, rate-limit and
//                       inspect keys, and which keys belong to which action
//   parser_types.cpp    a rule's `types` / `type`: names and numbers
//                       resolved to (family, type, code)
//   parser_scope.cpp    where a rule applies: hooks, interfaces, prefixes,
//                       destination types, hop limit
//   parser_inspect.cpp  [inspect] and [inspect.*]: the inspection knobs
//
// TomlReader (policy/toml_reader.h) supplies positions and typed getters.
// Diagnostics are collected here and handed over sorted by position: TOML++
// keeps a table's keys in alphabetical order, not in file order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/policy/inspect_settings.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/policy/toml_reader.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::policy {

// Far beyond any real policy (100 000 prefixes take about 3 MiB); keeps
// the parser's cost bounded.
inline constexpr size_t kMaxPolicyBytes = 64 << 20;

// [[rule]] tables parsed at a time when the text is read in parts
// (rule_parts.h): each part's TOML tree stays within the CPU's caches.
inline constexpr size_t kRulesPerPart = 128;

inline const Keys kHookNames = {"input", "forward", "output"};
inline const Keys kRateLimitKeys = {"rate",        "burst", "per",     "ipv4-prefix",
                                    "ipv6-prefix", "over",  "timeout", "max-sources"};

inline constexpr char kPrefixExample[] =
    R"(e.g. "198.18.0.0/15", "2001:db8::/32" or a single address "192.0.2.1")";

// [a-z0-9_-]{1,max}, starting with a letter when `first_letter`.
bool valid_name(std::string_view s, size_t max, bool first_letter);
// A decimal number of at most 20 digits, all of `s`.
std::optional<uint64_t> parse_number(std::string_view s);
std::string lower_case(std::string_view s);
inline const char* family_word(Family f) {
  return f == Family::ipv4 ? "ICMPv4" : "ICMPv6";
}

struct RuleState {
  size_t index = 0;              // 1-based position among [[rule]]s
  std::optional<Family> family;  // none: both
  bool action_known = false;
  SourceLoc name_loc;
};

// The diagnostics of one parse, before they are sorted. A base class of
// Parser so that it exists before the TomlReader that reports into it.
struct CollectedDiagnostics {
  Diagnostics collected;
};

class Parser : private CollectedDiagnostics, public TomlReader {
 public:
  Parser(std::shared_ptr<const SourceFile> file, Diagnostics& out)
      : TomlReader(std::move(file), collected), out_(out) {}

  // The policy, or none if any error was reported; diagnostics go to `out`
  // in file order either way.
  std::optional<Policy> run();

 private:
  // parser.cpp
  void flush();
  std::optional<Policy> parse();
  std::optional<Policy> parse_in_parts(std::string_view text);
  static std::optional<toml::table> parse_part(std::string_view text);
  bool walk(const toml::table& root, Policy& policy,
            const std::function<std::optional<size_t>()>& rules);
  void parse_settings(const toml::node& n, Policy& policy);
  void check_emptiness(size_t rules, bool declares_hooks);
  void parse_hooks(const toml::node& n, Policy& policy);
  std::optional<Rate> get_rate(const toml::node& n, std::string_view key);
  bool within_kernel_limits(const Rate& rate, uint32_t burst, const char* what,
                            const SourceLoc& loc);
  std::optional<Log> get_log(const toml::node& n, std::string default_prefix);

  // parser_rules.cpp
  void parse_rules(const toml::node& n, Policy& policy);
  void reserve_rules(Policy& policy, size_t count);
  void parse_rule(const toml::table& tbl, size_t index, Policy& policy);
  void check_rule_keys(const toml::table& tbl, const Rule& rule, const RuleState& st);
  void check_unique_name(const Rule& rule, const RuleState& st, const Policy& policy);
  std::optional<RateLimit> parse_rate_limit(const toml::table& tbl, const Rule& rule);
  std::optional<Inspect> parse_inspect(const toml::table& tbl, const Rule& rule);

  // parser_types.cpp
  bool parse_types(const toml::table& tbl, Rule& rule, const RuleState& st);
  bool resolve_entry(const toml::node& n, const RuleState& st, std::vector<IcmpMatch>& out);
  bool resolve_number(int64_t v, const std::string& text, const SourceLoc& loc, const RuleState& st,
                      std::vector<NamedMatch>& found);
  std::optional<uint8_t> resolve_code(std::string_view code, Family f, uint8_t type,
                                      const SourceLoc& loc, bool report);
  void report_unknown_code(std::string_view code, const std::vector<NamedMatch>& types,
                           const SourceLoc& loc);
  bool resolve_text(std::string_view text, const SourceLoc& loc, const RuleState& st,
                    std::vector<NamedMatch>& found);

  // parser_scope.cpp
  bool parse_scope(const toml::table& tbl, Rule& rule, const Policy& policy);
  bool parse_rule_hooks(const toml::node& n, Scope& s, const Policy& policy);
  std::optional<Prefix> parse_prefix(std::string_view text, const SourceLoc& loc);
  bool restrict_families(Rule& rule);

  // parser_inspect.cpp
  void parse_inspect_settings(const toml::node& n, Policy& policy);
  void parse_inspect_section(const toml::node& n, const std::string& section, Policy& policy);
  std::optional<KnobValue> get_knob(const toml::node& n, const Knob& knob);
  std::optional<KnobValue> get_prefixes(const toml::node& n, const std::string& key);

  std::unordered_map<std::string, size_t> rule_names_;  // name -> index in policy.rules
  std::optional<SourceLoc> declared_empty_;             // [icmpwall] empty = true
  Diagnostics& out_;
};

}  // namespace icmpwall::policy
