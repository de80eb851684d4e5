// SPDX-License-Identifier: GPL-2.0-or-later
// The JSON report of a ruleset decoded from dump messages whose names and
// comments are not UTF-8 (anyone who can load a ruleset chooses them): it
// is written, never thrown, and stays valid JSON with each bad byte as
// U+FFFD.
//
// glibc's <netinet/in.h> before the kernel's headers (report.h brings
// <arpa/inet.h>, which clashes with <linux/in.h> the other way round).
// clang-format off
#include <netinet/in.h>
// clang-format on
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <nlohmann/json.hpp>
#include <string>

#include "icmpwall/audit/dump_messages.h"
#include "icmpwall/audit/report.h"
#include "nft_message.h"

namespace icmpwall::audit {
namespace {

using testing::NftMessage;

// Table "t\xff", base chain "in\xfe" on ipv4 input, and one rule (handle
// 7, comment "x\xffy") that drops everything.
std::vector<uint8_t> dump_with_bad_bytes() {
  const std::string table = "t\xff", chain = "in\xfe";
  auto t = NftMessage(NFT_MSG_NEWTABLE, NFPROTO_IPV4).str(NFTA_TABLE_NAME, table).bytes();
  NftMessage c(NFT_MSG_NEWCHAIN, NFPROTO_IPV4);
  c.str(NFTA_CHAIN_TABLE, table).str(NFTA_CHAIN_NAME, chain).be64(NFTA_CHAIN_HANDLE, 1);
  c.open(NFTA_CHAIN_HOOK).be32(NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_IN).be32(NFTA_HOOK_PRIORITY, 0);
  c.close().be32(NFTA_CHAIN_POLICY, NF_ACCEPT).str(NFTA_CHAIN_TYPE, "filter");
  NftMessage r(NFT_MSG_NEWRULE, NFPROTO_IPV4);
  r.str(NFTA_RULE_TABLE, table).str(NFTA_RULE_CHAIN, chain).be64(NFTA_RULE_HANDLE, 7);
  r.open(NFTA_RULE_EXPRESSIONS).open(NFTA_LIST_ELEM).str(NFTA_EXPR_NAME, "immediate");
  r.open(NFTA_EXPR_DATA).be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT).open(NFTA_IMMEDIATE_DATA);
  r.open(NFTA_DATA_VERDICT).be32(NFTA_VERDICT_CODE, NF_DROP).close();
  r.close().close().close().close();
  // user data: one record, the comment (NFTNL_UDATA_RULE_COMMENT, 0)
  r.raw(NFTA_RULE_USERDATA, {0, 4, 'x', 0xff, 'y', 0});
  return testing::join({t, c.bytes(), r.bytes()});
}

TEST(ReportJson, NamesAndCommentsThatAreNotUtf8FromADumpStayValidJson) {
  auto rs = decode_dump_messages(dump_with_bad_bytes());
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  ASSERT_EQ(rs->rule_count(), 1u);
  EXPECT_EQ(rs->tables[0].chains[0].rules[0].comment, std::string("x\xffy"));
  ReportFilter only_echo;
  only_echo.family = policy::Family::ipv4;
  only_echo.hook = policy::Hook::input;
  only_echo.type = 8;
  auto entries = build_report(*rs, only_echo);
  ASSERT_FALSE(entries.empty());
  std::string json;
  ASSERT_NO_THROW(json = render_json(entries));
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json;
  const auto& by = parsed["entries"][0]["decided_by"];
  EXPECT_EQ(parsed["entries"][0]["outcome"], "dropped");
  EXPECT_EQ(by["table"], "t\xef\xbf\xbd");
  EXPECT_EQ(by["chain"], "in\xef\xbf\xbd");
  EXPECT_EQ(by["handle"], 7);
}

}  // namespace
}  // namespace icmpwall::audit
