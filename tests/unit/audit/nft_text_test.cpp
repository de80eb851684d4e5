// SPDX-License-Identifier: GPL-2.0-or-later
// nft_text(): rules, set elements, objects, sets and chains in nft syntax.
//
// Every rule of the compiler's statement shapes (tests/golden/nft_shapes.toml,
// in both queue modes) renders without a fallback, and a selection is
// checked word for word against what `nft list` printed for the same
// table (the integration test audit_nft_text_test.cpp compares all of them
// with the real nft). Expressions the renderer does not know fall back to
// their register text after "# unrendered: ".
#include "icmpwall/audit/nft_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <set>

#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/drift.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Table shapes(netlink::QueueMode mode) {
  Diagnostics diags;
  auto policy = policy::parse_policy_file(
      std::string(ICMPWALL_SOURCE_DIR) + "/tests/golden/nft_shapes.toml", diags);
  EXPECT_TRUE(policy.has_value());
  if (!policy) return {};
  auto model = compile::compile(*policy, diags);
  EXPECT_TRUE(model.has_value());
  if (!model) return {};
  auto table = expected_table(*model, mode);
  EXPECT_TRUE(table.ok()) << table.error().message;
  return table.ok() ? *table : Table{};
}

std::set<std::string> rule_texts(const Table& t) {
  std::set<std::string> out;
  for (const auto& c : t.chains)
    for (const auto& r : c.rules) out.insert(nft_text(r, &t));
  return out;
}

TEST(NftTextTest, EveryCompiledShapeRendersWithoutFallback) {
  for (auto mode : {netlink::QueueMode::compat, netlink::QueueMode::native}) {
    const Table t = shapes(mode);
    ASSERT_FALSE(t.chains.empty());
    for (const auto& c : t.chains)
      for (const auto& r : c.rules) {
        const std::string text = nft_text(r, &t);
        EXPECT_THAT(text, Not(HasSubstr("unrendered"))) << c.name << ": " << describe(r);
        EXPECT_FALSE(text.empty()) << c.name;
      }
  }
}

TEST(NftTextTest, RulesReadAsNftListPrintsThem) {
  // Lines of `nft list table inet icmpwall` for this policy (nftables 1.0.6),
  // counters without their values.
  const auto texts = rule_texts(shapes(netlink::QueueMode::compat));
  for (const char* line : {
           "meta l4proto icmp jump input.v4",
           "meta l4proto ipv6-icmp jump forward.v6",
           "ip saddr @inspect.blocked.v4 counter name \"inspect.blocked\" drop",
           "ip frag-off & 8191 != 0 counter name \"fragments.input\" accept",
           "frag frag-off != 0 counter name \"fragments.output\" accept",
           "icmp type . icmp code vmap @verdicts.input.v4",
           "icmpv6 type . icmpv6 code vmap @verdicts.forward.v6",
           "iifname \"veth0\" ip saddr 198.18.0.0/15 ip daddr 198.19.2.0/24 counter name "
           "\"rule.unreach-codes\" accept",
           "iifname @lan-echo.iif oifname \"veth2\" ip saddr @lan-echo.source.v4 update "
           "@lan-echo.sources.v4 { ip saddr & 255.255.255.0 limit rate 100/second burst 200 "
           "packets } counter name \"rule.lan-echo\" accept",
           "iifname @lan-echo.iif oifname \"veth2\" ip6 saddr @lan-echo.source.v6 update "
           "@lan-echo.sources.v6 { ip6 saddr & ffff:ffff:ffff:ff00:: limit rate 100/second burst "
           "200 packets } counter name \"rule.lan-echo\" accept",
           "iifname @lan-echo.iif oifname \"veth2\" ip saddr @lan-echo.source.v4 limit rate "
           "5/minute log prefix \"icmpwall lan-echo \"",
           "ip ttl 1 fib daddr type @ttl-one.destination-type counter name \"rule.ttl-one\" drop",
           "ip6 hoplimit 255 counter name \"rule.nd\" accept",
           "ip6 saddr fe80::/10 counter name \"rule.v6-link-local\" accept",
           "limit name \"rule.global-echo\" counter name \"rule.global-echo\" accept",
           "limit name \"rule.reply-check\" counter name \"rule.reply-check\" queue num 4-5",
           "limit rate 5/minute log prefix \"icmpwall in \"",
           "counter name \"default.input\" drop",
       })
    EXPECT_TRUE(texts.count(line)) << "not rendered: " << line;
  if (::testing::Test::HasFailure())
    for (const auto& t : texts) ADD_FAILURE() << "rendered: " << t;
}

