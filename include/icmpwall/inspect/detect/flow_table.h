// SPDX-License-Identifier: GPL-2.0-or-later
// A fixed-capacity hash table with segmented least-recently-used eviction,
// for the per-flow and per-source state of the detectors: state that a
// remote sender can create as many keys for as it has addresses.
//
// Everything is allocated once, in the constructor (table_memory.h: on huge
// pages where the kernel gives them): a pool of `capacity` nodes and a
// bucket array of the next power of two at or above twice the capacity
// (load factor at most 1/2). Each node is linked twice, by 32-bit
// indices: into the chain of its bucket (lookup in O(1) expected) and into
// the LRU list of its segment, most recently used at the head. A lookup
// that finds its key moves the node to the head of its segment.
//
// Two segments share the pool. Every entry starts in the probationary
// segment. The owner promotes an entry that has earned its keep (protect():
// a flow that scored, a source mid-sweep) into the protected segment, which
// holds at most `protected_capacity` entries; promoting into a full
// protected segment demotes its least recently used entry to the head of
// the probationary segment, never drops it. Inserting a new key takes a
// free node while there is one, else the node at the probationary tail
// (the protected tail only when the probationary segment is empty): it is
// unlinked from its bucket, its value is reset, and it is reused for the
// new key. A flood from random sources, one packet each, therefore churns
// the probationary tail and nothing else: an entry in the protected
// segment survives any number of them, and a flood that earns promotion
// too can take at most the protected segment's share of the table. The
// table's memory is the same after a billion packets as after the first.
//
// Buckets are chosen by a keyed hash with a per-table random seed, so a
// sender cannot pick addresses that pile up in one chain. Keys are plain
// structs hashed and compared as bytes: they must have no padding (checked
// at compile time). Their size should be a multiple of 8 and each 8-byte
// word written at once (a load of a word that several smaller stores just
// wrote waits for them: a key is hashed and compared right after it is
// made).
//
// Not thread-safe: the engine's mutex guards every detector, and so every
// table, when several queue workers share one engine (engine.h).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include "icmpwall/inspect/detect/table_memory.h"

namespace icmpwall::inspect {

// A keyed 64-bit hash of `len` bytes (a multiply-xorshift mix, 8 bytes per
// step). Not cryptographic; the seed keeps chains unpredictable to senders.
inline uint64_t hash_bytes(const void* data, size_t len, uint64_t seed) {
  constexpr uint64_t k1 = 0x9e3779b97f4a7c15ull;
  constexpr uint64_t k2 = 0xbf58476d1ce4e5b9ull;
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = seed ^ (len * k1);
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ (w * k2)) * k1;
    h ^= h >> 29;
    p += 8;
    len -= 8;
  }
  uint64_t w = 0;
  if (len > 0) std::memcpy(&w, p, len);
  h = (h ^ (w * k2)) * k1;
  h ^= h >> 32;
  h *= k2;
  h ^= h >> 29;
  return h;
}

