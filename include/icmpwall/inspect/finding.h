// SPDX-License-Identifier: GPL-2.0-or-later
// What a detector says about one packet. Detectors (tunnel, sweep,
// redirect, forged error) each look at a decoded packet and return a
// Finding; the inspection engine combines them into the packet's verdict,
// counts them per reason, logs one JSON event per detection, and asks the
// kernel to block the source for a while where the finding says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "icmpwall/inspect/decode/packet.h"

namespace icmpwall::inspect {

using Clock = std::chrono::steady_clock;

// What to do with the packet (and, for block, its source).
enum class Outcome : uint8_t {
  pass,   // nothing wrong seen
  log,    // let the packet through, but log the detection (policy: log only)
  drop,   // drop this packet
  block,  // drop it and block its source in the kernel for block_for
};
const char* to_string(Outcome o);  // "pass" / "log" / "drop" / "block"

// One signal that contributed, e.g. {"entropy", 7.6, 7.0}.
struct Signal {
  std::string name;      // stable identifier, used in logs and counters
  double value = 0;      // what was measured
  double threshold = 0;  // what the policy allows
};

struct Finding {
  // User-provided, so that `Finding{}` (every passing packet's, several
  // times per packet) initialises the members below instead of zeroing
  // the whole struct first (a `rep stos`, slow to start) and then
  // initialising them.
  Finding() {}

  Outcome outcome = Outcome::pass;
  std::string reason;  // stable detection reason: "tunnel", "sweep", "redirect-not-gateway", ...
  double score = 0;    // detector-specific; 0 when pass
  std::vector<Signal> signals;  // why
  std::chrono::seconds block_for{
      0};  // for Outcome::block: the packet's IP source, never another address
  // The source prefix the detector grouped its evidence by (a sweep from
  // an IPv6 /64), for the event; 0: the source address alone. The block
  // still names the packet's source (engine.h).
  uint8_t subject_prefix = 0;

  bool detected() const { return outcome != Outcome::pass; }
};

}  // namespace icmpwall::inspect
