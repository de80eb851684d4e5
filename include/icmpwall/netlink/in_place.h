// SPDX-License-Identifier: GPL-2.0-or-later
// Sets and objects an apply leaves in place.
//
// A limit keeps its tokens in the kernel's private data: netlink reads and
// writes only its configuration, so a limit object, or a per-source
// element of a dynamic set (`update @S { ip saddr limit rate ... }`),
// created anew starts with a full bucket. Re-creating them at every apply
// or reload gave a flooding source a fresh burst each time.
//
// A replace (replace.h) therefore leaves alone every set and object of the
// live table whose definition the new table repeats exactly: no DELSET or
// DELOBJ, no NEWSET or NEWOBJ, and the elements of such a set never leave
// it. The rules are still all replaced in the same transaction. What is
// compared is what the kernel lists back (set_definition,
// object_definition) against the same description of the new table's
// encoded objects:
// - a set: flags, key and data types and lengths, object type, timeout,
//   gc interval, size, policy, userdata, its own expressions, and every
//   `update`/`add` of a rule that names it (operation, timeout, flags and
//   its expression: a limit's rate, unit, burst, type and flags), since a
//   dynamic set's per-element limit is the rule's; changing the rate
//   changes the set's definition and gives fresh buckets;
// - a limit object: rate, unit, burst, type, flags; a counter object: its
//   name and type only, so a kept counter goes on counting.
// Only sets holding run-time state stay (flagged timeout: the per-source
// limit sets and the blocked sources) and only when the new table gives
// them no elements of its own; every other set is re-created.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/queue_mode.h"

struct nftnl_set;
struct nftnl_obj;
struct nftnl_rule;

namespace icmpwall::netlink {

// A chain of the live table, as a replace needs it.
struct LiveChain {
  std::string name;
  bool base = false;
  uint32_t hook = 0;
  int32_t priority = 0;
  std::string type;  // "filter", "nat", "route"
};

// An object of the live table: its kind and definition.
struct LiveObject {
  std::string name;
  uint32_t type = 0;  // NFT_OBJECT_*
  std::string definition;
};

// The live table's layout: what a replace deletes, and the definitions it
// compares. Anonymous sets go with their rules and are not listed.
struct LiveLayout {
  bool present = false;  // the table exists
  std::vector<LiveChain> chains;
  std::map<std::string, std::string> sets;  // name -> definition
  std::vector<LiveObject> objects;
};

// The layout the kernel lists for `table` once applied (its rules encoded
// with `mode`); a set's definition is empty when a rule cannot be encoded.
LiveLayout layout_of(const nft::Table& table, QueueMode mode);

// Set name -> the descriptions of the rule expressions that add to or
// update it (note_updates of every rule), sorted.
using SetUpdates = std::map<std::string, std::vector<std::string>>;
void note_updates(const nftnl_rule* rule, SetUpdates& out);

std::string set_definition(const nftnl_set* set, const SetUpdates& updates);
std::string object_definition(const nftnl_obj* obj);

// What a replace leaves in place, by name.
struct InPlace {
  std::set<std::string> sets;
  std::set<std::pair<uint32_t, std::string>> objects;  // NFT_OBJECT_*, name
  bool empty() const { return sets.empty() && objects.empty(); }
};

// The sets and objects of `next` whose definition `live` already has.
// Pure: `next` is encoded (with `mode`) to be described; a table that
// cannot be encoded leaves nothing in place.
InPlace plan_in_place(const LiveLayout& live, const nft::Table& next, QueueMode mode);

}  // namespace icmpwall::netlink
