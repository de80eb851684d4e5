// SPDX-License-Identifier: GPL-2.0-or-later
// A rule's expressions back to nft syntax (nft_text.h), the way nft's
// netlink_delinearize.c does it, for what nft itself emits and iptables-nft
// adds:
//
//   - loads (meta, payload, exthdr, ct, fib) write a description of what
//     they read into their register: the field's name and value type;
//   - bitwise masks the register (an address prefix, `& 8191`, ct state
//     bits, the IPv6 fragment offset's three low bits);
//   - cmp, range and lookup turn the register into a statement: `icmp type
//     echo-request`, `ip6 saddr fe80::/10`, `ct state invalid`, `ip saddr
//     @blocked4`, `icmp type . icmp code vmap @verdicts`; a payload load
//     that covers two adjacent fields compared at once (the compiler
//     merges `icmp type X icmp code Y`) is split back into both;
//   - `meta nfproto X` and `meta l4proto Y` compared for equality are
//     remembered as dependencies and dropped when a header field that
//     needs them is loaded after them, as nft drops them; `meta l4proto
//     icmp` (ipv6-icmp) drops a `meta nfproto ipv4` (ipv6) before it too.
//
// An expression that fits none of these is not rendered: its register
// text is collected, with that of the loads it consumed, after
// kUnrendered.
#include "icmpwall/audit/nft_text.h"

#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <span>

#include "field_text.h"
#include "icmpwall/audit/describe.h"
#include "nft_values.h"

