// SPDX-License-Identifier: GPL-2.0-or-later
// A rule is never reached when, for every hook and ICMP type (and code) it
// names, an earlier-tried rule with the same match decides every packet it
// matches: its conditions are implied by the earlier rule's.
//
// Comparing every rule with every other is quadratic (100 000 rules:
// minutes). Only rules that can cover a rule are compared: the rules are
// indexed per (hook, family, type, code), and within that by the first
// condition kind they have, in the order source, destination, iif, oif,
// destination-type, hop-limit, none. A rule `a` whose first condition is
// a source prefix list can only cover `b` if `b`'s sources lie within
// `a`'s, so `a` is filed under each of its prefixes and found from `b`'s
// first source prefix by looking up that prefix's ancestors (one lookup
// per prefix length present); likewise for the other kinds, by value. The
// candidates found are then checked exactly as before, in rule order.
#include "lint_shadowed.h"

#include <fmt/format.h>

#include <algorithm>
#include <compare>
#include <cstdint>
#include <map>
#include <tuple>

#include "icmpwall/policy/precedence.h"
#include "icmpwall/util/address.h"

namespace icmpwall::policy {
namespace {

bool prefix_within(const Prefix& inner, const Prefix& outer) {
  if (inner.family != outer.family || inner.len < outer.len) return false;
  size_t len = inner.family == Family::ipv4 ? 4 : 16;
  auto a = prefix_range(inner.addr.data(), len, inner.len);
  auto b = prefix_range(outer.addr.data(), len, outer.len);
  return a.first >= b.first && a.last <= b.last;
}

// Every packet of family f matching `b`'s conditions also matches `a`'s.
bool implies(const Scope& b, const Scope& a, Family f) {
  auto subset = [](const auto& inner, const auto& outer) {
    if (outer.empty()) return true;
    if (inner.empty()) return false;
    return std::all_of(inner.begin(), inner.end(), [&](const auto& x) {
      return std::find(outer.begin(), outer.end(), x) != outer.end();
    });
  };
  auto prefixes = [f](const std::vector<Prefix>& inner, const std::vector<Prefix>& outer) {
    if (outer.empty()) return true;
    bool any = false;
    for (const auto& p : inner) {
      if (p.family != f) continue;
      any = true;
      if (std::none_of(outer.begin(), outer.end(),
                       [&](const Prefix& q) { return prefix_within(p, q); }))
        return false;
    }
    return any;
  };
  return subset(b.iif, a.iif) && subset(b.oif, a.oif) && prefixes(b.source, a.source) &&
         prefixes(b.destination, a.destination) && subset(b.destination_type, a.destination_type) &&
         (!a.hop_limit || a.hop_limit == b.hop_limit);
}

// A prefix with its host bits cleared, as a sort key: its first address
// as an integer, then the length.
struct PrefixKey {
  U128 first = 0;
  uint8_t len = 0;
  auto operator<=>(const PrefixKey&) const = default;
};

PrefixKey masked(const Prefix& p, uint8_t len) {
  return {prefix_range(p.addr.data(), p.addr.size(), len).first, len};
}

const Prefix* first_of_family(const std::vector<Prefix>& list, Family f) {
  for (const auto& p : list)
    if (p.family == f) return &p;
  return nullptr;
}

// The rules of one (hook, family, type, code), filed by their first condition.
class Bucket {
 public:
  explicit Bucket(Family f) : family_(f) {}

  void add(size_t index, const Rule& r) {
    const Scope& s = r.scope;
    if (!s.source.empty()) return file_prefixes(source_, index, s.source);
    if (!s.destination.empty()) return file_prefixes(destination_, index, s.destination);
    if (!s.iif.empty()) return file_values(iif_, index, s.iif);
    if (!s.oif.empty()) return file_values(oif_, index, s.oif);
    if (!s.destination_type.empty()) return file_values(dest_type_, index, s.destination_type);
    if (s.hop_limit) return hop_limit_[*s.hop_limit].push_back(index);
    none_.push_back(index);
  }

  // After the last add(), before candidates().
  void seal() {
    source_.seal();
    destination_.seal();
  }

