// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's own ICMP settings: the sysctls that decide what happens to
// an ICMP packet after the firewall has accepted it, read from a /proc/sys
// tree, and the kernel's rules for combining the per-interface ones.
//
// /proc/sys/net shows the network namespace of the thread that looks a
// file up: read_sysctls("/proc/sys") after EnterNetns reads the namespace
// audited. Tests give the root of a fake tree instead.
//
// Every read is bounded (kMaxSysctlBytes); a file that is missing is
// "not present" (the kernel is older or built without it), one that cannot
// be read or holds anything but a number (a list of numbers and ranges for
// net.ipv6.icmp.ratemask) is "unreadable", with its path and why. Nothing
// here fails: what could not be read is reported as such.
//
// The per-interface rules are the kernel's (include/linux/inetdevice.h,
// net/ipv6): for an IPv4 interface, all.X and IF.X combine as
//   accept_redirects   IF.forwarding ? all && IF : all || IF
//   secure_redirects   all || IF
//   shared_media       all || IF
//   rp_filter          max(all, IF)
//   forwarding         IF (writing all.forwarding sets every interface's)
//   ignore_routes_with_linkdown   all || IF, IF being the route's interface
// and for IPv6 only the interface's own value counts:
//   accept_redirects   IF.accept_redirects && !IF.forwarding
//   accept_ra          IF.forwarding ? IF.accept_ra == 2 : IF.accept_ra != 0
//   ignore_routes_with_linkdown   IF (writing all sets every interface's)
//   forwarding         all.forwarding || IF.force_forwarding (the interface a
//                      packet arrives on; force_forwarding is newer: absent on
//                      older kernels, where all.forwarding alone decides).
// conf/default is the template for interfaces created later: shown, never
// combined.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "icmpwall/audit/kernel_links.h"

namespace icmpwall::audit {

// The most bytes read from one sysctl file; a longer content is unreadable.
constexpr size_t kMaxSysctlBytes = 64;
// The most interfaces read per family; more are reported, not read.
constexpr size_t kMaxInterfaces = 1024;

struct Sysctl {
  enum class State { value, absent, unreadable };
  std::string name;  // "net.ipv4.icmp_echo_ignore_all"
  State state = State::absent;
  std::string text;     // value: the content without the trailing newline
  std::string problem;  // unreadable: "/proc/sys/net/...: why"
  // The value as a number (none: absent, unreadable, or not one number).
  std::optional<int64_t> number() const;
  // "net.ipv4.icmp_echo_ignore_all = 1", "... not present", "... unreadable (...)".
  std::string describe() const;
};

// One conf directory: all, default or an interface.
struct ConfSysctls {
  std::string name;  // "all", "default", "eth0"
  // net.ipv4.conf.NAME.*
  Sysctl accept_redirects, secure_redirects, shared_media, rp_filter, forwarding,
      ignore_routes_with_linkdown;
  // net.ipv6.conf.NAME.*
  Sysctl accept_redirects6, accept_ra, forwarding6, ignore_routes_with_linkdown6, force_forwarding6;
};

struct KernelSysctls {
  // net.ipv4.* (icmp_echo_enable_probe: RFC 8335 PROBE, for both families)
  Sysctl echo_ignore_all, echo_ignore_broadcasts, ratelimit, ratemask, errors_use_inbound_ifaddr,
      ignore_bogus_error_responses, msgs_per_sec, msgs_burst, echo_enable_probe;
  // net.ipv6.icmp.*
  Sysctl ratelimit6, ratemask6, echo_ignore_all6, echo_ignore_multicast6, echo_ignore_anycast6;
  ConfSysctls all, dflt;
  std::vector<ConfSysctls> interfaces;  // by name; each present in v4 conf, v6 conf or both
  std::vector<std::string> problems;    // directories that could not be listed, too many interfaces
  Links links;  // the links' state (read_kernel_state; not read from a tree)
  // Every sysctl read, in a fixed order (globals, all, default, interfaces).
  std::vector<const Sysctl*> every() const;
};

// Reads the tree under `root` ("/proc/sys" for the calling thread's
// namespace).
KernelSysctls read_sysctls(const std::string& root = "/proc/sys");
// The calling thread's namespace: read_sysctls() and read_links().
KernelSysctls read_kernel_state();

// A combined per-interface answer and the sysctls it came from.
struct Combined {
  std::optional<bool> on;  // none: a sysctl it needs is not readable
  std::string why;  // "net.ipv4.conf.all.accept_redirects = 0, ... (forwarding: both needed)"
};

Combined v4_accept_redirects(const KernelSysctls& k, const ConfSysctls& dev);
Combined v4_secure_redirects(const KernelSysctls& k, const ConfSysctls& dev);
Combined v4_shared_media(const KernelSysctls& k, const ConfSysctls& dev);
Combined v4_forwarding(const ConfSysctls& dev);
// rp_filter: 0 off, 1 strict, 2 loose (the larger of all and the interface).
std::optional<int64_t> v4_rp_filter(const KernelSysctls& k, const ConfSysctls& dev,
                                    std::string* why);
Combined v6_accept_redirects(const ConfSysctls& dev);
Combined v6_accept_ra(const ConfSysctls& dev);
// Whether routes through `dev` are skipped while its link is down.
Combined v4_ignore_routes_with_linkdown(const KernelSysctls& k, const ConfSysctls& dev);
Combined v6_ignore_routes_with_linkdown(const ConfSysctls& dev);
// Whether IPv6 packets received on `dev` are forwarded.
Combined v6_forwarding(const KernelSysctls& k, const ConfSysctls& dev);

// Whether ICMPv6 type `type` is in a net.ipv6.icmp.ratemask list such as
// "0-1,3-127" (none: not a valid list).
std::optional<bool> in_v6_ratemask(const std::string& list, uint8_t type);

}  // namespace icmpwall::audit
