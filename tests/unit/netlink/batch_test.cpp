// SPDX-License-Identifier: GPL-2.0-or-later
// encode_table into a Batch: message order, sequence numbers mapped back
// to origins, element lists split under the 16-bit nest limit, and the
// bytes of both queue encodings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <cstring>

#include "parse_back.h"

namespace icmpwall::netlink {
namespace {

using testing::msg_type;
using testing::of_type;

nft::Origin origin(uint32_t line, std::string what) {
  static auto file = std::make_shared<SourceFile>("p.toml", std::string(20, '\n'));
  return {SourceLoc{file, line, 3}, std::move(what)};
}

nft::Table small_table() {
  nft::Table t;
  t.name = "icmpwall";
  t.objects.push_back({nft::ObjectKind::counter, "echo", {}, origin(2, "rule 'echo' (allow)")});
  nft::Set s{"src", nft::KeyType::ipv4_addr,         false, true, false, 0, 0,
             {},    origin(4, "rule 'echo' (allow)")};
  s.elements.push_back({{198, 18, 0, 0}, {198, 18, 0, 255}, {}});
  t.sets.push_back(s);
  nft::Chain base{
      "input", nft::BaseHook{nft::NfHook::input, 0, false}, {}, origin(1, "base chain")};
  nft::Rule r;
  r.stmts = {nft::SetMatch{nft::Field::ip_saddr, "src"}, nft::CounterRef{"echo"},
             nft::Queue{4, 2, true, true}};
  r.origin = origin(7, "rule 'echo' (inspect)");
  base.rules.push_back(r);
  nft::Rule r2;
  r2.stmts = {nft::Verdict{nft::VerdictKind::accept, {}}};
  r2.origin = origin(9, "rule 'last' (allow)");
  base.rules.push_back(r2);
  t.chains.push_back(base);
  return t;
}

TEST(Batch, OrderAndSequenceNumbers) {
  Batch b(1000);
  Diagnostics diags;
  ASSERT_TRUE(encode_table(small_table(), {}, b, diags).ok());
  b.finish();
  std::vector<uint16_t> types;
  for (const auto* m : b.messages()) types.push_back(msg_type(m));
  EXPECT_EQ(types,
            (std::vector<uint16_t>{0, NFT_MSG_NEWOBJ, NFT_MSG_NEWCHAIN, NFT_MSG_NEWSET,
                                   NFT_MSG_NEWSETELEM, NFT_MSG_NEWRULE, NFT_MSG_NEWRULE, 0}));
  // Consecutive sequence numbers; only the last message before END asks
  // for an ack (the kernel answers refused messages unasked).
  const auto msgs = b.messages();
  uint32_t seq = 1000;
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i]->nlmsg_seq, seq++);
    const bool last = i + 2 == msgs.size();
    EXPECT_EQ((msgs[i]->nlmsg_flags & NLM_F_ACK) != 0, last) << "message " << i;
    EXPECT_EQ(b.infos()[i].acked, last) << "message " << i;
  }
  EXPECT_EQ(b.acked_count(), 1u);
  EXPECT_EQ(b.bytes(), [&] {
    size_t n = 0;
    for (const auto& v : b.iovecs()) n += v.iov_len;
    return n;
  }());
}

