// SPDX-License-Identifier: GPL-2.0-or-later
// The expected side of a drift check: the policy's table as the kernel
// would hold it (see drift.h).
//
// The model is encoded into a batch exactly as apply does it; the
// object, chain and set messages of that batch are parsed back with
// libnftnl and decoded by the audit's decoder, the same code a dump goes
// through. Set elements and rules are decoded from the libnftnl objects
// the batch is built from (encode_elements, encode_rule).
// libnftnl's headers use FILE without including <stdio.h>.
// clang-format off
#include <cstdio>
// clang-format on
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>

#include "icmpwall/audit/decode.h"
#include "icmpwall/audit/drift.h"
#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/handles.h"

namespace icmpwall::audit {
namespace {

// The nf_tables message type (0 for the batch's begin and end).
uint16_t nft_msg_type(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) return 0;
  return nlh->nlmsg_type & 0xff;
}

Error unparsable(const char* what) {
  return Error{fmt::format("cannot parse back the encoded {}", what), EBADMSG};
}

// One message of the batch into `table`.
Result<void> add_message(const nlmsghdr* nlh, Table& table) {
  switch (nft_msg_type(nlh)) {
    case NFT_MSG_NEWOBJ: {
      auto o = netlink::make_obj();
      if (nftnl_obj_nlmsg_parse(nlh, o.get()) < 0) return unparsable("object");
      table.objects.push_back(decode_object(o.get()));
      return ok();
    }
    case NFT_MSG_NEWCHAIN: {
      auto c = netlink::make_chain();
      if (nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return unparsable("chain");
      table.chains.push_back(decode_chain(c.get()));
      return ok();
    }
    case NFT_MSG_NEWSET: {
      auto s = netlink::make_set();
      if (nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return unparsable("set");
      table.sets.push_back(decode_set(s.get()));
      return ok();
    }
    default: return ok();  // batch begin/end; elements and rules: see expected_table
  }
}

}  // namespace

Result<Table> expected_table(const nft::Table& model, netlink::QueueMode queue_mode) {
  netlink::Batch batch(1);
  Diagnostics diags;
  TRY_VOID(netlink::encode_table(model, netlink::EncodeOptions{queue_mode}, batch, diags));
  batch.finish();

  Table table;
  table.family = NFPROTO_INET;
  table.name = model.name;
  for (const nlmsghdr* nlh : batch.messages()) TRY_VOID(add_message(nlh, table));

  // Rules are decoded from the rule objects the batch serializes, not
  // parsed back: libnftnl writes some names (objref) without their NUL,
  // which the kernel reads by length but libnftnl's own parser reads as a
  // C string, running into the next attribute's bytes.
  netlink::SetIds ids;
  for (size_t i = 0; i < model.sets.size(); ++i)
    ids.emplace(model.sets[i].name, static_cast<uint32_t>(i + 1));
  for (auto& chain : table.chains)
    for (const auto& c : model.chains) {
      if (c.name != chain.name) continue;
      for (const auto& r : c.rules) {
        TRY(auto encoded, netlink::encode_rule(model.name, c.name, r, ids, {queue_mode}));
        Rule rule = decode_rule(encoded.get());
        rule.index = static_cast<uint32_t>(chain.rules.size());
        chain.rules.push_back(std::move(rule));
      }
    }
  for (auto& set : table.sets)
    for (const auto& s : model.sets)
      if (s.name == set.name)
        for (auto& e : netlink::encode_elements(s))
          set.elements.push_back(decode_set_elem(e.get()));
  return table;
}

}  // namespace icmpwall::audit
