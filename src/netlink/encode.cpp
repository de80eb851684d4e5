// SPDX-License-Identifier: GPL-2.0-or-later
// The table as one ordered list of messages.
//
// Order: objects (rules name counters and limits), every chain empty (map
// elements and rules jump to them), each set followed by its elements,
// then every rule in chain order. Sets and objects the live table keeps
// as they are (EncodeOptions::in_place) are left out. Element lists are split over several
// NEWSETELEM messages so that each list's nested attribute stays within
// its 16-bit length, as nft does for large sets.
#include "icmpwall/netlink/encode.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>

#include "attrs.h"
#include "rate_unit.h"

namespace icmpwall::netlink {
namespace {

void add_object(Batch& batch, const std::string& table, const nft::Object& o,
                const KeptState* kept) {
  auto obj = encode_object(table, o, kept);
  auto* nlh =
      batch.begin(NFT_MSG_NEWOBJ, NFPROTO_INET, NLM_F_CREATE, MsgKind::object, o.name, o.origin);
  nftnl_obj_nlmsg_build_payload(nlh, obj.get());
  batch.end(nlh);
}

void add_chain(Batch& batch, const std::string& table, const nft::Chain& c) {
  auto chain = make_chain();
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, c.name.c_str());
  if (c.base) {
    nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, nft::hook_number(c.base->hook));
    nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, c.base->priority);
    nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY, c.base->policy_drop ? NF_DROP : NF_ACCEPT);
  }
  auto* nlh =
      batch.begin(NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, MsgKind::chain, c.name, c.origin);
  nftnl_chain_nlmsg_build_payload(nlh, chain.get());
  batch.end(nlh);
}

void add_set(Batch& batch, const std::string& table, const nft::Set& s, uint32_t id,
             const KeptState* kept) {
  auto set = encode_set(table, s, id);
  auto* nlh =
      batch.begin(NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, MsgKind::set, s.name, s.origin);
  nftnl_set_nlmsg_build_payload(nlh, set.get());
  batch.end(nlh);

  ElementMessages messages(batch, {NFT_MSG_NEWSETELEM, NLM_F_CREATE, table, s.name, id, s.origin});
  for_each_element(s, [&](const ElementAttrs& e) { messages.add(e); });
  if (kept)
    if (auto it = kept->elements.find(s.name); it != kept->elements.end())
      for (const auto& e : it->second)
        for_each_element(e, [&](const ElementAttrs& attrs) { messages.add(attrs); });
  messages.finish();
}

// Records where each expression of a rule message lies, for extended acks.
void note_expressions(const nlmsghdr* nlh, MessageInfo& info) {
  const auto* base = reinterpret_cast<const char*>(nlh);
  for_each_attr(nlh, sizeof(nfgenmsg), [&](const nlattr* attr) {
    if (mnl_attr_get_type(attr) != NFTA_RULE_EXPRESSIONS) return;
    for_each_nested(attr, [&](const nlattr* elem) {
      ExprSpan span;
      span.begin = static_cast<uint32_t>(reinterpret_cast<const char*>(elem) - base);
      span.end = span.begin + mnl_attr_get_len(elem);
      for_each_nested(elem, [&](const nlattr* field) {
        if (mnl_attr_get_type(field) == NFTA_EXPR_NAME) span.name = mnl_attr_get_str(field);
      });
      info.exprs.push_back(std::move(span));
    });
  });
}

}  // namespace

