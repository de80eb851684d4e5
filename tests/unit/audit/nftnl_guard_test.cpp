// SPDX-License-Identifier: GPL-2.0-or-later
// decode_dump_messages on messages libnftnl 1.2.4 cannot parse safely
// (nftnl_guard.h): each is refused with EBADMSG before libnftnl sees it,
// while the shapes a kernel sends (a verdict map's jump, an immediate
// jump) still decode.
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <functional>
#include <variant>

#include "icmpwall/audit/dump_messages.h"
#include "nft_message.h"

namespace icmpwall::audit {
namespace {

using testing::NftMessage;
using Bytes = std::vector<uint8_t>;
using Fill = std::function<void(NftMessage&)>;

uint32_t code(int32_t verdict) {
  return static_cast<uint32_t>(verdict);
}

Bytes table() {
  return NftMessage(NFT_MSG_NEWTABLE, NFPROTO_INET).str(NFTA_TABLE_NAME, "t").bytes();
}

Bytes chain(const char* name) {
  return NftMessage(NFT_MSG_NEWCHAIN, NFPROTO_INET)
      .str(NFTA_CHAIN_TABLE, "t")
      .str(NFTA_CHAIN_NAME, name)
      .bytes();
}

// A verdict map "m" (ipv4_addr : verdict).
Bytes vmap(const Fill& more = {}) {
  NftMessage m(NFT_MSG_NEWSET, NFPROTO_INET);
  m.str(NFTA_SET_TABLE, "t")
      .str(NFTA_SET_NAME, "m")
      .be32(NFTA_SET_FLAGS, NFT_SET_MAP)
      .be32(NFTA_SET_KEY_LEN, 4)
      .be32(NFTA_SET_DATA_TYPE, code(NFT_DATA_VERDICT))
      .be32(NFTA_SET_DATA_LEN, 16);
  if (more) more(m);
  return m.bytes();
}

// One element of "m", its attributes written by `fill`.
Bytes element(const Fill& fill) {
  NftMessage m(NFT_MSG_NEWSETELEM, NFPROTO_INET);
  m.str(NFTA_SET_ELEM_LIST_TABLE, "t").str(NFTA_SET_ELEM_LIST_SET, "m");
  m.open(NFTA_SET_ELEM_LIST_ELEMENTS).open(NFTA_LIST_ELEM);
  fill(m);
  m.close().close();
  return m.bytes();
}

void key(NftMessage& m) {
  m.open(NFTA_SET_ELEM_KEY).raw(NFTA_DATA_VALUE, {198, 18, 0, 1}).close();
}

// NFTA_DATA_VERDICT with these attributes (a code, a chain, either or none).
void verdict(NftMessage& m, std::optional<int32_t> c, const char* chain) {
  m.open(NFTA_DATA_VERDICT);
  if (c) m.be32(NFTA_VERDICT_CODE, code(*c));
  if (chain) m.str(NFTA_VERDICT_CHAIN, chain);
  m.close();
}

// A rule in chain "c" with one expression `name`, its data written by `fill`.
Bytes rule(const char* name, const Fill& fill) {
  NftMessage m(NFT_MSG_NEWRULE, NFPROTO_INET);
  m.str(NFTA_RULE_TABLE, "t").str(NFTA_RULE_CHAIN, "c");
  m.open(NFTA_RULE_EXPRESSIONS).open(NFTA_LIST_ELEM);
  if (name) m.str(NFTA_EXPR_NAME, name);
  m.open(NFTA_EXPR_DATA);
  fill(m);
  m.close().close().close();
  return m.bytes();
}

void expect_refused(const Bytes& bytes) {
  auto rs = decode_dump_messages(bytes);
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.error().code, EBADMSG) << rs.error().message;
}

TEST(NftnlGuard, AVerdictMapElementAsTheKernelSendsItDecodes) {
  auto rs = decode_dump_messages(testing::join({table(), vmap(), element([](NftMessage& m) {
                                                  key(m);
                                                  m.open(NFTA_SET_ELEM_DATA);
                                                  verdict(m, NFT_JUMP, "c");
                                                  m.close();
                                                })}));
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  const Set& s = rs->tables.at(0).sets.at(0);
  ASSERT_EQ(s.elements.size(), 1u);
  ASSERT_TRUE(s.elements[0].verdict);
  EXPECT_EQ(s.elements[0].verdict->code, NFT_JUMP);
  EXPECT_EQ(s.elements[0].verdict->chain, "c");
}

// libnftnl parses the element's key as a jump (its `type` becomes
// DATA_CHAIN), then an empty data attribute leaves `type` so: the element
// says it has a chain, whose pointer is NULL, and reading it ran
// strlen(NULL) inside nftnl_set_elem_get (SIGSEGV before the guard).
TEST(NftnlGuard, AnElementWithAVerdictKeyAndEmptyDataIsRefused) {
  expect_refused(testing::join({table(), vmap(), element([](NftMessage& m) {
                                  m.open(NFTA_SET_ELEM_KEY);
                                  verdict(m, NFT_JUMP, "c");
                                  m.close();
                                  m.open(NFTA_SET_ELEM_DATA).close();
                                })}));
}

TEST(NftnlGuard, AnElementWithEmptyDataIsRefused) {
  expect_refused(element([](NftMessage& m) {
    key(m);
    m.open(NFTA_SET_ELEM_DATA).close();
  }));
}

TEST(NftnlGuard, AJumpWithoutItsChainOrAVerdictWithoutACodeIsRefused) {
  for (auto [c, chain] : {std::pair<std::optional<int32_t>, const char*>{NFT_JUMP, nullptr},
                          {NFT_GOTO, nullptr},
                          {std::nullopt, "c"},
                          {std::nullopt, nullptr}})
    expect_refused(element([c = c, chain = chain](NftMessage& m) {
      key(m);
      m.open(NFTA_SET_ELEM_DATA);
      verdict(m, c, chain);
      m.close();
    }));
}

TEST(NftnlGuard, DataWithBothAValueAndAVerdictIsRefused) {
  expect_refused(element([](NftMessage& m) {
    key(m);
    m.open(NFTA_SET_ELEM_DATA).raw(NFTA_DATA_VALUE, {1, 2, 3, 4});
    verdict(m, NF_ACCEPT, nullptr);
    m.close();
  }));
}

// nftnl_set_elem_parse_attr_cb checks types against NFTA_SET_MAX (18) and
// stores them in a tb[] of NFTA_SET_ELEM_MAX + 1 (12) on the stack.
TEST(NftnlGuard, AnElementAttributeBeyondLibnftnlsTableIsRefused) {
  for (uint16_t type : {uint16_t{0}, uint16_t{12}, uint16_t{18}})
    expect_refused(element([type](NftMessage& m) {
      key(m);
      m.raw(type, {0, 0, 0, 0});
    }));
}

TEST(NftnlGuard, AnImmediateJumpAsTheKernelSendsItDecodes) {
  auto rs = decode_dump_messages(
      testing::join({table(), chain("c"), rule("immediate", [](NftMessage& m) {
                       m.be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT).open(NFTA_IMMEDIATE_DATA);
                       verdict(m, NFT_JUMP, "d");
                       m.close();
                     })}));
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  const Rule& r = rs->tables.at(0).chains.at(0).rules.at(0);
  ASSERT_EQ(r.exprs.size(), 1u);
  const auto* im = std::get_if<Immediate>(&r.exprs[0]);
  ASSERT_NE(im, nullptr);
  ASSERT_TRUE(im->verdict);
  EXPECT_EQ(im->verdict->chain, "d");
}

