// SPDX-License-Identifier: GPL-2.0-or-later
// Crafted-packet probes. See probe.h.
#include "probe.h"

#include <sstream>
#include <stdexcept>

#include "harness.h"

namespace icmpwall::integration {
namespace {

std::vector<int> types_of(const std::string& list) {
  std::vector<int> out;
  std::istringstream in(list);
  std::string entry;
  while (std::getline(in, entry, ',')) {
    if (entry.empty()) continue;
    out.push_back(std::stoi(entry.substr(0, entry.find('/'))));
  }
  return out;
}

}  // namespace

const Seen& ProbeResult::operator[](int type) const {
  auto it = by_type.find(type);
  if (it == by_type.end()) throw std::runtime_error("type " + std::to_string(type) + " not probed");
  return it->second;
}

ProbeResult send_probe(const Observer& obs, const std::string& hook, const Link& link,
                       const Probe& probe) {
  const auto types = types_of(probe.types);
  const auto before = obs.snapshot();
  Argv args{"--src",   probe.src,   "--dst",   probe.dst,
            "--types", probe.types, "--count", std::to_string(probe.count)};
  if (!link.iface.empty()) {
    args.insert(args.end(), {"--iface", link.iface});
    if (!link.next_hop_mac.empty()) args.insert(args.end(), {"--dst-mac", link.next_hop_mac});
  }
  if (probe.family == Family::v6) args.push_back("--v6");
  args.insert(args.end(), probe.extra.begin(), probe.extra.end());

  ProbeResult r;
  r.craft = craft(*link.from, args);
  if (!r.craft.ok()) throw std::runtime_error("craft failed:\n" + r.craft.describe());

  const auto arrived = [&](const Observer::Snapshot& s) {
    for (int t : types)
      if (Observer::delta(before, s, hook, Stage::before, probe.family, t) <
          static_cast<uint64_t>(probe.count))
        return false;
    return true;
  };
  const auto after = obs.wait_for(arrived);
  r.count = static_cast<uint64_t>(probe.count);
  for (int t : types)
    r.by_type[t] = {Observer::delta(before, after, hook, Stage::before, probe.family, t),
                    Observer::delta(before, after, hook, Stage::after, probe.family, t)};
  return r;
}

::testing::AssertionResult passed(const ProbeResult& r, int type) {
  const Seen& s = r[type];
  if (s.before >= r.count && s.after == s.before) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "type " << type << ": expected all " << r.count << " to pass; observer counted "
         << s.before << " before icmpwall and " << s.after << " after";
}

::testing::AssertionResult dropped(const ProbeResult& r, int type) {
  const Seen& s = r[type];
  if (s.before >= r.count && s.before - s.after == r.count) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "type " << type << ": expected all " << r.count << " to be dropped; observer counted "
         << s.before << " before icmpwall and " << s.after << " after";
}

}  // namespace icmpwall::integration
