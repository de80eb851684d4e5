// SPDX-License-Identifier: GPL-2.0-or-later
// Echo requests awaiting their reply: a set-associative cache of fixed
// size, for the tunnel detector's reply matching.
//
// Every request a sender makes up is a new key (its sequence number counts
// up), so this table takes an insertion per request and, under load, an
// eviction per insertion. A FlowTable would pay for its LRU lists there:
// the tail node, its bucket chain and its neighbour are each a cache miss.
// Here a key maps to one set of four entries that share two cache lines;
// insertion fills a free entry of the set or replaces its oldest request,
// lookup and removal read that set and nothing else.
//
// An entry holds no key, only a 64-bit tag: the key's hash under a
// per-table random seed (the set index comes from other bits of the same
// hash). Two keys of one set with the same tag would be taken for each
// other; with a keyed 64-bit hash a sender can neither aim for that nor
// expect it (about 2^-64 per pair of requests).
//
// Capacity is rounded down to a multiple of the set size (at least one
// set). Eviction is the oldest request of the key's set, not of the whole
// table: a flood of new requests pushes out old ones as it would from an
// LRU table, and a sender cannot choose the set its requests land in.
//
// Not thread-safe: one table per detector, guarded by the engine's mutex
// (engine.h).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "icmpwall/inspect/detect/flow_table.h"
#include "icmpwall/inspect/detect/table_memory.h"
#include "icmpwall/inspect/finding.h"

namespace icmpwall::inspect {

template <typename Key>
class RequestTable {
  static_assert(std::has_unique_object_representations_v<Key>,
                "request keys are hashed as bytes: no padding allowed");

 public:
  static constexpr size_t kWays = 4;

  struct Request {
    uint64_t hash = 0;  // the request's payload hash
    uint32_t len = 0;   // and length
    Clock::time_point sent{};
  };

  explicit RequestTable(uint32_t capacity, uint64_t seed = random_seed())
      : hash_(seed), sets_(std::max<size_t>(1, capacity / kWays)) {}

  // Where `key` lives (its set and its tag), from one hash of the key: a
  // caller that prefetches and then inserts or takes hashes it once.
  struct Place {
    size_t set = 0;
    uint64_t tag = 0;
  };
  Place place(const Key& key) const {
    const uint64_t h = hash_of(key);
    return {set_index(h), tag_of(h)};
  }

  // Remembers `request` for `key`, replacing an earlier request of the same
  // key, else taking a free entry of its set, else its oldest request.
  void insert(const Key& key, const Request& request) { insert(place(key), request); }
  void insert(const Place& at, const Request& request) {
    Set& set = sets_[at.set];
    Entry* free = nullptr;
    Entry* oldest = &set.ways[0];
    for (Entry& e : set.ways) {
      if (e.tag == at.tag) {
        e.request = request;
        return;
      }
      if (e.tag == 0) {
        if (free == nullptr) free = &e;
      } else if (e.request.sent < oldest->request.sent) {
        oldest = &e;
      }
    }
    Entry* victim = free;
    if (victim != nullptr) {
      ++size_;
    } else {
      victim = oldest;
      ++evictions_;
    }
    victim->tag = at.tag;
    victim->request = request;
  }

  // Starts loading the set of `at` into the cache, for an insert() or
  // take() a little later (the set is a random place in a table of
  // hundreds of kilobytes: a cache miss per new request otherwise).
  void prefetch(const Place& at) const {
    const Set& set = sets_[at.set];
    __builtin_prefetch(&set, 1);
    __builtin_prefetch(reinterpret_cast<const char*>(&set) + 64, 1);
  }

  // The request of `key`, removed from the table; nullopt if absent.
  std::optional<Request> take(const Key& key) { return take(place(key)); }
  std::optional<Request> take(const Place& at) {
    for (Entry& e : sets_[at.set].ways) {
      if (e.tag == at.tag) {
        e.tag = 0;
        --size_;
        return e.request;
      }
    }
    return std::nullopt;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return sets_.size() * kWays; }
  uint64_t evictions() const { return evictions_; }
  // Bytes held by the table (constant from construction on).
  size_t memory_bytes() const { return sets_.capacity() * sizeof(Set); }

 private:
  struct Entry {
    uint64_t tag = 0;  // 0: free
    Request request;
  };
  struct alignas(64) Set {
    std::array<Entry, kWays> ways{};
  };

  uint64_t hash_of(const Key& key) const { return hash_(key); }
  // Tags are never 0 (a free entry).
  static uint64_t tag_of(uint64_t h) { return h | 1; }
  // The set from the hash's high half (the multiply-shift range reduction,
  // any number of sets).
  size_t set_index(uint64_t h) const { return ((h >> 32) * sets_.size()) >> 32; }

  KeyHash hash_;
  std::vector<Set, TableAllocator<Set>> sets_;
  size_t size_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace icmpwall::inspect
