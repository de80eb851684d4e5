// SPDX-License-Identifier: GPL-2.0-or-later
// Kernel errors mapped back to the policy: an extended ack's offset to the
// expression it falls in, the expression to the statement that produced
// it, the statement to its policy key; and the ack itself read from an
// NLMSG_ERROR as the kernel lays it out.
#include "icmpwall/netlink/kernel_error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>

#include <cerrno>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/policy/parser.h"
#include "parse_back.h"

namespace icmpwall::netlink {
namespace {

using testing::of_type;

auto file() {
  static auto f = std::make_shared<SourceFile>("p.toml", std::string(20, '\n'));
  return f;
}
SourceLoc at(uint32_t line, uint32_t col) {
  return {file(), line, col};
}

// One rule: iif (line 4), hop-limit (line 5), counter (no key), queue (line 6);
// the [[rule]] header is line 2.
nft::Table table() {
  nft::Table t;
  t.name = "icmpwall";
  t.objects.push_back(
      {nft::ObjectKind::counter, "rule.deep", {}, {at(2, 1), "rule 'deep' (inspect)"}});
  nft::Chain c{"input", nft::BaseHook{nft::NfHook::input, 0, false}, {}, {at(1, 1), "base chain"}};
  nft::Rule r;
  r.origin = {at(2, 1), "rule 'deep' (inspect)"};
  r.add(nft::Match{nft::Field::iifname, nft::ifname_bytes("veth0")}, at(4, 7));
  r.add(nft::Match{nft::Field::ip_ttl, nft::u8(64)}, at(5, 13));
  r.add(nft::CounterRef{"rule.deep"});
  r.add(nft::Queue{3, 1, true, false}, at(6, 10));
  c.rules.push_back(r);
  t.chains.push_back(c);
  return t;
}

struct Encoded {
  Batch batch{100};
  const MessageInfo* rule = nullptr;
};

void encode(Encoded& e) {
  Diagnostics diags;
  ASSERT_TRUE(encode_table(table(), {}, e.batch, diags).ok());
  e.batch.finish();
  auto rules = of_type(e.batch, NFT_MSG_NEWRULE);
  ASSERT_EQ(rules.size(), 1u);
  e.rule = e.batch.find(rules[0]->nlmsg_seq);
  ASSERT_NE(e.rule, nullptr);
}

// The diagnostic for an error with `offset` on the rule message.
Diagnostic report(const Encoded& e, int code, std::optional<uint32_t> offset) {
  Diagnostics diags;
  report_kernel_error(e.batch, KernelError{e.rule->seq, code, {}, offset}, diags);
  EXPECT_EQ(diags.items().size(), 1u);
  return diags.items().empty() ? Diagnostic{} : diags.items()[0];
}

TEST(KernelError, EachExpressionKnowsItsPolicyKey) {
  Encoded e;
  encode(e);
  std::vector<std::pair<std::string, uint32_t>> got;
  for (const auto& x : e.rule->exprs) got.emplace_back(x.name, x.loc.line);
  // iif: meta + cmp; hop-limit: its dependency (meta nfproto + cmp), then
  // payload + cmp; the counter has no key of its own (the header); queue.
  EXPECT_EQ(got, (std::vector<std::pair<std::string, uint32_t>>{{"meta", 4},
                                                                {"cmp", 4},
                                                                {"meta", 5},
                                                                {"cmp", 5},
                                                                {"payload", 5},
                                                                {"cmp", 5},
                                                                {"objref", 2},
                                                                {"queue", 6}}));
}

TEST(KernelError, OffsetInAnExpressionPointsAtItsKey) {
  Encoded e;
  encode(e);
  const auto& exprs = e.rule->exprs;
  ASSERT_EQ(exprs.size(), 8u);
  // Anywhere in the hop-limit's payload expression: its first byte, a
  // nested attribute, its last byte.
  for (uint32_t off : {exprs[4].begin, exprs[4].begin + 8, exprs[4].end - 1}) {
    auto d = report(e, EOPNOTSUPP, off);
    EXPECT_EQ(d.loc.line, 5u) << off;
    EXPECT_EQ(d.loc.col, 13u) << off;
    EXPECT_THAT(d.message, ::testing::HasSubstr("(expression 'payload')"));
    EXPECT_EQ(d.hint, "this kernel does not support that feature");
  }
  auto queue = report(e, ENOENT, exprs[7].begin + 4);
  EXPECT_EQ(queue.loc.line, 6u);
  EXPECT_EQ(queue.loc.col, 10u);
  EXPECT_EQ(
      queue.message,
      "kernel rejected rule 'deep' (inspect): No such file or directory (expression 'queue')");
  EXPECT_THAT(queue.hint, ::testing::HasSubstr("compat"));
  // An expression without a key of its own: the rule's header.
  EXPECT_EQ(report(e, ENOENT, exprs[6].begin).loc.line, 2u);
}

TEST(KernelError, WithoutAnExpressionTheRuleHeader) {
  Encoded e;
  encode(e);
  // No offset; an offset before the expressions (the table name); past them.
  for (std::optional<uint32_t> off :
       {std::optional<uint32_t>{}, std::optional<uint32_t>{20}, std::optional<uint32_t>{100000}}) {
    auto d = report(e, EOPNOTSUPP, off);
    EXPECT_EQ(d.loc.line, 2u);
    EXPECT_EQ(d.loc.col, 1u);
    EXPECT_EQ(d.message, "kernel rejected rule 'deep' (inspect): Operation not supported");
  }
  EXPECT_EQ(expr_at(*e.rule, std::nullopt), nullptr);
  EXPECT_EQ(expr_at(*e.rule, e.rule->exprs.front().begin), &e.rule->exprs.front());
  // Other messages have no expressions to point into.
  const MessageInfo* chain = e.batch.find(e.rule->seq - 1);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(expr_at(*chain, e.rule->exprs.front().begin), nullptr);
}

// NLMSG_ERROR with extended-ack TLVs, as the kernel sends it for a capped
// ack: the error, the request's header only, then the attributes.
std::vector<uint8_t> ack(uint32_t seq, int error, std::optional<uint32_t> offset,
                         const char* text) {
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE, 0);
  auto* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
  nlh->nlmsg_seq = seq;
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = -error;
  err->msg.nlmsg_len = 2000;  // the request's length; not echoed
  err->msg.nlmsg_seq = seq;
  if (text) mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
  if (offset) mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, *offset);
  buf.resize(nlh->nlmsg_len);
  return buf;
}

