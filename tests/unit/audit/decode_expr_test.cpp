// SPDX-License-Identifier: GPL-2.0-or-later
// decode_expr / decode_rule / rule_comment on libnftnl objects built in
// memory (no kernel): each kind lands in its struct with every attribute.
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "icmpwall/audit/decode.h"
#include "icmpwall/audit/describe.h"
#include "icmpwall/netlink/handles.h"

namespace icmpwall::audit {
namespace {

using netlink::make_expr;

TEST(DecodeExpr, PayloadLoadAndStore) {
  auto e = make_expr("payload");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, 1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, 1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, NFT_REG32_00);
  Expr x = decode_expr(e.get());
  const auto* p = std::get_if<Payload>(&x);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->base, NFT_PAYLOAD_TRANSPORT_HEADER);
  EXPECT_EQ(p->offset, 1u);
  EXPECT_EQ(p->dreg, uint32_t{NFT_REG32_00});
  EXPECT_FALSE(p->sreg);
}

TEST(DecodeExpr, CmpKeepsBytes) {
  auto e = make_expr("cmp");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, 1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
  uint8_t data[2] = {0x03, 0x04};
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, sizeof data);
  EXPECT_EQ(describe(decode_expr(e.get())), "cmp neq r1 0304");
}

TEST(DecodeExpr, ImmediateVerdictWithChain) {
  auto e = make_expr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(NFT_GOTO));
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_IMM_CHAIN, "target");
  Expr x = decode_expr(e.get());
  const auto* imm = std::get_if<Immediate>(&x);
  ASSERT_NE(imm, nullptr);
  ASSERT_TRUE(imm->verdict);
  EXPECT_EQ(imm->verdict->code, NFT_GOTO);
  EXPECT_EQ(imm->verdict->chain, "target");
}

TEST(DecodeExpr, NarrowWidthsSurvive) {
  auto q = make_expr("queue");
  nftnl_expr_set_u16(q.get(), NFTNL_EXPR_QUEUE_NUM, 7);
  nftnl_expr_set_u16(q.get(), NFTNL_EXPR_QUEUE_TOTAL, 2);
  nftnl_expr_set_u16(q.get(), NFTNL_EXPR_QUEUE_FLAGS, NFT_QUEUE_FLAG_BYPASS);
  EXPECT_EQ(describe(decode_expr(q.get())), "queue num 7 total 2 flags 0x1");

  auto r = make_expr("reject");
  nftnl_expr_set_u32(r.get(), NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
  nftnl_expr_set_u8(r.get(), NFTNL_EXPR_REJECT_CODE, 3);
  Expr x = decode_expr(r.get());
  ASSERT_TRUE(std::holds_alternative<Reject>(x));
  EXPECT_EQ(std::get<Reject>(x).code, 3);

  auto ct = make_expr("ct");
  nftnl_expr_set_u32(ct.get(), NFTNL_EXPR_CT_KEY, NFT_CT_SRC);
  nftnl_expr_set_u8(ct.get(), NFTNL_EXPR_CT_DIR, 1);
  nftnl_expr_set_u32(ct.get(), NFTNL_EXPR_CT_DREG, 1);
  EXPECT_EQ(describe(decode_expr(ct.get())), "ct reply saddr -> r1");

  auto log = make_expr("log");
  nftnl_expr_set_str(log.get(), NFTNL_EXPR_LOG_PREFIX, "icmp: ");
  nftnl_expr_set_u16(log.get(), NFTNL_EXPR_LOG_GROUP, 5);
  Expr lx = decode_expr(log.get());
  ASSERT_TRUE(std::holds_alternative<Log>(lx));
  EXPECT_EQ(std::get<Log>(lx).prefix, "icmp: ");
  EXPECT_EQ(std::get<Log>(lx).group, uint16_t{5});
  EXPECT_FALSE(std::get<Log>(lx).level);
}

TEST(DecodeExpr, LimitAndLookup) {
  auto l = make_expr("limit");
  nftnl_expr_set_u64(l.get(), NFTNL_EXPR_LIMIT_RATE, 10);
  nftnl_expr_set_u64(l.get(), NFTNL_EXPR_LIMIT_UNIT, 60);
  nftnl_expr_set_u32(l.get(), NFTNL_EXPR_LIMIT_BURST, 4);
  nftnl_expr_set_u32(l.get(), NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
  nftnl_expr_set_u32(l.get(), NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
  EXPECT_EQ(describe(decode_expr(l.get())), "limit 10/60s burst 4 pkts over");

  auto k = make_expr("lookup");
  nftnl_expr_set_str(k.get(), NFTNL_EXPR_LOOKUP_SET, "blocked");
  nftnl_expr_set_u32(k.get(), NFTNL_EXPR_LOOKUP_SREG, 1);
  nftnl_expr_set_u32(k.get(), NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
  Expr x = decode_expr(k.get());
  ASSERT_TRUE(std::holds_alternative<Lookup>(x));
  EXPECT_TRUE(std::get<Lookup>(x).inverted());
  EXPECT_FALSE(std::get<Lookup>(x).dreg);
}

TEST(DecodeExpr, XtTargetAndUnknown) {
  auto t = make_expr("target");
  nftnl_expr_set_str(t.get(), NFTNL_EXPR_TG_NAME, "NFQUEUE");
  nftnl_expr_set_u32(t.get(), NFTNL_EXPR_TG_REV, 3);
  uint8_t info[8] = {3, 0, 1, 0, 0, 0, 0, 0};
  // libnftnl keeps (and later frees) the info pointer it is given.
  void* owned = std::malloc(sizeof info);
  std::memcpy(owned, info, sizeof info);
  nftnl_expr_set(t.get(), NFTNL_EXPR_TG_INFO, owned, sizeof info);
  Expr x = decode_expr(t.get());
  ASSERT_TRUE(std::holds_alternative<Target>(x));
  EXPECT_EQ(std::get<Target>(x).name, "NFQUEUE");
  EXPECT_EQ(std::get<Target>(x).rev, 3u);
  EXPECT_EQ(std::get<Target>(x).info, Bytes(info, info + 8));

  auto u = make_expr("tproxy");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(describe(decode_expr(u.get())), "unknown tproxy");
}

TEST(DecodeExpr, ExthdrOfTheFragmentHeader) {
  // frag frag-off != 0 loads 2 bytes at offset 2 of the fragment header
  auto e = make_expr("exthdr");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_DREG, NFT_REG_1);
  nftnl_expr_set_u8(e.get(), NFTNL_EXPR_EXTHDR_TYPE, 44);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_OFFSET, 2);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_LEN, 2);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_IPV6);
  Expr x = decode_expr(e.get());
  const auto* h = std::get_if<Exthdr>(&x);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, 44);
  EXPECT_EQ(h->offset, 2u);
  EXPECT_EQ(h->len, 2u);
  EXPECT_EQ(h->dreg, uint32_t{NFT_REG_1});
  EXPECT_FALSE(h->sreg);
  EXPECT_EQ(expr_name(x), "exthdr");
  EXPECT_EQ(describe(x), "exthdr ipv6 44 2b @ 2 -> r1");
}

