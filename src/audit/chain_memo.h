// SPDX-License-Identifier: GPL-2.0-or-later
// What one walk (one world) remembers about the chains it entered, so a
// chain reached again the same way is not walked again.
//
// In one world every open condition has one answer, so a regular chain
// entered twice from the same state does the same both times. A walk
// notes each chain it entered that returned to its caller (its end, or a
// return); reaching it again from the same state it returns again, at
// once. Without this a DAG of chains, each jumping to the next from
// several rules, costs a walk (rules per chain)^(layers) steps.
//
// The state is the register file at the jump, unless the chain cannot see
// it: a chain is independent of its entry registers when each of its
// rules reads only registers that rule wrote first, and every chain it
// jumps or goes to is independent too. nft's rules always load before
// they compare, so almost every chain is; for one that is not, the
// registers are part of the key.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "icmpwall/audit/ruleset.h"

namespace icmpwall::audit {

// Per ruleset (shared by the walks of a packet): is a chain independent
// of the registers it is entered with?
class RegisterIndependence {
 public:
  bool independent(const Table& t, const Chain& c);

 private:
  enum class State : uint8_t { visiting, yes, no };
  std::unordered_map<const Chain*, State> state_;
};

// Does `r` read a register byte it did not write first? (`t` for the key
// lengths of the sets it looks up.)
bool reads_entry_registers(const Table& t, const Rule& r);

// The chains one world entered that returned, keyed by chain, hook and,
// for a chain that depends on them, a digest and copy of the registers.
class ReturnedChains {
 public:
  struct Key {
    const Chain* chain = nullptr;
    uint32_t stage = 0;
    std::vector<uint64_t> regs;  // empty: the chain does not see them
    bool operator==(const Key&) const = default;
  };
  void add(Key k) { keys_.insert(std::move(k)); }
  bool contains(const Key& k) const { return keys_.count(k) != 0; }

 private:
  struct Hash {
    size_t operator()(const Key& k) const {
      size_t h = std::hash<const void*>()(k.chain) ^ (size_t{k.stage} << 3);
      for (uint64_t x : k.regs) h = h * 1099511628211ull ^ x;
      return h;
    }
  };
  std::unordered_set<Key, Hash> keys_;
};

}  // namespace icmpwall::audit
