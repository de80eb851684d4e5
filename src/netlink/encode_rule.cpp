// SPDX-License-Identifier: GPL-2.0-or-later
// Statements -> expressions, as nft linearizes them in an inet table.
//
// A rule is encoded left to right with a small protocol context, like
// nft's: the network protocol (meta nfproto) and transport protocol (meta
// l4proto) the rule has already matched, explicitly or through an implicit
// dependency. A field that needs a protocol the context lacks gets the
// dependency nft would insert (`meta nfproto ipv4` before `ip saddr`;
// `meta nfproto ipv4` + `meta l4proto icmp` before `icmp type`); one the
// context contradicts is an error, as in nft ("conflicting protocols").
//
// Loads go to register 1; the fields of a concatenation go to consecutive
// 32-bit registers (1, then NFT_REG32_00 + n). Adjacent payload equality
// matches on the same header are merged into one load while the merged
// field stays within 4 bytes, which is how nft 1.0.x encodes `icmp type 8
// icmp code 0` (one 2-byte load) but not `ip saddr A ip daddr B`.
#include <fmt/format.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "icmpwall/netlink/encode.h"
#include "rate_unit.h"
#include "verdict_code.h"

namespace icmpwall::netlink {
namespace {

using nft::Field;

enum class Src : uint8_t { meta, payload, fib };
enum class Dep : uint8_t { none, ipv4, ipv6, icmp, icmpv6 };

struct FieldDesc {
  Src src;
  uint32_t key;     // meta key, payload base
  uint32_t offset;  // payload offset (bytes)
  uint32_t len;     // bytes
  Dep dep;
  const char* name;
};

FieldDesc describe(Field f) {
  constexpr uint32_t nh = NFT_PAYLOAD_NETWORK_HEADER;
  constexpr uint32_t th = NFT_PAYLOAD_TRANSPORT_HEADER;
  switch (f) {
    case Field::nfproto: return {Src::meta, NFT_META_NFPROTO, 0, 1, Dep::none, "meta nfproto"};
    case Field::l4proto: return {Src::meta, NFT_META_L4PROTO, 0, 1, Dep::none, "meta l4proto"};
    case Field::iifname: return {Src::meta, NFT_META_IIFNAME, 0, 16, Dep::none, "iifname"};
    case Field::oifname: return {Src::meta, NFT_META_OIFNAME, 0, 16, Dep::none, "oifname"};
    case Field::ip_saddr: return {Src::payload, nh, 12, 4, Dep::ipv4, "ip saddr"};
    case Field::ip_daddr: return {Src::payload, nh, 16, 4, Dep::ipv4, "ip daddr"};
    case Field::ip_ttl: return {Src::payload, nh, 8, 1, Dep::ipv4, "ip ttl"};
    case Field::ip6_saddr: return {Src::payload, nh, 8, 16, Dep::ipv6, "ip6 saddr"};
    case Field::ip6_daddr: return {Src::payload, nh, 24, 16, Dep::ipv6, "ip6 daddr"};
    case Field::ip6_hoplimit: return {Src::payload, nh, 7, 1, Dep::ipv6, "ip6 hoplimit"};
    case Field::fib_daddr_type: return {Src::fib, 0, 0, 4, Dep::none, "fib daddr type"};
    case Field::icmp_type: return {Src::payload, th, 0, 1, Dep::icmp, "icmp type"};
    case Field::icmp_code: return {Src::payload, th, 1, 1, Dep::icmp, "icmp code"};
    case Field::icmpv6_type: return {Src::payload, th, 0, 1, Dep::icmpv6, "icmpv6 type"};
    case Field::icmpv6_code: return {Src::payload, th, 1, 1, Dep::icmpv6, "icmpv6 code"};
  }
  return {Src::meta, 0, 0, 0, Dep::none, "?"};
}

constexpr uint8_t kNfprotoIpv4 = NFPROTO_IPV4;
constexpr uint8_t kNfprotoIpv6 = NFPROTO_IPV6;
constexpr uint8_t kIpprotoIcmp = 1;
constexpr uint8_t kIpprotoIcmpv6 = 58;

// Register of the field that starts `unit` 32-bit words into a key.
uint32_t key_register(uint32_t unit) {
  return unit == 0 ? uint32_t{NFT_REG_1} : uint32_t{NFT_REG32_00} + unit;
}

class RuleEncoder {
 public:
  RuleEncoder(nftnl_rule* rule, const SetIds& ids, const EncodeOptions& opts)
      : rule_(rule), ids_(ids), opts_(opts) {}

