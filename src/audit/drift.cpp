// SPDX-License-Identifier: GPL-2.0-or-later
// compare_tables: the live icmpwall table against the expected one (see
// drift.h), and the one-line text of each difference.
//
// Every object is reduced to a normalized text (its "signature") that
// leaves out what legitimately changes at run time or is the kernel's
// bookkeeping: handles, rule positions, counter values, consumed quota,
// element expiry, and the elements of sets filled at run time. Two
// objects are the same when their signatures are. Rules are compared as
// sequences: a longest common subsequence aligns the live chain with the
// expected one, and what is left between two aligned rules is paired up
// ("differs") or reported alone ("extra", "missing").
#include "icmpwall/audit/drift.h"

#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <array>
#include <map>

#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/nft_text.h"
#include "icmpwall/netlink/nft_datatype.h"
#include "icmpwall/util/address.h"
#include "icmpwall/util/nf_hook_names.h"

namespace icmpwall::audit {
namespace {

// ---- signatures ----------------------------------------------------------

Expr without_counts(Expr e) {
  if (auto* c = std::get_if<Counter>(&e)) *c = Counter{};
  if (auto* d = std::get_if<Dynset>(&e))
    for (auto& inner : d->exprs) inner = without_counts(inner);
  return e;
}

// An xt match's or target's info with its contents (describe() gives only
// its length). The kernel pads the info it hands back to XT_ALIGN (8
// bytes) with zeros: the NFQUEUE v3 info icmpwall sends is 6 bytes and
// comes back as 8. Pad both sides the same way.
std::string xt_text(const char* kind, const std::string& name, uint32_t rev, Bytes info) {
  info.resize((info.size() + 7) / 8 * 8, 0);
  return fmt::format("{} {} rev {} info {}", kind, name, rev, hex(info));
}

std::string expr_text(const Expr& e) {
  if (std::holds_alternative<Counter>(e)) return "counter";
  if (const auto* t = std::get_if<Target>(&e)) return xt_text("target", t->name, t->rev, t->info);
  if (const auto* m = std::get_if<Match>(&e)) return xt_text("match", m->name, m->rev, m->info);
  return describe(without_counts(e));
}

std::string rule_text(const Rule& r) {
  std::string s;
  for (const auto& e : r.exprs) {
    if (!s.empty()) s += "; ";
    s += expr_text(e);
  }
  if (r.comment) s += fmt::format("; comment \"{}\"", *r.comment);
  return s;
}

std::string hook_text(const Chain& c) {
  if (!c.hook) return "regular chain";
  const auto& h = *c.hook;
  const char* name = nf_hook_name(h.hooknum);
  const std::string hook = name ? name : std::to_string(h.hooknum);
  std::string s = fmt::format("type {} hook {} priority {} policy {}", h.type, hook, h.priority,
                              h.policy == NF_DROP ? "drop" : "accept");
  for (const auto& d : h.devices) s += " device " + d;
  return s;
}

// Sets the kernel or the daemon fills at run time: their elements are
// state, not policy.
bool is_dynamic(const Set& s) {
  return s.flags & (NFT_SET_TIMEOUT | NFT_SET_EVAL);
}

std::string set_text(const Set& s) {
  std::string t = fmt::format("flags 0x{:x} key {}/{}", s.flags, s.key_type, s.key_len);
  // A verdict map's data length is the kernel's: it answers
  // sizeof(struct nft_verdict) (16) whatever userspace sent (nft sends 0).
  if (s.data_type == NFT_DATA_VERDICT)
    t += " data verdict";
  else if (s.data_type)
    t += fmt::format(" data {}/{}", *s.data_type, s.data_len);
  if (s.obj_type) t += fmt::format(" objects {}", *s.obj_type);
  if (!s.concat.empty()) t += " concat " + hex(s.concat);
  if (s.timeout) t += fmt::format(" timeout {}ms", *s.timeout);
  return t;
}

// Address keys as addresses (nft's ipv4_addr and ipv6_addr datatypes),
// anything else as hex.
std::string key_text(const Set& s, const Bytes& key) {
  const bool addr = (s.key_type == nft_datatype::ipv4_addr && key.size() == 4) ||
                    (s.key_type == nft_datatype::ipv6_addr && key.size() == 16);
  return addr ? format_addr(key.data(), key.size()) : hex(key);
}

std::string element_key(const Set& s, const SetElement& e) {
  std::string k = key_text(s, e.key);
  if (!e.key_end.empty()) k += "-" + key_text(s, e.key_end);
  if (e.interval_end()) k += " end";
  if (e.flags & NFT_SET_ELEM_CATCHALL) k += "*";
  return k;
}

std::string element_value(const SetElement& e) {
  if (e.verdict) return describe(*e.verdict);
  if (!e.data.empty()) return hex(e.data);
  return e.objref;
}

// Counter values and consumed quota move with traffic; the rest is policy.
bool is_state(const Object& o, const std::string& key) {
  if (o.type == NFT_OBJECT_COUNTER) return key == "packets" || key == "bytes";
  if (o.type == NFT_OBJECT_QUOTA) return key == "consumed";
  return false;
}

std::string object_text(const Object& o) {
  std::string s = o.type_name;
  for (const auto& [key, value] : o.values)
    if (!is_state(o, key)) s += fmt::format(" {} {}", key, value);
  if (!o.text.empty()) s += fmt::format(" \"{}\"", o.text);
  return s;
}

// ---- comparisons -----------------------------------------------------------

// One side of a difference: the text compared, and the same in nft syntax.
struct Side {
  std::string raw;
  std::string nft;
};

class Comparer {
 public:
  Comparer(std::vector<Difference>& out, const Table& live, const Table& expected)
      : out_(out), live_(live), expected_(expected) {}

