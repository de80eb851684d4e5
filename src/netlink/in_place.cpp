// SPDX-License-Identifier: GPL-2.0-or-later
// Definitions of sets and objects as text, the same function for what the
// kernel lists and for what the new table encodes (in_place.h).
//
// Each attribute is read through libnftnl's getters, which give 0 for an
// attribute the message did not carry: the kernel lists some attributes
// always (a dynset's timeout) that the encoder leaves out when 0, and the
// two must read the same.
#include "icmpwall/netlink/in_place.h"

#include <fmt/format.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <array>

#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/handles.h"

namespace icmpwall::netlink {
namespace {

// An expression as libnftnl prints it, after its name.
std::string expr_text(const nftnl_expr* e) {
  std::array<char, 512> buf{};
  nftnl_expr_snprintf(buf.data(), buf.size(), e, NFTNL_OUTPUT_DEFAULT, 0);
  return fmt::format("{}[{}]", nftnl_expr_get_str(e, NFTNL_EXPR_NAME), buf.data());
}

// A dynset expression as one `update`/`add` of its set: its operation,
// timeout, flags and the expression each element gets.
std::string update_text(const nftnl_expr* e) {
  std::string out =
      fmt::format("op {} timeout {} flags {}", nftnl_expr_get_u32(e, NFTNL_EXPR_DYNSET_OP),
                  nftnl_expr_get_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT),
                  nftnl_expr_get_u32(e, NFTNL_EXPR_DYNSET_FLAGS));
  if (nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_EXPR)) {
    uint32_t len = 0;
    const auto* inner =
        static_cast<const nftnl_expr*>(nftnl_expr_get(e, NFTNL_EXPR_DYNSET_EXPR, &len));
    if (inner) out += " " + expr_text(inner);
  }
  return out;
}

std::string hex(const void* data, uint32_t len) {
  std::string out;
  const auto* p = static_cast<const uint8_t*>(data);
  for (uint32_t i = 0; data && i < len; ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

}  // namespace

void note_updates(const nftnl_rule* rule, SetUpdates& out) {
  using IterPtr = std::unique_ptr<nftnl_expr_iter, Free<nftnl_expr_iter_destroy>>;
  IterPtr it(nftnl_expr_iter_create(rule));
  if (!it) return;
  for (auto* e = nftnl_expr_iter_next(it.get()); e; e = nftnl_expr_iter_next(it.get())) {
    if (std::string_view(nftnl_expr_get_str(e, NFTNL_EXPR_NAME)) != "dynset") continue;
    if (!nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_SET_NAME)) continue;
    auto& texts = out[nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME)];
    texts.insert(std::upper_bound(texts.begin(), texts.end(), update_text(e)), update_text(e));
  }
}

std::string set_definition(const nftnl_set* set, const SetUpdates& updates) {
  auto* s = const_cast<nftnl_set*>(set);  // libnftnl's getters take no const
  uint32_t udata_len = 0;
  const void* udata = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &udata_len);
  std::string out = fmt::format(
      "flags {:#x} key {}/{} data {}/{} objtype {} timeout {} gc {} size {} policy {} udata {}",
      nftnl_set_get_u32(s, NFTNL_SET_FLAGS), nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE),
      nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE),
      nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN), nftnl_set_get_u32(s, NFTNL_SET_OBJ_TYPE),
      nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT), nftnl_set_get_u32(s, NFTNL_SET_GC_INTERVAL),
      nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE), nftnl_set_get_u32(s, NFTNL_SET_POLICY),
      hex(udata, udata_len));
  nftnl_set_expr_foreach(
      s,
      [](nftnl_expr* e, void* text) {
        *static_cast<std::string*>(text) += " expr " + expr_text(e);
        return 0;
      },
      &out);
  if (auto it = updates.find(nftnl_set_get_str(s, NFTNL_SET_NAME)); it != updates.end())
    for (const auto& u : it->second) out += " update " + u;
  return out;
}

std::string object_definition(const nftnl_obj* obj) {
  auto* o = const_cast<nftnl_obj*>(obj);
  const uint32_t type = nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE);
  switch (type) {
    case NFT_OBJECT_COUNTER: return "counter";
    case NFT_OBJECT_LIMIT:
      return fmt::format(
          "limit rate {} unit {} burst {} type {} flags {}",
          nftnl_obj_get_u64(o, NFTNL_OBJ_LIMIT_RATE), nftnl_obj_get_u64(o, NFTNL_OBJ_LIMIT_UNIT),
          nftnl_obj_get_u32(o, NFTNL_OBJ_LIMIT_BURST), nftnl_obj_get_u32(o, NFTNL_OBJ_LIMIT_TYPE),
          nftnl_obj_get_u32(o, NFTNL_OBJ_LIMIT_FLAGS));
    default: return fmt::format("object type {}", type);  // never icmpwall's
  }
}

LiveLayout layout_of(const nft::Table& table, QueueMode mode) {
  LiveLayout out;
  out.present = true;
  for (const auto& c : table.chains) {
    LiveChain chain{c.name};
    if (c.base) {
      chain.base = true;
      chain.hook = nft::hook_number(c.base->hook);
      chain.priority = c.base->priority;
      chain.type = "filter";
    }
    out.chains.push_back(std::move(chain));
  }
  SetIds ids;
  for (size_t i = 0; i < table.sets.size(); ++i)
    ids.emplace(table.sets[i].name, static_cast<uint32_t>(i + 1));
  SetUpdates updates;
  bool encoded = true;
  for (const auto& c : table.chains)
    for (const auto& r : c.rules) {
      auto rule = encode_rule(table.name, c.name, r, ids, EncodeOptions{mode, nullptr});
      if (!rule) {
        encoded = false;
        continue;
      }
      note_updates(rule->get(), updates);
    }
  for (const auto& s : table.sets)
    out.sets[s.name] = encoded ? set_definition(encode_set(table.name, s, 0).get(), updates) : "";
  for (const auto& o : table.objects) {
    auto obj = encode_object(table.name, o, nullptr);
    out.objects.push_back(
        {o.name, nftnl_obj_get_u32(obj.get(), NFTNL_OBJ_TYPE), object_definition(obj.get())});
  }
  return out;
}

InPlace plan_in_place(const LiveLayout& live, const nft::Table& next, QueueMode mode) {
  InPlace out;
  if (!live.present) return out;
  const LiveLayout mine = layout_of(next, mode);
  for (const auto& s : next.sets) {
    const std::string& def = mine.sets.at(s.name);
    // Run-time state only, and no elements of the policy's own.
    if (def.empty() || !s.elements.empty() || !(s.dynamic || s.timeout_ms)) continue;
    if (auto it = live.sets.find(s.name); it != live.sets.end() && it->second == def)
      out.sets.insert(s.name);
  }
  for (const auto& o : mine.objects) {
    const bool same = std::any_of(live.objects.begin(), live.objects.end(), [&](const auto& l) {
      return l.name == o.name && l.type == o.type && l.definition == o.definition;
    });
    if (same) out.objects.emplace(o.type, o.name);
  }
  return out;
}

}  // namespace icmpwall::netlink
