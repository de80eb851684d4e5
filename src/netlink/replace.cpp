// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/netlink/replace.h"

#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>

#include "icmpwall/netlink/handles.h"

namespace icmpwall::netlink {
namespace {

// A base chain of `previous` stays when `next` has a filter base chain of
// the same name on the same hook and priority.
bool base_chain_stays(const LiveChain& c, const nft::Table& next) {
  if (!c.base || c.type != "filter") return false;
  return std::any_of(next.chains.begin(), next.chains.end(), [&](const nft::Chain& n) {
    return n.name == c.name && n.base && nft::hook_number(n.base->hook) == c.hook &&
           n.base->priority == c.priority;
  });
}

}  // namespace

void replace_contents_msgs(Batch& batch, const LiveLayout& previous, const nft::Table& next,
                           const InPlace& in_place) {
  const std::string& table = next.name;
  const nft::Origin origin{{}, fmt::format("table inet {}", table)};

  // Every rule of every chain (a DELRULE naming only the table).
  auto r = make_rule();
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  auto* nlh = batch.begin(NFT_MSG_DELRULE, NFPROTO_INET, 0, MsgKind::rule, "", origin);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  batch.end(nlh);

  // Sets and maps (their elements go with them), then objects: no rule
  // names them any more. Those left in place stay, elements and all.
  for (const auto& [name, definition] : previous.sets) {
    if (in_place.sets.count(name)) continue;
    auto set = make_set();
    nftnl_set_set_u32(set.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
    nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
    nftnl_set_set_str(set.get(), NFTNL_SET_NAME, name.c_str());
    nlh = batch.begin(NFT_MSG_DELSET, NFPROTO_INET, 0, MsgKind::set, name, origin);
    nftnl_set_nlmsg_build_payload(nlh, set.get());
    batch.end(nlh);
  }
  for (const auto& o : previous.objects) {
    if (in_place.objects.count({o.type, o.name})) continue;
    auto obj = make_obj();
    nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_FAMILY, NFPROTO_INET);
    nftnl_obj_set_str(obj.get(), NFTNL_OBJ_TABLE, table.c_str());
    nftnl_obj_set_str(obj.get(), NFTNL_OBJ_NAME, o.name.c_str());
    nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_TYPE, o.type);
    nlh = batch.begin(NFT_MSG_DELOBJ, NFPROTO_INET, 0, MsgKind::object, o.name, origin);
    nftnl_obj_nlmsg_build_payload(nlh, obj.get());
    batch.end(nlh);
  }
  // Chains, once nothing jumps to them; base chains that stay are kept.
  for (const auto& c : previous.chains) {
    if (base_chain_stays(c, next)) continue;
    auto chain = make_chain();
    nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
    nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, table.c_str());
    nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, c.name.c_str());
    nlh = batch.begin(NFT_MSG_DELCHAIN, NFPROTO_INET, 0, MsgKind::chain, c.name, origin);
    nftnl_chain_nlmsg_build_payload(nlh, chain.get());
    batch.end(nlh);
  }
}

}  // namespace icmpwall::netlink