  // For each expression added so far, the statement that emitted it.
  std::vector<uint32_t> take_expr_stmts() { return std::move(expr_stmts_); }

  Result<void> stmts(const std::vector<nft::Stmt>& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      stmt_ = static_cast<uint32_t>(i);
      const auto& s = list[i];
      if (std::holds_alternative<nft::Match>(s)) {
        TRY_VOID(match(list, i));
        continue;
      }
      Result<void> r = std::visit(*this, s);
      if (!r) return r;
    }
    return ok();
  }

  // --- statements -----------------------------------------------------

  Result<void> operator()(const nft::Match&) { return ok(); }  // handled in stmts()

  // As nft: a whole-byte prefix loads and compares only its bytes; any
  // other loads the whole address and masks it.
  Result<void> operator()(const nft::PrefixMatch& m) {
    auto d = describe(m.field);
    if (d.src != Src::payload || m.addr.size() != d.len || m.len == 0 || m.len > d.len * 8)
      return Error{
          fmt::format("{} prefix of {} bytes and length {}", d.name, m.addr.size(), m.len)};
    TRY_VOID(dependency(d));
    if (m.len % 8 == 0) {
      payload(d.key, d.offset, m.len / 8u, NFT_REG_1);
      cmp_eq({m.addr.begin(), m.addr.begin() + m.len / 8});
      return ok();
    }
    payload(d.key, d.offset, d.len, NFT_REG_1);
    std::vector<uint8_t> mask(d.len, 0);
    for (size_t bit = 0; bit < m.len; ++bit)
      mask[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    bitwise(mask);
    std::vector<uint8_t> value = m.addr;
    for (size_t i = 0; i < value.size(); ++i) value[i] &= mask[i];
    cmp_eq(value);
    return ok();
  }

  // ip frag-off & 0x1fff != 0 / frag frag-off != 0, as nft encodes them.
  Result<void> operator()(const nft::NonFirstFragment& f) {
    const bool v4 = f.family == policy::Family::ipv4;
    TRY_VOID(dependency(
        {Src::payload, 0, 0, 0, v4 ? Dep::ipv4 : Dep::ipv6, v4 ? "ip frag-off" : "frag frag-off"}));
    if (v4) {
      payload(NFT_PAYLOAD_NETWORK_HEADER, 6, 2, NFT_REG_1);
    } else {
      auto e = make_expr("exthdr");
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_DREG, NFT_REG_1);
      nftnl_expr_set_u8(e.get(), NFTNL_EXPR_EXTHDR_TYPE, 44);  // IPPROTO_FRAGMENT
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_OFFSET, 2);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_LEN, 2);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_IPV6);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_FLAGS, 0);
      add(std::move(e));
    }
    // IPv4: the 13-bit offset below the flags; IPv6: above the M flag.
    bitwise(v4 ? std::vector<uint8_t>{0x1f, 0xff} : std::vector<uint8_t>{0xff, 0xf8});
    cmp(NFT_CMP_NEQ, {0, 0});
    return ok();
  }

  // @th,N*8,8 <= 0xff: true whenever the byte N of the transport header
  // exists (nft emits no dependency for a raw payload).
  Result<void> operator()(const nft::LongerThan& l) {
    payload(NFT_PAYLOAD_TRANSPORT_HEADER, l.bytes, 1, NFT_REG_1);
    cmp(NFT_CMP_LTE, {0xff});
    return ok();
  }

  // ct state S: the state bits, masked, not zero.
  Result<void> operator()(const nft::CtState& c) {
    auto e = make_expr("ct");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
    add(std::move(e));
    std::vector<uint8_t> mask(4);
    std::memcpy(mask.data(), &c.states, 4);  // host order, as the kernel stores the state
    bitwise(mask);
    cmp(NFT_CMP_NEQ, std::vector<uint8_t>(4, 0));
    return ok();
  }

  Result<void> operator()(const nft::Notrack&) {
    add(make_expr("notrack"));
    return ok();
  }

  Result<void> operator()(const nft::SetMatch& m) {
    auto d = describe(m.field);
    TRY_VOID(dependency(d));
    load(m.field, NFT_REG_1);
    auto e = make_expr("lookup");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, m.set.c_str());
    set_id(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, m.set);
    add(std::move(e));
    return ok();
  }

  Result<void> operator()(const nft::VmapLookup& m) {
    for (auto f : m.key) TRY_VOID(dependency(describe(f)));
    uint32_t unit = 0;
    for (auto f : m.key) {
      load(f, key_register(unit));
      unit += (describe(f).len + 3) / 4;
    }
    auto e = make_expr("lookup");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, m.map.c_str());
    set_id(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, m.map);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
    add(std::move(e));
    return ok();
  }

  Result<void> operator()(const nft::CounterRef& c) {
    objref(NFT_OBJECT_COUNTER, c.name);
    return ok();
  }
  Result<void> operator()(const nft::LimitRef& l) {
    objref(NFT_OBJECT_LIMIT, l.name);
    return ok();
  }
  Result<void> operator()(const nft::Limit& l) {
    add(limit_expr(l));
    return ok();
  }

  Result<void> operator()(const nft::DynsetLimit& d) {
    auto desc = describe(d.key);
    if (desc.src != Src::payload)
      return Error{fmt::format("per-source limit keyed on {}: not an address", desc.name)};
    TRY_VOID(dependency(desc));
    load(d.key, NFT_REG_1);
    if (!d.mask.empty()) {
      if (d.mask.size() != desc.len)
        return Error{
            fmt::format("mask of {} bytes for {} ({} bytes)", d.mask.size(), desc.name, desc.len)};
      bitwise(d.mask);
    }
    auto e = make_expr("dynset");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_DYNSET_SET_NAME, d.set.c_str());
    set_id(e.get(), NFTNL_EXPR_DYNSET_SET_ID, d.set);
    // The dynset takes ownership of the stateful expression.
    nftnl_expr_set(e.get(), NFTNL_EXPR_DYNSET_EXPR, limit_expr(d.limit).release(), 0);
    add(std::move(e));
    return ok();
  }

  Result<void> operator()(const nft::Log& l) {
    auto e = make_expr("log");
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOG_PREFIX, l.prefix.c_str());
    if (l.group) nftnl_expr_set_u16(e.get(), NFTNL_EXPR_LOG_GROUP, *l.group);
    add(std::move(e));
    return ok();
  }

  Result<void> operator()(const nft::Queue& q) {
    if (q.total == 0 || uint32_t{q.num} + q.total - 1 > 0xffff)
      return Error{fmt::format("queue range {}+{} out of bounds", q.num, q.total)};
    if (opts_.queue_mode == QueueMode::native) {
      auto e = make_expr("queue");
      nftnl_expr_set_u16(e.get(), NFTNL_EXPR_QUEUE_NUM, q.num);
      nftnl_expr_set_u16(e.get(), NFTNL_EXPR_QUEUE_TOTAL, q.total);
      uint16_t flags =
          (q.bypass ? NFT_QUEUE_FLAG_BYPASS : 0) | (q.fanout ? NFT_QUEUE_FLAG_CPU_FANOUT : 0);
      if (flags) nftnl_expr_set_u16(e.get(), NFTNL_EXPR_QUEUE_FLAGS, flags);
      add(std::move(e));
    } else {
      // xt_NFQUEUE revision 3, as iptables-nft sends `-j NFQUEUE`.
      // libnftnl takes ownership of the info blob and free()s it.
      auto* info = static_cast<xt_NFQ_info_v3*>(calloc(1, sizeof(xt_NFQ_info_v3)));
      if (!info) return Error{"out of memory", ENOMEM};
      info->queuenum = q.num;
      info->queues_total = q.total;
      info->flags = (q.bypass ? NFQ_FLAG_BYPASS : 0) | (q.fanout ? NFQ_FLAG_CPU_FANOUT : 0);
      auto e = make_expr("target");
      nftnl_expr_set_str(e.get(), NFTNL_EXPR_TG_NAME, "NFQUEUE");
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_TG_REV, 3);
      nftnl_expr_set(e.get(), NFTNL_EXPR_TG_INFO, info, sizeof(xt_NFQ_info_v3));
      add(std::move(e));
    }
    return ok();
  }

  Result<void> operator()(const nft::Verdict& v) {
    const uint32_t code = verdict_code(v.kind);
    auto e = make_expr("immediate");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, code);
    if (names_chain(v.kind)) {
      if (v.chain.empty()) return Error{"jump or goto without a chain"};
      nftnl_expr_set_str(e.get(), NFTNL_EXPR_IMM_CHAIN, v.chain.c_str());
    }
    add(std::move(e));
    return ok();
  }

 private:
  // `field == value`, merged with the adjacent payload matches nft merges.
  Result<void> match(const std::vector<nft::Stmt>& list, size_t& i) {
    const auto& m = std::get<nft::Match>(list[i]);
    auto d = describe(m.field);
    if (m.value.size() != d.len)
      return Error{
          fmt::format("{} compared with {} bytes, expected {}", d.name, m.value.size(), d.len)};
    TRY_VOID(dependency(d));
    std::vector<uint8_t> value = m.value;
    uint32_t len = d.len;
    if (d.src == Src::payload) {
      while (i + 1 < list.size()) {
        const auto* next = std::get_if<nft::Match>(&list[i + 1]);
        if (!next) break;
        auto nd = describe(next->field);
        if (nd.src != Src::payload || nd.key != d.key || nd.offset != d.offset + len ||
            len + nd.len > 4 || next->value.size() != nd.len || !satisfied(nd.dep))
          break;
        value.insert(value.end(), next->value.begin(), next->value.end());
        len += nd.len;
        ++i;
      }
      payload(d.key, d.offset, len, NFT_REG_1);
    } else {
      load(m.field, NFT_REG_1);
    }
    cmp_eq(value);
    if (m.field == Field::nfproto) nfproto_ = value[0];
    if (m.field == Field::l4proto) l4proto_ = value[0];
    return ok();
  }

  bool satisfied(Dep dep) const {
    switch (dep) {
      case Dep::none: return true;
      case Dep::ipv4: return nfproto_ == kNfprotoIpv4;
      case Dep::ipv6: return nfproto_ == kNfprotoIpv6;
      case Dep::icmp: return l4proto_ == kIpprotoIcmp;
      case Dep::icmpv6: return l4proto_ == kIpprotoIcmpv6;
    }
    return false;
  }

  Result<void> dependency(const FieldDesc& d) {
    if (satisfied(d.dep)) return ok();
    auto conflict = [&](const char* have) {
      return Error{fmt::format("conflicting protocols specified: {} vs. {}", have, d.name)};
    };
    const bool v4 = d.dep == Dep::ipv4 || d.dep == Dep::icmp;
    const uint8_t nf = v4 ? kNfprotoIpv4 : kNfprotoIpv6;
    if (nfproto_ && *nfproto_ != nf) return conflict(*nfproto_ == kNfprotoIpv4 ? "ip" : "ip6");
    if (d.dep == Dep::ipv4 || d.dep == Dep::ipv6) {
      meta_eq(NFT_META_NFPROTO, nf);
      nfproto_ = nf;
      return ok();
    }
    const uint8_t l4 = d.dep == Dep::icmp ? kIpprotoIcmp : kIpprotoIcmpv6;
    if (l4proto_ && *l4proto_ != l4) return conflict("meta l4proto");
    if (!nfproto_) {
      meta_eq(NFT_META_NFPROTO, nf);
      nfproto_ = nf;
    }
    meta_eq(NFT_META_L4PROTO, l4);
    l4proto_ = l4;
    return ok();
  }

  void meta_eq(uint32_t key, uint8_t v) {
    meta(key, NFT_REG_1);
    cmp_eq({v});
  }

  void load(Field f, uint32_t reg) {
    auto d = describe(f);
    switch (d.src) {
      case Src::meta: meta(d.key, reg); break;
      case Src::payload: payload(d.key, d.offset, d.len, reg); break;
      case Src::fib: {
        auto e = make_expr("fib");
        nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_DREG, reg);
        nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
        add(std::move(e));
        break;
      }
    }
  }

  void meta(uint32_t key, uint32_t reg) {
    auto e = make_expr("meta");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, reg);
    add(std::move(e));
  }

  void payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t reg) {
    auto e = make_expr("payload");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, reg);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
    add(std::move(e));
  }

  void cmp_eq(const std::vector<uint8_t>& value) { cmp(NFT_CMP_EQ, value); }

  void cmp(uint32_t op, const std::vector<uint8_t>& value) {
    auto e = make_expr("cmp");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, value.data(), value.size());
    add(std::move(e));
  }

  // reg 1 = reg 1 & mask (xor 0), over the mask's length.
  void bitwise(const std::vector<uint8_t>& mask) {
    std::vector<uint8_t> zero(mask.size(), 0);
    auto e = make_expr("bitwise");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, static_cast<uint32_t>(mask.size()));
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, mask.data(), mask.size());
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, zero.data(), zero.size());
    add(std::move(e));
  }

  void objref(uint32_t type, const std::string& name) {
    auto e = make_expr("objref");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_OBJREF_IMM_TYPE, type);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_OBJREF_IMM_NAME, name.c_str());
    add(std::move(e));
  }

  static ExprPtr limit_expr(const nft::Limit& l) {
    auto e = make_expr("limit");
    nftnl_expr_set_u64(e.get(), NFTNL_EXPR_LIMIT_RATE, l.rate.count);
    nftnl_expr_set_u64(e.get(), NFTNL_EXPR_LIMIT_UNIT, unit_seconds(l.rate.unit));
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LIMIT_BURST, l.burst);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LIMIT_FLAGS, 0);
    return e;
  }

  void set_id(nftnl_expr* e, uint16_t attr, const std::string& set) {
    if (auto it = ids_.find(set); it != ids_.end()) nftnl_expr_set_u32(e, attr, it->second);
  }

  void add(ExprPtr e) {
    nftnl_rule_add_expr(rule_, e.release());
    expr_stmts_.push_back(stmt_);
  }

  nftnl_rule* rule_;
  const SetIds& ids_;
  const EncodeOptions& opts_;
  std::optional<uint8_t> nfproto_;
  std::optional<uint8_t> l4proto_;
  uint32_t stmt_ = 0;                 // the statement being encoded
  std::vector<uint32_t> expr_stmts_;  // per expression added: its statement
};

}  // namespace

Result<RulePtr> encode_rule(const std::string& table, const std::string& chain,
                            const nft::Rule& rule, const SetIds& set_ids, const EncodeOptions& opts,
                            std::vector<uint32_t>* expr_stmts) {
  auto r = make_rule();
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  RuleEncoder enc(r.get(), set_ids, opts);
  if (auto res = enc.stmts(rule.stmts); !res) return res.error();
  if (expr_stmts) *expr_stmts = enc.take_expr_stmts();
  if (!rule.comment.empty()) {
    UdataPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    if (!nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_RULE_COMMENT, rule.comment.c_str()))
      return Error{fmt::format("comment of {} bytes is too long", rule.comment.size())};
    nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud.get()),
                        nftnl_udata_buf_len(ud.get()));
  }
  return r;
}

}  // namespace icmpwall::netlink
