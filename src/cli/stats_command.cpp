// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall stats`: one read of the daemon's stats socket, printed as the
// JSON document it is or rendered for Prometheus.
#include <iostream>

#include "icmpwall/cli/commands.h"
#include "icmpwall/daemon/stats.h"
#include "icmpwall/daemon/stats_server.h"
#include "icmpwall/util/exit_codes.h"
#include "icmpwall/util/json_text.h"

namespace icmpwall::cli {

int cmd_stats(const StatsOptions& opts) {
  auto answer = daemon::read_stats(opts.socket);
  if (!answer) {
    std::cerr << "icmpwall stats: " << answer.error().message << "\n";
    return kKernel;
  }
  auto j = nlohmann::json::parse(answer->document, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    std::cerr << "icmpwall stats: " << opts.socket << " did not answer with a JSON document\n";
    return kKernel;
  }
  try {
    if (opts.prometheus)
      std::cout << daemon::render_prometheus(j);
    else
      std::cout << json_text(j, 2) << "\n";
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "icmpwall stats: " << opts.socket << " answered with something else than a stats "
              << "document (" << e.what() << ")\n";
    return kKernel;
  }
  return kOk;
}

}  // namespace icmpwall::cli
