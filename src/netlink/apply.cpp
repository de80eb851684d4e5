// SPDX-License-Identifier: GPL-2.0-or-later
// apply_table, flush_table, table_exists.
//
// apply_table sends one transaction: NEWTABLE (NLM_F_CREATE, a no-op when
// the table exists), DELTABLE, NEWTABLE, then the encoded table; or, given
// the table it replaces, one that keeps the base chains (replace.h). The
// kernel commits it whole or not at all; only table inet <name> is ever
// named, so other owners' tables are untouched. The kernel's answers are
// turned into diagnostics (kernel_error.h): at the policy key of the
// expression the extended ack's offset falls in, else at the origin of
// the message they answer.
#include "icmpwall/netlink/apply.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <cstring>

#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/kernel_error.h"
#include "icmpwall/netlink/replace.h"
#include "icmpwall/netlink/socket.h"

namespace icmpwall::netlink {
namespace {

// Runs a finished batch; the first kernel error as an Error, all of them
// as diagnostics.
Result<void> run(const Batch& batch, Diagnostics& diags) {
  TRY(auto sock, Socket::open());
  TRY(auto errors, sock.talk(batch));
  if (errors.empty()) return ok();
  for (const auto& e : errors) report_kernel_error(batch, e, diags);
  const auto& first = errors.front();
  return Error{fmt::format("kernel rejected the transaction: {}", std::strerror(first.code)),
               first.code};
}

}  // namespace

Result<ApplyStats> apply_table(const nft::Table& table, Diagnostics& diags,
                               const ApplyOptions& opts) {
  ApplyStats stats;
  if (opts.queue_mode) {
    stats.queue_mode = *opts.queue_mode;
  } else if (nft::uses_queue(table)) {
    TRY(stats.queue_mode, probe_queue_mode());
  }
  const nft::Origin origin{{}, fmt::format("table inet {}", table.name)};
  // `prefix` goes before the table's own messages.
  auto send = [&](auto prefix, Diagnostics& out) -> Result<void> {
    Batch batch(batch_seq());
    add_table_msg(batch, table.name, origin);
    prefix(batch);
    TRY_VOID(encode_table(table, EncodeOptions{stats.queue_mode}, batch, out));
    batch.finish();
    stats.messages = batch.message_count();
    stats.bytes = batch.bytes();
    return run(batch, out);
  };
  // Keeping the hooks (replace.h); if the live table is not the one
  // `replaces` describes, the whole table is replaced instead.
  if (opts.replaces && opts.replaces->name == table.name) {
    Diagnostics ignored;
    if (send([&](Batch& b) { replace_contents_msgs(b, *opts.replaces, table); }, ignored))
      return stats;
  }
  TRY_VOID(send(
      [&](Batch& b) {
        delete_table_msg(b, table.name, origin);
        add_table_msg(b, table.name, origin);
      },
      diags));
  return stats;
}

Result<bool> flush_table(const std::string& name) {
  Batch batch(batch_seq());
  delete_table_msg(batch, name, {{}, fmt::format("table inet {}", name)});
  batch.finish();
  TRY(auto sock, Socket::open());
  TRY(auto errors, sock.talk(batch));
  if (errors.empty()) return true;
  if (errors.size() == 1 && errors[0].code == ENOENT) return false;
  return Error{fmt::format("deleting table inet {}: {}", name, std::strerror(errors[0].code)),
               errors[0].code};
}

Result<bool> table_exists(const std::string& name) {
  TRY(auto sock, Socket::open());
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto t = make_table();
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETTABLE, NFPROTO_INET, 0, 0);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  TRY(int code, sock.request(nlh));
  if (code == 0) return true;
  if (code == ENOENT) return false;
  return Error{fmt::format("looking up table inet {}: {}", name, std::strerror(code)), code};
}

}  // namespace icmpwall::netlink
