// SPDX-License-Identifier: GPL-2.0-or-later
// Turning a round of decisions into as few verdict messages as is safe.
//
// NFQUEUE takes two verdict messages: NFQNL_MSG_VERDICT for one packet id,
// and NFQNL_MSG_VERDICT_BATCH, which applies one verdict to every packet
// still waiting in the queue whose id is at most N. Ids grow (modulo 2^32)
// in the order the kernel queued the packets, and the kernel handles the
// messages of one datagram in order, so a run of consecutive identical
// decisions can be sent as one batch message for the run's last id: every
// smaller id still waiting is in the run, because everything before the
// run was answered by earlier messages.
//
// A run of one becomes a single verdict. Once the ids stop growing (they
// never should; it would mean a mixed-up round), everything from there on
// is sent as single verdicts, which are always exact.
//
// Example: accept 1..5, drop 6, accept 7..9 gives batch(accept, <=5),
// single(drop, 6), batch(accept, <=9).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "icmpwall/queue/inspector.h"

namespace icmpwall::queue {

struct Decision {
  uint32_t id = 0;
  Verdict verdict = Verdict::accept;
};

struct VerdictMsg {
  uint32_t id = 0;  // the packet id, or for a batch the highest id it covers
  Verdict verdict = Verdict::accept;
  bool batch = false;
  bool operator==(const VerdictMsg&) const = default;
};

// True if id `a` was queued after id `b` (ids wrap at 2^32).
inline bool id_after(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) > 0;
}

// Decisions in the order the packets were received; into `out` (cleared
// first), so a reader that keeps `out` plans without allocating.
void plan_verdicts(std::span<const Decision> decisions, std::vector<VerdictMsg>& out);
inline std::vector<VerdictMsg> plan_verdicts(std::span<const Decision> decisions) {
  std::vector<VerdictMsg> out;
  plan_verdicts(decisions, out);
  return out;
}

// One single verdict per decision, in order (no batching).
std::vector<VerdictMsg> single_verdicts(std::span<const Decision> decisions);

}  // namespace icmpwall::queue