namespace icmpwall::audit {
namespace {

using nft_values::Kind;
using nft_values::value_text;

// ---- header fields ---------------------------------------------------------

struct HdrField {
  uint32_t offset;
  uint32_t len;
  const char* name;
  Kind kind;
};

constexpr HdrField kIp[] = {{2, 2, "length", Kind::be_int},       {4, 2, "id", Kind::be_int},
                            {6, 2, "frag-off", Kind::be_int},     {8, 1, "ttl", Kind::be_int},
                            {9, 1, "protocol", Kind::inet_proto}, {10, 2, "checksum", Kind::be_int},
                            {12, 4, "saddr", Kind::addr4},        {16, 4, "daddr", Kind::addr4}};
constexpr HdrField kIp6[] = {{4, 2, "length", Kind::be_int},
                             {6, 1, "nexthdr", Kind::inet_proto},
                             {7, 1, "hoplimit", Kind::be_int},
                             {8, 16, "saddr", Kind::addr6},
                             {24, 16, "daddr", Kind::addr6}};
constexpr HdrField kIcmp[] = {{0, 1, "type", Kind::icmp_type},
                              {1, 1, "code", Kind::icmp_code},
                              {2, 2, "checksum", Kind::be_int},
                              {4, 2, "id", Kind::be_int},
                              {6, 2, "sequence", Kind::be_int}};
constexpr HdrField kIcmp6[] = {{0, 1, "type", Kind::icmp6_type},
                               {1, 1, "code", Kind::icmp6_code},
                               {2, 2, "checksum", Kind::be_int},
                               {4, 2, "id", Kind::be_int},
                               {6, 2, "sequence", Kind::be_int}};

struct Header {
  const char* name;  // "ip", "ip6", "icmp", "icmpv6"
  std::span<const HdrField> fields;
};

constexpr Header kIpHeader{"ip", kIp};
constexpr Header kIp6Header{"ip6", kIp6};
constexpr Header kIcmpHeader{"icmp", kIcmp};
constexpr Header kIcmp6Header{"icmpv6", kIcmp6};

const HdrField* field_at(const Header& h, uint32_t offset) {
  for (const auto& f : h.fields)
    if (f.offset == offset) return &f;
  return nullptr;
}

// ---- registers -------------------------------------------------------------

// What a register holds.
struct RegVal {
  std::string text;  // "icmp type", "ip6 saddr", "fib daddr type"
  Kind kind = Kind::bytes;
  uint32_t len = 0;
  // A payload load of a known header: its header and offset, for a
  // compare that covers several fields or a leading part of an address.
  const Header* header = nullptr;
  uint32_t offset = 0;
  uint32_t field_len = 0;     // of the field at `offset`
  std::optional<Bytes> mask;  // a bitwise and applied to it
  bool v6_frag_off = false;   // `frag frag-off`: 13 bits above three flag bits
  bool rendered = true;
  std::vector<std::string> raw;  // register text of the expressions that made it
};

// The 32-bit register a register number starts at (NFT_REG_1..4 are
// 16-byte aliases of NFT_REG32_00..15).
uint32_t unit_of(uint32_t reg) {
  return reg >= NFT_REG_1 && reg <= NFT_REG_4 ? NFT_REG32_00 + (reg - NFT_REG_1) * 4 : reg;
}

const char* cmp_symbol(uint32_t op) {
  switch (op) {
    case NFT_CMP_NEQ: return "!=";
    case NFT_CMP_LT: return "<";
    case NFT_CMP_LTE: return "<=";
    case NFT_CMP_GT: return ">";
    case NFT_CMP_GTE: return ">=";
    default: return "==";
  }
}

// Meta keys nft prints without "meta " (src/meta.c meta_key_is_unqualified).
bool unqualified(uint32_t key) {
  switch (key) {
    case NFT_META_IIF:
    case NFT_META_OIF:
    case NFT_META_IIFNAME:
    case NFT_META_OIFNAME:
    case NFT_META_IIFGROUP:
    case NFT_META_OIFGROUP: return true;
    default: return false;
  }
}

Kind meta_kind(uint32_t key) {
  switch (key) {
    case NFT_META_NFPROTO: return Kind::nfproto;
    case NFT_META_L4PROTO: return Kind::inet_proto;
    case NFT_META_PROTOCOL: return Kind::ethertype;
    case NFT_META_IIFNAME:
    case NFT_META_OIFNAME: return Kind::ifname;
    case NFT_META_PKTTYPE: return Kind::pkttype;
    case NFT_META_MARK: return Kind::mark;
    default: return Kind::host_int;
  }
}

Kind ct_kind(uint32_t key) {
  switch (key) {
    case NFT_CT_STATE: return Kind::ct_state;
    case NFT_CT_MARK: return Kind::mark;
    case NFT_CT_SRC_IP:
    case NFT_CT_DST_IP: return Kind::addr4;
    case NFT_CT_SRC_IP6:
    case NFT_CT_DST_IP6: return Kind::addr6;
    case NFT_CT_PROTOCOL: return Kind::inet_proto;
    case NFT_CT_PROTO_SRC:
    case NFT_CT_PROTO_DST: return Kind::be_int;
    default: return Kind::host_int;
  }
}

std::string verdict_text(const Verdict& v) {
  return describe(v);  // accept, drop, jump NAME, goto NAME, return, continue, queue
}

// ---- the renderer ------------------------------------------------------------

class RuleText {
 public:
  explicit RuleText(const Table* table, uint32_t family) : table_(table), family_(family) {}

  std::string render(const Rule& r) {
    for (const auto& e : r.exprs) expr(e);
    std::string out;
    for (const auto& s : stmts_)
      if (!s.dropped) out += (out.empty() ? "" : " ") + s.text;
    if (r.comment) out += (out.empty() ? "" : " ") + fmt::format("comment \"{}\"", *r.comment);
    if (!unrendered_.empty()) {
      std::string rest;
      for (const auto& u : unrendered_) rest += (rest.empty() ? "" : "; ") + u;
      out += (out.empty() ? "" : " ") + std::string(kUnrendered) + rest;
    }
    return out;
  }

  // The statements of a dynset's own expressions (limit, counter).
  std::string inner(const std::vector<Expr>& exprs) {
    RuleText sub(table_, family_);
    for (const auto& e : exprs) sub.expr(e);
    if (!sub.unrendered_.empty()) return {};
    std::string out;
    for (const auto& s : sub.stmts_) out += (out.empty() ? "" : " ") + s.text;
    return out;
  }

 private:
  struct Stmt {
    std::string text;
    bool dropped = false;
  };
  enum class Dep : uint8_t { nfproto, l4proto };

