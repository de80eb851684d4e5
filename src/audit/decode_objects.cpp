// SPDX-License-Identifier: GPL-2.0-or-later
// Decoding tables, chains, sets, set elements and stateful objects.
//
// Straight copies of the attributes a dump delivers. Two details: a
// netdev (or inet ingress) base chain names its devices as one
// NFTA_HOOK_DEV, an NFTA_HOOK_DEVS list, or both (the list is taken);
// a set element's expressions (a per-element counter) arrive as a list,
// of which the counter is kept.

// libnftnl's headers use FILE without including <stdio.h>.
// clang-format off
#include <cstdio>
// clang-format on
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>

#include "icmpwall/audit/decode.h"

namespace icmpwall::audit {
namespace {

std::string obj_type_name(uint32_t type) {
  switch (type) {
    case NFT_OBJECT_COUNTER: return "counter";
    case NFT_OBJECT_QUOTA: return "quota";
    case NFT_OBJECT_CT_HELPER: return "ct helper";
    case NFT_OBJECT_LIMIT: return "limit";
    case NFT_OBJECT_CONNLIMIT: return "connlimit";
    case NFT_OBJECT_TUNNEL: return "tunnel";
    case NFT_OBJECT_CT_TIMEOUT: return "ct timeout";
    case NFT_OBJECT_SECMARK: return "secmark";
    case NFT_OBJECT_CT_EXPECT: return "ct expectation";
    case NFT_OBJECT_SYNPROXY: return "synproxy";
    default: return "object " + std::to_string(type);
  }
}

// libnftnl returns NULL for a name the message did not carry.
std::string text(const char* s) {
  return s ? s : "";
}

Bytes elem_bytes(nftnl_set_elem* e, uint16_t attr) {
  if (!nftnl_set_elem_is_set(e, attr)) return {};
  uint32_t len = 0;
  const auto* p = static_cast<const uint8_t*>(nftnl_set_elem_get(e, attr, &len));
  return p ? Bytes(p, p + len) : Bytes{};
}

}  // namespace

Table decode_table(const nftnl_table* t) {
  Table table;
  table.family = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
  table.name = text(nftnl_table_get_str(t, NFTNL_TABLE_NAME));
  table.flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
  if (nftnl_table_is_set(t, NFTNL_TABLE_HANDLE))
    table.handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
  if (nftnl_table_is_set(t, NFTNL_TABLE_OWNER))
    table.owner = nftnl_table_get_u32(t, NFTNL_TABLE_OWNER);
  return table;
}

Chain decode_chain(const nftnl_chain* c) {
  Chain chain;
  chain.name = text(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_HANDLE))
    chain.handle = nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE);
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_FLAGS))
    chain.flags = nftnl_chain_get_u32(c, NFTNL_CHAIN_FLAGS);
  if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) return chain;
  BaseHook hook;
  hook.hooknum = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
  hook.priority = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE)) hook.type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY))
    hook.policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
  // Newer kernels send the list as well as the single device; the list
  // wins, and a device named by both is kept once.
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES)) {
    const char* const* devs = nftnl_chain_get_array(c, NFTNL_CHAIN_DEVICES);
    for (; devs && *devs; ++devs) hook.devices.emplace_back(*devs);
  } else if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV)) {
    hook.devices.push_back(nftnl_chain_get_str(c, NFTNL_CHAIN_DEV));
  }
  chain.hook = std::move(hook);
  return chain;
}

Set decode_set(const nftnl_set* s) {
  Set set;
  set.name = text(nftnl_set_get_str(s, NFTNL_SET_NAME));
  // Attributes the message may leave out keep their defaults.
  auto u32_if = [s](uint16_t attr, auto& out) {
    if (nftnl_set_is_set(s, attr)) out = nftnl_set_get_u32(s, attr);
  };
  auto u64_if = [s](uint16_t attr, auto& out) {
    if (nftnl_set_is_set(s, attr)) out = nftnl_set_get_u64(s, attr);
  };
  u64_if(NFTNL_SET_HANDLE, set.handle);
  set.flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
  set.key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
  set.key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
  u32_if(NFTNL_SET_DATA_TYPE, set.data_type);
  u32_if(NFTNL_SET_DATA_LEN, set.data_len);
  u32_if(NFTNL_SET_OBJ_TYPE, set.obj_type);
  u64_if(NFTNL_SET_TIMEOUT, set.timeout);
  if (nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT)) {
    uint32_t n = 0;
    const auto* p = static_cast<const uint8_t*>(nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &n));
    if (p) set.concat.assign(p, p + n);
  }
  return set;
}

