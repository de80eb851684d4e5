// SPDX-License-Identifier: GPL-2.0-or-later
// What one source sent one destination across flows: the record behind
// the tunnel detector's `pattern-variety`, and its variation across flows.
//
// Fill patterns. `ping -p` fills a payload with up to 16 bytes of the
// user's choosing, repeated; the payload is a ping model's fill (a
// repeat), so it carries no information by the content tests, and each
// `ping -c 1 -p ...` is a flow of its own (a new identifier). Sent 24
// times with 24 different patterns, that is 384 bytes moved past every
// per-flow test. A person tries a pattern or two (`-p ff`, then `-p 00`)
// besides the default fill; a program moving data sends a new one every
// time. So the record counts the distinct patterns (the repeated block,
// hashed with its period) each (source, destination) pair sent within a
// window; the default fills nobody chooses (counting bytes, zeros) are not
// recorded. Each pair keeps its
// last kSlots patterns with the time each was last seen (a new pattern
// replaces the one seen longest ago).
//
// Content across flows. A tunnel that takes a new identifier every packet
// or two never shows a flow's variation. So the record also keeps the
// fingerprints of the last kRecent payloads the pair sent that no model
// explains, and a bit per payload after the first: whether it was new
// (none of those fingerprints). A payload whose predecessor is older than
// the horizon starts the history afresh. Novelty, not change, counts: two
// tools each sending their fixed string (oping's, the blackbox
// exporter's) alternate without being new.
//
// A FlowTable allocated once: constant memory, LRU over pairs.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/detect/flow_table.h"
#include "icmpwall/inspect/finding.h"

namespace icmpwall::inspect {

class PairHistory {
 public:
  static constexpr uint32_t kSlots = 8;   // distinct patterns a pair can show at once
  static constexpr uint32_t kRecent = 4;  // payload fingerprints remembered per pair

  PairHistory(uint32_t capacity, uint64_t seed);

  // Records that `source` sent `destination` a payload filled with
  // `pattern` at `now`; returns how many distinct patterns the pair sent
  // within `window` before `now`, this one included (at most kSlots).
  uint32_t record_pattern(const Address& source, const Address& destination, uint32_t pattern,
                          Clock::time_point now, Clock::duration window);

  // Records an unexplained payload (its fingerprint) from `source` to
  // `destination`; returns the pair's novelty history: bit i set when the
  // payload i packets ago was new, `count` the packets it covers (at most
  // 8; 0 for the first payload within `horizon`).
  struct Novelty {
    uint8_t bits = 0;
    uint8_t count = 0;
  };
  Novelty record_content(const Address& source, const Address& destination, uint32_t fingerprint,
                         Clock::time_point now, Clock::duration horizon);

  size_t pairs() const { return table_.size(); }
  size_t memory_bytes() const { return table_.memory_bytes(); }

  struct Key {
    std::array<uint8_t, 16> source;
    std::array<uint8_t, 16> destination;
    uint8_t family;
  };

 private:
  struct Record {
    std::array<uint32_t, kSlots> pattern{};
    std::array<Clock::time_point, kSlots> seen{};
    std::array<uint32_t, kRecent> recent{};  // content fingerprints, round robin
    Clock::time_point content_seen{};
    Novelty novelty;
    uint8_t used = 0;
    uint8_t recent_used = 0;
    uint8_t recent_next = 0;
  };
  Record& find(const Address& source, const Address& destination);

  FlowTable<Key, Record> table_;
};

}  // namespace icmpwall::inspect
