// SPDX-License-Identifier: GPL-2.0-or-later
// Decoding rule expressions from libnftnl into ruleset.h's typed structs.
//
// libnftnl has parsed each NFTA_EXPR_DATA nest into attributes of the
// expression named by NFTA_EXPR_NAME; we dispatch on that name and copy
// the attributes with the getter of the width libnftnl stores (its u8/
// u16/u32/u64 getters return 0 for a width mismatch, so the width matters).
// Register loads and stores are optionals: "payload load" and "payload
// set" are the same expression with dreg or sreg present. Names not
// handled here produce Unknown{name}.

// libnftnl's headers use FILE without including <stdio.h>.
// clang-format off
#include <cstdio>
// clang-format on
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include <cstring>
#include <string_view>

#include "icmpwall/audit/decode.h"

namespace icmpwall::audit {
namespace {

bool has(const nftnl_expr* e, uint16_t attr) {
  return nftnl_expr_is_set(e, attr);
}

uint32_t u32(const nftnl_expr* e, uint16_t attr) {
  return nftnl_expr_get_u32(e, attr);
}

uint16_t u16(const nftnl_expr* e, uint16_t attr) {
  return nftnl_expr_get_u16(e, attr);
}

uint8_t u8(const nftnl_expr* e, uint16_t attr) {
  return nftnl_expr_get_u8(e, attr);
}

std::optional<uint32_t> opt_u32(const nftnl_expr* e, uint16_t attr) {
  if (!has(e, attr)) return std::nullopt;
  return nftnl_expr_get_u32(e, attr);
}

std::optional<uint16_t> opt_u16(const nftnl_expr* e, uint16_t attr) {
  if (!has(e, attr)) return std::nullopt;
  return nftnl_expr_get_u16(e, attr);
}

std::optional<uint8_t> opt_u8(const nftnl_expr* e, uint16_t attr) {
  if (!has(e, attr)) return std::nullopt;
  return nftnl_expr_get_u8(e, attr);
}

Bytes bytes(const nftnl_expr* e, uint16_t attr) {
  if (!has(e, attr)) return {};
  uint32_t len = 0;
  const auto* p = static_cast<const uint8_t*>(nftnl_expr_get(e, attr, &len));
  if (!p) return {};
  return Bytes(p, p + len);
}

std::string str(const nftnl_expr* e, uint16_t attr) {
  if (!has(e, attr)) return {};
  const char* s = nftnl_expr_get_str(e, attr);
  return s ? s : "";
}

Expr decode_dynset(const nftnl_expr* e) {
  Dynset d;
  d.set = str(e, NFTNL_EXPR_DYNSET_SET_NAME);
  d.op = u32(e, NFTNL_EXPR_DYNSET_OP);
  d.sreg_key = u32(e, NFTNL_EXPR_DYNSET_SREG_KEY);
  d.sreg_data = opt_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA);
  if (has(e, NFTNL_EXPR_DYNSET_TIMEOUT))
    d.timeout = nftnl_expr_get_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT);
  d.flags = u32(e, NFTNL_EXPR_DYNSET_FLAGS);
  nftnl_expr_expr_foreach(
      e,
      [](nftnl_expr* inner, void* data) {
        static_cast<std::vector<Expr>*>(data)->push_back(decode_expr(inner));
        return 0;
      },
      &d.exprs);
  return d;
}

}  // namespace

