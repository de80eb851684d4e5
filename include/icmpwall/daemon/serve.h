// `icmpwall daemon`: keep a policy applied and answer its `inspect` rules.
//
// serve() applies the compiled table, starts one queue worker per queue
// the policy's inspect rules use (all sharing one inspection engine),
// writes one JSON line per detection, blocks sources in the kernel where
// a detection says so, and runs until SIGINT or SIGTERM. Then it stops the
// workers (the kernel applies each rule's no-worker behaviour again) and
// prints the counters as one JSON line.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/inspect/engine.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::daemon {

struct ServeOptions {
  std::string netns;                             // run inside this namespace
  std::optional<netlink::QueueMode> queue_mode;  // force; default: probe
  uint32_t copy_range = 1500;                    // bytes of each packet inspected
  bool flush_on_exit = false;                    // remove the table on stop
  inspect::EngineConfig engine;                  // detector thresholds
};

// Returns an exit code (util/exit_codes.h). Events go to `events`, status
// and errors to `log`.
int serve(const policy::Policy& policy, const nft::Table& table, const ServeOptions& options,
          std::ostream& events, std::ostream& log);

}  // namespace icmpwall::daemon
