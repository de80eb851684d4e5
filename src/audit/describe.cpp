// SPDX-License-Identifier: GPL-2.0-or-later
// The one-line text of rules and expressions (see describe.h).
//
// Register numbers print as rN (r0 is the verdict register); keys of meta
// and ct print by their nft names where known, else as numbers, so an
// unexpected key is still visible.
#include "icmpwall/audit/describe.h"

#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <array>
#include <string_view>
#include <type_traits>

namespace icmpwall::audit {
namespace {

constexpr std::array<std::string_view, 35> kMetaKeys = {
    "len",      "protocol",  "priority", "mark",    "iif",     "oif",     "iifname",
    "oifname",  "iiftype",   "oiftype",  "skuid",   "skgid",   "nftrace", "rtclassid",
    "secmark",  "nfproto",   "l4proto",  "ibrname", "obrname", "pkttype", "cpu",
    "iifgroup", "oifgroup",  "cgroup",   "random",  "secpath", "iifkind", "oifkind",
    "ibrpvid",  "ibrvproto", "time",     "day",     "hour",    "sdif",    "sdifname"};

constexpr std::array<std::string_view, 24> kCtKeys = {
    "state",     "direction", "status",   "mark",      "secmark",   "expiration",
    "helper",    "l3proto",   "saddr",    "daddr",     "protocol",  "proto-src",
    "proto-dst", "label",     "packets",  "bytes",     "avgpkt",    "zone",
    "event",     "ip saddr",  "ip daddr", "ip6 saddr", "ip6 daddr", "id"};

template <size_t N>
std::string key_name(const std::array<std::string_view, N>& names, uint32_t key) {
  return key < N ? std::string(names[key]) : fmt::format("key{}", key);
}

std::string_view cmp_op(uint32_t op) {
  switch (op) {
    case NFT_CMP_EQ: return "eq";
    case NFT_CMP_NEQ: return "neq";
    case NFT_CMP_LT: return "lt";
    case NFT_CMP_LTE: return "lte";
    case NFT_CMP_GT: return "gt";
    case NFT_CMP_GTE: return "gte";
    default: return "op?";
  }
}

std::string_view payload_base(uint32_t base) {
  switch (base) {
    case NFT_PAYLOAD_LL_HEADER: return "ll";
    case NFT_PAYLOAD_NETWORK_HEADER: return "nh";
    case NFT_PAYLOAD_TRANSPORT_HEADER: return "th";
    case 3: return "ih";  // NFT_PAYLOAD_INNER_HEADER
    default: return "base?";
  }
}

std::string reg(uint32_t r) {
  return fmt::format("r{}", r);
}

std::string describe_exprs(const std::vector<Expr>& exprs) {
  std::string out;
  for (const auto& e : exprs) {
    if (!out.empty()) out += "; ";
    out += describe(e);
  }
  return out;
}

struct Describer {
  std::string operator()(const Meta& m) const {
    if (m.sreg) return fmt::format("meta set {} {}", key_name(kMetaKeys, m.key), reg(*m.sreg));
    return fmt::format("meta {} -> {}", key_name(kMetaKeys, m.key), reg(m.dreg.value_or(0)));
  }
  std::string operator()(const Payload& p) const {
    if (p.sreg)
      return fmt::format("payload set {}+{} {} {}", payload_base(p.base), p.offset, p.len,
                         reg(*p.sreg));
    return fmt::format("payload {}+{} {} -> {}", payload_base(p.base), p.offset, p.len,
                       reg(p.dreg.value_or(0)));
  }
  std::string operator()(const Cmp& c) const {
    return fmt::format("cmp {} {} {}", cmp_op(c.op), reg(c.sreg), hex(c.data));
  }
  std::string operator()(const Bitwise& b) const {
    if (b.op == NFT_BITWISE_LSHIFT || b.op == NFT_BITWISE_RSHIFT)
      return fmt::format("bitwise {} = {} {} {} len {}", reg(b.dreg), reg(b.sreg),
                         b.op == NFT_BITWISE_LSHIFT ? "<<" : ">>", hex(b.data), b.len);
    return fmt::format("bitwise {} = ({} & {}) ^ {}", reg(b.dreg), reg(b.sreg), hex(b.mask),
                       hex(b.xor_));
  }
  std::string operator()(const Range& r) const {
    return fmt::format("range {} {} {}-{}", r.op == NFT_RANGE_NEQ ? "neq" : "eq", reg(r.sreg),
                       hex(r.from), hex(r.to));
  }
  std::string operator()(const Lookup& l) const {
    std::string s = fmt::format("lookup {} @{}", reg(l.sreg), l.set);
    if (l.dreg) s += fmt::format(" -> {}", reg(*l.dreg));
    if (l.inverted()) s += " inv";
    return s;
  }
  std::string operator()(const Immediate& i) const {
    if (i.verdict) return "immediate " + describe(*i.verdict);
    return fmt::format("immediate {} {}", reg(i.dreg), hex(i.data));
  }
  std::string operator()(const Counter& c) const {
    return fmt::format("counter {}/{}", c.packets, c.bytes);
  }
  std::string operator()(const Limit& l) const {
    return fmt::format("limit {}/{}s burst {} {}{}", l.rate, l.unit, l.burst,
                       l.type == NFT_LIMIT_PKT_BYTES ? "bytes" : "pkts",
                       (l.flags & NFT_LIMIT_F_INV) ? " over" : "");
  }
  std::string operator()(const Objref& o) const {
    if (!o.set.empty()) return fmt::format("objref map {} @{}", reg(o.sreg.value_or(0)), o.set);
    return fmt::format("objref type {} {}", o.type, o.name);
  }
  std::string operator()(const Dynset& d) const {
    std::string s = fmt::format("dynset op {} @{} {}", d.op, d.set, reg(d.sreg_key));
    if (d.sreg_data) s += fmt::format(" -> {}", reg(*d.sreg_data));
    if (d.timeout) s += fmt::format(" timeout {}ms", d.timeout);
    if (!d.exprs.empty()) s += " { " + describe_exprs(d.exprs) + " }";
    return s;
  }
  std::string operator()(const Ct& c) const {
    std::string key = key_name(kCtKeys, c.key);
    if (c.dir) key = (*c.dir == 0 ? "original " : "reply ") + key;
    if (c.sreg) return fmt::format("ct set {} {}", key, reg(*c.sreg));
    return fmt::format("ct {} -> {}", key, reg(c.dreg.value_or(0)));
  }
  std::string operator()(const Exthdr& x) const {
    static constexpr std::array<std::string_view, 5> kOps = {"ipv6", "tcpopt", "ipv4", "sctp",
                                                             "dccp"};
    std::string op = x.op < kOps.size() ? std::string(kOps[x.op]) : fmt::format("op{}", x.op);
    std::string what = fmt::format("exthdr {} {} {}b @ {}", op, x.type, x.len, x.offset);
    if (x.flags) what += fmt::format(" flags 0x{:x}", x.flags);
    if (x.sreg) return fmt::format("{} set {}", what, reg(*x.sreg));
    return fmt::format("{} -> {}", what, reg(x.dreg.value_or(0)));
  }
  std::string operator()(const Fib& f) const {
    return fmt::format("fib flags 0x{:x} result {} -> {}", f.flags, f.result, reg(f.dreg));
  }
  std::string operator()(const Queue& q) const {
    if (q.sreg_qnum) return fmt::format("queue {} flags 0x{:x}", reg(*q.sreg_qnum), q.flags);
    return fmt::format("queue num {} total {} flags 0x{:x}", q.num, q.total, q.flags);
  }
  std::string operator()(const Reject& r) const {
    return fmt::format("reject type {} code {}", r.type, r.code);
  }
  std::string operator()(const Log& l) const {
    std::string s = "log";
    if (!l.prefix.empty()) s += fmt::format(" prefix \"{}\"", l.prefix);
    if (l.group) s += fmt::format(" group {}", *l.group);
    if (l.level) s += fmt::format(" level {}", *l.level);
    return s;
  }
  std::string operator()(const Match& m) const {
    return fmt::format("match {} rev {} ({} bytes)", m.name, m.rev, m.info.size());
  }
  std::string operator()(const Target& t) const {
    return fmt::format("target {} rev {} ({} bytes)", t.name, t.rev, t.info.size());
  }
  std::string operator()(const Nat& n) const { return n.name; }
  std::string operator()(const Notrack&) const { return "notrack"; }
  std::string operator()(const Unknown& u) const { return "unknown " + u.name; }
};

}  // namespace

std::string hex(const Bytes& b) {
  std::string out;
  out.reserve(b.size() * 2);
  for (uint8_t c : b) out += fmt::format("{:02x}", c);
  return out;
}

std::string describe(const Verdict& v) {
  switch (v.code) {
    case NF_ACCEPT: return "accept";
    case NF_DROP: return "drop";
    case NF_QUEUE: return "queue";
    case NFT_CONTINUE: return "continue";
    case NFT_BREAK: return "break";
    case NFT_JUMP: return "jump " + v.chain;
    case NFT_GOTO: return "goto " + v.chain;
    case NFT_RETURN: return "return";
    default: return fmt::format("verdict {}", v.code);
  }
}

std::string describe(const Expr& e) {
  return std::visit(Describer{}, static_cast<const ExprVariant&>(e));
}

std::string describe(const Rule& r) {
  return describe_exprs(r.exprs);
}

}  // namespace icmpwall::audit