ObjPtr encode_object(const std::string& table, const nft::Object& o, const KeptState* kept) {
  auto obj = make_obj();
  nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_FAMILY, NFPROTO_INET);
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_TABLE, table.c_str());
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_NAME, o.name.c_str());
  if (o.kind == nft::ObjectKind::counter) {
    nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
    CounterValue value;
    if (kept)
      if (auto it = kept->counters.find(o.name); it != kept->counters.end()) value = it->second;
    nftnl_obj_set_u64(obj.get(), NFTNL_OBJ_CTR_BYTES, value.bytes);
    nftnl_obj_set_u64(obj.get(), NFTNL_OBJ_CTR_PKTS, value.packets);
  } else {
    nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_LIMIT);
    nftnl_obj_set_u64(obj.get(), NFTNL_OBJ_LIMIT_RATE, o.limit.rate.count);
    nftnl_obj_set_u64(obj.get(), NFTNL_OBJ_LIMIT_UNIT, unit_seconds(o.limit.rate.unit));
    nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_LIMIT_BURST, o.limit.burst);
    nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_LIMIT_TYPE, NFT_LIMIT_PKTS);
    nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_LIMIT_FLAGS, 0);
  }
  return obj;
}

void add_table_msg(Batch& batch, const std::string& name, const nft::Origin& origin) {
  auto t = make_table();
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, 0);
  auto* nlh =
      batch.begin(NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE, MsgKind::table, name, origin);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  batch.end(nlh);
}

uint32_t delete_table_msg(Batch& batch, const std::string& name, const nft::Origin& origin) {
  auto t = make_table();
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  auto* nlh = batch.begin(NFT_MSG_DELTABLE, NFPROTO_INET, 0, MsgKind::table, name, origin);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  return batch.end(nlh).seq;
}

Result<void> encode_table(const nft::Table& table, const EncodeOptions& opts, Batch& batch,
                          Diagnostics& diags) {
  SetIds ids;
  for (size_t i = 0; i < table.sets.size(); ++i) {
    if (!ids.emplace(table.sets[i].name, static_cast<uint32_t>(i + 1)).second) {
      diags.error(table.sets[i].origin.loc,
                  fmt::format("set '{}' declared twice", table.sets[i].name));
      return Error{fmt::format("set '{}' declared twice", table.sets[i].name), EINVAL};
    }
  }
  // Encode every rule first, so a model error leaves the batch untouched.
  std::vector<RulePtr> rules;
  std::vector<std::vector<uint32_t>> expr_stmts;  // per rule, per expression: its statement
  for (const auto& c : table.chains)
    for (const auto& r : c.rules) {
      auto rule = encode_rule(table.name, c.name, r, ids, opts, &expr_stmts.emplace_back());
      if (!rule) {
        diags.error(r.origin.loc,
                    fmt::format("cannot encode {}: {}", r.origin.what, rule.error().message));
        return Error{fmt::format("{}: {}", r.origin.what, rule.error().message), EINVAL};
      }
      rules.push_back(std::move(*rule));
    }

  const InPlace none;
  const InPlace& in_place = opts.in_place ? *opts.in_place : none;
  for (const auto& o : table.objects) {
    const uint32_t type =
        o.kind == nft::ObjectKind::counter ? NFT_OBJECT_COUNTER : NFT_OBJECT_LIMIT;
    if (!in_place.objects.count({type, o.name})) add_object(batch, table.name, o, opts.kept);
  }
  for (const auto& c : table.chains) add_chain(batch, table.name, c);
  for (const auto& s : table.sets)
    if (!in_place.sets.count(s.name)) add_set(batch, table.name, s, ids.at(s.name), opts.kept);
  size_t i = 0;
  for (const auto& c : table.chains)
    for (const auto& r : c.rules) {
      auto* nlh = batch.begin(NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND,
                              MsgKind::rule, c.name, r.origin);
      nftnl_rule_nlmsg_build_payload(nlh, rules[i].get());
      MessageInfo& info = batch.end(nlh);
      note_expressions(nlh, info);
      // Each expression at the policy key of the statement it encodes.
      const auto& stmt_of = expr_stmts[i++];
      for (size_t j = 0; j < info.exprs.size() && j < stmt_of.size(); ++j)
        info.exprs[j].loc = r.loc_of(stmt_of[j]);
    }
  return ok();
}

}  // namespace icmpwall::netlink
