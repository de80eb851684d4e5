// SPDX-License-Identifier: GPL-2.0-or-later
// Expressions on sets: lookup (a set, a map or a verdict map) and dynset
// (walk.h).
#include <fmt/format.h>

#include "icmpwall/audit/describe.h"
#include "walk.h"

namespace icmpwall::audit::walk {
namespace {

// The keys of a constant anonymous set, back to back (`ct state { a, b }`);
// empty for any other set.
Bytes set_keys_or(const Set& set) {
  Bytes out;
  if (!set.is_anonymous() || set.is_map() || set.is_interval()) return out;
  for (const auto& e : set.elements) out.insert(out.end(), e.key.begin(), e.key.end());
  return out;
}

}  // namespace

Step Walk::eval(const Lookup& lk, const At& at) {
  Step s;
  const Set* set = at.t.set(lk.set);
  if (!set) {
    terminal(s, Outcome::conditional, fmt::format("set @{} is not in the snapshot", lk.set));
    return s;
  }
  Cells c = read(lk.sreg, set->key_len);
  bool tainted = any_tainted(c);
  auto key = value_of(c);
  const SetElement* el = nullptr;
  bool found = false;
  if (key) {
    el = find_element(*set, *key);
    found = el != nullptr;
  } else if (set->elements.empty()) {
    found = false;
  } else if (lk.dreg && *lk.dreg == 0) {
    terminal(s, Outcome::conditional,
             fmt::format("{} vmap @{} (the packet description does not fix the key)", labels_of(c),
                         set->name));
    return s;
  } else if (tainted) {
    found = true;
  } else if (auto ct = ct_state_condition(c, set_keys_or(*set)); ct && !set->is_map()) {
    found = decide(*ct);
  } else {
    found =
        decide_with([&] {
          return fmt::format("{} {}in @{}", labels_of(c), lk.inverted() ? "not " : "", set->name);
        }) != lk.inverted();
  }
  bool match = found != lk.inverted();
  if (!match) {
    s.kind = StepKind::brk;
    return s;
  }
  if (!lk.dreg) return s;
  if (*lk.dreg == 0) {
    if (!el || !el->verdict) {
      terminal(s, Outcome::conditional, fmt::format("verdict map @{} holds no verdict", set->name));
      return s;
    }
    s.kind = StepKind::verdict;
    s.verdict = *el->verdict;
    s.text = fmt::format("@{} -> ", set->name);
    return s;
  }
  if (el)
    write_known(*lk.dreg, el->data, 0, "@" + set->name);
  else
    write_unknown(*lk.dreg, set->data_len, fmt::format("@{}[{}]", set->name, labels_of(c)));
  return s;
}

Step Walk::eval(const Dynset& ds, const At& at) {
  Step s;
  ev_.notes.push_back(fmt::format("{}: updates set @{}", describe(here()), ds.set));
  for (const auto& inner : ds.exprs) {
    Step is = eval_expr(inner, at.t, at.r, at.index);
    if (is.kind != StepKind::go) return is;
  }
  if (!pending_limits_.empty())
    pending_limits_.back().second += fmt::format(" per element of @{}", ds.set);
  return s;
}

}  // namespace icmpwall::audit::walk