TEST(DecodeExpr, DynsetCarriesInnerExpressions) {
  auto d = make_expr("dynset");
  nftnl_expr_set_str(d.get(), NFTNL_EXPR_DYNSET_SET_NAME, "meter");
  nftnl_expr_set_u32(d.get(), NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
  nftnl_expr_set_u32(d.get(), NFTNL_EXPR_DYNSET_SREG_KEY, 1);
  auto c = make_expr("counter");
  nftnl_expr_set_u64(c.get(), NFTNL_EXPR_CTR_PACKETS, 2);
  nftnl_expr_set_u64(c.get(), NFTNL_EXPR_CTR_BYTES, 168);
  nftnl_expr_add_expr(d.get(), NFTNL_EXPR_DYNSET_EXPRESSIONS, c.release());
  EXPECT_EQ(describe(decode_expr(d.get())), "dynset op 1 @meter r1 { counter 2/168 }");
}

TEST(DecodeRule, ExpressionsInOrderAndComment) {
  auto r = netlink::make_rule();
  nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, 12);
  auto m = make_expr("meta");
  nftnl_expr_set_u32(m.get(), NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
  nftnl_expr_set_u32(m.get(), NFTNL_EXPR_META_DREG, 1);
  nftnl_rule_add_expr(r.get(), m.release());
  auto n = make_expr("notrack");
  nftnl_rule_add_expr(r.get(), n.release());
  netlink::UdataPtr ud(nftnl_udata_buf_alloc(64));
  nftnl_udata_put_strz(ud.get(), 0, "from policy");
  nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud.get()),
                      nftnl_udata_buf_len(ud.get()));
  Rule rule = decode_rule(r.get());
  EXPECT_EQ(rule.handle, 12u);
  EXPECT_EQ(rule.comment, std::string("from policy"));
  EXPECT_EQ(describe(rule), "meta nfproto -> r1; notrack");
}

TEST(RuleComment, OtherTypesAndEmptyAreNotComments) {
  EXPECT_FALSE(rule_comment(nullptr, 0));
  netlink::UdataPtr ud(nftnl_udata_buf_alloc(64));
  nftnl_udata_put_u32(ud.get(), 1, 7);
  EXPECT_FALSE(rule_comment(nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get())));
}

// A record whose length runs past the user data (from a fuzzed dump: the
// comment was read past its buffer) is not read; records before it are.
TEST(RuleComment, ARecordCutShortIsNotRead) {
  const uint8_t cut[] = {0, 5, 'a', 'b'};  // comment, 5 bytes claimed, 2 there
  EXPECT_FALSE(rule_comment(cut, sizeof cut));
  const uint8_t then_cut[] = {0, 3, 'o', 'k', 0, 0, 9, 'x'};
  EXPECT_EQ(rule_comment(then_cut, sizeof then_cut), std::string("ok"));
  const uint8_t header_only[] = {0};
  EXPECT_FALSE(rule_comment(header_only, sizeof header_only));
}

}  // namespace
}  // namespace icmpwall::audit
