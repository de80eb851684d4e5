// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/policy/precedence.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace icmpwall::policy {
namespace {

// A scope's conditions as one canonical string (hooks aside): two scopes
// have identical conditions when their keys are equal, so grouping rules by
// key finds conflicts in time linear in the number of rules. Each list is
// its sorted entries, each followed by '\0', then '\1'; a list of one entry
// (the common case) is written without sorting copies.
void add_prefix(std::string& key, const Prefix& p) {
  key.append(reinterpret_cast<const char*>(p.addr.data()), p.addr.size());
  key += static_cast<char>(p.family);
  key += static_cast<char>(p.len);
}

template <typename T, typename Add>
void add_list(std::string& key, const std::vector<T>& list, Add add) {
  if (list.size() == 1) {
    add(key, list.front());
    key += '\0';
  } else if (!list.empty()) {
    std::vector<std::string> entries;
    for (const auto& x : list) add(entries.emplace_back(), x);
    std::sort(entries.begin(), entries.end());
    for (const auto& x : entries) (key += x) += '\0';
  }
  key += '\1';
}

std::string conditions_key(const Scope& s) {
  std::string key;
  auto add_name = [](std::string& k, const std::string& name) { k += name; };
  add_list(key, s.iif, add_name);
  add_list(key, s.oif, add_name);
  add_list(key, s.source, add_prefix);
  add_list(key, s.destination, add_prefix);
  add_list(key, s.destination_type, [](std::string& k, AddrType t) { k += static_cast<char>(t); });
  if (s.hop_limit) key += static_cast<char>(*s.hop_limit);
  return key;
}

// Rules in precedence order (they come in file order).
std::vector<const Rule*> ordered(std::vector<const Rule*> rules) {
  std::stable_sort(rules.begin(), rules.end(),
                   [](const Rule* a, const Rule* b) { return tried_before(*a, *b); });
  return rules;
}

// Rules back in file order, as the policy lists them.
std::vector<const Rule*> in_file_order(std::span<const Rule* const> rules) {
  std::vector<const Rule*> out(rules.begin(), rules.end());
  std::stable_sort(out.begin(), out.end(), std::less<const Rule*>());
  return out;
}

// Finds the conflicts among rules naming one key. Each rule is reported once
// per other action, against the first rule (in file order) that has it.
// Groups of identical conditions are met in the order of an unordered_map
// keyed by the conditions (the order conflicts have always been reported
// in); most groups hold one rule and get no list of their own, and a list of
// rules whose conditions all differ builds no map at all.
class ConflictFinder {
 public:
  ConflictFinder(const Policy& p, std::vector<Conflict>& out)
      : policy_(p), out_(out), keys_(p.rules.size()), known_(p.rules.size()) {}

