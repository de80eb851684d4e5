// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/queue/inspector.h"

namespace icmpwall::queue {

size_t judge_batch(Inspector& inspector, std::span<const QueuedPacket> packets,
                   std::span<Verdict> verdicts, Verdict failed) {
  size_t judged = 0;
  size_t errors = 0;
  while (judged < packets.size()) {
    try {
      inspector.inspect_batch(packets, verdicts, judged);
    } catch (...) {
      // The packet at `judged` threw: it gets the no-worker verdict and
      // the batch goes on after it.
      verdicts[judged++] = failed;
      ++errors;
    }
  }
  return errors;
}

}  // namespace icmpwall::queue
