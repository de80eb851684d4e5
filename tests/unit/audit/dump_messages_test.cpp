// SPDX-License-Identifier: GPL-2.0-or-later
// decode_dump_messages on the answers a real kernel gave to a ruleset dump
// (recorded by tests/fuzz/record_dump.py: the seeds of the audit_decode
// fuzz target), and on those answers cut, reordered or padded.
#include "icmpwall/audit/dump_messages.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "icmpwall/audit/decode.h"
#include "icmpwall/netlink/handles.h"

namespace icmpwall::audit {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes seed(const char* name) {
  std::ifstream in(std::string(ICMPWALL_SOURCE_DIR) + "/tests/fuzz/corpus/audit_decode/" + name,
                   std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The messages of a recording, each with its padding.
std::vector<Bytes> split(const Bytes& all) {
  std::vector<Bytes> out;
  for (size_t pos = 0; pos + sizeof(nlmsghdr) <= all.size();) {
    nlmsghdr h;
    std::memcpy(&h, all.data() + pos, sizeof h);
    size_t len = NLMSG_ALIGN(h.nlmsg_len);
    out.emplace_back(all.begin() + pos, all.begin() + std::min(all.size(), pos + len));
    pos += len;
  }
  return out;
}

uint16_t type_of(const Bytes& m) {
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  return NFNL_MSG_TYPE(h.nlmsg_type);
}

Bytes join(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(DumpMessages, HostPresetAsTheKernelSentIt) {
  Bytes bytes = seed("icmpwall_host");
  ASSERT_GT(bytes.size(), 1000u);
  size_t rules = 0, chains = 0;
  for (const auto& m : split(bytes)) {
    rules += type_of(m) == NFT_MSG_NEWRULE;
    chains += type_of(m) == NFT_MSG_NEWCHAIN;
  }
  auto rs = decode_dump_messages(bytes);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  const Table* t = rs->table(NFPROTO_INET, "icmpwall");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->chains.size(), chains);
  EXPECT_EQ(rs->rule_count(), rules);
  EXPECT_GT(rules, 10u);
  EXPECT_GT(rs->element_count(), 0u);
  for (const Chain& c : t->chains)
    for (size_t i = 0; i < c.rules.size(); ++i) EXPECT_EQ(c.rules[i].index, i);
}

TEST(DumpMessages, IptablesNftRulesetDecodes) {
  auto rs = decode_dump_messages(seed("docker"));
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  EXPECT_NE(rs->table(NFPROTO_IPV4, "filter"), nullptr);
  EXPECT_GT(rs->rule_count(), 0u);
}

TEST(DumpMessages, ACutMessageIsAnErrorNamingIt) {
  Bytes bytes = seed("icmpwall_host");
  size_t messages = split(bytes).size();
  bytes.resize(bytes.size() - 8);
  auto rs = decode_dump_messages(bytes);
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.error().code, EBADMSG);
  EXPECT_NE(rs.error().message.find(fmt::format("after message {}", messages - 1)),
            std::string::npos)
      << rs.error().message;
}

TEST(DumpMessages, ARuleBeforeItsChainIsAChangeNotACrash) {
  auto parts = split(seed("icmpwall_host"));
  std::vector<Bytes> rules_first;
  for (const auto& m : parts)
    if (type_of(m) == NFT_MSG_NEWRULE) rules_first.push_back(m);
  ASSERT_FALSE(rules_first.empty());
  for (const auto& m : parts)
    if (type_of(m) != NFT_MSG_NEWRULE) rules_first.push_back(m);
  auto rs = decode_dump_messages(join(rules_first));
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.error().code, EINTR);
}

TEST(DumpMessages, DoneEndsTheRecordingAndOtherControlMessagesAreRefused) {
  Bytes table = split(seed("icmpwall_host")).front();
  for (uint16_t control : {uint16_t{NLMSG_DONE}, uint16_t{NLMSG_NOOP}}) {
    nlmsghdr h{NLMSG_LENGTH(4), control, 0, 0, 0};
    Bytes msg(NLMSG_ALIGN(h.nlmsg_len), 0);
    std::memcpy(msg.data(), &h, sizeof h);
    auto rs = decode_dump_messages(join({table, msg, Bytes{1, 2, 3}}));
    if (control == NLMSG_DONE) {
      ASSERT_TRUE(rs.ok()) << rs.error().message;
      EXPECT_EQ(rs->tables.size(), 1u);
    } else {
      ASSERT_FALSE(rs.ok());
      EXPECT_EQ(rs.error().code, EBADMSG);
    }
  }
}

// Found by audit_decode_fuzz: libmnl's mnl_nlmsg_ok compares the length
// as a signed int, so a message claiming 0xffffffff bytes passed for a
// whole one; libnftnl then parsed far past the buffer.
TEST(DumpMessages, ALengthBeyondTheBytesIsACutMessage) {
  Bytes table = split(seed("icmpwall_host")).front();
  uint32_t huge = 0xffffffff;
  std::memcpy(table.data(), &huge, sizeof huge);
  auto rs = decode_dump_messages(table);
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.error().code, EBADMSG);
}

TEST(DumpMessages, NothingIsAnEmptyRuleset) {
  auto rs = decode_dump_messages({});
  ASSERT_TRUE(rs.ok());
  EXPECT_TRUE(rs->tables.empty());
}

// Found by audit_decode_fuzz: a NEWCHAIN answer without NFTA_CHAIN_NAME
// made decode_chain build a std::string from a null pointer (SEGV). The
// kernel always names them; a model decoded from other bytes must not die.
TEST(DumpMessages, ObjectsWithoutANameDecodeWithAnEmptyName) {
  auto t = netlink::make_table();
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  EXPECT_EQ(decode_table(t.get()).name, "");
  auto c = netlink::make_chain();
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, "t");
  EXPECT_EQ(decode_chain(c.get()).name, "");
  auto s = netlink::make_set();
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, "t");
  EXPECT_EQ(decode_set(s.get()).name, "");
  auto o = netlink::make_obj();
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_CT_HELPER);
  EXPECT_EQ(decode_object(o.get()).name, "");
}

// Inputs the audit_decode fuzz target found on which libnftnl 1.2.4 itself
// crashed (the last one in CI: a set element whose data held neither a
// value nor a verdict after one whose data was a jump; the element then
// reported a chain that was NULL and nftnl_set_elem_get ran strlen on it).
// The audit refuses each before libnftnl sees it (nftnl_guard.h).
TEST(DumpMessages, MessagesThatCrashLibnftnlAreRefused) {
  for (const char* name :
       {"libnftnl_set_elem_data_without_value_or_verdict", "libnftnl_set_elem_attr_past_max",
        "libnftnl_set_elem_attr_type_0", "libnftnl_expr_without_name"}) {
    Bytes bytes = seed(name);
    ASSERT_FALSE(bytes.empty()) << name;
    auto rs = decode_dump_messages(bytes);
    ASSERT_FALSE(rs.ok()) << name;
    EXPECT_EQ(rs.error().code, EBADMSG) << name << ": " << rs.error().message;
  }
}

}  // namespace
}  // namespace icmpwall::audit