TEST(Batch, SequenceMapsBackToOrigin) {
  Batch b(77);
  Diagnostics diags;
  ASSERT_TRUE(encode_table(small_table(), {}, b, diags).ok());
  b.finish();
  auto rules = of_type(b, NFT_MSG_NEWRULE);
  ASSERT_EQ(rules.size(), 2u);
  const MessageInfo* first = b.find(rules[0]->nlmsg_seq);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->kind, MsgKind::rule);
  EXPECT_EQ(first->origin.what, "rule 'echo' (inspect)");
  EXPECT_EQ(first->origin.loc.line, 7u);
  EXPECT_EQ(b.find(rules[1]->nlmsg_seq)->origin.loc.line, 9u);
  auto set = of_type(b, NFT_MSG_NEWSET);
  EXPECT_EQ(b.find(set[0]->nlmsg_seq)->origin.loc.line, 4u);
  EXPECT_EQ(b.find(set[0]->nlmsg_seq)->name, "src");
  EXPECT_EQ(b.find(76), nullptr);
  EXPECT_EQ(b.find(77)->kind, MsgKind::batch);
  EXPECT_EQ(b.find(77 + 8), nullptr);
  // Expression spans of the first rule, for extended-ack offsets.
  std::vector<std::string> names;
  for (const auto& e : first->exprs) {
    names.push_back(e.name);
    EXPECT_LT(e.begin, e.end);
    EXPECT_LE(e.end, rules[0]->nlmsg_len);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"meta", "cmp", "payload", "lookup", "objref", "queue"}));
}

TEST(Batch, LargeElementListsAreSplit) {
  nft::Table t;
  nft::Set s{"many", nft::KeyType::ipv6_addr, false, true, false, 0, 0, {}, origin(3, "many")};
  for (uint32_t i = 0; i < 20000; ++i) {
    std::vector<uint8_t> k(16, 0);
    k[0] = 0x20;
    k[1] = 0x01;
    k[2] = 0x0d;
    k[3] = 0xb8;
    k[4] = uint8_t(i >> 15);
    k[5] = uint8_t(i >> 7);
    k[6] = uint8_t(i << 1);
    s.elements.push_back({k, {}, {}});
  }
  t.sets.push_back(s);
  Batch b(1);
  Diagnostics diags;
  ASSERT_TRUE(encode_table(t, {}, b, diags).ok());
  b.finish();
  auto msgs = of_type(b, NFT_MSG_NEWSETELEM);
  EXPECT_GT(msgs.size(), 10u);
  size_t total = 0;
  for (const auto* m : msgs) {
    SetPtr parsed = make_set();
    ASSERT_EQ(testing::parse_elements(m, parsed.get()), 0);
    auto* it = nftnl_set_elems_iter_create(parsed.get());
    while (nftnl_set_elems_iter_next(it)) ++total;
    nftnl_set_elems_iter_destroy(it);
    EXPECT_LT(m->nlmsg_len, 0xffffu + 64);  // the nested list length is a u16
    EXPECT_EQ(b.find(m->nlmsg_seq)->origin.loc.line, 3u);
  }
  EXPECT_EQ(total, 1u + 2u * 20000u);  // leading end element, start and end per address
  EXPECT_GT(b.iovecs().size(), 1u);    // more than one page
}

TEST(Batch, EncodeErrorAppendsNothingAndPointsAtTheRule) {
  auto t = small_table();
  t.chains[0].rules[1].stmts = {nft::Match{nft::Field::ip_saddr, {1, 2, 3, 4}},
                                nft::Match{nft::Field::ip6_hoplimit, {255}}};
  Batch b(1);
  Diagnostics diags;
  auto res = encode_table(t, {}, b, diags);
  EXPECT_FALSE(res.ok());
  EXPECT_EQ(b.message_count(), 1u);  // only BATCH_BEGIN
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].loc.line, 9u);
  EXPECT_THAT(diags.items()[0].message, ::testing::HasSubstr("rule 'last' (allow)"));
}