  void expr(const Expr& e) {
    bool done =
        std::visit([&](const auto& x) { return handle(x, e); }, static_cast<const ExprVariant&>(e));
    if (!done) unrendered_.push_back(describe(e));
  }

  void stmt(std::string text) { stmts_.push_back({std::move(text)}); }

  void write(uint32_t reg, RegVal v, const Expr& e) {
    v.raw.push_back(describe(e));
    regs_[unit_of(reg)] = std::move(v);
  }

  // The value in `reg`, if something this rule loaded is there.
  RegVal* read(uint32_t reg) {
    auto it = regs_.find(unit_of(reg));
    return it == regs_.end() ? nullptr : &it->second;
  }

  // A consumer of `v` that could not be rendered: the loads' text goes too.
  bool give_up(const RegVal* v) {
    if (v)
      for (const auto& r : v->raw) unrendered_.push_back(r);
    return false;
  }

  // Drops the dependency `kind` on `value`, if the statement before has one.
  void satisfy(Dep kind, uint8_t value) {
    auto& dep = kind == Dep::nfproto ? nfproto_dep_ : l4proto_dep_;
    if (dep && dep->second == value) stmts_[dep->first].dropped = true;
    dep.reset();
  }

  const Header* network_header() const {
    const uint32_t f = family_ == NFPROTO_IPV4 || family_ == NFPROTO_IPV6 ? family_ : nfproto_;
    return f == NFPROTO_IPV4 ? &kIpHeader : f == NFPROTO_IPV6 ? &kIp6Header : nullptr;
  }

  // ---- loads ---------------------------------------------------------------

  bool handle(const Meta& m, const Expr& e) {
    if (m.sreg) {
      RegVal* v = read(*m.sreg);
      if (!v || !v->rendered || v->mask) return give_up(v);
      stmt(fmt::format("{} set {}", meta_key_name(m.key), v->text));
      return true;
    }
    RegVal v;
    v.text = unqualified(m.key) ? meta_key_name(m.key).substr(5) : meta_key_name(m.key);
    v.kind = meta_kind(m.key);
    v.len = m.key == NFT_META_IIFNAME || m.key == NFT_META_OIFNAME ? 16 : 4;
    write(m.dreg.value_or(0), std::move(v), e);
    return true;
  }

  bool handle(const Payload& p, const Expr& e) {
    if (p.sreg) return false;  // payload set: not emitted by nft for filtering
    RegVal v;
    v.len = p.len;
    const Header* h = nullptr;
    if (p.base == NFT_PAYLOAD_NETWORK_HEADER) h = network_header();
    if (p.base == NFT_PAYLOAD_TRANSPORT_HEADER)
      h = l4proto_ == 1 ? &kIcmpHeader : l4proto_ == 58 ? &kIcmp6Header : nullptr;
    const HdrField* f = h ? field_at(*h, p.offset) : nullptr;
    if (f && p.len <= f->len + 3) {
      v.header = h;
      v.offset = p.offset;
      v.field_len = f->len;
      v.text = fmt::format("{} {}", h->name, f->name);
      v.kind = f->kind;
      if (h == &kIpHeader) satisfy(Dep::nfproto, NFPROTO_IPV4);
      if (h == &kIp6Header) satisfy(Dep::nfproto, NFPROTO_IPV6);
      if (h == &kIcmpHeader || h == &kIcmp6Header) {
        satisfy(Dep::l4proto, h == &kIcmpHeader ? 1 : 58);
        satisfy(Dep::nfproto, h == &kIcmpHeader ? NFPROTO_IPV4 : NFPROTO_IPV6);
      }
    } else {
      const char* base = p.base == NFT_PAYLOAD_LL_HEADER          ? "ll"
                         : p.base == NFT_PAYLOAD_NETWORK_HEADER   ? "nh"
                         : p.base == NFT_PAYLOAD_TRANSPORT_HEADER ? "th"
                                                                  : "ih";
      v.text = fmt::format("@{},{},{}", base, p.offset * 8, p.len * 8);
      v.kind = Kind::be_int;
    }
    write(p.dreg.value_or(0), std::move(v), e);
    return true;
  }

