// TOML policy -> policy::Policy (docs/policy-language.md is the contract).
//
// TOML++ turns the text into a tree of nodes that know their line and
// column; this file walks that tree once, checking every key and value and
// resolving type names to numbers. It never stops at the first problem:
// each one becomes a Diagnostic at the offending value (for a list, the
// entry), with a hint where one helps, and parsing goes on so the user sees
// all of them at once. Only a TOML syntax error ends the walk early, since
// TOML++ gives no tree then. If any error was reported the result is empty.
//
// Diagnostics come out sorted by position: TOML++ keeps a table's keys in
// alphabetical order, not in file order.
#include "icmpwall/policy/parser.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <tuple>
#include <unordered_map>
#include <toml++/toml.h>

#include "icmpwall/policy/icmp_types.h"
#include "icmpwall/policy/inspect_settings.h"
#include "icmpwall/util/address.h"
#include "icmpwall/util/file.h"
#include "icmpwall/util/nearest.h"
#include "emptiness.h"
#include "kernel_limits.h"
#include "key_depth.h"
#include "shown.h"

namespace icmpwall::policy {
namespace {

using Keys = std::vector<std::string_view>;

// Far beyond any real policy (100 000 prefixes take about 3 MiB); keeps
// the parser's cost bounded.
constexpr size_t kMaxPolicyBytes = 64 << 20;
// nft's log prefix limit (NF_LOG_PREFIXLEN, with its terminating NUL).
constexpr size_t kMaxLogPrefix = 127;

const Keys kTopKeys = {"icmpwall", "hooks", "rule", "inspect"};
const Keys kIcmpwallKeys = {"table", "priority", "role", "fragments", "empty"};
const Keys kHookNames = {"input", "forward", "output"};
const Keys kHookKeys = {"default", "log"};
const Keys kLogKeys = {"prefix", "rate", "burst"};
const Keys kRuleCommonKeys = {"name",   "types",       "type",
                              "family", "action",      "hooks",
                              "iif",    "oif",         "source",
                              "destination", "destination-type", "hop-limit",
                              "log"};
const Keys kRateLimitKeys = {"rate",        "burst",   "per",     "ipv4-prefix",
                             "ipv6-prefix", "over",    "timeout", "max-sources"};
const Keys kPerSourceKeys = {"ipv4-prefix", "ipv6-prefix", "timeout", "max-sources"};
const Keys kInspectKeys = {"queue", "queues", "no-worker"};
const Keys kActions = {"allow", "drop", "rate-limit", "inspect"};
const Keys kFamilies = {"ipv4", "ipv6", "both"};
const Keys kAddrTypes = {"unicast", "local", "broadcast", "anycast", "multicast"};
const Keys kRateUnits = {"second", "minute", "hour", "day"};

constexpr char kRateExample[] = R"(write "N/second", "N/minute", "N/hour" or "N/day", e.g. rate = "10/second")";
constexpr char kPrefixExample[] = R"(e.g. "198.18.0.0/15", "2001:db8::/32" or a single address "192.0.2.1")";

bool contains(const Keys& keys, std::string_view k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

std::string join(const Keys& keys, std::string_view sep = ", ") {
  std::string out;
  for (auto k : keys) {
    if (!out.empty()) out += sep;
    out += k;
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + names[i] + "'";
  }
  return out;
}

// "did you mean 'x'?" or, when nothing is close, `otherwise`.
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

struct RuleState {
  size_t index = 0;                // 1-based position among [[rule]]s
  std::optional<Family> family;    // none: both
  bool action_known = false;
  SourceLoc name_loc;
};

class Parser {
 public:
  Parser(std::shared_ptr<const SourceFile> file, Diagnostics& diags) : file_(std::move(file)), out_(diags) {}

  std::optional<Policy> run() {
    std::optional<Policy> result = parse();
    flush();
    if (diags_.has_errors()) return std::nullopt;
    return result;
  }

 private:
  // ---- positions and reporting -------------------------------------------

  SourceLoc at(const toml::source_region& r) const { return {file_, r.begin.line, r.begin.column}; }
  SourceLoc at(const toml::node& n) const { return at(n.source()); }
  SourceLoc at(const toml::key& k) const { return at(k.source()); }
  SourceLoc nowhere() const { return {file_, 0, 0}; }

  Diagnostic& error(SourceLoc loc, std::string message, std::string hint = {}) {
    return diags_.error(std::move(loc), std::move(message), std::move(hint));
  }

  // Hands the diagnostics over in file order.
  void flush() {
    std::vector<Diagnostic> items = diags_.items();
    std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
    });
    for (auto& d : items) out_.add(std::move(d));
  }

  void unknown_key(const toml::key& k, const Keys& valid, std::string_view where) {
    error(at(k), fmt::format("unknown key '{}' in {}", shown(k.str()), where),
          suggest(k.str(), valid, fmt::format("valid keys here: {}", join(valid))));
  }

  void wrong_kind(const toml::node& n, std::string_view key, std::string_view expected,
                  std::string hint = {}) {
    error(at(n), fmt::format("'{}' must be {}, not {}", key, expected, node_kind(n)), std::move(hint));
  }

  // ---- typed getters: report and return nothing when the value is wrong ---