  void add(DriftKind kind, std::string where, std::string what, Side live, Side expected) {
    out_.push_back({kind, std::move(where), std::move(what), std::move(live.nft),
                    std::move(expected.nft), std::move(live.raw), std::move(expected.raw)});
  }

  void objects() {
    named(
        live_.objects, expected_.objects,
        [](const Object& o) { return o.type_name + " " + o.name; },
        [](const Object& o) {
          return Side{object_text(o), nft_text(o)};
        },
        "", [](const Object&, const Object&) {});
  }

  void sets() {
    named(
        live_.sets, expected_.sets, [](const Set& s) { return "set " + s.name; },
        [](const Set& s) {
          return Side{set_text(s), nft_text(s)};
        },
        "",
        [&](const Set& l, const Set& e) {
          if (!is_dynamic(e) || !is_dynamic(l)) elements("set " + e.name, l, e);
        });
  }

  void chains() {
    named(
        live_.chains, expected_.chains, [](const Chain& c) { return "chain " + c.name; },
        [](const Chain& c) {
          return Side{hook_text(c), nft_text(c)};
        },
        "hook",
        [&](const Chain& l, const Chain& e) { rules("chain " + e.name, l.rules, e.rules); });
  }

 private:
  // Each expected object against the live one of the same `where`:
  // missing, or differing in the raw `side` (reported as `what`), then its
  // parts; then the live objects the policy does not have.
  template <typename T, typename Where, typename SideOf, typename Parts>
  void named(const std::vector<T>& live, const std::vector<T>& expected, Where where, SideOf side,
             const char* what, Parts parts) {
    auto find = [&](const std::vector<T>& in, const T& x) -> const T* {
      for (const auto& y : in)
        if (where(y) == where(x)) return &y;
      return nullptr;
    };
    for (const auto& e : expected) {
      const T* l = find(live, e);
      if (!l) {
        add(DriftKind::missing, where(e), "", {}, side(e));
        continue;
      }
      Side ls = side(*l), es = side(e);
      if (ls.raw != es.raw) add(DriftKind::differs, where(e), what, std::move(ls), std::move(es));
      parts(*l, e);
    }
    for (const auto& l : live)
      if (!find(expected, l)) add(DriftKind::extra, where(l), "", side(l), {});
  }

  void elements(const std::string& where, const Set& live, const Set& expected) {
    std::multimap<std::string, Side> l, e;
    for (const auto& el : live.elements)
      l.emplace(element_key(live, el), Side{element_value(el), nft_text(live, el)});
    for (const auto& el : expected.elements)
      e.emplace(element_key(expected, el), Side{element_value(el), nft_text(expected, el)});
    for (const auto& [key, value] : e) {
      auto it = l.find(key);
      if (it == l.end())
        add(DriftKind::missing, where, "element " + key, {}, value);
      else if (it->second.raw != value.raw)
        add(DriftKind::differs, where, "element " + key, it->second, value);
      if (it != l.end()) l.erase(it);
    }
    for (const auto& [key, value] : l) add(DriftKind::extra, where, "element " + key, value, {});
  }

