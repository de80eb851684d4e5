// SPDX-License-Identifier: GPL-2.0-or-later
// apply_table, flush_table, table_exists.
//
// apply_table sends one transaction. Over a live table it read (or the
// table it is told it replaces) that is a replace keeping the base chains
// whose hook stays (replace.h) and the sets and objects whose definition
// stays (in_place.h); else, or if the kernel refuses that, NEWTABLE
// (NLM_F_CREATE, a no-op when the table exists), DELTABLE, NEWTABLE, then
// the encoded table. The
// kernel commits it whole or not at all; only table inet <name> is ever
// named, so other owners' tables are untouched. The kernel's answers are
// turned into diagnostics (kernel_error.h): at the policy key of the
// expression the extended ack's offset falls in, else at the origin of
// the message they answer.
//
// Kept state (kept_state.h) goes into the same transaction. If the kernel
// refuses a batch with it, the whole-table batch is sent once more
// without it, so state never stops an apply.
#include "icmpwall/netlink/apply.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/in_place.h"
#include "icmpwall/netlink/kept_state.h"
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

// The state of the live table `table` keeps, and its layout; a read that
// fails is a warning and keeps nothing.
KeptState keep_state_for(const nft::Table& table, QueueMode mode, LiveLayout& layout,
                         Diagnostics& diags) {
  auto live = read_live_state(table.name);
  if (!live) {
    diags.warning({}, fmt::format("counters and blocked sources of table inet {} not kept: {}",
                                  table.name, live.error().message));
    return {};
  }
  KeptState kept = plan_kept_state(*live, table);
  for (const auto& d : kept.dropped) diags.warning({}, d);
  kept.in_place = plan_in_place(live->layout, table, mode);
  layout = std::move(live->layout);
  return kept;
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
  LiveLayout live;
  const KeptState kept =
      opts.keep_state ? keep_state_for(table, stats.queue_mode, live, diags) : KeptState{};
  const nft::Origin origin{{}, fmt::format("table inet {}", table.name)};
  // `prefix` goes before the table's own messages.
  auto send = [&](auto prefix, const KeptState* with, const InPlace* in_place,
                  Diagnostics& out) -> Result<void> {
    Batch batch(batch_seq());
    add_table_msg(batch, table.name, origin);
    prefix(batch);
    TRY_VOID(encode_table(table, EncodeOptions{stats.queue_mode, with, in_place}, batch, out));
    batch.finish();
    stats.messages = batch.message_count();
    stats.bytes = batch.bytes();
    TRY_VOID(run(batch, out));
    stats.counters_kept = with ? with->counters.size() : 0;
    stats.elements_kept = with ? with->element_count() : 0;
    return ok();
  };
  auto whole = [&](Batch& b) {
    delete_table_msg(b, table.name, origin);
    add_table_msg(b, table.name, origin);
  };
  // Keeping the hooks and what stays (replace.h, in_place.h); if the live
  // table is not the one the layout describes, the whole table is
  // replaced instead.
  const InPlace none;
  const InPlace* in_place = &kept.in_place;
  if (!live.present && opts.replaces && opts.replaces->name == table.name) {
    live = layout_of(*opts.replaces, stats.queue_mode);
    in_place = &none;
  }
  if (live.present) {
    Diagnostics ignored;
    auto prefix = [&](Batch& b) { replace_contents_msgs(b, live, table, *in_place); };
    if (send(prefix, &kept, in_place, ignored)) return stats;
  }
  // Kept state the kernel refuses must not stop the apply; a table the
  // kernel refuses anyway is reported as without it.
  std::optional<Error> refused;
  if (!kept.empty()) {
    Diagnostics ignored;
    auto r = send(whole, &kept, nullptr, ignored);
    if (r) return stats;
    refused = r.error();
  }
  TRY_VOID(send(whole, nullptr, nullptr, diags));
  if (refused)
    diags.warning({}, fmt::format("counters and blocked sources of table inet {} not kept: {}",
                                  table.name, refused->message));
  return stats;
}

std::string kept_text(const ApplyStats& stats) {
  if (!stats.counters_kept && !stats.elements_kept) return {};
  return fmt::format("kept {} counter value(s) and {} blocked source(s) of the table it replaced",
                     stats.counters_kept, stats.elements_kept);
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