// A keyed hash of a table key (a plain struct of at most 64 bytes). Each
// 16 bytes of the key, as two words xored with two secret words, are
// multiplied (64 x 64 -> 128 bits, the halves folded), the products added
// and the sum folded once more. The products do not wait for one another,
// so a 36-byte key costs about what an 8-byte one does (a chain of
// multiplies per word, as hash_bytes makes, is the longest wait of a
// lookup). The secret words come from the table's random seed: a sender
// can neither predict a key's bucket nor cancel a word against a secret.
// Not cryptographic.
class KeyHash {
 public:
  explicit KeyHash(uint64_t seed) {
    for (uint64_t& s : secret_) {
      seed += 0x9e3779b97f4a7c15ull;  // splitmix64
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }

  template <typename Key>
  uint64_t operator()(const Key& key) const {
    static_assert(sizeof(Key) <= 8 * kWords);
    const auto* p = reinterpret_cast<const unsigned char*>(&key);
    uint64_t sum = 0;
#pragma GCC unroll 4
    for (size_t i = 0; i < sizeof(Key); i += 16) {
      sum += fold(word<sizeof(Key)>(p, i) ^ secret_[i / 8],
                  word<sizeof(Key)>(p, i + 8) ^ secret_[i / 8 + 1]);
    }
    return fold(sum ^ secret_[kWords], secret_[kWords + 1]);
  }

 private:
  static constexpr size_t kWords = 8;
  // The 8 bytes of a key of N bytes at `at`, zero past its end.
  template <size_t N>
  static uint64_t word(const unsigned char* p, size_t at) {
    uint64_t w = 0;
    if (at < N) std::memcpy(&w, p + at, std::min<size_t>(8, N - at));
    return w;
  }
  static uint64_t fold(uint64_t a, uint64_t b) {
    const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
  }
  std::array<uint64_t, kWords + 2> secret_{};
};

// Whether two keys' bytes are alike, a word at a time (memcmp of a
// struct's size is a library call).
template <typename Key>
bool same_key(const Key& a, const Key& b) {
  const auto* x = reinterpret_cast<const unsigned char*>(&a);
  const auto* y = reinterpret_cast<const unsigned char*>(&b);
  uint64_t diff = 0;
  size_t i = 0;
  for (; i + 8 <= sizeof(Key); i += 8) {
    uint64_t u;
    uint64_t v;
    std::memcpy(&u, x + i, 8);
    std::memcpy(&v, y + i, 8);
    diff |= u ^ v;
  }
  if constexpr (sizeof(Key) % 8 != 0) {
    uint64_t u = 0;
    uint64_t v = 0;
    std::memcpy(&u, x + i, sizeof(Key) % 8);
    std::memcpy(&v, y + i, sizeof(Key) % 8);
    diff |= u ^ v;
  }
  return diff == 0;
}

inline uint64_t random_seed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

// The protected segment's size for a table of `capacity` entries of which
// `share` (0 to 1) is protected, rounded down.
inline uint32_t protected_entries(uint32_t capacity, double share) {
  return static_cast<uint32_t>(capacity * std::clamp(share, 0.0, 1.0));
}

template <typename Key, typename Value>
class FlowTable {
  static_assert(std::has_unique_object_representations_v<Key>,
                "flow keys are hashed as bytes: no padding allowed");
  static_assert(std::is_trivially_copyable_v<Key>);

 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // `protected_capacity` is capped below the capacity, so that a new key
  // always finds a probationary node to take; 0 makes a plain LRU table.
  explicit FlowTable(uint32_t capacity, uint64_t seed = random_seed(),
                     uint32_t protected_capacity = 0)
      : hash_(seed), nodes_(capacity < 1 ? 1 : capacity) {
    protected_cap_ = std::min<size_t>(protected_capacity, nodes_.size() - 1);
    size_t buckets = std::bit_ceil(size_t{nodes_.size()} * 2);
    buckets_.assign(buckets, kNone);
    mask_ = buckets - 1;
    clear();
  }

  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  FlowTable(FlowTable&&) = default;
  FlowTable& operator=(FlowTable&&) = default;

  // The value for `key`, made most recently used; nullptr if absent.
  Value* find(const Key& key) {
    uint32_t i = lookup(key, bucket_of(key));
    if (i == kNone) return nullptr;
    touch(i);
    return &nodes_[i].value;
  }

  // The keyed hash of `key`, for the overloads that take it: an owner
  // that prefetches and then looks up, or makes another table's key from
  // it, hashes the key once. Reads nothing the table changes.
  uint64_t hash(const Key& key) const { return hash_(key); }

  // Starts loading the bucket of `key` into the cache, for a lookup a
  // little later. Reads nothing the table changes (only its seed, mask and
  // arrays' addresses), so it may run without the owner's lock.
  void prefetch(const Key& key) const { prefetch_hash(hash(key)); }
  void prefetch_hash(uint64_t hash) const { __builtin_prefetch(&buckets_[bucket_of(hash)]); }

  // The value for `key` without changing the LRU order.
  const Value* peek(const Key& key) const {
    uint32_t i = lookup(key, bucket_of(key));
    return i == kNone ? nullptr : &nodes_[i].value;
  }

  struct Slot {
    Value& value;
    bool inserted;  // a new entry, value-initialised (Value{})
    uint32_t node;  // for protect()
  };

  // The value for `key`, inserted if absent (evicting the least recently
  // used entry when full), and made most recently used.
  Slot find_or_insert(const Key& key) { return find_or_insert(key, hash(key)); }
  // The same with the key's hash(), computed before.
  Slot find_or_insert(const Key& key, uint64_t hash) {
    uint32_t b = bucket_of(hash);
    uint32_t i = lookup(key, b);
    if (i != kNone) {
      touch(i);
      return {nodes_[i].value, false, i};
    }
    if (free_ != kNone) {
      i = free_;
      free_ = nodes_[i].chain;
    } else {
      i = lists_[kProbation].tail != kNone ? lists_[kProbation].tail : lists_[kProtected].tail;
      unlink_bucket(i);
      unlink_lru(i);
      --size_;
      ++evictions_;
    }
    Node& n = nodes_[i];
    n.key = key;
    n.value = Value{};
    n.bucket = b;
    n.chain = buckets_[b];
    buckets_[b] = i;
    push_front(i, kProbation);
    ++size_;
    return {n.value, true, i};
  }

