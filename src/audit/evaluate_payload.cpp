// SPDX-License-Identifier: GPL-2.0-or-later
// Expressions that load header bytes: payload and exthdr (walk.h).
#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include "icmpwall/audit/describe.h"
#include "walk.h"

namespace icmpwall::audit::walk {

Step Walk::eval(const Payload& pl, const At&) {
  Step s;
  const bool v4 = p_.family == policy::Family::ipv4;
  if (pl.sreg) {
    ev_.notes.push_back(describe(here()) + ": rewrites the packet (payload set)");
    return s;
  }
  Cells c;
  const Cells* hdr = pl.base == NFT_PAYLOAD_NETWORK_HEADER     ? &net_
                     : pl.base == NFT_PAYLOAD_TRANSPORT_HEADER ? &th_
                                                               : nullptr;
  std::string beyond = pl.base == NFT_PAYLOAD_LL_HEADER ? "link-layer header"
                       : pl.base == NFT_PAYLOAD_NETWORK_HEADER
                           ? (v4 ? "ip options" : "ip6 extension headers")
                       : pl.base == NFT_PAYLOAD_TRANSPORT_HEADER ? "icmp payload"
                                                                 : "inner header";
  // One byte past the transport header the packet description models: as
  // `max-size` loads it, to ask whether the message is that long.
  if (hdr == &th_ && pl.len == 1 && pl.offset >= hdr->size())
    beyond = fmt::format("{}{}", kIcmpByteLabel, pl.offset);
  const std::string* beyond_label = labels_.get(beyond);
  c.reserve(pl.len);
  for (uint32_t i = 0; i < pl.len; ++i) {
    size_t at = pl.offset + i;
    c.push_back(hdr && at < hdr->size() ? (*hdr)[at] : unknown(beyond_label));
  }
  write(pl.dreg.value_or(0), c);
  return s;
}

Step Walk::eval(const Exthdr& x, const At&) {
  Step s;
  if (x.sreg) {
    ev_.notes.push_back(describe(here()) + ": rewrites an option (exthdr set)");
    return s;
  }
  // The packet described is ICMP without IPv6 extension headers or IPv4
  // options, unfragmented: no header or option of any kind is there.
  if (x.flags & NFT_EXTHDR_F_PRESENT) {
    write_known(x.dreg.value_or(0), {0}, 4, "exthdr present");
    return s;
  }
  s.kind = StepKind::brk;  // the kernel breaks the rule when it finds none
  return s;
}

}  // namespace icmpwall::audit::walk