TEST(KernelError, ExtendedAckIsRead) {
  auto buf = ack(42, EOPNOTSUPP, 212, "no hop limit here");
  KernelError e;
  EXPECT_EQ(parse_kernel_error(reinterpret_cast<const nlmsghdr*>(buf.data()), e), EOPNOTSUPP);
  EXPECT_EQ(e.seq, 42u);
  EXPECT_EQ(e.code, EOPNOTSUPP);
  EXPECT_EQ(e.message, "no hop limit here");
  EXPECT_EQ(e.offset, 212u);

  auto plain = ack(43, ENOENT, std::nullopt, nullptr);
  KernelError p;
  EXPECT_EQ(parse_kernel_error(reinterpret_cast<const nlmsghdr*>(plain.data()), p), ENOENT);
  EXPECT_FALSE(p.offset.has_value());
  EXPECT_TRUE(p.message.empty());
}

TEST(KernelError, SyntheticAckPointsAtTheKey) {
  Encoded e;
  encode(e);
  const uint32_t off = e.rule->exprs[4].begin;  // the hop-limit's payload
  auto buf = ack(e.rule->seq, EOPNOTSUPP, off, nullptr);
  KernelError k;
  parse_kernel_error(reinterpret_cast<const nlmsghdr*>(buf.data()), k);
  Diagnostics diags;
  report_kernel_error(e.batch, k, diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].loc.line, 5u);
  EXPECT_EQ(diags.items()[0].loc.col, 13u);
}

// From the policy text: the compiler gives each statement its key's
// position, the encoder each expression its statement's.
TEST(KernelError, CompiledPolicyExpressionsPointAtTheirKeys) {
  const char* text =
      "[hooks.input]\n"                 // 1
      "default = \"drop\"\n"            // 2
      "\n"                              // 3
      "[[rule]]\n"                      // 4
      "name = \"x\"\n"                  // 5
      "types = [\"echo-request\"]\n"    // 6
      "iif = \"veth0\"\n"               // 7
      "source = \"198.18.0.0/15\"\n"    // 8
      "hop-limit = 64\n"                // 9
      "destination-type = \"local\"\n"  // 10
      "action = \"rate-limit\"\n"       // 11
      "rate = \"10/second\"\n"          // 12
      "log = true\n";                   // 13
  Diagnostics diags;
  auto policy = policy::parse_policy_text("p.toml", text, diags);
  ASSERT_TRUE(policy);
  auto table = compile::compile(*policy, diags);
  ASSERT_TRUE(table);
  Batch b(1);
  ASSERT_TRUE(encode_table(*table, {}, b, diags).ok());
  b.finish();
  std::vector<std::vector<std::pair<std::string, uint32_t>>> rules;  // of rule 'x'
  for (const auto& info : b.infos()) {
    if (info.kind != MsgKind::rule || info.origin.what != "rule 'x' (rate-limit)") continue;
    auto& r = rules.emplace_back();
    for (const auto& x : info.exprs) r.emplace_back(x.name, x.loc.line);
  }
  using Exprs = std::vector<std::pair<std::string, uint32_t>>;
  const Exprs conditions = {{"meta", 7},    {"cmp", 7},      // iif
                            {"meta", 8},    {"cmp", 8},      // source: meta nfproto ipv4
                            {"payload", 8}, {"bitwise", 8},  // ip saddr 198.18.0.0/15
                            {"cmp", 8},     {"payload", 9}, {"cmp", 9},  // ip ttl 64
                            {"fib", 10},    {"cmp", 10}};                // fib daddr type local
  auto with = [&](Exprs tail) {
    Exprs all = conditions;
    all.insert(all.end(), tail.begin(), tail.end());
    return all;
  };
  ASSERT_EQ(rules.size(), 3u);
  // Within the limit (the limit object: `rate`), counted (the header), accepted (`action`).
  EXPECT_EQ(rules[0], with({{"objref", 12}, {"objref", 4}, {"immediate", 11}}));
  // Logged (`log`), then over the limit: counted and dropped (`action`).
  EXPECT_EQ(rules[1], with({{"limit", 13}, {"log", 13}}));
  EXPECT_EQ(rules[2], with({{"objref", 4}, {"immediate", 11}}));
}

}  // namespace
}  // namespace icmpwall::netlink