  void check(Conflict where, const std::vector<const Rule*>& rules) {
    if (rules.size() < 2 || all_distinct(rules)) return;
    struct Group {
      const Rule* first;
      size_t more = kNone;  // index in `lists` once a second rule joins
    };
    std::unordered_map<std::string_view, Group> groups;
    std::vector<std::vector<const Rule*>> lists;
    for (const auto* r : rules) {
      auto [it, fresh] = groups.try_emplace(key_of(r), Group{r});
      if (fresh) continue;
      if (it->second.more == kNone) {
        it->second.more = lists.size();
        lists.push_back({it->second.first});
      }
      lists[it->second.more].push_back(r);
    }
    for (auto& [key, g] : groups)
      if (g.more != kNone) check_group(where, lists[g.more]);
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  // No two rules have identical conditions (the common case, and every
  // policy that compiles has no conflict): their keys' hashes all differ.
  // Sorting hashes costs far less than the map.
  bool all_distinct(const std::vector<const Rule*>& rules) {
    std::vector<size_t> hashes;
    hashes.reserve(rules.size());
    for (const auto* r : rules) hashes.push_back(std::hash<std::string_view>()(key_of(r)));
    std::sort(hashes.begin(), hashes.end());
    return std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end();
  }

  void check_group(Conflict where, std::vector<const Rule*>& group) {
    std::stable_sort(group.begin(), group.end(), [](const auto* a, const auto* b) {
      return std::tie(a->loc.line, a->loc.col) < std::tie(b->loc.line, b->loc.col);
    });
    std::map<Action, const Rule*> first_of;
    for (const auto* second : group) {
      for (const auto& [action, first] : first_of) {
        if (action == second->action || !reported_.insert({first, second}).second) continue;
        where.first = first;
        where.second = second;
        out_.push_back(where);
      }
      first_of.try_emplace(second->action, second);
    }
  }

  const std::string& key_of(const Rule* r) {
    const auto i = static_cast<size_t>(r - policy_.rules.data());
    if (!known_[i]) {
      keys_[i] = conditions_key(r->scope);
      known_[i] = true;
    }
    return keys_[i];
  }

  const Policy& policy_;
  std::vector<Conflict>& out_;
  std::set<std::pair<const Rule*, const Rule*>> reported_;
  std::vector<std::string> keys_;  // by rule index
  std::vector<bool> known_;
};

}  // namespace

bool applies_to(const Rule& r, Hook h, const Policy& p) {
  if (r.scope.hooks.empty()) return p.hook(h) != nullptr;
  return std::find(r.scope.hooks.begin(), r.scope.hooks.end(), h) != r.scope.hooks.end();
}

bool tried_before(const Rule& a, const Rule& b) {
  if (a.scope.conditional() != b.scope.conditional()) return a.scope.conditional();
  return &a < &b;
}

bool same_conditions(const Scope& a, const Scope& b) {
  return conditions_key(a) == conditions_key(b);
}

std::span<const Rule* const> TypeRules::chain(uint8_t code) const {
  auto it = std::lower_bound(codes.begin(), codes.end(), code,
                             [](const Code& c, uint8_t v) { return c.code < v; });
  if (it != codes.end() && it->code == code) return it->chain;
  return type_wide;
}

Precedence::Precedence(const Policy& p, Hook h, Family f) : policy_(&p), hook_(h), family_(f) {
  index_.fill(-1);
  // Per type, in file order: the rules naming the whole type, and per code.
  struct Named {
    std::vector<const Rule*> type_wide;
    std::map<uint8_t, std::vector<const Rule*>> codes;
  };
  std::map<uint8_t, Named> by_type;
  for (const auto& r : p.rules) {
    if (!applies_to(r, h, p)) continue;
    for (const auto& m : r.matches) {
      if (m.family != f) continue;
      Named& named = by_type[m.type];
      if (m.code)
        named.codes[*m.code].push_back(&r);
      else
        named.type_wide.push_back(&r);
    }
  }
  types_.reserve(by_type.size());
  for (auto& [type, named] : by_type) {
    TypeRules t;
    t.type = type;
    t.type_wide = ordered(std::move(named.type_wide));
    for (auto& [code, rules] : named.codes) {
      TypeRules::Code c;
      c.code = code;
      c.chain = ordered(std::move(rules));
      c.named = c.chain.size();
      const std::unordered_set<const Rule*> own(c.chain.begin(), c.chain.end());
      for (const auto* r : t.type_wide)
        if (!own.contains(r)) c.chain.push_back(r);
      t.codes.push_back(std::move(c));
    }
    index_[type] = static_cast<int16_t>(types_.size());
    types_.push_back(std::move(t));
  }
}

const TypeRules* Precedence::type(uint8_t t) const {
  return index_[t] < 0 ? nullptr : &types_[static_cast<size_t>(index_[t])];
}

std::span<const Rule* const> Precedence::chain(uint8_t type, uint8_t code) const {
  const TypeRules* t = this->type(type);
  if (!t) return {};
  return t->chain(code);
}

std::vector<Precedence> precedence(const Policy& p) {
  std::vector<Precedence> out;
  out.reserve(p.hooks.size() * 2);
  for (const auto& hp : p.hooks)
    for (Family f : {Family::ipv4, Family::ipv6}) out.emplace_back(p, hp.hook, f);
  return out;
}

// Only rules of the same specificity can conflict: a rule for one code
// overrides a type-wide rule by design.
std::vector<Conflict> conflicts(const std::vector<Precedence>& all) {
  std::vector<Conflict> out;
  if (all.empty()) return out;
  ConflictFinder finder(all.front().policy(), out);
  for (const auto& prec : all)
    for (const auto& t : prec.types()) {
      const Conflict where{prec.hook(), prec.family(), t.type, std::nullopt, nullptr, nullptr};
      finder.check(where, in_file_order(t.type_wide));
      for (const auto& c : t.codes) {
        Conflict at_code = where;
        at_code.code = c.code;
        finder.check(at_code, in_file_order(std::span(c.chain).first(c.named)));
      }
    }
  return out;
}

}  // namespace icmpwall::policy