  // Aligns the two rule lists (longest common subsequence of their texts)
  // and reports what lies between the aligned rules.
  void rules(const std::string& where, const std::vector<Rule>& live,
             const std::vector<Rule>& expected) {
    auto live_side = [&](size_t i, const std::string& raw) {
      return Side{raw, nft_text(live[i], &live_)};
    };
    auto expected_side = [&](size_t j, const std::string& raw) {
      return Side{raw, nft_text(expected[j], &expected_)};
    };
    std::vector<std::string> l, e;
    for (const auto& r : live) l.push_back(rule_text(r));
    for (const auto& r : expected) e.push_back(rule_text(r));
    const size_t n = l.size(), m = e.size();
    std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
    for (size_t i = n; i-- > 0;)
      for (size_t j = m; j-- > 0;)
        lcs[i][j] = l[i] == e[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);

    // Walk the table: a run of unaligned live rules (i..) and expected
    // rules (j..) ends at the next aligned pair or at the ends.
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      size_t i0 = i, j0 = j;
      while ((i < n || j < m) &&
             !(i < n && j < m && l[i] == e[j] && lcs[i][j] == lcs[i + 1][j + 1] + 1)) {
        if (j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]))
          ++i;
        else
          ++j;
      }
      for (; i0 < i && j0 < j; ++i0, ++j0)
        add(DriftKind::differs, where, live_rule(live[i0]), live_side(i0, l[i0]),
            expected_side(j0, e[j0]));
      for (; i0 < i; ++i0)
        add(DriftKind::extra, where, live_rule(live[i0]), live_side(i0, l[i0]), {});
      for (; j0 < j; ++j0)
        add(DriftKind::missing, where, fmt::format("rule {}", j0 + 1), {},
            expected_side(j0, e[j0]));
      if (i < n && j < m) ++i, ++j;  // the aligned pair
    }
  }

  static std::string live_rule(const Rule& r) {
    return fmt::format("rule {} (handle {})", r.index + 1, r.handle);
  }

  std::vector<Difference>& out_;
  const Table& live_;
  const Table& expected_;
};

}  // namespace

std::string drift_kind_name(DriftKind k) {
  switch (k) {
    case DriftKind::missing: return "missing";
    case DriftKind::extra: return "extra";
    case DriftKind::differs: return "differs";
  }
  return "differs";
}

std::string describe(const Difference& d) {
  const std::string what = d.what.empty() ? "" : d.what + " ";
  switch (d.kind) {
    case DriftKind::missing:
      if (d.where.starts_with("table ")) return d.where + ": missing (policy not applied)";
      if (d.expected_raw.empty()) return fmt::format("{}: {}missing", d.where, what);
      return fmt::format("{}: {}missing: policy \"{}\"", d.where, what, d.expected);
    case DriftKind::extra:
      if (d.live_raw.empty()) return fmt::format("{}: extra {}", d.where, d.what);
      if (d.what.empty()) return fmt::format("{}: extra: live \"{}\"", d.where, d.live);
      return fmt::format("{}: extra {}: live \"{}\"", d.where, d.what, d.live);
    case DriftKind::differs:
      return fmt::format("{}: {}differs: live \"{}\", policy \"{}\"", d.where, what, d.live,
                         d.expected);
  }
  return d.where;
}

std::vector<Difference> compare_tables(const Table* live, const Table& expected) {
  std::vector<Difference> out;
  const std::string where = fmt::format("table {} {}", family_name(expected.family), expected.name);
  if (!live) {
    out.push_back({DriftKind::missing, where, "", "", ""});
    return out;
  }
  Comparer cmp(out, *live, expected);
  if (live->flags != expected.flags) {
    const std::string l = fmt::format("0x{:x}", live->flags);
    const std::string e = fmt::format("0x{:x}", expected.flags);
    cmp.add(DriftKind::differs, where, "flags", {l, l}, {e, e});
  }
  cmp.objects();
  cmp.sets();
  cmp.chains();
  return out;
}

}  // namespace icmpwall::audit