  bool handle(const Exthdr& x, const Expr& e) {
    // IPv6 fragment header: the offset (13 bits, masked and compared).
    constexpr uint8_t kFragment = 44;
    if (x.sreg || x.op != NFT_EXTHDR_OP_IPV6 || x.type != kFragment || x.flags) return false;
    RegVal v;
    v.len = x.len;
    v.kind = Kind::be_int;
    if (x.offset == 2 && x.len == 2) {
      v.text = "frag frag-off";
      v.v6_frag_off = true;
    } else if (x.offset == 4 && x.len == 4) {
      v.text = "frag id";
    } else if (x.offset == 0 && x.len == 1) {
      v.text = "frag nexthdr";
      v.kind = Kind::inet_proto;
    } else {
      return false;
    }
    satisfy(Dep::nfproto, NFPROTO_IPV6);
    write(x.dreg.value_or(0), std::move(v), e);
    return true;
  }

  bool handle(const Ct& c, const Expr& e) {
    if (c.sreg) {
      RegVal* v = read(*c.sreg);
      if (!v || !v->rendered || v->mask) return give_up(v);
      stmt(fmt::format("{} set {}", ct_key_name(c.key), v->text));
      return true;
    }
    RegVal v;
    std::string key = ct_key_name(c.key).substr(3);
    if (c.dir) key = (*c.dir == 0 ? "original " : "reply ") + key;
    v.text = "ct " + key;
    v.kind = ct_kind(c.key);
    v.len = 4;
    write(c.dreg.value_or(0), std::move(v), e);
    return true;
  }

  bool handle(const Fib& f, const Expr& e) {
    if (f.flags & NFTA_FIB_F_PRESENT) return false;
    std::string parts;
    auto part = [&](uint32_t flag, const char* name) {
      if (f.flags & flag) parts += (parts.empty() ? "" : " . ") + std::string(name);
    };
    part(NFTA_FIB_F_SADDR, "saddr");
    part(NFTA_FIB_F_DADDR, "daddr");
    part(NFTA_FIB_F_MARK, "mark");
    part(NFTA_FIB_F_IIF, "iif");
    part(NFTA_FIB_F_OIF, "oif");
    const char* result = f.result == NFT_FIB_RESULT_OIF        ? "oif"
                         : f.result == NFT_FIB_RESULT_OIFNAME  ? "oifname"
                         : f.result == NFT_FIB_RESULT_ADDRTYPE ? "type"
                                                               : nullptr;
    if (!result || parts.empty()) return false;
    RegVal v;
    v.text = fmt::format("fib {} {}", parts, result);
    v.kind = f.result == NFT_FIB_RESULT_ADDRTYPE  ? Kind::fib_addr
             : f.result == NFT_FIB_RESULT_OIFNAME ? Kind::ifname
                                                  : Kind::host_int;
    v.len = f.result == NFT_FIB_RESULT_OIFNAME ? 16 : 4;
    write(f.dreg, std::move(v), e);
    return true;
  }

  bool handle(const Bitwise& b, const Expr& e) {
    RegVal* in = read(b.sreg);
    const bool zero_xor =
        std::all_of(b.xor_.begin(), b.xor_.end(), [](uint8_t c) { return c == 0; });
    if (!in || !in->rendered || in->mask || b.op != NFT_BITWISE_BOOL || !zero_xor) {
      give_up(in);
      RegVal lost;
      lost.rendered = false;
      regs_[unit_of(b.dreg)] = std::move(lost);
      return false;
    }
    RegVal v = *in;
    v.mask = b.mask;
    v.raw.push_back(describe(e));
    regs_[unit_of(b.dreg)] = std::move(v);
    return true;
  }

  bool handle(const Immediate& i, const Expr&) {
    if (!i.verdict) return false;
    stmt(verdict_text(*i.verdict));
    return true;
  }

  // ---- conditions ------------------------------------------------------------