TEST(NftTextTest, NativeQueueReadsAsNftPrintsTheQueueStatement) {
  const auto texts = rule_texts(shapes(netlink::QueueMode::native));
  EXPECT_TRUE(
      texts.count("limit name \"rule.reply-check\" counter name \"rule.reply-check\" queue to 4-5"))
      << ::testing::PrintToString(texts);
}

Rule rule_of(std::vector<Expr> exprs) {
  Rule r;
  r.exprs = std::move(exprs);
  return r;
}

// A policy with [icmpwall] log-group (tests/golden/nflog.toml): its logs,
// decoded from what the encoder sends, read as nft lists them.
TEST(NftTextTest, NflogGroupLogsReadAsNftListsThem) {
  Diagnostics diags;
  auto policy = policy::parse_policy_file(
      std::string(ICMPWALL_SOURCE_DIR) + "/tests/golden/nflog.toml", diags);
  ASSERT_TRUE(policy.has_value());
  auto model = compile::compile(*policy, diags);
  ASSERT_TRUE(model.has_value());
  auto table = expected_table(*model, netlink::QueueMode::compat);
  ASSERT_TRUE(table.ok()) << table.error().message;
  const auto texts = rule_texts(*table);
  EXPECT_TRUE(texts.count("limit rate 5/minute log prefix \"icmpwall default.input \" group 3"))
      << ::testing::PrintToString(texts);
  EXPECT_TRUE(
      texts.count("limit rate 10/second burst 20 packets log prefix "
                  "\"icmpwall no-timestamps \" group 3"))
      << ::testing::PrintToString(texts);
  // nft's other log options, in nft's order.
  EXPECT_EQ(nft_text(rule_of({Log{"x ", 2, 64, 4, {}, {}}}), nullptr),
            "log prefix \"x \" group 2 snaplen 64 queue-threshold 4");
  EXPECT_EQ(nft_text(rule_of({Log{"", 0, {}, {}, {}, {}}}), nullptr), "log group 0");
}

// `nft insert rule inet icmpwall input icmp type echo-request drop`
TEST(NftTextTest, DependenciesNftAddedAreLeftOut) {
  const Rule r = rule_of({Meta{NFT_META_NFPROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {NFPROTO_IPV4}},
                          Meta{NFT_META_L4PROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {1}},
                          Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 1, {}},
                          Cmp{1, NFT_CMP_EQ, {8}}, Immediate{0, Verdict{NF_DROP, {}}, {}}});
  EXPECT_EQ(nft_text(r, nullptr), "icmp type echo-request drop");
  // a dependency nothing needs stays
  const Rule alone = rule_of({Meta{NFT_META_NFPROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {NFPROTO_IPV6}},
                              Immediate{0, Verdict{NF_ACCEPT, {}}, {}}});
  EXPECT_EQ(nft_text(alone, nullptr), "meta nfproto ipv6 accept");
}

