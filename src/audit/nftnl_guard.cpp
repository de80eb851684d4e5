// SPDX-License-Identifier: GPL-2.0-or-later
// What libnftnl 1.2.4 is not given (see nftnl_guard.h). The checks follow
// the message as libnftnl's parsers do: attributes through libmnl's
// mnl_attr_ok, each expression by its name.
#include "nftnl_guard.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstring>

namespace icmpwall::audit {
namespace {

// NFTA_SET_ELEM_MAX in libnftnl 1.2.4's own copy of nf_tables.h: the
// last index of the tb[] it parses an element's attributes into.
constexpr uint16_t kLibnftnlSetElemMax = NFTA_SET_ELEM_EXPRESSIONS;

// Calls fn(attr) on each attribute from `begin` to `end` while it says true.
template <class Fn>
bool each_attr(const void* begin, const void* end, const Fn& fn) {
  const auto* a = static_cast<const nlattr*>(begin);
  auto left = [end](const nlattr* at) {
    return static_cast<int>(static_cast<const char*>(end) - reinterpret_cast<const char*>(at));
  };
  for (; mnl_attr_ok(a, left(a)); a = mnl_attr_next(a))
    if (!fn(a)) return false;
  return true;
}

template <class Fn>
bool each_nested(const nlattr* nest, const Fn& fn) {
  const char* payload = static_cast<const char*>(mnl_attr_get_payload(nest));
  return each_attr(payload, payload + mnl_attr_get_payload_len(nest), fn);
}

uint16_t type_of(const nlattr* a) {
  return mnl_attr_get_type(a);
}

// The last attribute of `type` in `nest` (the one libnftnl's tb[] keeps).
const nlattr* find(const nlattr* nest, uint16_t type) {
  const nlattr* found = nullptr;
  each_nested(nest, [&](const nlattr* a) {
    if (type_of(a) == type) found = a;
    return true;
  });
  return found;
}

bool is_string(const nlattr* a) {
  uint16_t len = mnl_attr_get_payload_len(a);
  return len > 0 && std::memchr(mnl_attr_get_payload(a), '\0', len) != nullptr;
}

// NFTA_DATA_VERDICT: a 32-bit code, and a chain for a jump or goto.
bool verdict_ok(const nlattr* verdict) {
  const nlattr* code = find(verdict, NFTA_VERDICT_CODE);
  const nlattr* chain = find(verdict, NFTA_VERDICT_CHAIN);
  if (!code || mnl_attr_get_payload_len(code) != sizeof(uint32_t)) return false;
  auto c = static_cast<int32_t>(ntohl(mnl_attr_get_u32(code)));
  if (c != NFT_JUMP && c != NFT_GOTO) return true;
  return chain && is_string(chain);
}

enum class Data { value, value_or_verdict };

// A data attribute (nft_data): exactly one value of 1 to 64 bytes, or
// where `kind` allows it exactly one verdict.
bool data_ok(const nlattr* data, Data kind) {
  int held = 0;
  bool ok = each_nested(data, [&](const nlattr* a) {
    if (type_of(a) == NFTA_DATA_VALUE) {
      ++held;
      uint16_t len = mnl_attr_get_payload_len(a);
      return len > 0 && len <= NFT_DATA_VALUE_MAXLEN;
    }
    if (type_of(a) == NFTA_DATA_VERDICT) {
      ++held;
      return kind == Data::value_or_verdict && verdict_ok(a);
    }
    return true;
  });
  return ok && held == 1;
}

bool expr_ok(const nlattr* expr);

// A list of expressions (NFTA_LIST_ELEM each, as libnftnl parses them).
bool exprs_ok(const nlattr* list) {
  return each_nested(list, [](const nlattr* a) { return expr_ok(a); });
}

// The data attributes of one expression's NFTA_EXPR_DATA, by its name.
bool expr_data_ok(const char* name, const nlattr* data) {
  auto is = [name](const char* n) { return std::strcmp(name, n) == 0; };
  return each_nested(data, [&](const nlattr* a) {
    uint16_t t = type_of(a);
    if (is("immediate") && t == NFTA_IMMEDIATE_DATA) return data_ok(a, Data::value_or_verdict);
    if ((is("cmp") && t == NFTA_CMP_DATA) ||
        (is("bitwise") &&
         (t == NFTA_BITWISE_MASK || t == NFTA_BITWISE_XOR || t == NFTA_BITWISE_DATA)) ||
        (is("range") && (t == NFTA_RANGE_FROM_DATA || t == NFTA_RANGE_TO_DATA)))
      return data_ok(a, Data::value);
    if (is("dynset") && t == NFTA_DYNSET_EXPR) return expr_ok(a);
    if (is("dynset") && t == NFTA_DYNSET_EXPRESSIONS) return exprs_ok(a);
    return true;
  });
}

// One expression: {NFTA_EXPR_NAME, NFTA_EXPR_DATA}.
bool expr_ok(const nlattr* expr) {
  const nlattr* name = find(expr, NFTA_EXPR_NAME);
  const nlattr* data = find(expr, NFTA_EXPR_DATA);
  if (!name || !is_string(name)) return false;
  return !data || expr_data_ok(static_cast<const char*>(mnl_attr_get_payload(name)), data);
}

// One element of NFTA_SET_ELEM_LIST_ELEMENTS.
bool set_elem_ok(const nlattr* elem) {
  return each_nested(elem, [](const nlattr* a) {
    switch (type_of(a)) {
      case 0: return false;
      case NFTA_SET_ELEM_KEY:
      case NFTA_SET_ELEM_KEY_END: return data_ok(a, Data::value);
      case NFTA_SET_ELEM_DATA: return data_ok(a, Data::value_or_verdict);
      case NFTA_SET_ELEM_EXPR: return expr_ok(a);
      case NFTA_SET_ELEM_EXPRESSIONS: return exprs_ok(a);
      default: return type_of(a) <= kLibnftnlSetElemMax;
    }
  });
}

// The message's top-level attributes, after its nfgenmsg.
template <class Fn>
bool each_top(const nlmsghdr* nlh, const Fn& fn) {
  return each_attr(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)),
                   mnl_nlmsg_get_payload_tail(nlh), fn);
}

}  // namespace

bool libnftnl_can_parse(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg))) return true;
  switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
    case NFT_MSG_NEWRULE:
      return each_top(
          nlh, [](const nlattr* a) { return type_of(a) != NFTA_RULE_EXPRESSIONS || exprs_ok(a); });
    case NFT_MSG_NEWSET:
      return each_top(nlh, [](const nlattr* a) {
        if (type_of(a) == NFTA_SET_EXPR) return expr_ok(a);
        return type_of(a) != NFTA_SET_EXPRESSIONS || exprs_ok(a);
      });
    case NFT_MSG_NEWSETELEM:
      return each_top(nlh, [](const nlattr* a) {
        if (type_of(a) != NFTA_SET_ELEM_LIST_ELEMENTS) return true;
        return each_nested(a, [](const nlattr* e) { return set_elem_ok(e); });
      });
    default: return true;
  }
}

}  // namespace icmpwall::audit