  bool handle(const Cmp& c, const Expr&) {
    RegVal* v = read(c.sreg);
    if (!v || !v->rendered) return give_up(v);
    auto text = condition(*v, c);
    if (!text) return give_up(v);
    stmt(std::move(*text));
    if (c.op == NFT_CMP_EQ && !v->mask && c.data.size() == 1 && v->text == "meta nfproto") {
      nfproto_ = c.data[0];
      nfproto_dep_ = {stmts_.size() - 1, c.data[0]};
    }
    if (c.op == NFT_CMP_EQ && !v->mask && c.data.size() == 1 && v->text == "meta l4proto") {
      // icmp and ipv6-icmp imply their family: nft drops the `meta nfproto`
      // before them (meta_may_dependency_kill)
      if (c.data[0] == 1) satisfy(Dep::nfproto, NFPROTO_IPV4);
      if (c.data[0] == 58) satisfy(Dep::nfproto, NFPROTO_IPV6);
      l4proto_ = c.data[0];
      l4proto_dep_ = {stmts_.size() - 1, c.data[0]};
    }
    return true;
  }

  std::optional<std::string> condition(const RegVal& v, const Cmp& c) {
    const bool eq = c.op == NFT_CMP_EQ;
    const std::string op = eq ? "" : std::string(cmp_symbol(c.op)) + " ";
    if (v.mask) return masked_condition(v, c);
    if (!v.header || c.data.size() == v.field_len)
      return v.text + " " + op + value_text(v.kind, c.data);
    // a leading part of an address: a whole-byte prefix
    const HdrField* f = field_at(*v.header, v.offset);
    if ((f->kind == Kind::addr4 || f->kind == Kind::addr6) && c.data.size() < f->len &&
        c.op != NFT_CMP_LT && c.op != NFT_CMP_GT && c.op != NFT_CMP_LTE && c.op != NFT_CMP_GTE) {
      Bytes addr = c.data;
      addr.resize(f->len, 0);
      return fmt::format("{} {}{}/{}", v.text, op, value_text(f->kind, addr), c.data.size() * 8);
    }
    // adjacent fields compared at once: each with its own value
    if (!eq) return std::nullopt;
    std::string out;
    uint32_t at = 0;
    while (at < c.data.size()) {
      const HdrField* part = field_at(*v.header, v.offset + at);
      if (!part || at + part->len > c.data.size()) return std::nullopt;
      Bytes value(c.data.begin() + at, c.data.begin() + at + part->len);
      out += fmt::format("{}{} {} {}", out.empty() ? "" : " ", v.header->name, part->name,
                         value_text(part->kind, value));
      at += part->len;
    }
    return out;
  }

  std::optional<std::string> masked_condition(const RegVal& v, const Cmp& c) {
    const Bytes& mask = *v.mask;
    const bool zero = std::all_of(c.data.begin(), c.data.end(), [](uint8_t b) { return b == 0; });
    if (v.kind == Kind::ct_state && c.op == NFT_CMP_NEQ && zero)
      return v.text + " " + value_text(v.kind, mask);
    if (v.v6_frag_off && mask == Bytes{0xff, 0xf8} && c.data.size() == 2) {
      const unsigned offset = (c.data[0] << 8 | c.data[1]) >> 3;
      return fmt::format("{} {}{}", v.text,
                         c.op == NFT_CMP_EQ ? "" : std::string(cmp_symbol(c.op)) + " ", offset);
    }
    if ((v.kind == Kind::addr4 || v.kind == Kind::addr6) &&
        (c.op == NFT_CMP_EQ || c.op == NFT_CMP_NEQ)) {
      if (auto len = nft_values::prefix_length(mask))
        return fmt::format("{} {}{}/{}", v.text,
                           c.op == NFT_CMP_EQ ? "" : "!= ", value_text(v.kind, c.data), *len);
    }
    return fmt::format("{} & {} {} {}", v.text, mask_value(v, mask), cmp_symbol(c.op),
                       value_text(v.kind, c.data));
  }

  static std::string mask_value(const RegVal& v, const Bytes& mask) {
    return value_text(v.kind == Kind::addr4 || v.kind == Kind::addr6 || v.kind == Kind::be_int ||
                              v.kind == Kind::host_int || v.kind == Kind::mark
                          ? v.kind
                          : Kind::bytes,
                      mask);
  }