  // The rules that may cover a rule with scope `s`, in rule order.
  std::vector<size_t> candidates(const Scope& s) const {
    std::vector<size_t> out = none_;
    if (s.hop_limit) append(out, hop_limit_, *s.hop_limit);
    if (!s.destination_type.empty()) append(out, dest_type_, s.destination_type.front());
    if (!s.oif.empty()) append(out, oif_, s.oif.front());
    if (!s.iif.empty()) append(out, iif_, s.iif.front());
    if (const Prefix* p = first_of_family(s.destination, family_)) ancestors(out, destination_, *p);
    if (const Prefix* p = first_of_family(s.source, family_)) ancestors(out, source_, *p);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  // Each prefix with its rule, sorted once all are filed (by prefix, then
  // rule): one sort instead of a tree node and a vector per prefix.
  struct PrefixIndex {
    std::vector<std::pair<PrefixKey, size_t>> rules;
    std::vector<uint8_t> lengths;  // present, ascending once sealed

    void seal() {
      std::sort(rules.begin(), rules.end());
      rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
      std::sort(lengths.begin(), lengths.end());
      lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    }
  };

  // A rule with prefixes of the other family only covers nothing here.
  void file_prefixes(PrefixIndex& index, size_t rule, const std::vector<Prefix>& list) {
    for (const auto& p : list) {
      if (p.family != family_) continue;
      index.rules.emplace_back(masked(p, p.len), rule);
      index.lengths.push_back(p.len);
    }
  }

  template <typename Map, typename List>
  static void file_values(Map& map, size_t rule, const List& values) {
    for (const auto& v : values) {
      auto& rules = map[v];
      if (rules.empty() || rules.back() != rule) rules.push_back(rule);
    }
  }

  template <typename Map, typename Key>
  static void append(std::vector<size_t>& out, const Map& map, const Key& key) {
    auto it = map.find(key);
    if (it != map.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }

  static void ancestors(std::vector<size_t>& out, const PrefixIndex& index, const Prefix& p) {
    for (uint8_t len : index.lengths) {
      if (len > p.len) break;
      const PrefixKey key = masked(p, len);
      auto it = std::lower_bound(index.rules.begin(), index.rules.end(), std::pair{key, size_t{0}});
      for (; it != index.rules.end() && it->first == key; ++it) out.push_back(it->second);
    }
  }

  Family family_;
  PrefixIndex source_, destination_;
  std::map<std::string, std::vector<size_t>> iif_, oif_;
  std::map<AddrType, std::vector<size_t>> dest_type_;
  std::map<uint8_t, std::vector<size_t>> hop_limit_;
  std::vector<size_t> none_;
};

using BucketKey = std::tuple<Hook, Family, uint8_t, int>;  // code: -1 for a whole type

int code_key(std::optional<uint8_t> code) {
  return code ? *code : -1;
}

}  // namespace

void check_shadowed(const Policy& p, Diagnostics& diags) {
  const auto& rules = p.rules;
  std::map<BucketKey, Bucket> buckets;
  for (size_t i = 0; i < rules.size(); ++i)
    for (const auto& hp : p.hooks) {
      if (!applies_to(rules[i], hp.hook, p)) continue;
      for (const auto& m : rules[i].matches) {
        auto [it, fresh] =
            buckets.try_emplace({hp.hook, m.family, m.type, code_key(m.code)}, m.family);
        (void)fresh;
        it->second.add(i, rules[i]);
      }
    }
  for (auto& [key, bucket] : buckets) bucket.seal();

  for (size_t j = 0; j < rules.size(); ++j) {
    const Rule& b = rules[j];
    std::vector<const Rule*> by;
    bool reachable = b.matches.empty();
    for (const auto& hp : p.hooks) {
      if (reachable) break;
      if (!applies_to(b, hp.hook, p)) continue;
      for (const auto& m : b.matches) {
        const Rule* cover = nullptr;
        const Bucket& bucket = buckets.at({hp.hook, m.family, m.type, code_key(m.code)});
        for (size_t i : bucket.candidates(b.scope)) {
          const Rule& a = rules[i];
          if (i == j) continue;
          bool first = tried_before(a, b);
          bool decides = a.action != Action::rate_limit || !a.limit || a.limit->over_drop;
          if (!first || !decides || !implies(b.scope, a.scope, m.family)) continue;
          // Identical conditions, different actions: a conflict, which the
          // compiler reports (policy::conflicts).
          if (a.action != b.action && same_conditions(a.scope, b.scope)) continue;
          cover = &a;
          break;
        }
        if (!cover) {
          reachable = true;
          break;
        }
        if (std::find(by.begin(), by.end(), cover) == by.end()) by.push_back(cover);
      }
    }
    if (reachable || by.empty()) continue;
    std::string names;
    for (size_t i = 0; i < by.size(); ++i)
      names += (i == 0               ? ""
                : i + 1 == by.size() ? " and "
                                     : ", ") +
               fmt::format("'{}'", by[i]->name);
    auto& d = diags.warning(
        b.loc,
        fmt::format("rule '{}' is never reached: {} {} {} every packet it matches first", b.name,
                    by.size() == 1 ? "rule" : "rules", names,
                    by.size() == 1 ? "decides" : "decide"),
        "remove it, or narrow the rule before it");
    for (const auto* a : by)
      d.related.push_back({a->loc, fmt::format("rule '{}' is here", a->name)});
  }
}

}  // namespace icmpwall::policy