  std::optional<std::string_view> get_string(const toml::node& n, std::string_view key,
                                             std::string hint = {}) {
    if (const auto* s = n.as_string()) return std::string_view(s->get());
    wrong_kind(n, key, "a string", std::move(hint));
    return std::nullopt;
  }

  std::optional<int64_t> get_int(const toml::node& n, std::string_view key, int64_t lo, int64_t hi,
                                 std::string hint = {}) {
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
        error(at(n), fmt::format("'{}' must be between {} and {}, not {}", key, lo, hi, v), std::move(hint));
      return std::nullopt;
    }
    return v;
  }

  // A string out of `choices`, else an error with the nearest choice.
  std::optional<std::string_view> get_choice(const toml::node& n, std::string_view key, const Keys& choices) {
    auto s = get_string(n, key, fmt::format("'{}' is one of: {}", key, join(choices)));
    if (!s) return std::nullopt;
    if (contains(choices, *s)) return s;
    std::string all = fmt::format("'{}' is one of: {}", key, join(choices));
    auto near = nearest_of(*s, choices, 1);
    error(at(n), fmt::format("unknown {} '{}'", key, shown(*s)),
          near.empty() ? all : fmt::format("did you mean '{}'? ({})", near.front(), all));
    return std::nullopt;
  }