  bool handle(const Range& r, const Expr&) {
    RegVal* v = read(r.sreg);
    if (!v || !v->rendered || v->mask || r.from.size() != v->len) return give_up(v);
    stmt(fmt::format("{} {}{}-{}", v->text, r.op == NFT_RANGE_NEQ ? "!= " : "",
                     value_text(v->kind, r.from), value_text(v->kind, r.to)));
    return true;
  }

  // The key a lookup or dynset reads: one register, or a concatenation
  // over as many as the set's key needs.
  std::optional<std::string> key(uint32_t sreg, const std::string& set_name) {
    const Set* set = table_ ? table_->set(set_name) : nullptr;
    uint32_t unit = unit_of(sreg);
    std::string out;
    uint32_t covered = 0;
    do {
      auto it = regs_.find(unit);
      if (it == regs_.end() || !it->second.rendered) return std::nullopt;
      const RegVal& v = it->second;
      if (v.header && v.len != v.field_len) return std::nullopt;
      std::string text = v.text;
      if (v.mask) {
        if (v.kind != Kind::addr4 && v.kind != Kind::addr6) return std::nullopt;
        text += " & " + mask_value(v, *v.mask);
      }
      out += (out.empty() ? "" : " . ") + text;
      const uint32_t len = std::max<uint32_t>(v.len, 1);
      covered += (len + 3) / 4 * 4;
      unit += (len + 3) / 4;
    } while (set && covered < set->key_len);
    return out;
  }

  void give_up_key(uint32_t sreg) {
    if (RegVal* v = read(sreg)) give_up(v);
  }

  bool handle(const Lookup& l, const Expr&) {
    auto k = key(l.sreg, l.set);
    if (!k) {
      give_up_key(l.sreg);
      return false;
    }
    if (l.dreg && *l.dreg == NFT_REG_VERDICT) {
      stmt(fmt::format("{} vmap @{}", *k, l.set));
      return true;
    }
    if (l.dreg) {
      RegVal v;
      v.text = fmt::format("{} map @{}", *k, l.set);
      v.len = 4;
      regs_[unit_of(*l.dreg)] = std::move(v);
      return true;
    }
    stmt(fmt::format("{} {}@{}", *k, l.inverted() ? "!= " : "", l.set));
    return true;
  }

  bool handle(const Dynset& d, const Expr&) {
    constexpr const char* kOps[] = {"add", "update", "delete"};
    auto k = key(d.sreg_key, d.set);
    if (!k || d.op > 2 || d.sreg_data) {
      give_up_key(d.sreg_key);
      return false;
    }
    std::string body = *k;
    if (d.timeout) body += " timeout " + nft_values::time_text(d.timeout);
    if (!d.exprs.empty()) {
      std::string exprs = inner(d.exprs);
      if (exprs.empty()) return false;
      body += " " + exprs;
    }
    stmt(fmt::format("{} @{} {{ {} }}", kOps[d.op], d.set, body));
    return true;
  }

  // ---- statements ------------------------------------------------------------

  bool handle(const Counter&, const Expr&) {
    stmt("counter");  // its values move with traffic
    return true;
  }

  bool handle(const Limit& l, const Expr&) {
    auto s = nft_values::limit_text(l.rate, l.unit, l.burst, l.type, l.flags);
    if (!s) return false;
    stmt(std::move(*s));
    return true;
  }

  bool handle(const Objref& o, const Expr&) {
    const char* type = o.type == NFT_OBJECT_COUNTER ? "counter"
                       : o.type == NFT_OBJECT_LIMIT ? "limit"
                       : o.type == NFT_OBJECT_QUOTA ? "quota"
                                                    : nullptr;
    if (!type || !o.set.empty()) return false;
    stmt(fmt::format("{} name \"{}\"", type, o.name));
    return true;
  }

