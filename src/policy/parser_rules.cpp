// SPDX-License-Identifier: GPL-2.0-or-later
// The policy parser (parser_internal.h): each [[rule]] table, its name and
// action, the keys of its action (rate-limit, inspect), and the keys that
// belong to no action the rule has.
#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <tuple>

#include "parser_internal.h"
#include "shown.h"

namespace icmpwall::policy {
namespace {

const Keys kRuleCommonKeys = {
    "name", "types",  "type",        "family",           "action",    "hooks", "iif",
    "oif",  "source", "destination", "destination-type", "hop-limit", "log",   "max-size"};
const Keys kPerSourceKeys = {"ipv4-prefix", "ipv6-prefix", "timeout", "max-sources"};
const Keys kInspectKeys = {"queue", "queues", "no-worker"};
const Keys kActions = {"allow", "drop", "rate-limit", "inspect"};
const Keys kFamilies = {"ipv4", "ipv6", "both"};

}  // namespace

void Parser::parse_rules(const toml::node& n, Policy& policy) {
  const auto* arr = n.as_array();
  if (!arr) {
    wrong_kind(n, "rule", "an array of tables", "write each rule under its own [[rule]] header");
    return;
  }
  reserve_rules(policy, arr->size());
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

// Room for `count` rules. A Rule is about 600 bytes: 100 000 of them are
// 60 MB, written once in order, which the kernel may map in huge pages
// (where transparent huge pages are enabled on request) rather than take
// a page fault every 4 KiB.
void Parser::reserve_rules(Policy& policy, size_t count) {
  policy.rules.reserve(count);
  rule_names_.reserve(count);
  constexpr uintptr_t kHuge = 2 << 20;
  const auto begin = reinterpret_cast<uintptr_t>(policy.rules.data());
  const uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = (begin + count * sizeof(Rule)) & ~(kHuge - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

void Parser::parse_rule(const toml::table& tbl, size_t index, Policy& policy) {
  // Built in place (a Rule is large, and a policy may hold 100 000); the
  // index of the name check is its position.
  Rule& rule = policy.rules.emplace_back();
  RuleState st;
  st.index = index;
  rule.loc = at(tbl);
  st.name_loc = rule.loc;

  if (const auto* n = tbl.get("name")) {
    if (auto s = get_string(*n, "name")) {
      if (valid_name(*s, 32, true)) {
        rule.name = std::string(*s);
        st.name_loc = at(*n);
      } else {
        error(at(*n), fmt::format("rule name '{}' must match [a-z][a-z0-9_-]{{0,31}}", shown(*s)),
              valid_name(lower_case(*s), 32, true)
                  ? fmt::format("did you mean '{}'?", shown(lower_case(*s)))
                  : R"(e.g. name = "ping-limit")");
      }
    }
  }
  if (rule.name.empty()) rule.name = fmt::format("rule-{}", index);

  if (const auto* n = tbl.get("action")) {
    if (auto a = get_choice(*n, "action", kActions)) {
      rule.action =
          static_cast<Action>(std::find(kActions.begin(), kActions.end(), *a) - kActions.begin());
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

  if (const auto* n = tbl.get("log"))
    rule.log = get_log(*n, fmt::format("icmpwall {} ", rule.name));

  if (const auto* n = tbl.get("max-size")) {
    rule.max_size_loc = at(*n);
    if (auto m = get_int(*n, "max-size", 1, 65535,
                         "max-size is the ICMP message's length in bytes, its header included, "
                         "at most 65535 (the largest IP datagram)"))
      rule.max_size = static_cast<uint16_t>(*m);
  }

  check_rule_keys(tbl, rule, st);

  if (st.action_known && rule.action == Action::rate_limit)
    rule.limit = parse_rate_limit(tbl, rule);
  if (st.action_known && rule.action == Action::inspect) {
    rule.inspect = parse_inspect(tbl, rule);
    bool limited = std::any_of(tbl.begin(), tbl.end(), [](const auto& kv) {
      return contains(kRateLimitKeys, kv.first.str());
    });
    if (limited) rule.limit = parse_rate_limit(tbl, rule);
  }

  check_unique_name(rule, st, policy);
}

// Keys: unknown ones, and those of another action.
void Parser::check_rule_keys(const toml::table& tbl, const Rule& rule, const RuleState& st) {
  for (auto&& [k, v] : tbl) {
    std::string_view key = k.str();
    bool rate_key = contains(kRateLimitKeys, key);
    bool inspect_key = contains(kInspectKeys, key);
    if (contains(kRuleCommonKeys, key) || ((rate_key || inspect_key) && !st.action_known)) continue;
    // An inspect rule takes the rate-limit keys: limited, then inspected.
    if (rate_key && rule.action != Action::rate_limit && rule.action != Action::inspect) {
      error(at(k),
            fmt::format("'{}' is a rate-limit key, but rule '{}' has action = \"{}\"", shown(key),
                        rule.name, to_string(rule.action)),
            fmt::format(
                "remove '{}', or set action = \"rate-limit\" (or \"inspect\", to limit before "
                "inspecting)",
                key));
    } else if (inspect_key && rule.action != Action::inspect) {
      error(at(k),
            fmt::format("'{}' is an inspect key, but rule '{}' has action = \"{}\"", shown(key),
                        rule.name, to_string(rule.action)),
            fmt::format("remove '{}', or set action = \"inspect\"", key));
    } else if (!rate_key && !inspect_key) {
      Keys valid = kRuleCommonKeys;
      valid.insert(valid.end(), kRateLimitKeys.begin(), kRateLimitKeys.end());
      valid.insert(valid.end(), kInspectKeys.begin(), kInspectKeys.end());
      unknown_key(k, valid, fmt::format("rule '{}'", rule.name));
    }
  }
}

// Duplicate names, default ones included (an index: policies may hold
// 100 000 rules).
void Parser::check_unique_name(const Rule& rule, const RuleState& st, const Policy& policy) {
  auto [seen, fresh] = rule_names_.emplace(rule.name, policy.rules.size() - 1);
  if (!fresh) {
    const Rule& other = policy.rules[seen->second];
    auto& d = error(st.name_loc, fmt::format("duplicate rule name '{}'", rule.name),
                    "rule names must be unique: they name the rule's counters in the kernel");
    if (st.name_loc.line == rule.loc.line && st.name_loc.col == rule.loc.col)
      d.message = fmt::format("rule {} gets the default name '{}', which another rule already has",
                              st.index, rule.name);
    d.related.push_back({other.loc, fmt::format("rule '{}' is here", other.name)});
  }
}

std::optional<RateLimit> Parser::parse_rate_limit(const toml::table& tbl, const Rule& rule) {
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
    error(
        at(*first),
        fmt::format("'{}' limits inspect rule '{}', which has no 'rate'", first->str(), rule.name),
        fmt::format(
            R"(add rate = "N/second" (e.g. rate = "10/second") to limit the packets before they are )"
            R"(inspected, or remove '{}')",
            first->str()));
    ok = false;
  } else {
    error(rule.action_loc, fmt::format("rate-limit rule '{}' has no 'rate'", rule.name),
          R"(add rate = "N/second", "N/minute", "N/hour" or "N/day", e.g. rate = "10/second")");
    ok = false;
  }
  if (const auto* n = tbl.get("burst")) {
    if (auto b = get_int(*n, "burst", 1, UINT32_MAX))
      l.burst = static_cast<uint32_t>(*b);
    else
      ok = false;
  }
  if (const auto* n = tbl.get("per")) {
    if (auto p = get_choice(*n, "per", {"global", "source"}))
      l.per_source = *p == "source";
    else
      ok = false;
  }
  if (const auto* n = tbl.get("over")) {
    if (auto o = get_choice(*n, "over", {"drop", "continue"})) {
      l.over_drop = *o == "drop";
      if (!l.over_drop && rule.action == Action::inspect) {
        error(
            at(*n),
            fmt::format("inspect rule '{}' cannot let packets over its limit continue", rule.name),
            "over the limit they are dropped before the queue, so a flood never reaches the "
            "inspection "
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
      if (auto p = get_int(*n, "ipv4-prefix", 1, 32))
        l.ipv4_prefix = static_cast<uint8_t>(*p);
      else
        ok = false;
    }
    if (const auto* n = tbl.get("ipv6-prefix")) {
      if (auto p = get_int(*n, "ipv6-prefix", 1, 128))
        l.ipv6_prefix = static_cast<uint8_t>(*p);
      else
        ok = false;
    }
    if (const auto* n = tbl.get("timeout")) {
      if (auto t = get_int(*n, "timeout", 1, UINT32_MAX / 1000))
        l.timeout_s = static_cast<uint32_t>(*t);
      else
        ok = false;
    }
    if (const auto* n = tbl.get("max-sources")) {
      if (auto m = get_int(*n, "max-sources", 1, UINT32_MAX))
        l.max_sources = static_cast<uint32_t>(*m);
      else
        ok = false;
    }
  }
  if (ok) ok = within_kernel_limits(l.rate, l.burst, "rate", l.loc);
  if (!ok) return std::nullopt;
  return l;
}

std::optional<Inspect> Parser::parse_inspect(const toml::table& tbl, const Rule& rule) {
  Inspect in;
  in.loc = rule.action_loc;
  bool ok = true;
  const toml::node* queues_node = tbl.get("queues");
  if (const auto* n = tbl.get("queue")) {
    if (auto q = get_int(*n, "queue", 0, 65535))
      in.queue = static_cast<uint16_t>(*q);
    else
      ok = false;
  }
  if (queues_node) {
    if (auto q = get_int(*queues_node, "queues", 1, 64))
      in.queues = static_cast<uint16_t>(*q);
    else
      ok = false;
  }
  if (const auto* n = tbl.get("no-worker")) {
    if (auto w = get_choice(*n, "no-worker", {"accept", "drop"}))
      in.fail_open = *w == "accept";
    else
      ok = false;
  }
  if (ok && uint32_t{in.queue} + in.queues - 1 > 65535) {
    error(at(*queues_node),
          fmt::format("queues {}..{} run past the last queue number, 65535", in.queue,
                      uint32_t{in.queue} + in.queues - 1),
          fmt::format("lower 'queue' to at most {}", 65536 - in.queues));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return in;
}

}  // namespace icmpwall::policy
