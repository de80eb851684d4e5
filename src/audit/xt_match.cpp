// SPDX-License-Identifier: GPL-2.0-or-later
// xtables match info structs -> the plain values of xt.h.
//
// The info bytes are the iptables module's struct as the kernel holds it
// (host order); each decoder checks the size for the revision before it
// reads, and anything else becomes XtOpaque.
#include <fmt/format.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_pkttype.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_ttl.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netfilter_ipv6/ip6t_hl.h>

#include <cstring>
#include <vector>

#include "icmpwall/audit/xt.h"

namespace icmpwall::audit {
namespace {

template <typename T>
bool read_as(const Bytes& info, T& out) {
  if (info.size() < sizeof(T)) return false;
  std::memcpy(&out, info.data(), sizeof(T));
  return true;
}

XtOpaque opaque(const Match& m) {
  return XtOpaque{fmt::format("xt match {} rev {}", m.name, m.rev)};
}

XtMatch icmp(const Match& m) {
  if (m.name == "icmp") {
    ipt_icmp i{};
    if (!read_as(m.info, i)) return opaque(m);
    return XtIcmp{i.type, i.code[0], i.code[1], (i.invflags & IPT_ICMP_INV) != 0};
  }
  ip6t_icmp i{};
  if (!read_as(m.info, i)) return opaque(m);
  return XtIcmp{i.type, i.code[0], i.code[1], (i.invflags & IP6T_ICMP_INV) != 0};
}

// What a conntrack match checks besides the state.
std::string conntrack_other(uint16_t flags) {
  static const std::pair<uint16_t, const char*> kNames[] = {
      {XT_CONNTRACK_PROTO, "--ctproto"},
      {XT_CONNTRACK_ORIGSRC, "--ctorigsrc"},
      {XT_CONNTRACK_ORIGDST, "--ctorigdst"},
      {XT_CONNTRACK_REPLSRC, "--ctreplsrc"},
      {XT_CONNTRACK_REPLDST, "--ctrepldst"},
      {XT_CONNTRACK_STATUS, "--ctstatus"},
      {XT_CONNTRACK_EXPIRES, "--ctexpire"},
      {XT_CONNTRACK_ORIGSRC_PORT, "--ctorigsrcport"},
      {XT_CONNTRACK_ORIGDST_PORT, "--ctorigdstport"},
      {XT_CONNTRACK_REPLSRC_PORT, "--ctreplsrcport"},
      {XT_CONNTRACK_REPLDST_PORT, "--ctrepldstport"},
      {XT_CONNTRACK_DIRECTION, "--ctdir"}};
  std::string out;
  for (auto [bit, name] : kNames)
    if (flags & bit) out += (out.empty() ? "" : " ") + std::string(name);
  return out;
}

XtMatch conntrack(const Match& m) {
  uint16_t flags = 0, invert = 0, states = 0;
  if (m.rev == 1) {
    xt_conntrack_mtinfo1 i{};
    if (!read_as(m.info, i)) return opaque(m);
    flags = i.match_flags, invert = i.invert_flags, states = i.state_mask;
  } else if (m.rev == 2 || m.rev == 3) {
    xt_conntrack_mtinfo2 i{};  // rev 3 extends rev 2 at its end
    if (!read_as(m.info, i)) return opaque(m);
    flags = i.match_flags, invert = i.invert_flags, states = i.state_mask;
  } else {
    return opaque(m);
  }
  XtCtState out;
  out.other = conntrack_other(flags & ~XT_CONNTRACK_STATE & ~XT_CONNTRACK_STATE_ALIAS);
  if (flags & XT_CONNTRACK_STATE) {
    out.states = states;
    out.invert = (invert & XT_CONNTRACK_STATE) != 0;
  } else {
    out.states = 0xffff;  // no state criterion: every state
  }
  return out;
}

XtMatch limit(const Match& m) {
  xt_rateinfo i{};
  if (!read_as(m.info, i) || i.avg == 0) return opaque(m);
  // avg is XT_LIMIT_SCALE x seconds per packet; find the unit iptables
  // would print it in
  for (uint64_t unit : {1ull, 60ull, 3600ull, 86400ull}) {
    uint64_t scaled = XT_LIMIT_SCALE * unit;
    if (scaled % i.avg == 0) return XtLimit{scaled / i.avg, unit, i.burst};
  }
  return XtLimit{XT_LIMIT_SCALE * 86400ull / i.avg, 86400, i.burst};
}

XtMatch addrtype(const Match& m) {
  if (m.rev == 0) {
    xt_addrtype_info i{};
    if (!read_as(m.info, i)) return opaque(m);
    return XtAddrtype{i.source, i.dest, i.invert_source != 0, i.invert_dest != 0, false};
  }
  xt_addrtype_info_v1 i{};
  if (m.rev != 1 || !read_as(m.info, i)) return opaque(m);
  return XtAddrtype{i.source, i.dest, (i.flags & XT_ADDRTYPE_INVERT_SOURCE) != 0,
                    (i.flags & XT_ADDRTYPE_INVERT_DEST) != 0,
                    (i.flags & (XT_ADDRTYPE_LIMIT_IFACE_IN | XT_ADDRTYPE_LIMIT_IFACE_OUT)) != 0};
}

}  // namespace

XtMatch decode_xt_match(const Match& m) {
  if (m.name == "icmp" || m.name == "icmp6") return icmp(m);
  if (m.name == "conntrack") return conntrack(m);
  if (m.name == "state") {
    xt_state_info i{};
    if (!read_as(m.info, i)) return opaque(m);
    return XtCtState{i.statemask, false, {}};
  }
  if (m.name == "limit") return limit(m);
  if (m.name == "addrtype") return addrtype(m);
  if (m.name == "pkttype") {
    xt_pkttype_info i{};
    if (!read_as(m.info, i)) return opaque(m);
    return XtPkttype{i.pkttype, i.invert != 0};
  }
  if (m.name == "ttl" || m.name == "hl") {
    ip6t_hl_info i{};  // the same two bytes as ipt_ttl_info
    static_assert(sizeof(ipt_ttl_info) == sizeof(ip6t_hl_info));
    if (!read_as(m.info, i) || i.mode > IP6T_HL_GT) return opaque(m);
    return XtHopLimit{i.mode, i.hop_limit};
  }
  if (m.name == "rt") return XtRoutingHeader{};
  if (m.name == "comment") {
    xt_comment_info i{};
    if (!read_as(m.info, i)) return opaque(m);
    return XtComment{std::string(i.comment, strnlen(i.comment, sizeof(i.comment)))};
  }
  return opaque(m);
}

}  // namespace icmpwall::audit
