// SPDX-License-Identifier: GPL-2.0-or-later
// Atomic apply of an nft::Table through libnftnl + libmnl.
//
// One netlink batch replaces icmpwall's table. Over a live table: every
// rule, and the sets, objects and chains that changed, are deleted and the
// new table added, leaving in place what it repeats exactly (in_place.h:
// rate-limit buckets, counts and blocked sources stay with it) and the
// base chains whose hook stays (replace.h). Else, or if the kernel refuses
// that: add table (no-op if present), delete table, add table, then every
// object, set, chain and rule. The kernel commits all of it or none of it,
// so a failed apply leaves the previous ruleset intact. The live table's
// counter values and blocked sources are read first and written in the
// same batch into what is made anew (kept_state.h). Tables of other owners
// are never named in the batch.
//
// Every message in the batch remembers the nft::Origin it was built from;
// a kernel rejection (with the extended ack's message and offset where the
// kernel gives them) becomes a Diagnostic at that policy position.
#pragma once

#include <cstddef>
#include <string>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/queue_mode.h"
#include "icmpwall/util/diagnostics.h"
#include "icmpwall/util/result.h"

namespace icmpwall::netlink {

struct ApplyStats {
  size_t messages = 0;  // netlink messages in the batch
  size_t bytes = 0;     // batch size
  QueueMode queue_mode = QueueMode::native;
  // State carried over from the table it replaced (kept_state.h).
  size_t counters_kept = 0;
  size_t elements_kept = 0;
};

// "kept 12 counter value(s) and 1 blocked source(s) of the table it
// replaced", or empty when nothing was kept.
std::string kept_text(const ApplyStats& stats);

struct ApplyOptions {
  // Force a queue mode instead of probing the kernel (tests).
  std::optional<QueueMode> queue_mode;
  // The table as this process applied it last (the daemon's reload): when
  // the live table is not read (keep_state false, or the read failed), its
  // contents are replaced as this table describes them, base chains that
  // keep their hook and priority staying, so the kernel drops no packet
  // waiting in a queue (replace.h). Falls back to the whole-table replace
  // if that fails.
  const nft::Table* replaces = nullptr;
  // Keep the live table's rate-limit buckets, counter values and blocked
  // sources (in_place.h, kept_state.h): read just before the batch, left in
  // place or written in it. A failed
  // read, or a kernel that refuses the kept state, is a warning in the
  // diagnostics and the table is applied without it.
  bool keep_state = true;
};

// Replaces table inet <table.name> with `table`, atomically (keeping the
// state opts.keep_state says). On a kernel
// error adds a Diagnostic at the offending object's origin and returns
// the Error (Error::code = the kernel's errno).
Result<ApplyStats> apply_table(const nft::Table& table, Diagnostics& diags,
                               const ApplyOptions& opts = {});

// Deletes table inet <name> if it exists; other tables are untouched.
// Returns true if a table was removed.
Result<bool> flush_table(const std::string& name);

// True if table inet <name> exists.
Result<bool> table_exists(const std::string& name);

// Asks the kernel whether the native nft queue expression is available,
// by a batch that adds and deletes a scratch table with a queue rule in
// one transaction (so nothing persists). ENOENT on the rule means it is
// not; then the xt NFQUEUE target is used.
Result<QueueMode> probe_queue_mode();

}  // namespace icmpwall::netlink
