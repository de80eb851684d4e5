// SPDX-License-Identifier: GPL-2.0-or-later
// Lookups over a Ruleset and the names of families and expression kinds.
#include "icmpwall/audit/ruleset.h"

#include <linux/netfilter.h>

#include <type_traits>

namespace icmpwall::audit {
namespace {

template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  for (const auto& item : items)
    if (item.name == name) return &item;
  return nullptr;
}

}  // namespace

std::string expr_name(const Expr& e) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Meta>)
          return "meta";
        else if constexpr (std::is_same_v<T, Payload>)
          return "payload";
        else if constexpr (std::is_same_v<T, Cmp>)
          return "cmp";
        else if constexpr (std::is_same_v<T, Bitwise>)
          return "bitwise";
        else if constexpr (std::is_same_v<T, Range>)
          return "range";
        else if constexpr (std::is_same_v<T, Lookup>)
          return "lookup";
        else if constexpr (std::is_same_v<T, Immediate>)
          return "immediate";
        else if constexpr (std::is_same_v<T, Counter>)
          return "counter";
        else if constexpr (std::is_same_v<T, Limit>)
          return "limit";
        else if constexpr (std::is_same_v<T, Objref>)
          return "objref";
        else if constexpr (std::is_same_v<T, Dynset>)
          return "dynset";
        else if constexpr (std::is_same_v<T, Ct>)
          return "ct";
        else if constexpr (std::is_same_v<T, Exthdr>)
          return "exthdr";
        else if constexpr (std::is_same_v<T, Fib>)
          return "fib";
        else if constexpr (std::is_same_v<T, Queue>)
          return "queue";
        else if constexpr (std::is_same_v<T, Reject>)
          return "reject";
        else if constexpr (std::is_same_v<T, Log>)
          return "log";
        else if constexpr (std::is_same_v<T, Match>)
          return "match";
        else if constexpr (std::is_same_v<T, Target>)
          return "target";
        else if constexpr (std::is_same_v<T, Notrack>)
          return "notrack";
        else
          return x.name;  // Nat, Unknown
      },
      static_cast<const ExprVariant&>(e));
}

std::optional<uint64_t> Object::value(const std::string& key) const {
  for (const auto& [k, v] : values)
    if (k == key) return v;
  return std::nullopt;
}

const Chain* Table::chain(const std::string& n) const {
  return find_named(chains, n);
}
const Set* Table::set(const std::string& n) const {
  return find_named(sets, n);
}
const Object* Table::object(const std::string& n) const {
  return find_named(objects, n);
}

const Table* Ruleset::table(uint32_t family, const std::string& name) const {
  for (const auto& t : tables)
    if (t.family == family && t.name == name) return &t;
  return nullptr;
}

size_t Ruleset::rule_count() const {
  size_t n = 0;
  for (const auto& t : tables)
    for (const auto& c : t.chains) n += c.rules.size();
  return n;
}

size_t Ruleset::element_count() const {
  size_t n = 0;
  for (const auto& t : tables)
    for (const auto& s : t.sets) n += s.elements.size();
  return n;
}

std::string family_name(uint32_t family) {
  switch (family) {
    case NFPROTO_IPV4: return "ip";
    case NFPROTO_IPV6: return "ip6";
    case NFPROTO_INET: return "inet";
    case NFPROTO_ARP: return "arp";
    case NFPROTO_BRIDGE: return "bridge";
    case NFPROTO_NETDEV: return "netdev";
    default: return std::to_string(family);
  }
}

}  // namespace icmpwall::audit