SetElement decode_set_elem(nftnl_set_elem* e) {
  SetElement el;
  el.key = elem_bytes(e, NFTNL_SET_ELEM_KEY);
  el.key_end = elem_bytes(e, NFTNL_SET_ELEM_KEY_END);
  auto u64_if = [e](uint16_t attr, std::optional<uint64_t>& out) {
    if (nftnl_set_elem_is_set(e, attr)) out = nftnl_set_elem_get_u64(e, attr);
  };
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
    el.flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
    Verdict v{static_cast<int32_t>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT)), {}};
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
      v.chain = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
    el.verdict = std::move(v);
  }
  el.data = elem_bytes(e, NFTNL_SET_ELEM_DATA);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF))
    el.objref = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF);
  u64_if(NFTNL_SET_ELEM_TIMEOUT, el.timeout);
  u64_if(NFTNL_SET_ELEM_EXPIRATION, el.expiration);
  nftnl_set_elem_expr_foreach(
      e,
      [](nftnl_expr* x, void* data) {
        Expr decoded = decode_expr(x);
        if (auto* c = std::get_if<Counter>(&decoded))
          *static_cast<std::optional<Counter>*>(data) = *c;
        return 0;
      },
      &el.counter);
  return el;
}

Object decode_object(nftnl_obj* o) {
  Object obj;
  obj.type = nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE);
  obj.type_name = obj_type_name(obj.type);
  obj.name = text(nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
  if (nftnl_obj_is_set(o, NFTNL_OBJ_HANDLE)) obj.handle = nftnl_obj_get_u64(o, NFTNL_OBJ_HANDLE);
  auto put = [&](const char* key, uint16_t attr, int width) {
    if (!nftnl_obj_is_set(o, attr)) return;
    uint64_t v = 0;
    switch (width) {
      case 8: v = nftnl_obj_get_u8(o, attr); break;
      case 16: v = nftnl_obj_get_u16(o, attr); break;
      case 32: v = nftnl_obj_get_u32(o, attr); break;
      default: v = nftnl_obj_get_u64(o, attr); break;
    }
    obj.values.emplace_back(key, v);
  };
  switch (obj.type) {
    case NFT_OBJECT_COUNTER:
      put("packets", NFTNL_OBJ_CTR_PKTS, 64);
      put("bytes", NFTNL_OBJ_CTR_BYTES, 64);
      break;
    case NFT_OBJECT_QUOTA:
      put("bytes", NFTNL_OBJ_QUOTA_BYTES, 64);
      put("consumed", NFTNL_OBJ_QUOTA_CONSUMED, 64);
      put("flags", NFTNL_OBJ_QUOTA_FLAGS, 32);
      break;
    case NFT_OBJECT_LIMIT:
      put("rate", NFTNL_OBJ_LIMIT_RATE, 64);
      put("unit", NFTNL_OBJ_LIMIT_UNIT, 64);
      put("burst", NFTNL_OBJ_LIMIT_BURST, 32);
      put("type", NFTNL_OBJ_LIMIT_TYPE, 32);
      put("flags", NFTNL_OBJ_LIMIT_FLAGS, 32);
      break;
    case NFT_OBJECT_CT_HELPER:
      if (nftnl_obj_is_set(o, NFTNL_OBJ_CT_HELPER_NAME))
        obj.text = nftnl_obj_get_str(o, NFTNL_OBJ_CT_HELPER_NAME);
      put("l3proto", NFTNL_OBJ_CT_HELPER_L3PROTO, 16);
      put("l4proto", NFTNL_OBJ_CT_HELPER_L4PROTO, 8);
      break;
    case NFT_OBJECT_SECMARK:
      if (nftnl_obj_is_set(o, NFTNL_OBJ_SECMARK_CTX))
        obj.text = nftnl_obj_get_str(o, NFTNL_OBJ_SECMARK_CTX);
      break;
    case NFT_OBJECT_SYNPROXY:
      put("mss", NFTNL_OBJ_SYNPROXY_MSS, 16);
      put("wscale", NFTNL_OBJ_SYNPROXY_WSCALE, 8);
      put("flags", NFTNL_OBJ_SYNPROXY_FLAGS, 32);
      break;
    default: break;
  }
  return obj;
}

}  // namespace icmpwall::audit
