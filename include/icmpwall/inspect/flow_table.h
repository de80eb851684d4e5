// A fixed-capacity hash table with least-recently-used eviction, for the
// per-flow and per-source state of the detectors: state that a remote
// sender can create as many keys for as it has addresses.
//
// Everything is allocated once, in the constructor: a pool of `capacity`
// nodes and a bucket array of the next power of two at or above twice the
// capacity (load factor at most 1/2). Each node is linked twice, by 32-bit
// indices: into the chain of its bucket (lookup in O(1) expected) and into
// one LRU list, most recently used at the head. A lookup that finds its key
// moves the node to the head. Inserting a new key takes a free node while
// there is one, else the node at the LRU tail: it is unlinked from its
// bucket, its value is reset, and it is reused for the new key. A flood
// from random sources therefore churns the tail and nothing else; the
// table's memory is the same after a billion packets as after the first.
//
// Buckets are chosen by a keyed hash with a per-table random seed, so a
// sender cannot pick addresses that pile up in one chain. Keys are plain
// structs hashed and compared as bytes: they must have no padding (checked
// at compile time).
//
// Not thread-safe: each detector, and so each table, belongs to one worker
// thread.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

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

inline uint64_t random_seed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

template <typename Key, typename Value>
class FlowTable {
  static_assert(std::has_unique_object_representations_v<Key>,
                "flow keys are hashed as bytes: no padding allowed");
  static_assert(std::is_trivially_copyable_v<Key>);

 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit FlowTable(uint32_t capacity, uint64_t seed = random_seed())
      : seed_(seed), nodes_(capacity < 1 ? 1 : capacity) {
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

  // The value for `key` without changing the LRU order.
  const Value* peek(const Key& key) const {
    uint32_t i = lookup(key, bucket_of(key));
    return i == kNone ? nullptr : &nodes_[i].value;
  }

  struct Slot {
    Value& value;
    bool inserted;  // a new entry, value-initialised (Value{})
  };

  // The value for `key`, inserted if absent (evicting the least recently
  // used entry when full), and made most recently used.
  Slot find_or_insert(const Key& key) {
    uint32_t b = bucket_of(key);
    uint32_t i = lookup(key, b);
    if (i != kNone) {
      touch(i);
      return {nodes_[i].value, false};
    }
    if (free_ != kNone) {
      i = free_;
      free_ = nodes_[i].chain;
    } else {
      i = tail_;
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
    push_front(i);
    ++size_;
    return {n.value, true};
  }

  bool erase(const Key& key) {
    uint32_t i = lookup(key, bucket_of(key));
    if (i == kNone) return false;
    release(i);
    return true;
  }

  // Removes entries from the LRU tail while `stale(value)` holds, at most
  // `max` of them; returns how many. Called per packet with a small `max`,
  // it keeps idle entries from lingering without a sweep over the table.
  template <typename Stale>
  size_t expire(Stale stale, size_t max) {
    size_t n = 0;
    while (n < max && tail_ != kNone && stale(nodes_[tail_].value)) {
      release(tail_);
      ++n;
    }
    return n;
  }

  void clear() {
    std::fill(buckets_.begin(), buckets_.end(), kNone);
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].chain = i + 1 < nodes_.size() ? i + 1 : kNone;
    }
    free_ = 0;
    head_ = tail_ = kNone;
    size_ = 0;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return nodes_.size(); }
  uint64_t evictions() const { return evictions_; }
  // Bytes held by the table (constant from construction on).
  size_t memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + buckets_.capacity() * sizeof(uint32_t);
  }

 private:
  struct Node {
    Key key{};
    uint32_t chain = kNone;  // next in bucket, or next free
    uint32_t bucket = 0;
    uint32_t prev = kNone;  // LRU list
    uint32_t next = kNone;
    Value value{};
  };

  uint32_t bucket_of(const Key& key) const {
    return static_cast<uint32_t>(hash_bytes(&key, sizeof(Key), seed_) & mask_);
  }

  uint32_t lookup(const Key& key, uint32_t b) const {
    for (uint32_t i = buckets_[b]; i != kNone; i = nodes_[i].chain) {
      if (std::memcmp(&nodes_[i].key, &key, sizeof(Key)) == 0) return i;
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
    (n.prev == kNone ? head_ : nodes_[n.prev].next) = n.next;
    (n.next == kNone ? tail_ : nodes_[n.next].prev) = n.prev;
    n.prev = n.next = kNone;
  }

  void push_front(uint32_t i) {
    Node& n = nodes_[i];
    n.prev = kNone;
    n.next = head_;
    if (head_ != kNone) nodes_[head_].prev = i;
    head_ = i;
    if (tail_ == kNone) tail_ = i;
  }

  void touch(uint32_t i) {
    if (head_ == i) return;
    unlink_lru(i);
    push_front(i);
  }

  void release(uint32_t i) {
    unlink_bucket(i);
    unlink_lru(i);
    nodes_[i].chain = free_;
    free_ = i;
    --size_;
  }

  uint64_t seed_;
  uint64_t mask_ = 0;
  std::vector<Node> nodes_;
  std::vector<uint32_t> buckets_;
  uint32_t free_ = kNone;
  uint32_t head_ = kNone;
  uint32_t tail_ = kNone;
  size_t size_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace icmpwall::inspect
