// SPDX-License-Identifier: GPL-2.0-or-later
// What the kernel does with an ICMP packet the ruleset lets through: the
// effective outcome of firewall and kernel together.
//
// kernel_effect() takes one packet of the audit (family, hook, type,
// code), the ruleset's verdict on it and the namespace's sysctls
// (kernel_sysctl.h), and says where the kernel changes the outcome and by
// which sysctl:
//   - input: echo requests ignored (net.ipv4.icmp_echo_ignore_all,
//     net.ipv6.icmp.echo_ignore_all); RFC 8335 extended echo requests
//     (PROBE) answered only with net.ipv4.icmp_echo_enable_probe, for both
//     families, and ignored by a kernel without it; redirects and IPv6 router
//     advertisements taken or ignored per interface (accept_redirects with
//     forwarding, secure_redirects, shared_media; accept_ra); the
//     broadcast / multicast / anycast echo settings, rp_filter and the
//     logging of bogus error responses as notes (the audit's packet is
//     unicast with an open source);
//   - forward: nothing forwarded where no interface (IPv4) or neither the
//     namespace (IPv6, all.forwarding) nor an interface (force_forwarding)
//     forwards;
//   - forward and output: routes through a link that is down right now
//     skipped or still used (ignore_routes_with_linkdown, linkdown_routes());
//   - output: messages the kernel itself sends and rate-limits
//     (icmp_ratelimit / icmp_ratemask, net.ipv6.icmp.ratelimit / ratemask
//     where present; fragmentation-needed and packet-too-big never), and
//     which source address its errors carry.
// A packet the ruleset drops or rejects never reaches the kernel's ICMP
// code: no effect.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "icmpwall/audit/evaluate.h"
#include "icmpwall/audit/kernel_sysctl.h"

namespace icmpwall::audit {

struct KernelEffect {
  // The effective outcome where the kernel changes the ruleset's:
  // "ignored" (received, then ignored), "not-forwarded"; empty: unchanged.
  std::string effective;
  std::vector<std::string> decided_by;  // the sysctls that decide ("name = value")
  // "ignored by the kernel: net.ipv4.icmp_echo_ignore_all = 1"; for
  // redirects and router advertisements taken on some interfaces only,
  // which ones. Empty when the kernel changes nothing.
  std::string text;
  // Messages the kernel sends itself and rate-limits: "at most one per
  // 1000 ms per destination (net.ipv4.icmp_ratelimit = 1000, ...)".
  std::string send_limit;
  // Redirects and router advertisements: the interfaces whose kernel takes
  // them, and those that ignore them (each "NAME: why").
  bool per_interface = false;
  std::vector<std::string> accepted_on, ignored_on;
  std::vector<std::string> notes;  // what does not change the audit's packet
};

KernelEffect kernel_effect(const Packet& p, const Evaluation& e, const KernelSysctls& k);

// Routes through an interface whose link is down right now (up, no
// carrier: k.links): whether the kernel skips them, per interface and
// family (ignore_routes_with_linkdown), and what that means for the ICMP
// it forwards and sends. An interface set down has no routes left: none.
struct LinkDownRoutes {
  std::string interface;
  policy::Family family = policy::Family::ipv4;
  std::optional<bool> skipped;  // none: the sysctl is not readable
  std::string why;              // the sysctls that decide
  std::string text;             // "ipv4 routes through r1 are skipped: ..."
};
std::vector<LinkDownRoutes> linkdown_routes(const KernelSysctls& k);

// `audit --policy`: where the namespace's sysctls contradict what the
// policy table `table` (evaluated alone) means to do: echo it allows that
// the kernel ignores, redirects it lets in that no interface takes, and an
// interface that forwards and still takes redirects. One line each.
std::vector<std::string> kernel_warnings(const Ruleset& rs, const std::string& table,
                                         const KernelSysctls& k,
                                         const EvaluateOptions& options = {});

}  // namespace icmpwall::audit
