// SPDX-License-Identifier: GPL-2.0-or-later
// How far a detector may act on what it finds, as the policy says: only
// log, drop the packet, or also block the source for a while. A detector
// decides the outcome its evidence supports and caps it here.
#pragma once

#include <cstdint>

#include "icmpwall/inspect/finding.h"

namespace icmpwall::inspect {

enum class Enforce : uint8_t {
  log,    // detections pass and are logged
  drop,   // detected packets are dropped; nobody is blocked
  block,  // detected packets are dropped and, where the evidence says so, the source blocked
};

inline Outcome cap(Outcome o, Enforce e) {
  if (o == Outcome::pass) return o;
  switch (e) {
    case Enforce::log: return Outcome::log;
    case Enforce::drop: return o == Outcome::block ? Outcome::drop : o;
    case Enforce::block: return o;
  }
  return o;
}

}  // namespace icmpwall::inspect
