// SPDX-License-Identifier: GPL-2.0-or-later
// Ping sweep detection: one source sending queries (echo, timestamp,
// address mask, information; ICMPv6 echo, node information) to many
// distinct destinations within a window, the probing that maps a network.
//
// Sources are grouped by prefix (IPv4 /32 and IPv6 /64 by default: one
// IPv6 host owns a whole /64 and can pick a new source address per probe).
// For each source the detector keeps, in constant space:
//
//   * the distinct destinations of the sliding window, as two 512-bit
//     linear-counting bitmaps, one per half window (the older one is
//     dropped as each half ends, so the union covers between one half and
//     one whole window). The number of distinct destinations is estimated
//     from the zero bits of the union, n = m ln(m / zeros): within about
//     one destination up to 64 and a few percent up to 256 (the largest
//     max_destinations allowed).
//   * the run of new destinations that rose in address order, each within
//     sequence_max_gap of the one before: the mark of a sequential sweep
//     (nmap -sn, fping -g, a shell loop over a /24). A host pinged again
//     and again is one destination and never a run.
//
// A source reaching max_destinations, or a rising run of sequence_run, is
// blocked for block_for (capped by `enforce`); its packets until then are
// dropped without a second block. Sources live in a FlowTable of
// max_sources entries (about 210 bytes each), allocated at construction,
// sources mid-sweep in its protected share (SweepConfig::protected_share).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "icmpwall/inspect/counters.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/detect/flow_table.h"
#include "icmpwall/inspect/enforcement.h"
#include "icmpwall/inspect/finding.h"
#include "icmpwall/util/result.h"

namespace icmpwall::inspect {

enum class SweepSignal : uint8_t {
  destinations,     // distinct destinations in the window
  rising_sequence,  // a run of new destinations in rising address order
  blocked,          // the source was blocked earlier and is still sending
};
inline constexpr size_t kSweepSignalCount = 3;
const char* to_string(SweepSignal s);

struct SweepConfig {
  // Distinct destinations one source may query within the window. A host
  // pinging its gateway, DNS and a few servers stays under ten; a
  // monitoring system pinging many hosts should be exempted by scope.
  std::chrono::seconds window{30};
  uint32_t max_destinations = 32;
  // A run this long of new destinations, each above the one before by at
  // most sequence_max_gap addresses, is a sequential sweep even below
  // max_destinations.
  uint32_t sequence_run = 16;
  uint32_t sequence_max_gap = 8;
  // Sources are grouped by these prefix lengths.
  uint8_t ipv4_prefix = 32;
  uint8_t ipv6_prefix = 64;
  // Sources tracked at once (LRU beyond).
  uint32_t max_sources = 65536;
  // Share of max_sources kept for sources mid-sweep: a source is promoted
  // once it has queried a second distinct destination within the window
  // (or was blocked). Such sources are evicted only by one another, least
  // recently used first, so a flood of one-packet spoofed sources cannot
  // flush a sweep in progress (see flow_table.h); a flood of sources with
  // two destinations each takes at most this share. 0 makes the table a
  // plain LRU.
  double protected_share = 0.25;
  std::chrono::seconds block_for{600};
  Enforce enforce = Enforce::block;
};

Result<void> validate(const SweepConfig& config);

using SweepCounters = DetectionCounters<SweepSignal, kSweepSignalCount>;

class SweepDetector {
 public:
  explicit SweepDetector(const SweepConfig& config, uint64_t seed = random_seed());

  // Inspects one decoded packet seen at `now` (non-decreasing). Packets
  // that are not query requests pass untouched.
  Finding inspect(const Packet& packet, Clock::time_point now);
  // Starts loading the bucket of the packet's source; changes nothing.
  void prefetch(const Packet& packet) const;

  const SweepConfig& config() const { return config_; }
  const SweepCounters& counters() const { return counters_; }
  size_t sources() const { return sources_.size(); }
  size_t protected_sources() const { return sources_.protected_size(); }
  size_t memory_bytes() const { return sources_.memory_bytes(); }

  // The source's prefix (its address's bytes, masked) as two words, and
  // its family: each word written at once (flow_table.h).
  struct SourceKey {
    std::array<uint64_t, 2> prefix;
    uint64_t family;
  };

 private:
  static constexpr size_t kBitmapWords = 8;  // 512 bits
  using Bitmap = std::array<uint64_t, kBitmapWords>;
  struct Source {
    Clock::time_point half_start{};
    Clock::time_point blocked_until{};
    Bitmap current{};
    Bitmap previous{};
    uint64_t last_destination = 0;
    uint32_t run = 0;
    uint16_t ones = 0;  // bits set in current | previous, kept as they change
    bool started = false;
  };

  // The prefix length sources of `source`'s family are grouped by, and
  // the key of `source`'s group.
  uint8_t prefix_of(const Address& source) const;
  SourceKey key_of(const Address& source) const;

  SweepConfig config_;
  std::array<std::array<uint64_t, 2>, 2> prefix_mask_;  // by family: IPv4, IPv6
  uint64_t seed_;
  uint32_t many_ones_;  // fewest set bits whose estimate reaches max_destinations
  FlowTable<SourceKey, Source> sources_;
  SweepCounters counters_;
};

}  // namespace icmpwall::inspect
