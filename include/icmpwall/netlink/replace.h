// SPDX-License-Identifier: GPL-2.0-or-later
// Replacing icmpwall's table without unregistering its hooks.
//
// Deleting a base chain unregisters its netfilter hook, and the kernel
// then drops every packet waiting in every NFQUEUE of the namespace
// (nf_queue_nf_hook_drop: a hook that goes away may be the one a queued
// packet would return to). A reload that deleted and re-created the
// table therefore lost the inspected packets queued at that instant, and
// the daemon's verdicts for them came back as errors.
//
// replace_contents_msgs() writes the other way to the same end: flush
// every rule of the table, delete the previous table's sets, objects,
// regular chains and the base chains that change hook or priority (or go),
// and leave the base chains that stay as they are; the new table's
// messages then update those (a NEWCHAIN for an existing chain changes
// its policy) and add everything else. Only the hooks that really change
// are unregistered. Sets and objects whose definition stays (in_place.h)
// are neither deleted nor added: their rate-limit buckets, counts and
// elements stay with them.
#pragma once

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/in_place.h"

namespace icmpwall::netlink {

// Appends the flush-and-delete messages for going from `previous` (the
// live table of next's name, as read_live_state lists it, or layout_of
// the table this process applied) to `next`, leaving `in_place` alone.
// The caller then appends the next table (encode_table with the same
// in_place).
void replace_contents_msgs(Batch& batch, const LiveLayout& previous, const nft::Table& next,
                           const InPlace& in_place);

}  // namespace icmpwall::netlink
