// SPDX-License-Identifier: GPL-2.0-or-later
// encode_set / encode_elements: set declarations (flags, datatype ids,
// userdata bytes) and element encoding, against what nft 1.0.6 sends for
// the same `set` / `map` blocks (captured with `nft --debug=mnl,netlink`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "parse_back.h"

namespace icmpwall::netlink {
namespace {

using ::testing::HasSubstr;

std::vector<uint8_t> userdata(nftnl_set* s) {
  uint32_t len = 0;
  const auto* p = static_cast<const uint8_t*>(nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len));
  return p ? std::vector<uint8_t>(p, p + len) : std::vector<uint8_t>{};
}

// Builds the NEWSET message and parses it back.
SetPtr roundtrip(const nft::Set& set, uint32_t id = 1) {
  auto s = encode_set("icmpwall", set, id);
  std::vector<char> buf(1 << 16);
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, 1);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  return testing::parse_set(nlh);
}

// Builds one NEWSETELEM message with every element and prints it back.
std::string elements(const nft::Set& set) {
  auto s = encode_set("icmpwall", set, 1);
  for (auto& e : encode_elements(set)) nftnl_set_elem_add(s.get(), e.release());
  std::vector<char> buf(1 << 20);
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE, 1);
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  return testing::elements_text(nlh);
}

nft::Set verdict_map() {
  nft::Set m;
  m.name = "verdicts.input.v4";
  m.key = nft::KeyType::icmp_type_code;
  m.map = true;
  m.interval = true;
  m.elements.push_back({{8, 0, 0, 0, 0, 0, 0, 0},
                        {8, 0, 0, 0, 255, 0, 0, 0},
                        nft::Verdict{nft::VerdictKind::jump, "input.v4.8"}});
  m.elements.push_back(
      {{3, 0, 0, 0, 4, 0, 0, 0}, {}, nft::Verdict{nft::VerdictKind::jump, "input.v4.8"}});
  return m;
}

nft::Set v4_interval() {
  nft::Set s;
  s.name = "r.source.v4";
  s.key = nft::KeyType::ipv4_addr;
  s.interval = true;
  s.elements.push_back({{198, 18, 0, 0}, {198, 18, 0, 255}, {}});
  s.elements.push_back({{198, 19, 1, 1}, {198, 19, 1, 7}, {}});
  return s;
}

TEST(EncodeSet, ConcatIntervalVerdictMap) {
  auto s = roundtrip(verdict_map(), 6);
  ASSERT_TRUE(s);
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS), 0x8cu);      // concat|map|interval
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE), 0x3a0u);  // icmp_type . icmp_code
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN), 8u);
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_DATA_TYPE), 0xffffff00u);  // NFT_DATA_VERDICT
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_ID), 6u);
  uint32_t len = 0;
  const auto* fields =
      static_cast<const uint8_t*>(nftnl_set_get_data(s.get(), NFTNL_SET_DESC_CONCAT, &len));
  ASSERT_NE(fields, nullptr);
  EXPECT_EQ(fields[0], 1);
  EXPECT_EQ(fields[1], 1);
  EXPECT_EQ(fields[2], 0);
  // key byteorder 0, data byteorder 0, typeof { concat, {} }, data interval 0
  EXPECT_EQ(
      userdata(s.get()),
      (std::vector<uint8_t>{0x00, 0x04, 0,    0, 0, 0, 0x01, 0x04, 0,    0,    0, 0, 0x03, 0x08,
                            0x00, 0x04, 0x0d, 0, 0, 0, 0x01, 0x00, 0x06, 0x04, 0, 0, 0,    0}));
}

TEST(EncodeSet, Icmpv6ConcatTypeId) {
  auto m = verdict_map();
  m.key = nft::KeyType::icmpv6_type_code;
  auto s = roundtrip(m);
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE), (29u << 6) | 33u);
}

TEST(EncodeSet, PlainSets) {
  auto v4 = roundtrip(v4_interval());
  EXPECT_EQ(nftnl_set_get_u32(v4.get(), NFTNL_SET_FLAGS), 0x4u);
  EXPECT_EQ(nftnl_set_get_u32(v4.get(), NFTNL_SET_KEY_TYPE), 7u);
  EXPECT_EQ(nftnl_set_get_u32(v4.get(), NFTNL_SET_KEY_LEN), 4u);
  EXPECT_FALSE(nftnl_set_is_set(v4.get(), NFTNL_SET_DATA_TYPE));
  EXPECT_EQ(userdata(v4.get()), (std::vector<uint8_t>{0x00, 0x04, 2, 0, 0, 0}));  // big endian

  nft::Set ifn{"r.iif", nft::KeyType::ifname, false, false, false, 0, 0, {}, {}};
  auto i = roundtrip(ifn);
  EXPECT_EQ(nftnl_set_get_u32(i.get(), NFTNL_SET_FLAGS), 0u);
  EXPECT_EQ(nftnl_set_get_u32(i.get(), NFTNL_SET_KEY_TYPE), 41u);
  EXPECT_EQ(nftnl_set_get_u32(i.get(), NFTNL_SET_KEY_LEN), 16u);
  EXPECT_EQ(userdata(i.get()), (std::vector<uint8_t>{0x00, 0x04, 1, 0, 0, 0}));  // host

  nft::Set fib{"r.dt", nft::KeyType::fib_addrtype, false, false, false, 0, 0, {}, {}};
  auto f = roundtrip(fib);
  EXPECT_EQ(nftnl_set_get_u32(f.get(), NFTNL_SET_KEY_TYPE), 38u);
  EXPECT_EQ(nftnl_set_get_u32(f.get(), NFTNL_SET_KEY_LEN), 4u);
}