  // Moves the entry of `slot` into the protected segment, as its most
  // recently used entry, demoting the protected segment's least recently
  // used entry if it is full. Does nothing when it is protected already
  // or the table has no protected segment. Valid only until the next
  // insertion, which may reuse the node.
  void protect(const Slot& slot) {
    const uint32_t i = slot.node;
    if (protected_cap_ == 0 || nodes_[i].segment == kProtected) return;
    if (lists_[kProtected].size >= protected_cap_) {
      const uint32_t old = lists_[kProtected].tail;
      unlink_lru(old);
      push_front(old, kProbation);
      ++demotions_;
    }
    unlink_lru(i);
    push_front(i, kProtected);
  }

  bool erase(const Key& key) {
    uint32_t i = lookup(key, bucket_of(key));
    if (i == kNone) return false;
    release(i);
    return true;
  }

  // Removes entries from the LRU tails (probationary first, then
  // protected) while `stale(value)` holds, at most `max` of them in all;
  // returns how many. Called per packet with a small `max`, it keeps idle
  // entries from lingering without a sweep over the table.
  template <typename Stale>
  size_t expire(Stale stale, size_t max) {
    size_t n = 0;
    for (List& l : lists_) {
      while (n < max && l.tail != kNone && stale(nodes_[l.tail].value)) {
        release(l.tail);
        ++n;
      }
    }
    return n;
  }

  void clear() {
    std::fill(buckets_.begin(), buckets_.end(), kNone);
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].chain = i + 1 < nodes_.size() ? i + 1 : kNone;
    }
    free_ = 0;
    lists_ = {};
    size_ = 0;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return nodes_.size(); }
  size_t protected_size() const { return lists_[kProtected].size; }
  size_t protected_capacity() const { return protected_cap_; }
  bool is_protected(const Key& key) const {
    uint32_t i = lookup(key, bucket_of(key));
    return i != kNone && nodes_[i].segment == kProtected;
  }
  uint64_t evictions() const { return evictions_; }
  // Protected entries moved back to the probationary segment.
  uint64_t demotions() const { return demotions_; }
  // Bytes held by the table (constant from construction on).
  size_t memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + buckets_.capacity() * sizeof(uint32_t);
  }

 private:
  struct Node {
    Key key{};
    uint32_t chain = kNone;    // next in bucket, or next free
    uint32_t bucket : 31 = 0;  // at most 2^25 buckets
    uint32_t segment : 1 = kProbation;
    uint32_t prev = kNone;  // LRU list of the segment
    uint32_t next = kNone;
    Value value{};
  };

  static constexpr uint8_t kProbation = 0;
  static constexpr uint8_t kProtected = 1;
  struct List {
    uint32_t head = kNone;
    uint32_t tail = kNone;
    size_t size = 0;
  };

  uint32_t bucket_of(const Key& key) const { return bucket_of(hash(key)); }
  uint32_t bucket_of(uint64_t hash) const { return static_cast<uint32_t>(hash & mask_); }

  uint32_t lookup(const Key& key, uint32_t b) const {
    for (uint32_t i = buckets_[b]; i != kNone; i = nodes_[i].chain) {
      if (same_key(nodes_[i].key, key)) return i;
    }
    return kNone;
  }

  void unlink_bucket(uint32_t i) {
    uint32_t* link = &buckets_[nodes_[i].bucket];
    while (*link != i) link = &nodes_[*link].chain;
    *link = nodes_[i].chain;
  }

  void unlink_lru(uint32_t i) {
    Node& n = nodes_[i];
    List& l = lists_[n.segment];
    (n.prev == kNone ? l.head : nodes_[n.prev].next) = n.next;
    (n.next == kNone ? l.tail : nodes_[n.next].prev) = n.prev;
    n.prev = n.next = kNone;
    --l.size;
  }

  void push_front(uint32_t i, uint8_t segment) {
    Node& n = nodes_[i];
    List& l = lists_[segment];
    n.segment = segment;
    n.prev = kNone;
    n.next = l.head;
    if (l.head != kNone) nodes_[l.head].prev = i;
    l.head = i;
    if (l.tail == kNone) l.tail = i;
    ++l.size;
  }

  void touch(uint32_t i) {
    const uint8_t segment = nodes_[i].segment;
    if (lists_[segment].head == i) return;
    unlink_lru(i);
    push_front(i, segment);
  }

  void release(uint32_t i) {
    unlink_bucket(i);
    unlink_lru(i);
    nodes_[i].chain = free_;
    free_ = i;
    --size_;
  }

  KeyHash hash_;
  uint64_t mask_ = 0;
  std::vector<Node, TableAllocator<Node>> nodes_;
  std::vector<uint32_t, TableAllocator<uint32_t>> buckets_;
  size_t protected_cap_ = 0;
  uint32_t free_ = kNone;
  std::array<List, 2> lists_{};  // by segment
  size_t size_ = 0;
  uint64_t evictions_ = 0;
  uint64_t demotions_ = 0;
};

}  // namespace icmpwall::inspect