  // A string, or an array of strings (each reported on its own).
  template <typename Fn>
  void for_each_string(const toml::node& n, std::string_view key, Fn fn) {
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
            fmt::format("remove '{}' to match any {}", key, key == "destination-type" ? "type" : "value"));
      return;
    }
    for (const auto& e : *arr) {
      if (const auto* s = e.as_string())
        fn(std::string_view(s->get()), at(e));
      else
        error(at(e), fmt::format("a '{}' entry must be a string, not {}", key, node_kind(e)));
    }
  }

  // "10/second" -> Rate.
  std::optional<Rate> get_rate(const toml::node& n, std::string_view key) {
    auto s = get_string(n, key, kRateExample);
    if (!s) return std::nullopt;
    auto slash = s->find('/');
    std::string_view num = slash == std::string_view::npos ? *s : s->substr(0, slash);
    std::string_view unit = slash == std::string_view::npos ? std::string_view{} : s->substr(slash + 1);
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
  bool within_kernel_limits(const Rate& rate, uint32_t burst, const char* what, const SourceLoc& loc) {
    auto problem = kernel_limit_problem(rate, burst, what);
    if (problem) error(loc, std::move(problem->message), std::move(problem->hint));
    return !problem;
  }

  // log = true | false | { prefix, rate, burst }. Nothing for false or errors.
  std::optional<Log> get_log(const toml::node& n, std::string default_prefix) {
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
          error(at(v), fmt::format("log prefix is {} bytes long; nft allows at most {}", p->size(), kMaxLogPrefix));
          ok = false;
        } else if (std::any_of(p->begin(), p->end(),
                               [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"'; })) {
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

  // ---- top level ------------------------------------------------------------

  std::optional<Policy> parse() {
    Policy policy;
    policy.source = file_;
    const std::string& text = file_->text();
    if (text.size() > kMaxPolicyBytes) {
      error(nowhere(), fmt::format("policy is {} bytes long; icmpwall reads at most {}", text.size(),
                                   kMaxPolicyBytes));
      return std::nullopt;
    }
    if (auto pos = too_many_key_dots(text)) {
      error({file_, pos->first, pos->second},
            fmt::format("a key of more than {} dotted parts: keys nest too deeply for a policy", kMaxKeyDots + 1),
            "write each table under its own [header]");
      return std::nullopt;
    }
    toml::table root;
    try {
      root = toml::parse(std::string_view(text), std::string_view(file_->path()));
    } catch (const toml::parse_error& e) {
      error(at(e.source()), std::string(e.description()), "this is not valid TOML (https://toml.io)");
      return std::nullopt;
    } catch (const std::exception& e) {
      error(nowhere(), fmt::format("cannot parse the policy: {}", e.what()));
      return std::nullopt;
    }

    for (auto&& [k, v] : root)
      if (!contains(kTopKeys, k.str())) unknown_key(k, kTopKeys, "the policy");

    if (const auto* n = root.get("icmpwall")) parse_settings(*n, policy);
    if (const auto* n = root.get("hooks")) parse_hooks(*n, policy);
    const bool declares_hooks = !policy.hooks.empty();
    if (!declares_hooks) policy.hooks.push_back({Hook::input, Action::allow, std::nullopt, nowhere()});
    if (const auto* n = root.get("rule")) parse_rules(*n, policy);
    if (const auto* n = root.get("inspect")) parse_inspect_settings(*n, policy);
    check_emptiness(root, declares_hooks);
    return policy;
  }

  void parse_settings(const toml::node& n, Policy& policy) {
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
                valid_name(lower_case(*s), 32, true) ? fmt::format("did you mean '{}'?", shown(lower_case(*s)))
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
          policy.fragments = static_cast<Fragments>(std::find(modes.begin(), modes.end(), *f) - modes.begin());
          policy.fragments_loc = at(v);
        }
      } else if (k.str() == "empty") {
        if (const auto* b = v.as_boolean())
          declared_empty_ = b->get() ? std::optional(at(v)) : std::nullopt;
        else
          wrong_kind(v, "empty", "true or false", "empty = true says the policy is meant to have no rules");
      } else {
        unknown_key(k, kIcmpwallKeys, "[icmpwall]");
      }
    }
  }

  // A policy with other errors is refused already: they say more.
  void check_emptiness(const toml::table& root, bool declares_hooks) {
    const toml::node* rules = root.get("rule");
    Contents c;
    c.rules = rules && rules->as_array() ? rules->as_array()->size() : rules ? 1 : 0;
    c.hooks = declares_hooks;
    c.declared_empty = declared_empty_;
    if (!c.declared_empty && diags_.has_errors()) return;
    if (auto d = emptiness_error(file_, c)) diags_.add(std::move(*d));
  }

  void parse_hooks(const toml::node& n, Policy& policy) {
    const auto* tbl = n.as_table();
    if (!tbl) {
      wrong_kind(n, "hooks", "a table", "write one table per hook: [hooks.input], [hooks.forward], [hooks.output]");
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
                   fmt::format("write [hooks.{}] and put default = \"allow\" or \"drop\" under it", kHookNames[i]));
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
            error(at(v), fmt::format("a hook's default must be \"allow\" or \"drop\", not '{}'", shown(*s)),
                  fmt::format("{} needs a [[rule]] naming the types", shown(*s)));
          else
            error(at(v), fmt::format("a hook's default must be \"allow\" or \"drop\", not '{}'", shown(*s)),
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

  void parse_rules(const toml::node& n, Policy& policy) {
    const auto* arr = n.as_array();
    if (!arr) {
      wrong_kind(n, "rule", "an array of tables", "write each rule under its own [[rule]] header");
      return;
    }
    policy.rules.reserve(arr->size());
    for (size_t i = 0; i < arr->size(); ++i) {
      const auto& e = (*arr)[i];
      const auto* tbl = e.as_table();
      if (!tbl) {
        error(at(e), fmt::format("a rule must be a table, not {}", node_kind(e)),
              "write each rule under its own [[rule]] header");
        continue;
      }
      parse_rule(*tbl, i + 1, policy);
    }
  }

  // ---- rules ------------------------------------------------------------------

  void parse_rule(const toml::table& tbl, size_t index, Policy& policy) {
    Rule rule;
    RuleState st;
    st.index = index;
    rule.loc = at(tbl);
    rule.name = fmt::format("rule-{}", index);
    st.name_loc = rule.loc;

    if (const auto* n = tbl.get("name")) {
      if (auto s = get_string(*n, "name")) {
        if (valid_name(*s, 32, true)) {
          rule.name = std::string(*s);
          st.name_loc = at(*n);
        } else {
          error(at(*n), fmt::format("rule name '{}' must match [a-z][a-z0-9_-]{{0,31}}", shown(*s)),
                valid_name(lower_case(*s), 32, true) ? fmt::format("did you mean '{}'?", shown(lower_case(*s)))
                                                       : R"(e.g. name = "ping-limit")");
        }
      }
    }

    if (const auto* n = tbl.get("action")) {
      if (auto a = get_choice(*n, "action", kActions)) {
        rule.action = static_cast<Action>(std::find(kActions.begin(), kActions.end(), *a) - kActions.begin());
        rule.action_loc = at(*n);
        st.action_known = true;
      }
    } else {
      error(rule.loc, fmt::format("rule '{}' has no 'action'", rule.name),
            R"(add action = "allow", "drop", "rate-limit" or "inspect")");
    }

    if (const auto* n = tbl.get("family")) {
      if (auto f = get_choice(*n, "family", kFamilies)) {
        if (*f != "both") st.family = *f == "ipv4" ? Family::ipv4 : Family::ipv6;
      }
    }

    // Scope after types: prefixes of one family narrow the matches.
    parse_types(tbl, rule, st);
    parse_scope(tbl, rule, policy);

    if (const auto* n = tbl.get("log")) rule.log = get_log(*n, fmt::format("icmpwall {} ", rule.name));

    // Keys: unknown ones, and those of another action.
    for (auto&& [k, v] : tbl) {
      std::string_view key = k.str();
      bool rate_key = contains(kRateLimitKeys, key);
      bool inspect_key = contains(kInspectKeys, key);
      if (contains(kRuleCommonKeys, key) || ((rate_key || inspect_key) && !st.action_known)) continue;
      // An inspect rule takes the rate-limit keys: limited, then inspected.
      if (rate_key && rule.action != Action::rate_limit && rule.action != Action::inspect) {
        error(at(k), fmt::format("'{}' is a rate-limit key, but rule '{}' has action = \"{}\"", shown(key), rule.name,
                                 to_string(rule.action)),
              fmt::format("remove '{}', or set action = \"rate-limit\" (or \"inspect\", to limit before "
                          "inspecting)",
                          key));
      } else if (inspect_key && rule.action != Action::inspect) {
        error(at(k), fmt::format("'{}' is an inspect key, but rule '{}' has action = \"{}\"", shown(key), rule.name,
                                 to_string(rule.action)),
              fmt::format("remove '{}', or set action = \"inspect\"", key));
      } else if (!rate_key && !inspect_key) {
        Keys valid = kRuleCommonKeys;
        valid.insert(valid.end(), kRateLimitKeys.begin(), kRateLimitKeys.end());
        valid.insert(valid.end(), kInspectKeys.begin(), kInspectKeys.end());
        unknown_key(k, valid, fmt::format("rule '{}'", rule.name));
      }
    }

    if (st.action_known && rule.action == Action::rate_limit) rule.limit = parse_rate_limit(tbl, rule);
    if (st.action_known && rule.action == Action::inspect) {
      rule.inspect = parse_inspect(tbl, rule);
      bool limited = std::any_of(tbl.begin(), tbl.end(), [](const auto& kv) { return contains(kRateLimitKeys, kv.first.str()); });
      if (limited) rule.limit = parse_rate_limit(tbl, rule);
    }

    // Duplicate names, default ones included (an index: policies may hold
    // 100 000 rules).
    auto [seen, fresh] = rule_names_.emplace(rule.name, policy.rules.size());
    if (!fresh) {
      const Rule& other = policy.rules[seen->second];
      auto& d = error(st.name_loc, fmt::format("duplicate rule name '{}'", rule.name),
                      "rule names must be unique: they name the rule's counters in the kernel");
      if (st.name_loc.line == rule.loc.line && st.name_loc.col == rule.loc.col)
        d.message = fmt::format("rule {} gets the default name '{}', which another rule already has", st.index,
                                rule.name);
      d.related.push_back({other.loc, fmt::format("rule '{}' is here", other.name)});
    }
    policy.rules.push_back(std::move(rule));
  }

  bool parse_types(const toml::table& tbl, Rule& rule, const RuleState& st) {
    const auto* types = tbl.get("types");
    const auto* type = tbl.get("type");
    if (types && type) {
      // Point at whichever comes second in the file.
      const toml::node* second = std::tie(types->source().begin.line, types->source().begin.column) >
                                         std::tie(type->source().begin.line, type->source().begin.column)
                                     ? types
                                     : type;
      error(at(*second), "a rule takes 'types' or 'type', not both", "put every type in one 'types' list");
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
        wrong_kind(*type, "type", "a string or an integer", R"(for several types, write types = ["a", "b"])");
        return false;
      }
    } else {
      const auto* arr = types->as_array();
      if (!arr) {
        wrong_kind(*types, "types", "an array",
                   types->is_string() ? fmt::format(R"(write types = ["{}"] or type = "{}")",
                                                    shown(types->as_string()->get()), shown(types->as_string()->get()))
                                      : R"(e.g. types = ["echo-request", "echo-reply"])");
        return false;
      }
      if (arr->empty()) {
        error(at(*types), "'types' must not be empty", R"(e.g. types = ["echo-request"])");
        return false;
      }
      for (const auto& e : *arr) {
        if (!e.is_string() && !e.is_integer()) {
          error(at(e), fmt::format("a 'types' entry must be a string or an integer, not {}", node_kind(e)));
          ok = false;
          continue;
        }
        ok &= resolve_entry(e, st, rule.matches);
      }
    }
    return ok;
  }

  // One entry of `types` (or the value of `type`) -> matches appended to `out`.
  bool resolve_entry(const toml::node& n, const RuleState& st, std::vector<IcmpMatch>& out) {
    const SourceLoc loc = at(n);
    std::vector<NamedMatch> found;
    std::string text;
    if (const auto* i = n.as_integer()) {
      text = std::to_string(i->get());
      if (!resolve_number(i->get(), text, loc, st, found)) return false;
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
    if (!added) diags_.warning(loc, fmt::format("'{}' is already named by this rule", shown(text)), "remove this entry");
    return true;
  }

  bool resolve_number(int64_t v, const std::string& text, const SourceLoc& loc, const RuleState& st,
                      std::vector<NamedMatch>& found) {
    if (!st.family) {
      error(loc, fmt::format("a bare type number needs family = \"ipv4\" or \"ipv6\""),
            v >= 0 && v <= 255 ? fmt::format(R"(write "icmp:{0}" for ICMPv4 or "icmpv6:{0}" for ICMPv6)", v)
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

  static const char* family_word(Family f) { return f == Family::ipv4 ? "ICMPv4" : "ICMPv6"; }

  // A code, by number or by name within (f, type); reported when unknown.
  std::optional<uint8_t> resolve_code(std::string_view code, Family f, uint8_t type, const SourceLoc& loc,
                                      bool report) {
    if (auto num = parse_number(code)) {
      if (*num > 255) {
        if (report) error(loc, fmt::format("ICMP code {} is out of range", shown(code)), "ICMP codes are 0..255");
        return std::nullopt;
      }
      return static_cast<uint8_t>(*num);
    }
    if (auto c = lookup_code(f, type, code)) return c;
    if (report) report_unknown_code(code, {{f, type, std::nullopt}}, loc);
    return std::nullopt;
  }

  // An unknown code name for a type, in one family or in both.
  void report_unknown_code(std::string_view code, const std::vector<NamedMatch>& types, const SourceLoc& loc) {
    Keys names;
    for (const auto& t : types)
      for (const auto& c : icmp_codes())
        if (c.family == t.family && c.type == t.type && !contains(names, c.name)) names.push_back(c.name);
    const auto& first = types.front();
    std::string type_name = describe(first.family, first.type);
    std::string subject =
        types.size() == 1 ? fmt::format("{} {}", family_word(first.family), type_name) : type_name;
    std::string hint = names.empty() ? fmt::format("{} has no named codes; write the code number", type_name)
                                     : suggest(code, names, fmt::format("codes of {}: {}", subject, join(names)));
    error(loc, fmt::format("unknown code '{}' for {}", shown(code), subject), hint);
  }

  bool resolve_text(std::string_view text, const SourceLoc& loc, const RuleState& st,
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
              fmt::format(R"(write "{}N" or "{}N/CODE" with N in 0..255, e.g. "{}8")", prefix, prefix, prefix));
        return false;
      }
      if (st.family && *st.family != fam) {
        error(loc, fmt::format("'{}' is an {} type, but the rule has family = \"{}\"", shown(text), family_word(fam),
                               to_string(*st.family)),
              fmt::format(R"(write "{}{}" or change the rule's family)", fam == Family::ipv4 ? "icmpv6:" : "icmp:",
                          rest));
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
      return resolve_number(*v > 1000 ? 1000 : static_cast<int64_t>(*v), std::string(text), loc, st, found);
    }

    auto slash = text.find('/');
    std::string_view type_part = text.substr(0, slash);
    std::vector<NamedMatch> meanings;
    if (auto num = parse_number(type_part)) {
      if (!resolve_number(*num > 1000 ? 1000 : static_cast<int64_t>(*num), std::string(type_part), loc, st,
                          meanings))
        return false;
    } else {
      meanings = lookup_name(type_part);
      if (meanings.empty()) {
        auto near = nearest_names(type_part);
        error(loc, fmt::format("unknown ICMP type '{}'", shown(type_part)),
              near.empty() ? R"(`icmpwall check --list-types` lists every name; write "icmp:N" or "icmpv6:N" for a number)"
                           : fmt::format("did you mean {}?", quoted_list(near)));
        return false;
      }
      if (slash != std::string_view::npos &&
          std::none_of(meanings.begin(), meanings.end(), [](const NamedMatch& m) { return !m.code; })) {
        const auto& m = meanings.front();
        error(loc, fmt::format("'{}' already names a code ({}), so it cannot take '/{}'", type_part,
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
        std::string hint = fmt::format("'{}' exists only in {}; remove family or name an {} type", type_part,
                                       to_string(m.family), family_word(*st.family));
        if (type_part == "packet-too-big") hint = "its ICMPv4 counterpart is 'frag-needed'";
        if (type_part == "frag-needed") hint = "its ICMPv6 counterpart is 'packet-too-big'";
        error(loc, fmt::format("'{}' is an {} {}, but the rule has family = \"{}\"", type_part,
                               family_word(m.family), m.code ? "type and code" : "type", to_string(*st.family)),
              hint);
        return false;
      }
      meanings = std::move(in_family);
    }

    if (slash == std::string_view::npos) {
      found.insert(found.end(), meanings.begin(), meanings.end());
      return true;
    }
    std::string_view code_part = text.substr(slash + 1);
    size_t before = found.size();
    for (const auto& m : meanings)
      if (auto c = resolve_code(code_part, m.family, m.type, loc, false)) found.push_back({m.family, m.type, c});
    if (found.size() == before) {
      if (parse_number(code_part))
        error(loc, fmt::format("ICMP code {} is out of range", shown(code_part)), "ICMP codes are 0..255");
      else
        report_unknown_code(code_part, meanings, loc);
      return false;
    }
    return true;
  }

  // ---- scope ----------------------------------------------------------------

  bool parse_scope(const toml::table& tbl, Rule& rule, const Policy& policy) {
    bool ok = true;
    Scope& s = rule.scope;

    if (const auto* n = tbl.get("hooks")) {
      if (const auto* arr = n->as_array()) {
        if (arr->empty()) {
          error(at(*n), "'hooks' must not be empty", "remove 'hooks' to apply the rule on every declared hook");
          ok = false;
        }
        for (const auto& e : *arr) {
          const auto* str = e.as_string();
          if (!str) {
            error(at(e), fmt::format("a 'hooks' entry must be a string, not {}", node_kind(e)));
            ok = false;
            continue;
          }
          std::string_view name = str->get();
          auto it = std::find(kHookNames.begin(), kHookNames.end(), name);
          if (it == kHookNames.end()) {
            error(at(e), fmt::format("unknown hook '{}'", shown(name)),
                  suggest(name, kHookNames, "the hooks are input, forward and output"));
            ok = false;
            continue;
          }
          Hook h = static_cast<Hook>(it - kHookNames.begin());
          if (!policy.hook(h)) {
            std::string declared;
            for (const auto& hp : policy.hooks) declared += (declared.empty() ? "" : ", ") + std::string(to_string(hp.hook));
            error(at(e), fmt::format("hook '{}' is not declared", name),
                  fmt::format("add a [hooks.{}] table, or remove '{}' here (declared: {})", name, name, declared));
            ok = false;
            continue;
          }
          if (std::find(s.hooks.begin(), s.hooks.end(), h) == s.hooks.end()) s.hooks.push_back(h);
        }
        std::sort(s.hooks.begin(), s.hooks.end());
      } else {
        wrong_kind(*n, "hooks", "an array", n->is_string() ? fmt::format(R"(write hooks = ["{}"])", shown(n->as_string()->get()))
                                                           : R"(e.g. hooks = ["input", "forward"])");
        ok = false;
      }
    }
    // The hooks the rule applies to, for the iif/oif checks.
    std::vector<Hook> effective = s.hooks;
    if (effective.empty())
      for (const auto& hp : policy.hooks) effective.push_back(hp.hook);
    auto applies = [&](Hook h) { return std::find(effective.begin(), effective.end(), h) != effective.end(); };

    auto interfaces = [&](const char* key, std::vector<std::string>& list, Hook meaningless) {
      const auto* n = tbl.get(key);
      if (!n) return;
      for_each_string(*n, key, [&](std::string_view name, SourceLoc loc) {
        bool valid = !name.empty() && name.size() < 16 && name != "." && name != ".." &&
                     std::none_of(name.begin(), name.end(), [](char c) {
                       return c == '/' || c == ':' || c == '*' || c == '"' || c == '\\' ||
                              std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) < 0x20;
                     });
        if (!valid) {
          error(loc, fmt::format("'{}' is not a valid interface name", shown(name)),
                "interface names are 1 to 15 characters without '/', ':', '*', quotes or whitespace "
                "(wildcards are not supported)");
          ok = false;
        } else if (std::find(list.begin(), list.end(), name) == list.end()) {
          list.emplace_back(name);
        }
      });
      if (!list.empty() && applies(meaningless)) {
        std::string others;
        for (auto h : effective)
          if (h != meaningless) others += (others.empty() ? "\"" : ", \"") + std::string(to_string(h)) + "\"";
        error(at(*n), fmt::format("'{}' is meaningless on the {} hook", key, to_string(meaningless)),
              s.hooks.empty()
                  ? (others.empty() ? fmt::format("the policy filters only {}; remove '{}'", to_string(meaningless), key)
                                    : fmt::format("the rule applies to every declared hook; add hooks = [{}]", others))
                  : fmt::format("remove \"{}\" from hooks, or remove '{}'", to_string(meaningless), key));
        ok = false;
      }
    };
    interfaces("iif", s.iif, Hook::output);
    interfaces("oif", s.oif, Hook::input);

    auto prefixes = [&](const char* key, std::vector<Prefix>& list) {
      const auto* n = tbl.get(key);
      if (!n) return;
      // Lists may hold 100 000 prefixes: deduplicate in O(n log n).
      std::set<std::tuple<Family, std::array<uint8_t, 16>, uint8_t>> seen;
      for_each_string(*n, key, [&](std::string_view text, SourceLoc loc) {
        if (auto p = parse_prefix(text, loc)) {
          if (seen.emplace(p->family, p->addr, p->len).second) list.push_back(*p);
        } else {
          ok = false;
        }
      });
    };
    prefixes("source", s.source);
    prefixes("destination", s.destination);

    if (const auto* n = tbl.get("destination-type")) {
      for_each_string(*n, "destination-type", [&](std::string_view name, SourceLoc loc) {
        auto it = std::find(kAddrTypes.begin(), kAddrTypes.end(), name);
        if (it == kAddrTypes.end()) {
          error(loc, fmt::format("unknown destination-type '{}'", shown(name)),
                suggest(name, kAddrTypes, "destination-type is one of: " + join(kAddrTypes)));
          ok = false;
          return;
        }
        auto t = static_cast<AddrType>(it - kAddrTypes.begin());
        if (std::find(s.destination_type.begin(), s.destination_type.end(), t) == s.destination_type.end())
          s.destination_type.push_back(t);
      });
    }

    if (const auto* n = tbl.get("hop-limit")) {
      if (auto h = get_int(*n, "hop-limit", 0, 255, "neighbor discovery requires hop-limit = 255"))
        s.hop_limit = static_cast<uint8_t>(*h);
      else
        ok = false;
    }

    if (ok) ok = restrict_families(rule);
    return ok;
  }

  // "a.b.c.d[/n]" or "x::y[/n]", host bits clear.
  std::optional<Prefix> parse_prefix(std::string_view text, const SourceLoc& loc) {
    Prefix p;
    p.loc = loc;
    auto slash = text.find('/');
    std::string addr(text.substr(0, slash));
    size_t addr_len = 0;
    if (addr.find(':') != std::string::npos && inet_pton(AF_INET6, addr.c_str(), p.addr.data()) == 1) {
      p.family = Family::ipv6;
      addr_len = 16;
    } else if (addr.find(':') == std::string::npos && inet_pton(AF_INET, addr.c_str(), p.addr.data()) == 1) {
      p.family = Family::ipv4;
      addr_len = 4;
    } else {
      error(loc, fmt::format("'{}' is not an IPv4 or IPv6 address or prefix", shown(text)), kPrefixExample);
      return std::nullopt;
    }
    const size_t bits = addr_len * 8;
    p.len = static_cast<uint8_t>(bits);
    if (slash != std::string_view::npos) {
      auto len = parse_number(text.substr(slash + 1));
      if (!len || *len > bits) {
        error(loc, fmt::format("bad prefix length in '{}'", shown(text)),
              fmt::format("{} prefix lengths are 0..{}", p.family == Family::ipv4 ? "IPv4" : "IPv6", bits));
        return std::nullopt;
      }
      p.len = static_cast<uint8_t>(*len);
    }
    auto range = prefix_range_of(p, addr_len);
    if (range != addr_to_int(p.addr.data(), addr_len)) {
      std::array<uint8_t, 16> net{};
      int_to_addr(range, net.data(), addr_len);
      error(loc, fmt::format("'{}' has host bits set", shown(text)),
            fmt::format("did you mean '{}/{}'?", format_addr(net.data(), addr_len), p.len));
      return std::nullopt;
    }
    return p;
  }

  static U128 prefix_range_of(const Prefix& p, size_t addr_len) {
    return prefix_range(p.addr.data(), addr_len, p.len).first;
  }

  // A rule with prefixes of one family only does not apply to the other:
  // drop the matches of a family the prefixes exclude.
  bool restrict_families(Rule& rule) {
    auto has = [](const std::vector<Prefix>& list, Family f) {
      return list.empty() || std::any_of(list.begin(), list.end(), [f](const Prefix& p) { return p.family == f; });
    };
    const Scope& s = rule.scope;
    bool had_matches = !rule.matches.empty();
    std::erase_if(rule.matches, [&](const IcmpMatch& m) { return !has(s.source, m.family) || !has(s.destination, m.family); });
    if (had_matches && rule.matches.empty()) {
      error(rule.loc, fmt::format("rule '{}' matches no packet: its types and its source/destination prefixes "
                                  "have no address family in common",
                                  rule.name),
            "an IPv4 prefix only matches ICMPv4 types, an IPv6 prefix only ICMPv6 types");
      return false;
    }
    auto matches_family = [&](Family f) {
      return std::any_of(rule.matches.begin(), rule.matches.end(), [f](const IcmpMatch& m) { return m.family == f; });
    };
    for (const auto* list : {&s.source, &s.destination})
      for (const auto& p : *list)
        if (!rule.matches.empty() && !matches_family(p.family))
          diags_.warning(p.loc,
                         fmt::format("{} prefix never applies: rule '{}' matches only {} types",
                                     p.family == Family::ipv4 ? "IPv4" : "IPv6", rule.name,
                                     family_word(p.family == Family::ipv4 ? Family::ipv6 : Family::ipv4)),
                         "remove it");
    return true;
  }

  // ---- action keys ------------------------------------------------------------

  std::optional<RateLimit> parse_rate_limit(const toml::table& tbl, const Rule& rule) {
    RateLimit l;
    l.burst = 5;
    l.loc = rule.action_loc;
    bool ok = true;
    if (const auto* n = tbl.get("rate")) {
      l.loc = at(*n);
      if (auto r = get_rate(*n, "rate"))
        l.rate = *r;
      else
        ok = false;
    } else if (rule.action == Action::inspect) {
      // Some other rate-limit key without a rate: point at the first one.
      const toml::key* first = nullptr;
      for (auto&& [k, v] : tbl)
        if (contains(kRateLimitKeys, k.str()) &&
            (!first || std::tie(k.source().begin.line, k.source().begin.column) <
                           std::tie(first->source().begin.line, first->source().begin.column)))
          first = &k;
      error(at(*first),
            fmt::format("'{}' limits inspect rule '{}', which has no 'rate'", first->str(), rule.name),
            fmt::format(R"(add rate = "N/second" (e.g. rate = "10/second") to limit the packets before they are )"
                        R"(inspected, or remove '{}')",
                        first->str()));
      ok = false;
    } else {
      error(rule.action_loc, fmt::format("rate-limit rule '{}' has no 'rate'", rule.name),
            R"(add rate = "N/second", "N/minute", "N/hour" or "N/day", e.g. rate = "10/second")");
      ok = false;
    }
    if (const auto* n = tbl.get("burst")) {
      if (auto b = get_int(*n, "burst", 1, UINT32_MAX)) l.burst = static_cast<uint32_t>(*b); else ok = false;
    }
    if (const auto* n = tbl.get("per")) {
      if (auto p = get_choice(*n, "per", {"global", "source"})) l.per_source = *p == "source"; else ok = false;
    }
    if (const auto* n = tbl.get("over")) {
      if (auto o = get_choice(*n, "over", {"drop", "continue"})) {
        l.over_drop = *o == "drop";
        if (!l.over_drop && rule.action == Action::inspect) {
          error(at(*n), fmt::format("inspect rule '{}' cannot let packets over its limit continue", rule.name),
                "over the limit they are dropped before the queue, so a flood never reaches the inspection "
                "worker; remove 'over' (or write over = \"drop\")");
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    for (auto&& [k, v] : tbl) {
      if (!contains(kPerSourceKeys, k.str()) || l.per_source) continue;
      error(at(k), fmt::format("'{}' applies only with per = \"source\"", shown(k.str())),
            fmt::format("add per = \"source\", or remove '{}'", k.str()));
      ok = false;
    }
    if (l.per_source) {
      if (const auto* n = tbl.get("ipv4-prefix")) {
        if (auto p = get_int(*n, "ipv4-prefix", 1, 32)) l.ipv4_prefix = static_cast<uint8_t>(*p); else ok = false;
      }
      if (const auto* n = tbl.get("ipv6-prefix")) {
        if (auto p = get_int(*n, "ipv6-prefix", 1, 128)) l.ipv6_prefix = static_cast<uint8_t>(*p); else ok = false;
      }
      if (const auto* n = tbl.get("timeout")) {
        if (auto t = get_int(*n, "timeout", 1, UINT32_MAX / 1000)) l.timeout_s = static_cast<uint32_t>(*t); else ok = false;
      }
      if (const auto* n = tbl.get("max-sources")) {
        if (auto m = get_int(*n, "max-sources", 1, UINT32_MAX)) l.max_sources = static_cast<uint32_t>(*m); else ok = false;
      }
    }
    if (ok) ok = within_kernel_limits(l.rate, l.burst, "rate", l.loc);
    if (!ok) return std::nullopt;
    return l;
  }

  std::optional<Inspect> parse_inspect(const toml::table& tbl, const Rule& rule) {
    Inspect in;
    in.loc = rule.action_loc;
    bool ok = true;
    const toml::node* queues_node = tbl.get("queues");
    if (const auto* n = tbl.get("queue")) {
      if (auto q = get_int(*n, "queue", 0, 65535)) in.queue = static_cast<uint16_t>(*q); else ok = false;
    }
    if (queues_node) {
      if (auto q = get_int(*queues_node, "queues", 1, 64)) in.queues = static_cast<uint16_t>(*q); else ok = false;
    }
    if (const auto* n = tbl.get("no-worker")) {
      if (auto w = get_choice(*n, "no-worker", {"accept", "drop"})) in.fail_open = *w == "accept"; else ok = false;
    }
    if (ok && uint32_t{in.queue} + in.queues - 1 > 65535) {
      error(at(*queues_node), fmt::format("queues {}..{} run past the last queue number, 65535", in.queue,
                                          uint32_t{in.queue} + in.queues - 1),
            fmt::format("lower 'queue' to at most {}", 65536 - in.queues));
      ok = false;
    }
    if (!ok) return std::nullopt;
    return in;
  }

  // ---- [inspect.*] ------------------------------------------------------------

  void parse_inspect_settings(const toml::node& n, Policy& policy) {
    const auto* tbl = n.as_table();
    if (!tbl) {
      wrong_kind(n, "inspect", "a table",
                 "write [inspect.tunnel], [inspect.sweep], [inspect.redirect] or [inspect.errors] and put the "
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

  void parse_inspect_section(const toml::node& n, const std::string& section, Policy& policy) {
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
  std::optional<KnobValue> get_knob(const toml::node& n, const Knob& knob) {
    const std::string key(knob.key);
    const std::string hint =
        fmt::format("{}: {}, default {}", key, describe_range(knob), format_value(knob, knob.default_value));
    KnobValue value;
    switch (knob.kind) {
      case KnobKind::integer:
      case KnobKind::seconds: {
        auto i = get_int(n, key, static_cast<int64_t>(knob.min), static_cast<int64_t>(knob.max), hint);
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
          error(at(n), fmt::format("'{}' must be a {}, not {}", key, describe_range(knob), format_value(knob, value)),
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
  std::optional<KnobValue> get_prefixes(const toml::node& n, const std::string& key) {
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
        error(at(e), fmt::format("a '{}' entry must be a string, not {}", key, node_kind(e)), kPrefixExample);
        ok = false;
        continue;
      }
      auto p = parse_prefix(str->get(), at(e));
      if (!p) {
        ok = false;
        continue;
      }
      std::string text =
          fmt::format("{}/{}", format_addr(p->addr.data(), p->family == Family::ipv4 ? 4 : 16), p->len);
      if (std::find(value.prefixes.begin(), value.prefixes.end(), text) == value.prefixes.end())
        value.prefixes.push_back(std::move(text));
    }
    if (!ok) return std::nullopt;
    return value;
  }

  std::shared_ptr<const SourceFile> file_;
  std::unordered_map<std::string, size_t> rule_names_;  // name -> index in policy.rules
  std::optional<SourceLoc> declared_empty_;              // [icmpwall] empty = true
  Diagnostics& out_;
  Diagnostics diags_;  // collected here, handed to out_ in file order
};

}  // namespace

std::optional<Policy> parse_policy_text(std::string path, std::string text, Diagnostics& diags) {
  auto file = std::make_shared<const SourceFile>(std::move(path), std::move(text));
  return Parser(std::move(file), diags).run();
}

std::optional<Policy> parse_policy_file(const std::string& path, Diagnostics& diags) {
  auto text = read_regular_file(path, kMaxPolicyBytes);
  if (!text) {
    diags.error({std::make_shared<const SourceFile>(path, std::string{}), 0, 0},
                fmt::format("cannot read policy file: {}", text.error().message));
    return std::nullopt;
  }
  return parse_policy_text(path, std::move(*text), diags);
}

}  // namespace icmpwall::policy
