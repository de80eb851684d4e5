// SPDX-License-Identifier: GPL-2.0-or-later
// Crafted-packet probes: send N packets of each of a list of ICMP types
// over one link and report, per type, how many the observer counted before
// and after icmpwall's chains on one hook. A probe waits (bounded) until
// every packet has been counted `before`, so an `after` of zero means
// "dropped", never "not there yet".
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "counters.h"
#include "netns.h"

namespace icmpwall::integration {

// Where crafted frames leave: an interface of `from`, to the MAC of the
// next hop on that link. Without an interface, packets go through the IP
// stack of `from` (routing, its output hook).
struct Link {
  const Netns* from;
  std::string iface;
  std::string next_hop_mac;
};

struct Probe {
  Family family = Family::v4;
  std::string src;
  std::string dst;
  std::string types;  // craft.py --types: "5/1,13,200"; each type at most once
  int count = 3;
  Argv extra;  // more craft.py options (--hlim, --gw, ...)
};

struct Seen {
  uint64_t before = 0;
  uint64_t after = 0;
};

struct ProbeResult {
  std::map<int, Seen> by_type;
  uint64_t count = 0;  // packets sent per type
  CommandResult craft;
  const Seen& operator[](int type) const;
};

ProbeResult send_probe(const Observer& obs, const std::string& hook, const Link& link,
                       const Probe& probe);

// Every probed packet of `type` got past icmpwall (and nothing of that
// type was dropped meanwhile).
::testing::AssertionResult passed(const ProbeResult& r, int type);
// Exactly the probed packets of `type` were dropped (others of that type,
// sent by the kernels themselves, may have passed).
::testing::AssertionResult dropped(const ProbeResult& r, int type);

}  // namespace icmpwall::integration
