// SPDX-License-Identifier: GPL-2.0-or-later
// nft::Table -> netlink messages, the same ones `nft -f` sends for the
// rendered text (compile/render.h).
//
// Each statement becomes the expression sequence nft emits for it in an
// inet table, including the implicit protocol dependencies nft adds
// (`ip saddr` loads meta nfproto first, `icmp type` meta nfproto and meta
// l4proto) and drops when the rule already established them; adjacent
// payload matches nft would merge into one load (`icmp type 8 icmp code
// 0`) are merged. Sets carry the userdata nft writes (key byte order,
// concatenation typeof), so `nft list` prints them back with their types.
//
// Message order inside the batch: objects, chains (all of them, empty),
// sets with their elements (verdict maps name chains), then rules.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/handles.h"
#include "icmpwall/netlink/in_place.h"
#include "icmpwall/netlink/kept_state.h"
#include "icmpwall/netlink/set_element.h"
#include "icmpwall/util/diagnostics.h"
#include "icmpwall/util/result.h"

namespace icmpwall::netlink {

// Set name -> the NFTA_SET_ID it carries in this batch (lookups name both).
using SetIds = std::map<std::string, uint32_t>;

struct EncodeOptions {
  QueueMode queue_mode = QueueMode::native;
  // State carried over from the live table (kept_state.h): initial values
  // of counters, elements added to sets after their own.
  const KeptState* kept = nullptr;
  // Sets and objects the live table already has as they are (in_place.h):
  // neither declared nor filled again.
  const InPlace* in_place = nullptr;
};

// The expressions of one rule, as a nftnl_rule of table inet <table>.
// Fails on statements nft would reject (conflicting protocol matches,
// bad lengths). `expr_stmts`, if given, gets for each expression (in
// order) the index of the statement that emitted it: a protocol
// dependency counts for the statement that needed it, merged matches for
// the first of them.
Result<RulePtr> encode_rule(const std::string& table, const std::string& chain,
                            const nft::Rule& rule, const SetIds& set_ids, const EncodeOptions& opts,
                            std::vector<uint32_t>* expr_stmts = nullptr);

// A counter (at its kept value, if `kept` has one) or limit object.
ObjPtr encode_object(const std::string& table, const nft::Object& object, const KeptState* kept);

// The set declaration (no elements).
SetPtr encode_set(const std::string& table, const nft::Set& set, uint32_t set_id);

// The elements exactly as nft sends them, in order, each handed to
// `emit` (its views valid during the call): for interval sets the
// interval-end elements (and the leading end element at 0 where the first
// range does not start there); for concatenated intervals KEY and KEY_END.
void for_each_element(const nft::Set& set, const std::function<void(const ElementAttrs&)>& emit);

// The same elements as libnftnl objects.
std::vector<SetElemPtr> encode_elements(const nft::Set& set);

// Appends the whole table (objects, chains, sets, elements, rules; with
// opts.kept, counters at their kept values and the kept elements; without
// the sets and objects of opts.in_place) to
// `batch`, after whatever the caller already put there. A statement that
// cannot be encoded is reported in `diags` at its rule's origin, and
// nothing is appended.
Result<void> encode_table(const nft::Table& table, const EncodeOptions& opts, Batch& batch,
                          Diagnostics& diags);

// Table messages: NEWTABLE with NLM_F_CREATE (no-op when present) and
// DELTABLE (returns its sequence number).
void add_table_msg(Batch& batch, const std::string& name, const nft::Origin& origin);
uint32_t delete_table_msg(Batch& batch, const std::string& name, const nft::Origin& origin);

}  // namespace icmpwall::netlink
