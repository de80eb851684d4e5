// SPDX-License-Identifier: GPL-2.0-or-later
// describe(): the one-line text of rules, expressions and verdicts.
#include "icmpwall/audit/describe.h"

#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

namespace icmpwall::audit {
namespace {

TEST(Describe, IcmpEchoRule) {
  Rule r;
  r.exprs = {Meta{NFT_META_L4PROTO, 1, {}},
             Cmp{1, NFT_CMP_EQ, {0x01}},
             Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 1, {}},
             Cmp{1, NFT_CMP_EQ, {0x08}},
             Counter{3, 252},
             Immediate{0, Verdict{NF_ACCEPT, {}}, {}}};
  EXPECT_EQ(describe(r),
            "meta l4proto -> r1; cmp eq r1 01; payload th+0 1 -> r1; cmp eq r1 08; "
            "counter 3/252; immediate accept");
}

TEST(Describe, Verdicts) {
  EXPECT_EQ(describe(Verdict{NF_DROP, {}}), "drop");
  EXPECT_EQ(describe(Verdict{NFT_JUMP, "icmp_in"}), "jump icmp_in");
  EXPECT_EQ(describe(Verdict{NFT_GOTO, "x"}), "goto x");
  EXPECT_EQ(describe(Verdict{NFT_RETURN, {}}), "return");
  EXPECT_EQ(describe(Verdict{42, {}}), "verdict 42");
}

TEST(Describe, LookupMapAndInverted) {
  EXPECT_EQ(describe(Expr{Lookup{"vmap", 1, 0, 0}}), "lookup r1 @vmap -> r0");
  EXPECT_EQ(describe(Expr{Lookup{"s", 9, {}, NFT_LOOKUP_F_INV}}), "lookup r9 @s inv");
}

TEST(Describe, StatefulAndXt) {
  EXPECT_EQ(describe(Expr{Limit{10, 60, 5, NFT_LIMIT_PKTS, NFT_LIMIT_F_INV}}),
            "limit 10/60s burst 5 pkts over");
  EXPECT_EQ(describe(Expr{Target{"NFQUEUE", 3, Bytes(8, 0)}}), "target NFQUEUE rev 3 (8 bytes)");
  EXPECT_EQ(describe(Expr{Ct{NFT_CT_STATE, {}, 1, {}}}), "ct state -> r1");
  EXPECT_EQ(describe(Expr{Ct{NFT_CT_SRC, 1, 1, {}}}), "ct reply saddr -> r1");
  EXPECT_EQ(describe(Expr{Unknown{"tproxy"}}), "unknown tproxy");
  EXPECT_EQ(describe(Expr{Nat{"masq"}}), "masq");
}

TEST(Describe, DynsetNestsItsExpressions) {
  Dynset d;
  d.set = "meter";
  d.op = NFT_DYNSET_OP_UPDATE;
  d.sreg_key = 1;
  d.exprs.push_back(Limit{1, 1, 0, NFT_LIMIT_PKTS, 0});
  EXPECT_EQ(describe(Expr{d}), "dynset op 1 @meter r1 { limit 1/1s burst 0 pkts }");
}

TEST(Describe, Hex) {
  EXPECT_EQ(hex({}), "");
  EXPECT_EQ(hex({0x0a, 0xff, 0x00}), "0aff00");
}

TEST(Ruleset, NamesAndLookups) {
  EXPECT_EQ(expr_name(Expr{Cmp{}}), "cmp");
  EXPECT_EQ(expr_name(Expr{Unknown{"osf"}}), "osf");
  EXPECT_EQ(family_name(NFPROTO_NETDEV), "netdev");
  EXPECT_EQ(family_name(99), "99");

  Ruleset rs;
  Table t;
  t.family = NFPROTO_INET;
  t.name = "f";
  Chain c;
  c.name = "in";
  c.rules.resize(3);
  t.chains.push_back(c);
  Set s;
  s.name = "s";
  s.elements.resize(4);
  t.sets.push_back(s);
  Object o;
  o.name = "cnt";
  o.values = {{"packets", 7}};
  t.objects.push_back(o);
  rs.tables.push_back(t);
  ASSERT_NE(rs.table(NFPROTO_INET, "f"), nullptr);
  EXPECT_EQ(rs.table(NFPROTO_IPV4, "f"), nullptr);
  EXPECT_EQ(rs.rule_count(), 3u);
  EXPECT_EQ(rs.element_count(), 4u);
  const Table* tp = rs.table(NFPROTO_INET, "f");
  ASSERT_NE(tp->object("cnt"), nullptr);
  EXPECT_EQ(tp->object("cnt")->value("packets"), 7u);
  EXPECT_EQ(tp->object("cnt")->value("bytes"), std::nullopt);
  EXPECT_NE(tp->chain("in"), nullptr);
  EXPECT_EQ(tp->set("nope"), nullptr);
}

}  // namespace
}  // namespace icmpwall::audit