// The queue expression of a rule built in `mode`, parsed back.
ExprPtr queue_expr(QueueMode mode, nft::Queue q) {
  nft::Rule r;
  r.stmts = {q};
  auto rule = encode_rule("t", "c", r, {}, EncodeOptions{mode});
  std::vector<char> buf(4096);
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWRULE, NFPROTO_INET, 0, 1);
  nftnl_rule_nlmsg_build_payload(nlh, rule->get());
  RulePtr parsed = make_rule();
  if (nftnl_rule_nlmsg_parse(nlh, parsed.get()) < 0) return nullptr;
  auto* it = nftnl_expr_iter_create(parsed.get());
  nftnl_expr* e = nftnl_expr_iter_next(it);
  nftnl_expr_iter_destroy(it);
  if (!e) return nullptr;
  // Detach a copy: rebuild from the attributes we check.
  ExprPtr out = make_expr(nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
  uint32_t len = 0;
  if (mode == QueueMode::native) {
    nftnl_expr_set_u16(out.get(), NFTNL_EXPR_QUEUE_NUM,
                       nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM));
    nftnl_expr_set_u16(out.get(), NFTNL_EXPR_QUEUE_TOTAL,
                       nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL));
    if (nftnl_expr_is_set(e, NFTNL_EXPR_QUEUE_FLAGS))
      nftnl_expr_set_u16(out.get(), NFTNL_EXPR_QUEUE_FLAGS,
                         nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS));
  } else {
    nftnl_expr_set_str(out.get(), NFTNL_EXPR_TG_NAME, nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME));
    nftnl_expr_set_u32(out.get(), NFTNL_EXPR_TG_REV, nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV));
    const void* info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
    void* copy = malloc(len);
    std::memcpy(copy, info, len);
    nftnl_expr_set(out.get(), NFTNL_EXPR_TG_INFO, copy, len);
  }
  return out;
}

TEST(QueueEncoding, NativeAttributes) {
  auto e = queue_expr(QueueMode::native, nft::Queue{4, 2, true, true});
  ASSERT_TRUE(e);
  EXPECT_STREQ(nftnl_expr_get_str(e.get(), NFTNL_EXPR_NAME), "queue");
  EXPECT_EQ(nftnl_expr_get_u16(e.get(), NFTNL_EXPR_QUEUE_NUM), 4);
  EXPECT_EQ(nftnl_expr_get_u16(e.get(), NFTNL_EXPR_QUEUE_TOTAL), 2);
  EXPECT_EQ(nftnl_expr_get_u16(e.get(), NFTNL_EXPR_QUEUE_FLAGS),
            NFT_QUEUE_FLAG_BYPASS | NFT_QUEUE_FLAG_CPU_FANOUT);
  auto plain = queue_expr(QueueMode::native, nft::Queue{9, 1, false, false});
  EXPECT_FALSE(nftnl_expr_is_set(plain.get(), NFTNL_EXPR_QUEUE_FLAGS));  // as nft: no flags attr
}

TEST(QueueEncoding, CompatInfoIsXtNfqInfoV3) {
  auto e = queue_expr(QueueMode::compat, nft::Queue{4, 2, true, true});
  ASSERT_TRUE(e);
  EXPECT_STREQ(nftnl_expr_get_str(e.get(), NFTNL_EXPR_NAME), "target");
  EXPECT_STREQ(nftnl_expr_get_str(e.get(), NFTNL_EXPR_TG_NAME), "NFQUEUE");
  EXPECT_EQ(nftnl_expr_get_u32(e.get(), NFTNL_EXPR_TG_REV), 3u);
  uint32_t len = 0;
  const auto* info =
      static_cast<const xt_NFQ_info_v3*>(nftnl_expr_get(e.get(), NFTNL_EXPR_TG_INFO, &len));
  ASSERT_EQ(len, sizeof(xt_NFQ_info_v3));
  EXPECT_EQ(info->queuenum, 4);
  EXPECT_EQ(info->queues_total, 2);
  EXPECT_EQ(info->flags, NFQ_FLAG_BYPASS | NFQ_FLAG_CPU_FANOUT);
  auto off = queue_expr(QueueMode::compat, nft::Queue{0, 1, false, false});
  const auto* info2 =
      static_cast<const xt_NFQ_info_v3*>(nftnl_expr_get(off.get(), NFTNL_EXPR_TG_INFO, &len));
  EXPECT_EQ(info2->flags, 0);
}

}  // namespace
}  // namespace icmpwall::netlink
