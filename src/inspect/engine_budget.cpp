// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/inspect/engine_budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>

#include "icmpwall/inspect/detect/sweep.h"
#include "icmpwall/inspect/detect/tunnel.h"
#include "icmpwall/inspect/engine_config.h"
#include "icmpwall/util/file.h"

namespace icmpwall::inspect {
namespace {

constexpr uint32_t kRequestWays = RequestTable<TunnelDetector::PendingKey>::kWays;

// One table: its setting and the bytes one more entry costs.
struct Table {
  const char* section;
  const char* key;
  uint32_t (*capacity)(const EngineConfig&);
  size_t entry;          // node plus bucket share, for a table of 2 entries
  uint32_t minimum = 1;  // entries a table holds at least (a set of the request table)
};

// A table of c entries holds c nodes and bit_ceil(2c) 4-byte buckets:
// memory_bytes(2) - memory_bytes(1) is one node and 8 bytes of buckets,
// and c nodes with at most 4c buckets take at most c * (that + 8).
size_t tunnel_bytes(uint32_t flows, uint32_t pending, uint32_t pairs) {
  TunnelConfig c;
  c.max_flows = flows;
  c.max_pending_requests = pending;
  c.max_pattern_pairs = pairs;
  return TunnelDetector(c, 1).memory_bytes();
}

size_t sweep_bytes(uint32_t sources) {
  SweepConfig c;
  c.max_sources = sources;
  return SweepDetector(c, 1).memory_bytes();
}

const std::array<Table, 4>& tables() {
  static const std::array<Table, 4> t = {
      Table{"tunnel", "max-flows", [](const EngineConfig& c) { return c.tunnel.max_flows; },
            tunnel_bytes(2, 1, 1) - tunnel_bytes(1, 1, 1) + 8},
      // Whole sets of RequestTable::kWays entries, no buckets: one set's
      // bytes per kWays entries, at least one set.
      Table{
          "tunnel", "max-pending-requests",
          [](const EngineConfig& c) { return c.tunnel.max_pending_requests; },
          (tunnel_bytes(1, 2 * kRequestWays, 1) - tunnel_bytes(1, kRequestWays, 1)) / kRequestWays,
          kRequestWays},
      Table{"tunnel", "max-pattern-pairs",
            [](const EngineConfig& c) { return c.tunnel.max_pattern_pairs; },
            tunnel_bytes(1, 1, 2) - tunnel_bytes(1, 1, 1) + 8},
      Table{"sweep", "max-sources", [](const EngineConfig& c) { return c.sweep.max_sources; },
            sweep_bytes(2) - sweep_bytes(1) + 8},
  };
  return t;
}

uint64_t table_bytes(const Table& t, const EngineConfig& c) {
  return uint64_t{std::max(t.capacity(c), t.minimum)} * t.entry;
}

}  // namespace

uint64_t engine_table_bytes(const EngineConfig& config) {
  uint64_t total = 0;
  for (const auto& t : tables()) total += table_bytes(t, config);
  return total;
}

std::optional<EngineConfig> engine_settings(const policy::Policy& policy, Diagnostics& diags) {
  const SourceLoc file{policy.source, 0, 0};
  auto config = engine_config(policy);
  if (!config) {
    diags.error(file, config.error().message);
    return std::nullopt;
  }
  const uint64_t total = engine_table_bytes(*config);
  if (total <= kEngineTableBudget) return *config;
  // At the largest table the policy sizes; every table's share in the message.
  SourceLoc at = file;
  uint64_t largest = 0;
  std::string shares;
  for (const auto& t : tables()) {
    const uint64_t bytes = table_bytes(t, *config);
    shares += fmt::format("{}{} {} ({} entries of {} bytes)", shares.empty() ? "" : ", ", t.key,
                          format_bytes(bytes), t.capacity(*config), t.entry);
    const auto* given = policy.inspect.find(t.section, t.key);
    if (given && bytes > largest) largest = bytes, at = given->loc;
  }
  diags.error(at,
              fmt::format("the detectors' tables would take {} MiB, over the budget of {}: {}",
                          (total + (1 << 20) - 1) >> 20, format_bytes(kEngineTableBudget), shares),
              "lower max-flows, max-pending-requests, max-pattern-pairs or max-sources; the "
              "defaults take about 40 MiB");
  return std::nullopt;
}

}  // namespace icmpwall::inspect