  bool handle(const Queue& q, const Expr&) {
    if (q.sreg_qnum) return false;
    std::string s = "queue";
    if (q.flags & (NFT_QUEUE_FLAG_BYPASS | NFT_QUEUE_FLAG_CPU_FANOUT)) {
      s += " flags ";
      if (q.flags & NFT_QUEUE_FLAG_BYPASS) s += "bypass";
      if (q.flags & NFT_QUEUE_FLAG_CPU_FANOUT)
        s += (q.flags & NFT_QUEUE_FLAG_BYPASS) ? ",fanout" : "fanout";
    }
    s += fmt::format(" to {}", q.num);
    if (q.total > 1) s += fmt::format("-{}", q.num + q.total - 1);
    stmt(std::move(s));
    return true;
  }

  // The xt NFQUEUE target as nft prints it (libxtables' translation).
  bool handle(const Target& t, const Expr&) {
    if (t.name != "NFQUEUE" || t.rev > 3 || t.info.size() < (t.rev == 0 ? 2u : 4u)) return false;
    uint16_t num = 0, total = 1, flags = 0;
    std::memcpy(&num, t.info.data(), 2);
    if (t.rev >= 1) std::memcpy(&total, t.info.data() + 2, 2);
    if (t.rev >= 2 && t.info.size() >= 6) std::memcpy(&flags, t.info.data() + 4, 2);
    std::string s = fmt::format("queue num {}", num);
    if (total > 1) s += fmt::format("-{}", num + total - 1);
    if (flags & NFQ_FLAG_BYPASS) s += " bypass";
    if (t.rev == 3 && (flags & NFQ_FLAG_CPU_FANOUT)) s += " fanout";
    stmt(std::move(s));
    return true;
  }

  bool handle(const Log& l, const Expr&) {
    constexpr const char* kLevels[] = {"emerg",  "alert", "crit",  "err",  "warn",
                                       "notice", "info",  "debug", "audit"};
    if (l.flags && *l.flags != 0) return false;
    std::string s = "log";
    if (!l.prefix.empty()) s += fmt::format(" prefix \"{}\"", l.prefix);
    if (l.group) s += fmt::format(" group {}", *l.group);
    if (l.snaplen) s += fmt::format(" snaplen {}", *l.snaplen);
    if (l.qthreshold) s += fmt::format(" queue-threshold {}", *l.qthreshold);
    if (l.level && *l.level > 8) return false;
    if (l.level && *l.level != 4) s += fmt::format(" level {}", kLevels[*l.level]);
    stmt(std::move(s));
    return true;
  }

  bool handle(const Reject& r, const Expr&) {
    constexpr const char* kIcmpx[] = {"no-route", "port-unreachable", "host-unreachable",
                                      "admin-prohibited"};
    if (r.type == NFT_REJECT_TCP_RST) {
      stmt("reject with tcp reset");
      return true;
    }
    if (r.type == NFT_REJECT_ICMPX_UNREACH && r.code < 4) {
      stmt(r.code == 1 ? "reject" : fmt::format("reject with icmpx {}", kIcmpx[r.code]));
      return true;
    }
    const Header* h = network_header();
    if (r.type != NFT_REJECT_ICMP_UNREACH || !h) return false;
    const bool v4 = h == &kIpHeader;
    stmt(fmt::format("reject with {} {}", v4 ? "icmp" : "icmpv6",
                     value_text(v4 ? Kind::icmp_code : Kind::icmp6_code, {r.code})));
    return true;
  }

  bool handle(const Notrack&, const Expr&) {
    stmt("notrack");
    return true;
  }

  // nat, match (other than none here), unknown: not rendered
  template <typename T>
  bool handle(const T&, const Expr&) {
    return false;
  }

  const Table* table_;
  uint32_t family_;
  std::map<uint32_t, RegVal> regs_;
  std::vector<Stmt> stmts_;
  std::vector<std::string> unrendered_;
  uint32_t nfproto_ = 0;  // what `meta nfproto` was compared with
  uint32_t l4proto_ = 0;  // what `meta l4proto` was compared with
  std::optional<std::pair<size_t, uint8_t>> nfproto_dep_, l4proto_dep_;
};

}  // namespace

std::string nft_text(const Rule& r, const Table* table) {
  return RuleText(table, table ? table->family : uint32_t{NFPROTO_INET}).render(r);
}

}  // namespace icmpwall::audit