Expr decode_expr(const nftnl_expr* e) {
  const char* raw = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
  std::string_view name = raw ? raw : "";

  if (name == "meta") {
    return Meta{u32(e, NFTNL_EXPR_META_KEY), opt_u32(e, NFTNL_EXPR_META_DREG),
                opt_u32(e, NFTNL_EXPR_META_SREG)};
  }
  if (name == "payload") {
    return Payload{u32(e, NFTNL_EXPR_PAYLOAD_BASE), u32(e, NFTNL_EXPR_PAYLOAD_OFFSET),
                   u32(e, NFTNL_EXPR_PAYLOAD_LEN), opt_u32(e, NFTNL_EXPR_PAYLOAD_DREG),
                   opt_u32(e, NFTNL_EXPR_PAYLOAD_SREG)};
  }
  if (name == "cmp") {
    return Cmp{u32(e, NFTNL_EXPR_CMP_SREG), u32(e, NFTNL_EXPR_CMP_OP),
               bytes(e, NFTNL_EXPR_CMP_DATA)};
  }
  if (name == "bitwise") {
    return Bitwise{u32(e, NFTNL_EXPR_BITWISE_SREG),   u32(e, NFTNL_EXPR_BITWISE_DREG),
                   u32(e, NFTNL_EXPR_BITWISE_LEN),    u32(e, NFTNL_EXPR_BITWISE_OP),
                   bytes(e, NFTNL_EXPR_BITWISE_MASK), bytes(e, NFTNL_EXPR_BITWISE_XOR),
                   bytes(e, NFTNL_EXPR_BITWISE_DATA)};
  }
  if (name == "range") {
    return Range{u32(e, NFTNL_EXPR_RANGE_SREG), u32(e, NFTNL_EXPR_RANGE_OP),
                 bytes(e, NFTNL_EXPR_RANGE_FROM_DATA), bytes(e, NFTNL_EXPR_RANGE_TO_DATA)};
  }
  if (name == "lookup") {
    return Lookup{str(e, NFTNL_EXPR_LOOKUP_SET), u32(e, NFTNL_EXPR_LOOKUP_SREG),
                  opt_u32(e, NFTNL_EXPR_LOOKUP_DREG), u32(e, NFTNL_EXPR_LOOKUP_FLAGS)};
  }
  if (name == "immediate") {
    Immediate imm;
    imm.dreg = u32(e, NFTNL_EXPR_IMM_DREG);
    if (has(e, NFTNL_EXPR_IMM_VERDICT)) {
      imm.verdict = Verdict{static_cast<int32_t>(u32(e, NFTNL_EXPR_IMM_VERDICT)),
                            str(e, NFTNL_EXPR_IMM_CHAIN)};
    } else {
      imm.data = bytes(e, NFTNL_EXPR_IMM_DATA);
    }
    return imm;
  }
  if (name == "counter") {
    return Counter{nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS),
                   nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES)};
  }
  if (name == "limit") {
    return Limit{nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_RATE),
                 nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_UNIT), u32(e, NFTNL_EXPR_LIMIT_BURST),
                 u32(e, NFTNL_EXPR_LIMIT_TYPE), u32(e, NFTNL_EXPR_LIMIT_FLAGS)};
  }
  if (name == "objref") {
    return Objref{u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE), str(e, NFTNL_EXPR_OBJREF_IMM_NAME),
                  str(e, NFTNL_EXPR_OBJREF_SET_NAME), opt_u32(e, NFTNL_EXPR_OBJREF_SET_SREG)};
  }
  if (name == "dynset") return decode_dynset(e);
  if (name == "ct") {
    return Ct{u32(e, NFTNL_EXPR_CT_KEY), opt_u8(e, NFTNL_EXPR_CT_DIR),
              opt_u32(e, NFTNL_EXPR_CT_DREG), opt_u32(e, NFTNL_EXPR_CT_SREG)};
  }
  if (name == "exthdr") {
    return Exthdr{u32(e, NFTNL_EXPR_EXTHDR_OP),      u8(e, NFTNL_EXPR_EXTHDR_TYPE),
                  u32(e, NFTNL_EXPR_EXTHDR_OFFSET),  u32(e, NFTNL_EXPR_EXTHDR_LEN),
                  u32(e, NFTNL_EXPR_EXTHDR_FLAGS),   opt_u32(e, NFTNL_EXPR_EXTHDR_DREG),
                  opt_u32(e, NFTNL_EXPR_EXTHDR_SREG)};
  }
  if (name == "fib") {
    return Fib{u32(e, NFTNL_EXPR_FIB_FLAGS), u32(e, NFTNL_EXPR_FIB_RESULT),
               u32(e, NFTNL_EXPR_FIB_DREG)};
  }
  if (name == "queue") {
    return Queue{u16(e, NFTNL_EXPR_QUEUE_NUM), u16(e, NFTNL_EXPR_QUEUE_TOTAL),
                 u16(e, NFTNL_EXPR_QUEUE_FLAGS), opt_u32(e, NFTNL_EXPR_QUEUE_SREG_QNUM)};
  }
  if (name == "reject") {
    return Reject{u32(e, NFTNL_EXPR_REJECT_TYPE), u8(e, NFTNL_EXPR_REJECT_CODE)};
  }
  if (name == "log") {
    return Log{str(e, NFTNL_EXPR_LOG_PREFIX),      opt_u16(e, NFTNL_EXPR_LOG_GROUP),
               opt_u32(e, NFTNL_EXPR_LOG_SNAPLEN), opt_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD),
               opt_u32(e, NFTNL_EXPR_LOG_LEVEL),   opt_u32(e, NFTNL_EXPR_LOG_FLAGS)};
  }
  if (name == "match") {
    return Match{str(e, NFTNL_EXPR_MT_NAME), u32(e, NFTNL_EXPR_MT_REV),
                 bytes(e, NFTNL_EXPR_MT_INFO)};
  }
  if (name == "target") {
    return Target{str(e, NFTNL_EXPR_TG_NAME), u32(e, NFTNL_EXPR_TG_REV),
                  bytes(e, NFTNL_EXPR_TG_INFO)};
  }
  if (name == "nat" || name == "masq" || name == "redir") return Nat{std::string(name)};
  if (name == "notrack") return Notrack{};
  return Unknown{std::string(name)};
}

std::optional<std::string> rule_comment(const void* udata, uint32_t len) {
  // nftables' NFTNL_UDATA_RULE_COMMENT: a NUL-terminated string. The user
  // data is type-length-value records (one byte each for type and length);
  // read here with every record bounded by the buffer, which
  // nftnl_udata_parse does not do (it checks where a record starts, not
  // where its length says it ends).
  constexpr uint8_t kRuleComment = 0;
  std::optional<std::string> out;
  if (!udata) return out;
  const auto* p = static_cast<const uint8_t*>(udata);
  for (size_t at = 0; at + 2 <= len;) {
    const uint8_t type = p[at];
    const uint8_t n = p[at + 1];
    if (at + 2 + n > len) break;  // a record cut short: nothing more to read
    if (type == kRuleComment) {
      const char* s = reinterpret_cast<const char*>(p + at + 2);
      out = std::string(s, strnlen(s, n));
    }
    at += 2 + size_t{n};
  }
  return out;
}

Rule decode_rule(nftnl_rule* r) {
  Rule rule;
  if (nftnl_rule_is_set(r, NFTNL_RULE_HANDLE))
    rule.handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
  if (nftnl_rule_is_set(r, NFTNL_RULE_POSITION))
    rule.position = nftnl_rule_get_u64(r, NFTNL_RULE_POSITION);
  if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
    uint32_t len = 0;
    const void* ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
    rule.comment = rule_comment(ud, len);
  }
  nftnl_expr_foreach(
      r,
      [](nftnl_expr* e, void* data) {
        static_cast<Rule*>(data)->exprs.push_back(decode_expr(e));
        return 0;
      },
      &rule);
  return rule;
}

}  // namespace icmpwall::audit