// An immediate with empty data: libnftnl's `type` is left uninitialised
// and may say DATA_CHAIN with no chain.
TEST(NftnlGuard, AnImmediateWithEmptyDataIsRefused) {
  expect_refused(testing::join({table(), chain("c"), rule("immediate", [](NftMessage& m) {
                                  m.be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
                                  m.open(NFTA_IMMEDIATE_DATA).close();
                                })}));
}

// nftnl_expr_parse reads the name from a null attribute (SIGSEGV before
// the guard).
TEST(NftnlGuard, AnExpressionWithoutANameIsRefused) {
  expect_refused(testing::join({table(), chain("c"), rule(nullptr, [](NftMessage& m) {
                                  m.be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
                                })}));
}

TEST(NftnlGuard, AVerdictWhereOnlyAValueMayStandIsRefused) {
  expect_refused(rule("cmp", [](NftMessage& m) {
    m.be32(NFTA_CMP_SREG, NFT_REG_1).be32(NFTA_CMP_OP, NFT_CMP_EQ).open(NFTA_CMP_DATA);
    verdict(m, NFT_JUMP, "d");
    m.close();
  }));
}

TEST(NftnlGuard, ExpressionsInsideASetOrADynsetAreCheckedToo) {
  expect_refused(vmap([](NftMessage& m) {
    m.open(NFTA_SET_EXPR).open(NFTA_EXPR_DATA).close().close();  // no name
  }));
  expect_refused(rule("dynset", [](NftMessage& m) {
    m.str(NFTA_DYNSET_SET_NAME, "m").open(NFTA_DYNSET_EXPR);
    m.str(NFTA_EXPR_NAME, "immediate").open(NFTA_EXPR_DATA);
    m.open(NFTA_IMMEDIATE_DATA).close();  // empty
    m.close().close();
  }));
}

}  // namespace
}  // namespace icmpwall::audit
