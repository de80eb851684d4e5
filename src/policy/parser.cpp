// SPDX-License-Identifier: GPL-2.0-or-later
// TOML policy -> policy::Policy (the README's policy reference is the
// contract).
//
// TOML++ turns the text into a tree of nodes that know their line and
// column; the Parser (parser_internal.h, split over parser*.cpp) walks that
// tree once, checking every key and value and resolving type names to
// numbers. It never stops at the first problem: each one becomes a
// Diagnostic at the offending value (for a list, the entry), with a hint
// where one helps, and parsing goes on so the user sees all of them at once.
// Only a TOML syntax error ends the walk early, since TOML++ gives no tree
// then. If any error was reported the result is empty.
//
// This file: the top level ([icmpwall], [hooks.*]), the values several
// tables share (rates, log tables) and the entry points.
#include "icmpwall/policy/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>

#include "emptiness.h"
#include "icmpwall/util/nearest.h"
#include "kernel_limits.h"
#include "key_depth.h"
#include "parser_internal.h"
#include "rule_parts.h"
#include "shown.h"

namespace icmpwall::policy {
namespace {

// nft's log prefix limit (NF_LOG_PREFIXLEN, with its terminating NUL).
constexpr size_t kMaxLogPrefix = 127;

const Keys kTopKeys = {"icmpwall", "hooks", "rule", "inspect"};
const Keys kIcmpwallKeys = {"table", "priority", "role", "fragments", "empty", "log-group"};
const Keys kHookKeys = {"default", "log"};
const Keys kLogKeys = {"prefix", "rate", "burst"};
const Keys kRateUnits = {"second", "minute", "hour", "day"};

constexpr char kRateExample[] =
    R"(write "N/second", "N/minute", "N/hour" or "N/day", e.g. rate = "10/second")";

}  // namespace

bool valid_name(std::string_view s, size_t max, bool first_letter) {
  if (s.empty() || s.size() > max) return false;
  if (first_letter && !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<uint64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string lower_case(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<Policy> Parser::run() {
  std::optional<Policy> result = parse();
  flush();
  if (diags_.has_errors()) return std::nullopt;
  return result;
}

// Hands the diagnostics over in file order.
void Parser::flush() {
  std::vector<Diagnostic> items = diags_.items();
  std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
  });
  for (auto& d : items) out_.add(std::move(d));
}

std::optional<Policy> Parser::parse() {
  const std::string& text = file_->text();
  if (text.size() > kMaxPolicyBytes) {
    error(nowhere(), fmt::format("policy is {} bytes long; icmpwall reads at most {}", text.size(),
                                 kMaxPolicyBytes));
    return std::nullopt;
  }
  if (auto pos = too_many_key_dots(text)) {
    error({file_, pos->first, pos->second},
          fmt::format("a key of more than {} dotted parts: keys nest too deeply for a policy",
                      kMaxKeyDots + 1),
          "write each table under its own [header]");
    return std::nullopt;
  }
  if (auto policy = parse_in_parts(text)) return policy;

  // Read whole: the text does not split into parts (or one of them is not
  // TOML on its own, and only the whole text gives the right message).
  collected = Diagnostics{};
  rule_names_.clear();
  declared_empty_.reset();
  line_base_ = 0;
  std::optional<toml::table> parsed = TomlReader::parse("the policy");
  if (!parsed) return std::nullopt;
  const toml::table& root = *parsed;
  Policy policy;
  walk(root, policy, [&]() -> std::optional<size_t> {
    const toml::node* rules = root.get("rule");
    if (!rules) return 0;
    parse_rules(*rules, policy);
    return rules->as_array() ? rules->as_array()->size() : 1;
  });
  return policy;
}

// The text before the first [[rule]] header, then the rules a few hundred
// at a time (rule_parts.h); none if the text does not split that way.
std::optional<Policy> Parser::parse_in_parts(std::string_view text) {
  const std::vector<RuleHeader> headers = rule_headers(text);
  if (headers.empty()) return std::nullopt;
  auto head = parse_part(text.substr(0, headers.front().offset));
  if (!head || head->contains("rule")) return std::nullopt;
  Policy policy;
  bool whole = walk(*head, policy, [&]() -> std::optional<size_t> {
    reserve_rules(policy, headers.size());
    size_t index = 0;
    for (size_t first = 0; first < headers.size(); first += kRulesPerPart) {
      const size_t last = std::min(first + kRulesPerPart, headers.size());
      const size_t begin = headers[first].offset;
      const size_t end = last < headers.size() ? headers[last].offset : text.size();
      auto part = parse_part(text.substr(begin, end - begin));
      if (!part || part->size() != 1) return std::nullopt;
      const auto* rules = part->get_as<toml::array>("rule");
      if (!rules) return std::nullopt;
      line_base_ = headers[first].line - 1;
      for (const auto& e : *rules) {
        if (!e.is_table()) return std::nullopt;
        parse_rule(*e.as_table(), ++index, policy);
      }
      line_base_ = 0;
    }
    return index;
  });
  if (!whole) return std::nullopt;
  return policy;
}

// One part of the text as TOML, or none (without a diagnostic).
std::optional<toml::table> Parser::parse_part(std::string_view text) {
  try {
    return toml::parse(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The walk over the policy's top level, in one order whichever way the
// text was parsed (diagnostics at one position keep their order).
// `rules` parses the [[rule]] tables and returns how many there are; none
// gives up the walk.
bool Parser::walk(const toml::table& root, Policy& policy,
                  const std::function<std::optional<size_t>()>& rules) {
  policy.source = file_;
  for (auto&& [k, v] : root)
    if (!contains(kTopKeys, k.str())) unknown_key(k, kTopKeys, "the policy");

  if (const auto* n = root.get("icmpwall")) parse_settings(*n, policy);
  if (const auto* n = root.get("hooks")) parse_hooks(*n, policy);
  const bool declares_hooks = !policy.hooks.empty();
  if (!declares_hooks)
    policy.hooks.push_back({Hook::input, Action::allow, std::nullopt, nowhere()});
  std::optional<size_t> count = rules();
  if (!count) return false;
  if (const auto* n = root.get("inspect")) parse_inspect_settings(*n, policy);
  check_emptiness(*count, declares_hooks);
  if (policy.log_group) {
    for (auto& hp : policy.hooks)
      if (hp.log) hp.log->group = policy.log_group;
    for (auto& r : policy.rules)
      if (r.log) r.log->group = policy.log_group;
  }
  return true;
}

void Parser::parse_settings(const toml::node& n, Policy& policy) {
  const auto* tbl = n.as_table();
  if (!tbl) {
    wrong_kind(n, "icmpwall", "a table",
               "write [icmpwall] and put table, priority, role and fragments under it");
    return;
  }
  for (auto&& [k, v] : *tbl) {
    if (k.str() == "table") {
      auto s = get_string(v, "table");
      if (!s) continue;
      if (!valid_name(*s, 32, true))
        error(at(v), fmt::format("table name '{}' must match [a-z][a-z0-9_-]{{0,31}}", shown(*s)),
              valid_name(lower_case(*s), 32, true)
                  ? fmt::format("did you mean '{}'?", shown(lower_case(*s)))
                  : R"(e.g. table = "icmpwall")");
      else
        policy.table = std::string(*s);
    } else if (k.str() == "priority") {
      if (auto p = get_int(v, "priority", -1000, 1000, "nft's filter priority is 0"))
        policy.priority = static_cast<int32_t>(*p);
    } else if (k.str() == "role") {
      if (auto r = get_choice(v, "role", {"host", "router"})) {
        policy.role = *r == "router" ? Role::router : Role::host;
        policy.role_loc = at(v);
      }
    } else if (k.str() == "fragments") {
      const Keys modes = {"reassemble", "follow", "drop"};
      if (auto f = get_choice(v, "fragments", modes)) {
        policy.fragments =
            static_cast<Fragments>(std::find(modes.begin(), modes.end(), *f) - modes.begin());
        policy.fragments_loc = at(v);
      }
    } else if (k.str() == "log-group") {
      if (auto g = get_int(v, "log-group", 0, 65535, "an NFLOG group number, e.g. log-group = 1")) {
        policy.log_group = static_cast<uint16_t>(*g);
        policy.log_group_loc = at(v);
      }
    } else if (k.str() == "empty") {
      if (const auto* b = v.as_boolean())
        declared_empty_ = b->get() ? std::optional(at(v)) : std::nullopt;
      else
        wrong_kind(v, "empty", "true or false",
                   "empty = true says the policy is meant to have no rules");
    } else {
      unknown_key(k, kIcmpwallKeys, "[icmpwall]");
    }
  }
}

// A policy with other errors is refused already: they say more.
void Parser::check_emptiness(size_t rules, bool declares_hooks) {
  Contents c;
  c.rules = rules;
  c.hooks = declares_hooks;
  c.declared_empty = declared_empty_;
  if (!c.declared_empty && diags_.has_errors()) return;
  if (auto d = emptiness_error(file_, c)) diags_.add(std::move(*d));
}

void Parser::parse_hooks(const toml::node& n, Policy& policy) {
  const auto* tbl = n.as_table();
  if (!tbl) {
    wrong_kind(n, "hooks", "a table",
               "write one table per hook: [hooks.input], [hooks.forward], [hooks.output]");
    return;
  }
  for (auto&& [k, v] : *tbl)
    if (!contains(kHookNames, k.str()))
      error(at(k), fmt::format("unknown hook '{}'", shown(k.str())),
            suggest(k.str(), kHookNames, "the hooks are input, forward and output"));
  for (size_t i = 0; i < kHookNames.size(); ++i) {
    const auto* node = tbl->get(kHookNames[i]);
    if (!node) continue;
    const auto* hook_tbl = node->as_table();
    if (!hook_tbl) {
      wrong_kind(*node, fmt::format("hooks.{}", kHookNames[i]), "a table",
                 fmt::format("write [hooks.{}] and put default = \"allow\" or \"drop\" under it",
                             kHookNames[i]));
      continue;
    }
    HookPolicy hp;
    hp.hook = static_cast<Hook>(i);
    hp.loc = at(*node);
    if (!hp.loc.known())
      for (auto&& [k, v] : *tbl)
        if (k.str() == kHookNames[i]) hp.loc = at(k);
    for (auto&& [k, v] : *hook_tbl) {
      if (k.str() == "default") {
        auto s = get_string(v, "default", R"(default = "allow" or default = "drop")");
        if (!s) continue;
        if (*s == "allow" || *s == "drop")
          hp.default_action = *s == "drop" ? Action::drop : Action::allow;
        else if (*s == "rate-limit" || *s == "inspect")
          error(at(v),
                fmt::format("a hook's default must be \"allow\" or \"drop\", not '{}'", shown(*s)),
                fmt::format("{} needs a [[rule]] naming the types", shown(*s)));
        else
          error(at(v),
                fmt::format("a hook's default must be \"allow\" or \"drop\", not '{}'", shown(*s)),
                suggest(*s, {"allow", "drop"}, R"(default = "allow" or default = "drop")"));
      } else if (k.str() == "log") {
        hp.log = get_log(v, fmt::format("icmpwall default.{} ", kHookNames[i]));
      } else {
        unknown_key(k, kHookKeys, fmt::format("[hooks.{}]", kHookNames[i]));
      }
    }
    policy.hooks.push_back(std::move(hp));
  }
}

// "10/second" -> Rate.
std::optional<Rate> Parser::get_rate(const toml::node& n, std::string_view key) {
  auto s = get_string(n, key, kRateExample);
  if (!s) return std::nullopt;
  auto slash = s->find('/');
  std::string_view num = slash == std::string_view::npos ? *s : s->substr(0, slash);
  std::string_view unit =
      slash == std::string_view::npos ? std::string_view{} : s->substr(slash + 1);
  auto count = parse_number(num);
  auto unit_it = std::find(kRateUnits.begin(), kRateUnits.end(), unit);
  if (!count && !num.empty() && num.size() <= 40 &&
      std::all_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    error(at(n), fmt::format("{} count {} does not fit in 64 bits", key, num),
          "the kernel's limit takes at most 1000000000/second (one packet per nanosecond)");
    return std::nullopt;
  }
  if (!count || unit_it == kRateUnits.end()) {
    std::string hint = kRateExample;
    if (count && !unit.empty()) {
      // "10/sec", "10/s", "10/seconds": offer the unit that was meant.
      for (auto u : kRateUnits)
        if (u.substr(0, 1) == unit.substr(0, 1) &&
            (u.starts_with(unit) || unit.starts_with(u) || edit_distance(unit, u) <= 2)) {
          hint = fmt::format("did you mean '{}/{}'?", *count, u);
          break;
        }
    }
    error(at(n), fmt::format("bad {} '{}'", key, shown(*s)), hint);
    return std::nullopt;
  }
  if (*count == 0) {
    error(at(n), fmt::format("'{}' must be at least 1/{}, not '{}'", key, *unit_it, *s),
          "to drop every such packet, use action = \"drop\"");
    return std::nullopt;
  }
  return Rate{*count, static_cast<RateUnit>(unit_it - kRateUnits.begin())};
}

// A rate and burst the kernel's limit takes; else an error at `loc`.
bool Parser::within_kernel_limits(const Rate& rate, uint32_t burst, const char* what,
                                  const SourceLoc& loc) {
  auto problem = kernel_limit_problem(rate, burst, what);
  if (problem) error(loc, std::move(problem->message), std::move(problem->hint));
  return !problem;
}

// log = true | false | { prefix, rate, burst }. Nothing for false or errors.
std::optional<Log> Parser::get_log(const toml::node& n, std::string default_prefix) {
  Log log;
  log.prefix = std::move(default_prefix);
  log.loc = at(n);
  if (const auto* b = n.as_boolean()) {
    if (!b->get()) return std::nullopt;
    return log;
  }
  const auto* tbl = n.as_table();
  if (!tbl) {
    wrong_kind(n, "log", "true, false or a table",
               R"(e.g. log = true, or log = { prefix = "icmp ", rate = "5/minute", burst = 5 })");
    return std::nullopt;
  }
  bool ok = true;
  for (auto&& [k, v] : *tbl) {
    if (k.str() == "prefix") {
      auto p = get_string(v, "prefix");
      if (!p) {
        ok = false;
      } else if (p->size() > kMaxLogPrefix) {
        error(at(v), fmt::format("log prefix is {} bytes long; nft allows at most {}", p->size(),
                                 kMaxLogPrefix));
        ok = false;
      } else if (std::any_of(p->begin(), p->end(), [](char c) {
                   return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"';
                 })) {
        error(at(v), "log prefix must not contain control characters or '\"'");
        ok = false;
      } else {
        log.prefix = std::string(*p);
      }
    } else if (k.str() == "rate") {
      if (auto r = get_rate(v, "rate"))
        log.rate = *r;
      else
        ok = false;
    } else if (k.str() == "burst") {
      if (auto b = get_int(v, "burst", 1, UINT32_MAX))
        log.burst = static_cast<uint32_t>(*b);
      else
        ok = false;
    } else {
      unknown_key(k, kLogKeys, "log");
      ok = false;
    }
  }
  if (ok) {
    const toml::node* rate = tbl->get("rate");
    ok = within_kernel_limits(log.rate, log.burst, "log rate", rate ? at(*rate) : log.loc);
  }
  if (!ok) return std::nullopt;
  return log;
}

std::optional<Policy> parse_policy_text(std::string path, std::string text, Diagnostics& diags) {
  auto file = std::make_shared<const SourceFile>(std::move(path), std::move(text));
  return Parser(std::move(file), diags).run();
}

std::optional<Policy> parse_policy_file(const std::string& path, Diagnostics& diags) {
  auto text = read_source_text(path, kMaxPolicyBytes, "policy file", diags);
  if (!text) return std::nullopt;
  return parse_policy_text(path, std::move(*text), diags);
}

}  // namespace icmpwall::policy