TEST(EncodeSet, DynamicPerSourceSet) {
  nft::Set d{"r.sources.v6", nft::KeyType::ipv6_addr, false, false, true, 60000, 65535, {}, {}};
  auto s = roundtrip(d);
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS), 0x30u);  // timeout|dynamic
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE), 8u);
  EXPECT_EQ(nftnl_set_get_u64(s.get(), NFTNL_SET_TIMEOUT), 60000u);
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_DESC_SIZE), 65535u);
}

TEST(EncodeElements, Ipv4IntervalsAsNftSendsThem) {
  // nft: element 0 [end], 198.18.0.0, 198.18.1.0 [end], 198.19.1.1, 198.19.1.8 [end]
  EXPECT_THAT(elements(v4_interval()),
              HasSubstr("element 00000000  : 1 [end]\telement 000012c6  : 0 [end]\t"
                        "element 000112c6  : 1 [end]\telement 010113c6  : 0 [end]\t"
                        "element 080113c6  : 1 [end]"));
}

TEST(EncodeElements, IntervalEdges) {
  nft::Set s{"s", nft::KeyType::ipv4_addr, false, true, false, 0, 0, {}, {}};
  // Starts at 0 (no leading end element), single address, reaches the top.
  s.elements.push_back({{0, 0, 0, 0}, {0, 0, 0, 255}, {}});
  s.elements.push_back({{10, 0, 0, 1}, {}, {}});
  s.elements.push_back({{255, 255, 255, 0}, {255, 255, 255, 255}, {}});
  auto els = encode_elements(s);
  ASSERT_EQ(els.size(), 5u);
  auto key = [&](size_t i) {
    uint32_t len = 0;
    const auto* p =
        static_cast<const uint8_t*>(nftnl_set_elem_get(els[i].get(), NFTNL_SET_ELEM_KEY, &len));
    return std::vector<uint8_t>(p, p + len);
  };
  auto is_end = [&](size_t i) {
    return nftnl_set_elem_is_set(els[i].get(), NFTNL_SET_ELEM_FLAGS) &&
           (nftnl_set_elem_get_u32(els[i].get(), NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
  };
  EXPECT_EQ(key(0), (std::vector<uint8_t>{0, 0, 0, 0}));
  EXPECT_FALSE(is_end(0));
  EXPECT_EQ(key(1), (std::vector<uint8_t>{0, 0, 1, 0}));
  EXPECT_TRUE(is_end(1));
  EXPECT_EQ(key(2), (std::vector<uint8_t>{10, 0, 0, 1}));
  EXPECT_EQ(key(3), (std::vector<uint8_t>{10, 0, 0, 2}));
  EXPECT_TRUE(is_end(3));
  EXPECT_EQ(key(4), (std::vector<uint8_t>{255, 255, 255, 0}));  // open to the top
  EXPECT_FALSE(is_end(4));
}

TEST(EncodeElements, UnsortedIntervalsAreSentInAscendingOrder) {
  nft::Set s{"s", nft::KeyType::ipv4_addr, false, true, false, 0, 0, {}, {}};
  s.elements.push_back({{10, 0, 0, 1}, {}, {}});
  s.elements.push_back({{0, 0, 0, 0}, {0, 0, 0, 255}, {}});
  auto els = encode_elements(s);
  ASSERT_EQ(els.size(), 4u);
  std::vector<std::vector<uint8_t>> keys;
  for (const auto& e : els) {
    uint32_t len = 0;
    const auto* p =
        static_cast<const uint8_t*>(nftnl_set_elem_get(e.get(), NFTNL_SET_ELEM_KEY, &len));
    keys.emplace_back(p, p + len);
  }
  EXPECT_EQ(keys, (std::vector<std::vector<uint8_t>>{
                      {0, 0, 0, 0}, {0, 0, 1, 0}, {10, 0, 0, 1}, {10, 0, 0, 2}}));
}

TEST(EncodeElements, ConcatMapCarriesKeyAndKeyEnd) {
  EXPECT_THAT(
      elements(verdict_map()),
      HasSubstr("element 00000008 00000000  - 00000008 000000ff  : jump -> input.v4.8 0 [end]\t"
                "element 00000003 00000004  - 00000003 00000004  : jump -> input.v4.8 0 [end]"));
  for (auto& e : encode_elements(verdict_map()))
    EXPECT_FALSE(nftnl_set_elem_is_set(e.get(), NFTNL_SET_ELEM_FLAGS));  // no interval-end elements
}

TEST(EncodeElements, HashSetKeysOnly) {
  nft::Set s{"r.iif", nft::KeyType::ifname, false, false, false, 0, 0, {}, {}};
  s.elements.push_back({nft::ifname_bytes("eth0"), {}, {}});
  s.elements.push_back({nft::ifname_bytes("lo"), {}, {}});
  EXPECT_THAT(elements(s), HasSubstr("element 30687465 00000000 00000000 00000000  : 0 [end]\t"
                                     "element 00006f6c 00000000 00000000 00000000  : 0 [end]"));
}

}  // namespace
}  // namespace icmpwall::netlink
