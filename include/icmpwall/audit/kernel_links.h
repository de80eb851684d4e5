// SPDX-License-Identifier: GPL-2.0-or-later
// The state of the namespace's links right now, for
// ignore_routes_with_linkdown (kernel_sysctl.h): an interface that is up
// but has no carrier keeps its routes, marked "linkdown", and the kernel
// skips them only where that sysctl is on; an interface set down loses its
// routes whatever the sysctl says.
//
// Read over rtnetlink (one RTM_GETLINK dump) in the calling thread's
// network namespace: /sys/class/net shows the namespace sysfs was mounted
// in, not the thread's, so it would show another namespace's links after
// EnterNetns. Bounded: at most kMaxInterfaces links, each read waiting at
// most a second. What cannot be read is said (`problem`), never a failure.
#pragma once

#include <linux/netlink.h>

#include <optional>
#include <string>
#include <vector>

namespace icmpwall::audit {

struct LinkState {
  std::string name;
  bool up = false;        // IFF_UP: set up by the administrator
  bool carrier = false;   // IFF_LOWER_UP: the link below has a carrier
  std::string operstate;  // RFC 2863: "up", "down", "lowerlayerdown", "unknown", ...
  // Up without a carrier: its routes stay, marked linkdown.
  bool link_down() const { return up && !carrier; }
  // "up, no carrier (operstate down)"
  std::string describe() const;
};

struct Links {
  bool read = false;             // false: not read (a fake tree) or the dump failed
  std::string problem;           // why not, or that the list was cut short
  std::vector<LinkState> links;  // in the kernel's order (ifindex)
  const LinkState* find(const std::string& name) const;
};

// One RTM_NEWLINK message (none: not one, or without a name).
std::optional<LinkState> parse_link(const nlmsghdr* nlh);

// Every link of the calling thread's network namespace.
Links read_links();

}  // namespace icmpwall::audit
