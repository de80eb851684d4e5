// SPDX-License-Identifier: GPL-2.0-or-later
// decode_xt_match(): iptables module info structs -> plain values.
#include <gtest/gtest.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_pkttype.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netfilter_ipv6/ip6t_hl.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "icmpwall/audit/evaluate.h"
#include "icmpwall/audit/xt.h"

namespace icmpwall::audit {
namespace {

template <typename T>
Match xt(const std::string& name, uint32_t rev, const T& info) {
  Match m{name, rev, Bytes(sizeof(T))};
  std::memcpy(m.info.data(), &info, sizeof(T));
  return m;
}

TEST(XtMatch, IcmpTypeCodeRangeAndInversion) {
  auto x = decode_xt_match(xt("icmp", 0, ipt_icmp{3, {1, 3}, IPT_ICMP_INV}));
  const auto& ic = std::get<XtIcmp>(x);
  EXPECT_EQ(ic.type, 3);
  EXPECT_EQ(ic.code_min, 1);
  EXPECT_EQ(ic.code_max, 3);
  EXPECT_TRUE(ic.invert);
  auto v6 = std::get<XtIcmp>(decode_xt_match(xt("icmp6", 0, ip6t_icmp{128, {0, 0xff}, 0})));
  EXPECT_EQ(v6.type, 128);
  EXPECT_FALSE(v6.invert);
}

TEST(XtMatch, ConntrackStateWithOtherCriteriaNamed) {
  xt_conntrack_mtinfo3 i{};
  i.match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_ORIGSRC;
  i.invert_flags = XT_CONNTRACK_STATE;
  i.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) | XT_CONNTRACK_STATE_BIT(IP_CT_RELATED);
  auto ct = std::get<XtCtState>(decode_xt_match(xt("conntrack", 3, i)));
  EXPECT_EQ(ct.states, 2u | 4u);  // the same bits as nft's ct state
  EXPECT_TRUE(ct.invert);
  EXPECT_EQ(ct.other, "--ctorigsrc");
  EXPECT_EQ(ct_state_names(ct.states), "established,related");
}

TEST(XtMatch, StateMatch) {
  auto st = std::get<XtCtState>(decode_xt_match(xt("state", 0, xt_state_info{XT_STATE_INVALID})));
  EXPECT_EQ(st.states, 1u);
  EXPECT_EQ(ct_state_names(st.states), "invalid");
}

TEST(XtMatch, LimitInTheUnitIptablesPrints) {
  xt_rateinfo i{};
  i.avg = XT_LIMIT_SCALE * 60 / 3;
  i.burst = 10;
  auto l = std::get<XtLimit>(decode_xt_match(xt("limit", 0, i)));
  EXPECT_EQ(l.rate, 3u);
  EXPECT_EQ(l.unit, 60u);
  EXPECT_EQ(l.burst, 10u);
  i.avg = XT_LIMIT_SCALE / 20;
  l = std::get<XtLimit>(decode_xt_match(xt("limit", 0, i)));
  EXPECT_EQ(l.rate, 20u);
  EXPECT_EQ(l.unit, 1u);
}

TEST(XtMatch, AddrtypeAndPkttypeAndHopLimit) {
  xt_addrtype_info_v1 a{};
  a.dest = 1 << RTN_LOCAL;
  a.flags = XT_ADDRTYPE_INVERT_DEST;
  auto at = std::get<XtAddrtype>(decode_xt_match(xt("addrtype", 1, a)));
  EXPECT_EQ(at.dest, 1 << RTN_LOCAL);
  EXPECT_TRUE(at.invert_dest);
  EXPECT_FALSE(at.invert_source);
  auto pt = std::get<XtPkttype>(decode_xt_match(xt("pkttype", 0, xt_pkttype_info{1, 1})));
  EXPECT_EQ(pt.pkttype, 1);
  EXPECT_TRUE(pt.invert);
  auto hl = std::get<XtHopLimit>(decode_xt_match(xt("hl", 0, ip6t_hl_info{IP6T_HL_EQ, 255})));
  EXPECT_EQ(hl.value, 255);
  EXPECT_TRUE(std::holds_alternative<XtRoutingHeader>(decode_xt_match(Match{"rt", 0, Bytes(40)})));
}

TEST(XtMatch, ShortOrUnknownIsOpaque) {
  auto x = decode_xt_match(Match{"conntrack", 3, Bytes(10)});
  ASSERT_TRUE(std::holds_alternative<XtOpaque>(x));
  EXPECT_EQ(std::get<XtOpaque>(x).why, "xt match conntrack rev 3");
  EXPECT_TRUE(std::holds_alternative<XtOpaque>(decode_xt_match(Match{"string", 1, Bytes(300)})));
  EXPECT_TRUE(std::holds_alternative<XtOpaque>(decode_xt_match(Match{"icmp", 0, Bytes(2)})));
}

TEST(CtState, NamesAndBits) {
  EXPECT_EQ(ct_state_bit("new"), 8u);
  EXPECT_EQ(ct_state_bit("untracked"), 64u);
  EXPECT_EQ(ct_state_bit("bogus"), 0u);
  EXPECT_EQ(ct_state_names(8 | 1), "new,invalid");
}

}  // namespace
}  // namespace icmpwall::audit
