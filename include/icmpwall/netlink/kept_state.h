// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel state an apply or reload keeps: the values of the named
// counters and the elements of the sets the daemon fills at run time (the
// blocked sources), read from the live table just before the batch and
// written into the new table's objects and sets inside the same batch.
//
// What is kept (plan_kept_state):
// - a counter object whose name the new table still declares gets the
//   live packets and bytes as its initial value; a counter the new table
//   no longer has is gone with its rule;
// - the elements of a live set flagged `timeout` but not `dynamic` (the
//   blocked-source sets: the daemon adds their elements, the policy none)
//   go into the new table's set of the same name when that set has the
//   same key type, key length and flags; each element keeps its own
//   timeout and the time it had left (NFTA_SET_ELEM_TIMEOUT and
//   NFTA_SET_ELEM_EXPIRATION), so a block still ends when it would have.
//   An element with no time left is not carried.
//
// Token buckets of limits cannot be read or written over netlink (a
// limit's tokens live in the kernel's private data), so they are not
// carried: a replace leaves the limit objects and per-source sets whose
// definition stays in place instead (in_place.h), and with them their
// buckets, the counters' values and the blocked sets' elements. What a
// replace re-creates gets the values planned here.
//
// The read happens outside the transaction: what the kernel counts or
// blocks between the read and the commit (a few milliseconds) is not
// carried.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/in_place.h"
#include "icmpwall/netlink/set_elements.h"
#include "icmpwall/util/result.h"

struct nftnl_set_elem;

namespace icmpwall::netlink {

struct CounterValue {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  bool operator==(const CounterValue&) const = default;
};

// One element as the kernel lists it.
struct LiveElement {
  std::vector<uint8_t> key;
  uint32_t flags = 0;                     // NFT_SET_ELEM_INTERVAL_END
  std::optional<uint64_t> timeout_ms;     // absent: the set's own timeout
  std::optional<uint64_t> expiration_ms;  // time left; absent: never expires
};

// A set of the live table whose elements may carry over, as declared in
// the kernel.
struct LiveSet {
  std::string name;
  uint32_t flags = 0;  // NFT_SET_*
  uint32_t key_type = 0;
  uint32_t key_len = 0;
  uint64_t timeout_ms = 0;  // the set's default element timeout
  std::vector<LiveElement> elements;
};

// What the live table holds that an apply may keep.
struct LiveState {
  std::map<std::string, CounterValue> counters;  // counter objects by name
  std::vector<LiveSet> sets;                     // sets flagged timeout, not dynamic
  LiveLayout layout;                             // every chain, set and object
};

// One element of a GETSETELEM answer, as libnftnl parsed it.
LiveElement live_element(nftnl_set_elem* e);

// True for the live sets whose elements are run-time state to carry.
bool carries_elements(uint32_t set_flags);

// Reads the objects, rules (for the sets they update), sets and chains of
// table inet <table> and the carried sets' elements. An absent table is an
// empty state. Bounded: at most kMaxLiveObjects objects, rules, sets and
// chains and kMaxLiveElements elements per set, each
// read with a timeout; more is an Error (the caller applies anyway).
inline constexpr size_t kMaxLiveObjects = 1 << 16;
inline constexpr size_t kMaxLiveElements = 1 << 18;
Result<LiveState> read_live_state(const std::string& table);

// What goes into the new table, and what was dropped.
struct KeptState {
  std::map<std::string, CounterValue> counters;               // by the new table's counter names
  std::map<std::string, std::vector<TimedElement>> elements;  // by the new table's set names
  // Sets whose elements could not be kept, with why ("set X: key type
  // changed, 3 element(s) not kept").
  std::vector<std::string> dropped;
  // What a replace leaves in place (the counters and elements above
  // include theirs: a whole-table replace writes them).
  InPlace in_place;
  size_t element_count() const;
  bool empty() const { return counters.empty() && elements.empty(); }
};

// Matches `live` against `next`; `now`-free: expirations are the time left
// as the kernel listed it.
KeptState plan_kept_state(const LiveState& live, const nft::Table& next);

}  // namespace icmpwall::netlink
