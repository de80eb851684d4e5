// `icmpwall stats`: one read of the daemon's stats socket, printed as the
// JSON document it is or rendered for Prometheus.
#include <iostream>

#include "icmpwall/cli/commands.h"
#include "icmpwall/daemon/stats.h"
#include "icmpwall/daemon/stats_server.h"
#include "icmpwall/util/exit_codes.h"

namespace icmpwall::cli {

int cmd_stats(const StatsOptions& opts) {
  auto doc = daemon::read_stats(opts.socket);
  if (!doc) {
    std::cerr << "icmpwall stats: " << doc.error().message << "\n";
    return kKernel;
  }
  auto j = nlohmann::json::parse(*doc, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    std::cerr << "icmpwall stats: " << opts.socket << " did not answer with a JSON document\n";
    return kKernel;
  }
  if (opts.prometheus)
    std::cout << daemon::render_prometheus(j);
  else
    std::cout << j.dump(2) << "\n";
  return kOk;
}

}  // namespace icmpwall::cli
