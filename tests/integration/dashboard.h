// SPDX-License-Identifier: GPL-2.0-or-later
// The metrics side of tests: the families a Prometheus text declares, and
// the metric names the shipped Grafana dashboard
// (packaging/grafana/icmpwall.json) queries, so that tests can check each
// panel against a real scrape.
#pragma once

#include <set>
#include <string>

namespace icmpwall::integration {

// Every metric family `text` declares (its `# TYPE` lines).
std::set<std::string> metric_families(const std::string& text);

// Every icmpwall_* name in the dashboard's queries ("expr", "query").
std::set<std::string> dashboard_metrics();

}  // namespace icmpwall::integration
