// SPDX-License-Identifier: GPL-2.0-or-later
// What the kernel says about a queued packet besides its bytes: where it
// came from (interface, link-layer source), the hook, and what connection
// tracking knows of it. The queue worker fills it from the NFQUEUE message
// (NFQA_IFINDEX_*, NFQA_HWADDR, NFQA_CT_INFO); detectors read it to tell a
// sender they can prove from one they cannot.
#pragma once

#include <array>
#include <cstdint>

namespace icmpwall::inspect {

// Connection tracking's view of the packet (ct state), as NFQUEUE reports
// it with NFQA_CFG_F_CONNTRACK.
enum class Conntrack : uint8_t {
  unknown,      // not asked, the namespace does not track connections, or the
                // packet is untracked on purpose (a notrack rule: nothing to conclude)
  none,         // tracked namespace, no entry: no known flow (ct state invalid)
  new_flow,     // the first packet of a flow in its original direction (ct state new)
  established,  // original direction of a flow that has seen a reply
  reply,        // reply direction of a known flow (ct state established, reply)
  related,      // an ICMP error about a known flow (ct state related)
};
const char* to_string(Conntrack c);  // "unknown", "none", "new", "established", "reply", "related"

// NFQA_CT_INFO (enum ip_conntrack_info) as Conntrack: 0 established,
// 1 related, 2 new, 3 established reply, 4 related reply, 7 untracked
// (unknown); anything else unknown.
Conntrack conntrack_from_ctinfo(uint32_t ctinfo);

struct PacketContext {
  uint32_t iif = 0;  // input interface index, 0: none (locally generated)
  uint32_t oif = 0;  // output interface index, 0: none (input hook)
  uint8_t hook = 0;  // NF_INET_LOCAL_IN, NF_INET_FORWARD, ...
  // Link-layer source address of the frame (NFQA_HWADDR); hwaddr_len 0:
  // none was reported (a device without one, or the output hook).
  std::array<uint8_t, 8> hwaddr{};
  uint8_t hwaddr_len = 0;
  Conntrack ct = Conntrack::unknown;
};

}  // namespace icmpwall::inspect
