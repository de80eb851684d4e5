// The distinct fill patterns one source sends one destination, across
// flows: the record behind the tunnel detector's `pattern-variety`.
//
// `ping -p` fills a payload with up to 16 bytes of the user's choosing,
// repeated; the payload is a ping model's fill (a repeat), so it carries
// no information by the content tests, and each `ping -c 1 -p ...` is a
// flow of its own (a new identifier). Sent 24 times with 24 different
// patterns, that is 384 bytes moved past every per-flow test. A person
// tries a pattern or two (`-p ff`, then `-p 00`) besides the default fill;
// a program moving data sends a new one every time. So the record counts
// the distinct patterns (the repeated block, or a ramp's step and start,
// hashed with the fill's kind and period) each (source, destination) pair
// sent within a window; the tunnel detector fires when the count passes
// its limit.
//
// Each pair keeps its last kSlots patterns with the time each was last
// seen (a new pattern replaces the one seen longest ago), in a FlowTable
// allocated once: constant memory, LRU over pairs.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "icmpwall/inspect/finding.h"
#include "icmpwall/inspect/flow_table.h"
#include "icmpwall/inspect/packet.h"

namespace icmpwall::inspect {

class FillPatterns {
 public:
  static constexpr uint32_t kSlots = 8;  // distinct patterns a pair can show at once

  FillPatterns(uint32_t capacity, uint64_t seed);

  // Records that `source` sent `destination` a payload filled with
  // `pattern` at `now`; returns how many distinct patterns the pair sent
  // within `window` before `now`, this one included (at most kSlots).
  uint32_t record(const Address& source, const Address& destination, uint32_t pattern,
                  Clock::time_point now, Clock::duration window);

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
    uint8_t used = 0;
  };
  FlowTable<Key, Record> table_;
};

}  // namespace icmpwall::inspect
