// SPDX-License-Identifier: GPL-2.0-or-later
// Which queue expression this kernel takes.
//
// The probe is a transaction that creates a scratch table (NLM_F_EXCL, so
// it can never be someone else's), a chain and a rule holding only the
// queue expression under test, deletes the table, and deletes it once
// more: the kernel refuses that last message (ENOENT), and a batch with a
// refused message is aborted as a whole. So the probe never commits:
// nothing persists, the ruleset's generation stays, and closing the socket
// does not wait for the kernel's clean-up of a commit (an RCU grace
// period, 10-20 ms). The native nft_queue expression is tried first; a
// kernel without it answers ENOENT for the rule, and then the xt NFQUEUE
// target (nft_compat) is tried the same way, on the same socket.
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "icmpwall/netlink/apply.h"
#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/socket.h"

namespace icmpwall::netlink {
namespace {

// 0: the kernel took the queue rule; else the errno it answered the rule with.
Result<int> try_queue(Socket& sock, QueueMode mode) {
  const std::string table = fmt::format("icmpwall-probe-{}-{}", getpid(), std::random_device{}());
  const std::string chain = "probe";
  const nft::Origin origin{{}, "queue probe"};
  Batch batch(batch_seq());

  auto t = make_table();
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, 0);
  auto* nlh = batch.begin(NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL, MsgKind::table,
                          table, origin);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  batch.end(nlh);

  auto c = make_chain();
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, chain.c_str());
  nlh = batch.begin(NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, MsgKind::chain, chain, origin);
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  batch.end(nlh);

  nft::Rule rule;
  rule.origin = origin;
  rule.stmts.push_back(nft::Queue{0, 1, true, false});
  TRY(auto r, encode_rule(table, chain, rule, {}, EncodeOptions{mode}));
  nlh = batch.begin(NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND, MsgKind::rule,
                    chain, origin);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  const uint32_t rule_seq = batch.end(nlh).seq;

  delete_table_msg(batch, table, origin);
  const uint32_t abort_seq = delete_table_msg(batch, table, origin);
  batch.finish();

  TRY(auto errors, sock.talk(batch));
  for (const auto& e : errors)
    if (e.seq == rule_seq) return e.code;
  for (const auto& e : errors)
    if (e.seq != abort_seq)
      return Error{
          fmt::format("queue probe: kernel rejected the scratch table: {}", std::strerror(e.code)),
          e.code};
  return 0;
}

}  // namespace

Result<QueueMode> probe_queue_mode() {
  TRY(auto sock, Socket::open());
  TRY(int native, try_queue(sock, QueueMode::native));
  if (native == 0) return QueueMode::native;
  if (native != ENOENT)
    return Error{fmt::format("queue probe: native queue rule rejected: {}", std::strerror(native)),
                 native};
  TRY(int compat, try_queue(sock, QueueMode::compat));
  if (compat == 0) return QueueMode::compat;
  return Error{fmt::format("this kernel has neither nft_queue nor the xt NFQUEUE target ({})",
                           std::strerror(compat)),
               compat};
}

}  // namespace icmpwall::netlink
