// SPDX-License-Identifier: GPL-2.0-or-later
// Precedence: which rules a packet meets on a hook, in which order, and
// which rules conflict. The one definition the lint and the compiler share
// (README, "Precedence"):
//
//   For a packet of type T and code C on hook H, the candidates are the
//   rules that apply to H and name T with code C, or T with every code,
//   tried in this order: rules naming the code before rules naming the
//   whole type; within each, rules with conditions before rules without;
//   then file order.
//
// `Precedence` holds that order for one hook and family, per type, as the
// compiler lays it out: one chain for the codes no rule singles out, and
// one per code some rule names. The lint asks it what a packet meets; the
// compiler emits its chains as they are. Conflicts (same hook, type and
// code, identical conditions, different actions) are found here too, before
// any code is generated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "icmpwall/policy/policy.h"

namespace icmpwall::policy {

// A rule applies on hook h when it names h, or names no hook and the
// policy declares h.
bool applies_to(const Rule& r, Hook h, const Policy& p);

// Whether `a` is tried before `b` among rules of the same specificity (both
// naming the code, or both the whole type): conditional rules first, then
// file order. Both must be elements of the same Policy::rules.
bool tried_before(const Rule& a, const Rule& b);

// Two rules have identical conditions (iif, oif, source, destination,
// destination-type, hop-limit; lists compared as sets; hooks aside).
bool same_conditions(const Scope& a, const Scope& b);

// The rules of one ICMP type on one hook and family.
struct TypeRules {
  uint8_t type = 0;
  // The rules naming the whole type, in precedence order: the chain of
  // every code no rule singles out. Empty: those codes meet no rule.
  std::vector<const Rule*> type_wide;
  struct Code {
    uint8_t code = 0;
    // The rules naming this code, in precedence order, then the type-wide
    // rules not among them.
    std::vector<const Rule*> chain;
    size_t named = 0;  // how many of `chain` name the code itself
  };
  std::vector<Code> codes;  // ascending: the codes some rule names

  // The rules a packet of this type and `code` meets, in order.
  std::span<const Rule* const> chain(uint8_t code) const;
};

// Two rules with identical conditions and different actions for the same
// hook, family, type and code; `first` precedes `second` in the file.
struct Conflict {
  Hook hook = Hook::input;
  Family family = Family::ipv4;
  uint8_t type = 0;
  std::optional<uint8_t> code;  // none: both name the whole type
  const Rule* first = nullptr;
  const Rule* second = nullptr;
};

// The precedence of every rule of a policy on one hook and family. A rule
// is listed once per match that names the key (the parser makes a rule's
// matches unique).
class Precedence {
 public:
  Precedence(const Policy& p, Hook h, Family f);

  const Policy& policy() const { return *policy_; }
  Hook hook() const { return hook_; }
  Family family() const { return family_; }
  // Every type some rule names on this hook and family, ascending.
  const std::vector<TypeRules>& types() const { return types_; }
  const TypeRules* type(uint8_t t) const;
  // The rules a packet of (type, code) meets, in order; empty: the hook's
  // default decides it.
  std::span<const Rule* const> chain(uint8_t type, uint8_t code) const;

 private:
  const Policy* policy_;
  Hook hook_;
  Family family_;
  std::vector<TypeRules> types_;
  std::array<int16_t, 256> index_;  // types_ by type number; -1: none
};

// The precedence of every hook the policy declares (in its order) and
// family (ipv4, ipv6).
std::vector<Precedence> precedence(const Policy& p);

// Every conflict among the rules of `all` (precedences of one policy, as
// `precedence` gives them), each pair of rules once: at its
// first hook, family and type in the order of `all`, the whole type before
// its codes, codes ascending.
std::vector<Conflict> conflicts(const std::vector<Precedence>& all);

}  // namespace icmpwall::policy