TEST(NftTextTest, MergedTypeAndCodeSplitBackIntoBothFields) {
  const Rule r = rule_of({Meta{NFT_META_NFPROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {NFPROTO_IPV4}},
                          Meta{NFT_META_L4PROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {1}},
                          Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, 1, {}},
                          Cmp{1, NFT_CMP_EQ, {3, 4}}, Immediate{0, Verdict{NF_ACCEPT, {}}, {}}});
  EXPECT_EQ(nft_text(r, nullptr), "icmp type destination-unreachable icmp code frag-needed accept");
}

TEST(NftTextTest, CtStateAndCommentAsNftPrintsThem) {
  Rule r = rule_of({Ct{NFT_CT_STATE, {}, 1, {}},
                    Bitwise{1, 1, 4, NFT_BITWISE_BOOL, {6, 0, 0, 0}, {0, 0, 0, 0}, {}},
                    Cmp{1, NFT_CMP_NEQ, {0, 0, 0, 0}}, Immediate{0, Verdict{NF_ACCEPT, {}}, {}}});
  r.comment = "kept";
  EXPECT_EQ(nft_text(r, nullptr), "ct state established,related accept comment \"kept\"");
}

TEST(NftTextTest, WhatCannotBeRenderedIsSaidWithItsRegisterText) {
  const Rule r = rule_of({Unknown{"tproxy"}, Immediate{0, Verdict{NF_DROP, {}}, {}}});
  EXPECT_EQ(nft_text(r, nullptr), "drop # unrendered: unknown tproxy");
  // a compare on a load that cannot be named: both go to the fallback
  const Rule shifted = rule_of({Meta{NFT_META_MARK, 1, {}},
                                Bitwise{1, 1, 4, NFT_BITWISE_LSHIFT, {}, {}, {2, 0, 0, 0}},
                                Cmp{1, NFT_CMP_EQ, {4, 0, 0, 0}}});
  const std::string text = nft_text(shifted, nullptr);
  EXPECT_THAT(text, ::testing::StartsWith("# unrendered: meta mark -> r1; bitwise r1 = r1 <<"));
  EXPECT_THAT(text, HasSubstr("; cmp eq r1 04000000"));
  // an xt match other than the NFQUEUE target
  const Rule xt = rule_of({Match{"conntrack", 3, Bytes(8, 0)}});
  EXPECT_EQ(nft_text(xt, nullptr), "# unrendered: match conntrack rev 3 (8 bytes)");
}

TEST(NftTextTest, ElementsObjectsSetsAndChains) {
  const Table t = shapes(netlink::QueueMode::compat);
  const Set* vmap = t.set("verdicts.input.v4");
  ASSERT_NE(vmap, nullptr);
  std::set<std::string> elements;
  for (const auto& e : vmap->elements) elements.insert(nft_text(*vmap, e));
  EXPECT_TRUE(elements.count("echo-request . 0-255 : jump input.v4.8"))
      << ::testing::PrintToString(elements);
  EXPECT_TRUE(elements.count("destination-unreachable . frag-needed : jump input.v4.3.4"));
  EXPECT_EQ(nft_text(*vmap), "type icmp_type . icmp_code : verdict; flags interval");
  const Set* sources = t.set("lan-echo.sources.v4");
  ASSERT_NE(sources, nullptr);
  EXPECT_EQ(nft_text(*sources), "type ipv4_addr; flags dynamic,timeout; timeout 1m");
  const Object* limit = t.object("rule.reply-check");
  ASSERT_NE(limit, nullptr);
  for (const auto& o : t.objects) {
    if (o.name == "rule.reply-check" && o.type == NFT_OBJECT_LIMIT) {
      EXPECT_EQ(nft_text(o), "limit rate 50/second burst 100 packets");
    } else if (o.name == "rule.reply-check") {
      EXPECT_EQ(nft_text(o), "counter");
    }
  }
  EXPECT_EQ(nft_text(*t.chain("input")), "type filter hook input priority filter; policy accept;");
  EXPECT_EQ(nft_text(*t.chain("input.v4")), "regular chain");
}

}  // namespace
}  // namespace icmpwall::audit
