// SPDX-License-Identifier: GPL-2.0-or-later
// Expressions on what the packet description fixes or leaves open about
// the packet's metadata and connection: meta, ct and fib (walk.h).
#include <fmt/format.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "field_text.h"
#include "icmpwall/audit/describe.h"
#include "walk.h"

namespace icmpwall::audit::walk {
namespace {

// nft's ct state bits
constexpr uint32_t kCtInvalid = 1, kCtEstablished = 2, kCtUntracked = 64;

}  // namespace

Step Walk::eval(const Meta& m, const At&) {
  Step s;
  const bool v4 = p_.family == policy::Family::ipv4;
  if (m.sreg) {
    ev_.notes.push_back(describe(here()) + ": sets " + meta_key_name(m.key));
    return s;
  }
  uint32_t d = m.dreg.value_or(0);
  bool has_iif = this->has_iif(), has_oif = this->has_oif();
  switch (m.key) {
    case NFT_META_NFPROTO:
      write_known(d, {static_cast<uint8_t>(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6)}, 4, "meta nfproto");
      return s;
    case NFT_META_L4PROTO:
      write_known(d, {static_cast<uint8_t>(v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6)}, 4, "meta l4proto");
      return s;
    case NFT_META_PROTOCOL:
      write_known(d, v4 ? Bytes{0x08, 0x00} : Bytes{0x86, 0xdd}, 4, "meta protocol");
      return s;
    case NFT_META_IIF:
    case NFT_META_IIFNAME:
    case NFT_META_IIFTYPE:
    case NFT_META_IIFGROUP:
      if (!has_iif) s.kind = StepKind::brk;  // no input device on output
      break;
    case NFT_META_OIF:
    case NFT_META_OIFNAME:
    case NFT_META_OIFTYPE:
    case NFT_META_OIFGROUP:
      if (!has_oif) s.kind = StepKind::brk;  // not routed yet on input
      break;
    case NFT_META_PKTTYPE: write_known(d, {pkttype()}, 4, "meta pkttype"); return s;
  }
  if (s.kind == StepKind::brk) return s;
  const std::string& name = m.key == NFT_META_IIFNAME   ? p_.iif
                            : m.key == NFT_META_OIFNAME ? p_.oif
                                                        : std::string();
  if ((m.key == NFT_META_IIFNAME || m.key == NFT_META_OIFNAME) && !name.empty()) {
    Bytes b(name.begin(), name.end());
    b.resize(16, 0);
    write_known(d, b, 16, meta_key_name(m.key));
    return s;
  }
  write_unknown(d, m.key == NFT_META_IIFNAME || m.key == NFT_META_OIFNAME ? 16 : 4,
                meta_key_name(m.key));
  return s;
}

Step Walk::eval(const Ct& ct, const At&) {
  Step s;
  if (ct.sreg) {
    ev_.notes.push_back(describe(here()) + ": sets " + ct_key_name(ct.key));
    return s;
  }
  if (p_.ct_state) {
    // told the state: invalid and untracked packets have no conntrack
    // entry (any other ct key ends the rule, as in the kernel); a tracked
    // one is taken as not NATed
    bool entry = !(*p_.ct_state & (kCtInvalid | kCtUntracked));
    if (ct.key != NFT_CT_STATE && !entry) {
      s.kind = StepKind::brk;
      return s;
    }
    uint32_t v = ct.key == NFT_CT_STATE ? *p_.ct_state
                 : ct.key == NFT_CT_STATUS
                     ? uint32_t{IPS_CONFIRMED} |
                           (*p_.ct_state & kCtEstablished ? uint32_t{IPS_SEEN_REPLY} : 0u)
                     : 0;
    if (ct.key == NFT_CT_STATE || ct.key == NFT_CT_STATUS) {
      Bytes b(4);
      std::memcpy(b.data(), &v, 4);  // host order, as the kernel stores it
      write_known(ct.dreg.value_or(0), b, 4, ct_key_name(ct.key));
      return s;
    }
  }
  write_unknown(ct.dreg.value_or(0), ct.key == NFT_CT_STATE || ct.key == NFT_CT_STATUS ? 4 : 16,
                ct_key_name(ct.key));
  return s;
}

Step Walk::eval(const Fib& f, const At&) {
  Step s;
  if (f.result == NFT_FIB_RESULT_ADDRTYPE && (f.flags & NFTA_FIB_F_DADDR)) {
    uint32_t at = daddr_type();
    Bytes b(4);
    std::memcpy(b.data(), &at, 4);  // host order, as the kernel stores it
    write_known(f.dreg, b, 4, daddr_type_label());
    return s;
  }
  write_unknown(f.dreg, 16, "fib lookup");
  return s;
}

uint32_t Walk::daddr_type() const {
  return p_.daddr_type.value_or(p_.hook == policy::Hook::input ? RTN_LOCAL : RTN_UNICAST);
}

uint8_t Walk::pkttype() const {
  uint32_t at = daddr_type();
  return at == RTN_BROADCAST   ? PACKET_BROADCAST
         : at == RTN_MULTICAST ? PACKET_MULTICAST
                               : PACKET_HOST;
}

// No input device on a locally sent packet; no output device before routing.
bool Walk::has_iif() const {
  return p_.hook != policy::Hook::output;
}
bool Walk::has_oif() const {
  return p_.hook != policy::Hook::input && stage_ != NF_INET_PRE_ROUTING &&
         stage_ != NF_INET_INGRESS;
}

std::optional<std::string> Walk::ct_state_condition(const Cells& c, const Bytes& values) const {
  if (c.empty() || c.size() > 4 || c[0].label->rfind("ct state", 0) != 0) return std::nullopt;
  for (const auto& x : c)
    if (x.label != c[0].label) return std::nullopt;
  uint32_t states = 0;
  if (c[0].label->size() > 8) {  // masked: "ct state & 0x06000000"
    Bytes mask(4);
    auto hex_part = c[0].label->substr(c[0].label->find("0x") + 2);
    for (size_t i = 0; i < 4 && 2 * i + 1 < hex_part.size(); ++i)
      mask[i] = static_cast<uint8_t>(std::stoul(hex_part.substr(2 * i, 2), nullptr, 16));
    std::memcpy(&states, mask.data(), 4);
  }
  // values (a cmp's operand, a set's keys) narrow it to what they name
  if (!values.empty()) {
    uint32_t named = 0;
    for (size_t off = 0; off + 4 <= values.size(); off += 4) {
      uint32_t v = 0;
      std::memcpy(&v, values.data() + off, 4);
      named |= v;
    }
    states = named;
  }
  if (states == 0) return std::nullopt;
  return "ct state " + ct_state_names(states);
}

bool Walk::ct_state_in(uint32_t states) {
  if (p_.ct_state) return (*p_.ct_state & states) != 0;
  return decide("ct state " + ct_state_names(states));
}

}  // namespace icmpwall::audit::walk
