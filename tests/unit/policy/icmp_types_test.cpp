// SPDX-License-Identifier: GPL-2.0-or-later
// policy/icmp_types.cpp: the registries, their names and flags, and the
// name lookups a policy relies on.
#include "icmpwall/policy/icmp_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace icmpwall::policy {

// Found by argument-dependent lookup, so they live in NamedMatch's namespace.
bool operator==(const NamedMatch& a, const NamedMatch& b) {
  return a.family == b.family && a.type == b.type && a.code == b.code;
}

void PrintTo(const NamedMatch& m, std::ostream* os) {
  *os << to_string(m.family) << " " << int(m.type);
  if (m.code) *os << "/" << int(*m.code);
}

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr Family v4 = Family::ipv4;
constexpr Family v6 = Family::ipv6;

TEST(IcmpTypesTest, NftSpellingsResolve) {
  const std::map<std::string, uint8_t> v4_names = {
      {"echo-reply", 0},           {"destination-unreachable", 3},
      {"source-quench", 4},        {"redirect", 5},
      {"echo-request", 8},         {"router-advertisement", 9},
      {"router-solicitation", 10}, {"time-exceeded", 11},
      {"parameter-problem", 12},   {"timestamp-request", 13},
      {"timestamp-reply", 14},     {"info-request", 15},
      {"info-reply", 16},          {"address-mask-request", 17},
      {"address-mask-reply", 18}};
  for (const auto& [name, type] : v4_names) {
    const auto* t = find_type(v4, type);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->name, name);
  }
  const std::map<std::string, uint8_t> v6_names = {
      {"destination-unreachable", 1}, {"packet-too-big", 2},        {"time-exceeded", 3},
      {"parameter-problem", 4},       {"echo-request", 128},        {"echo-reply", 129},
      {"mld-listener-query", 130},    {"mld-listener-report", 131}, {"mld-listener-done", 132},
      {"nd-router-solicit", 133},     {"nd-router-advert", 134},    {"nd-neighbor-solicit", 135},
      {"nd-neighbor-advert", 136},    {"nd-redirect", 137},         {"router-renumbering", 138},
      {"ind-neighbor-solicit", 141},  {"ind-neighbor-advert", 142}, {"mld2-listener-report", 143}};
  for (const auto& [name, type] : v6_names) {
    const auto* t = find_type(v6, type);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->name, name);
  }
}

TEST(IcmpTypesTest, NamesAreUniqueWithinAFamily) {
  // A name must mean one thing per family, type or type-and-code alike.
  std::map<std::pair<Family, std::string_view>, int> seen;
  for (const auto& t : icmp_types()) ++seen[{t.family, t.name}];
  for (const auto& c : icmp_codes()) ++seen[{c.family, c.name}];
  for (const auto& a : icmp_aliases()) ++seen[{a.family, a.name}];
  for (const auto& [key, n] : seen) EXPECT_EQ(n, 1) << key.second << " in " << to_string(key.first);
}

TEST(IcmpTypesTest, EveryCodeAndAliasBelongsToAKnownType) {
  for (const auto& c : icmp_codes()) EXPECT_NE(find_type(c.family, c.type), nullptr) << c.name;
  for (const auto& a : icmp_aliases()) {
    EXPECT_NE(find_type(a.family, a.type), nullptr) << a.name;
    if (a.code) {
      EXPECT_NE(find_code(a.family, a.type, *a.code), nullptr) << a.name;
    }
  }
}

TEST(IcmpTypesTest, DeprecatedPerRfc6918AndRfc6633) {
  std::set<int> deprecated;
  for (const auto& t : icmp_types()) {
    if (t.family == v6) {
      EXPECT_FALSE(t.deprecated) << t.name;
    }
    if (t.family == v4 && t.deprecated) deprecated.insert(t.type);
  }
  std::set<int> expected = {4, 6, 15, 16, 17, 18};
  for (int t = 30; t <= 39; ++t) expected.insert(t);
  EXPECT_EQ(deprecated, expected);
}

TEST(IcmpTypesTest, ErrorMessages) {
  for (uint8_t t : {3, 4, 5, 11, 12}) EXPECT_TRUE(find_type(v4, t)->error) << int(t);
  for (uint8_t t : {0, 8, 9, 10, 13}) EXPECT_FALSE(find_type(v4, t)->error) << int(t);
  // ICMPv6: types below 128 are errors (RFC 4443 2.1).
  for (const auto& t : icmp_types())
    if (t.family == v6) {
      EXPECT_EQ(t.error, t.type < 128) << t.name;
    }
}

TEST(IcmpTypesTest, UnassignedTypesHaveNoName) {
  EXPECT_EQ(find_type(v4, 1), nullptr);
  EXPECT_EQ(find_type(v4, 7), nullptr);
  EXPECT_EQ(find_type(v4, 200), nullptr);
  EXPECT_EQ(find_type(v6, 0), nullptr);
  EXPECT_EQ(find_type(v6, 2)->name, "packet-too-big");
  EXPECT_EQ(find_type(v4, 2), nullptr);
}

TEST(IcmpTypesTest, LookupGivesEveryFamilyMeaning) {
  EXPECT_THAT(lookup_name("echo-request"),
              ElementsAre(NamedMatch{v4, 8, {}}, NamedMatch{v6, 128, {}}));
  EXPECT_THAT(lookup_name("destination-unreachable"),
              ElementsAre(NamedMatch{v4, 3, {}}, NamedMatch{v6, 1, {}}));
  EXPECT_THAT(lookup_name("time-exceeded"),
              ElementsAre(NamedMatch{v4, 11, {}}, NamedMatch{v6, 3, {}}));
  EXPECT_THAT(lookup_name("parameter-problem"),
              ElementsAre(NamedMatch{v4, 12, {}}, NamedMatch{v6, 4, {}}));
  EXPECT_THAT(lookup_name("redirect"), ElementsAre(NamedMatch{v4, 5, {}}, NamedMatch{v6, 137, {}}));
  EXPECT_THAT(lookup_name("router-advertisement"),
              ElementsAre(NamedMatch{v4, 9, {}}, NamedMatch{v6, 134, {}}));
  EXPECT_THAT(lookup_name("router-solicitation"),
              ElementsAre(NamedMatch{v4, 10, {}}, NamedMatch{v6, 133, {}}));
  EXPECT_THAT(lookup_name("packet-too-big"), ElementsAre(NamedMatch{v6, 2, {}}));
  EXPECT_THAT(lookup_name("source-quench"), ElementsAre(NamedMatch{v4, 4, {}}));
}

TEST(IcmpTypesTest, AliasesOfNeighborDiscoveryAndMld) {
  EXPECT_THAT(lookup_name("nd-neighbor-solicit"), ElementsAre(NamedMatch{v6, 135, {}}));
  EXPECT_THAT(lookup_name("neighbor-solicitation"), ElementsAre(NamedMatch{v6, 135, {}}));
  EXPECT_THAT(lookup_name("neighbor-advertisement"), ElementsAre(NamedMatch{v6, 136, {}}));
  EXPECT_THAT(lookup_name("nd-router-advert"), ElementsAre(NamedMatch{v6, 134, {}}));
  EXPECT_THAT(lookup_name("mld-listener-done"), ElementsAre(NamedMatch{v6, 132, {}}));
  EXPECT_THAT(lookup_name("mld-listener-reduction"), ElementsAre(NamedMatch{v6, 132, {}}));
  EXPECT_THAT(lookup_name("information-request"), ElementsAre(NamedMatch{v4, 15, {}}));
}

TEST(IcmpTypesTest, TypeAndCodeNames) {
  EXPECT_THAT(lookup_name("frag-needed"), ElementsAre(NamedMatch{v4, 3, 4}));
  EXPECT_THAT(lookup_name("port-unreachable"),
              ElementsAre(NamedMatch{v4, 3, 3}, NamedMatch{v6, 1, 4}));
  EXPECT_THAT(lookup_name("admin-prohibited"),
              ElementsAre(NamedMatch{v4, 3, 13}, NamedMatch{v6, 1, 1}));
  EXPECT_THAT(lookup_name("ttl-exceeded"),
              ElementsAre(NamedMatch{v4, 11, 0}, NamedMatch{v6, 3, 0}));
  EXPECT_THAT(lookup_name("hop-limit-exceeded"), ElementsAre(NamedMatch{v6, 3, 0}));
  EXPECT_THAT(lookup_name("reassembly-timeout"),
              ElementsAre(NamedMatch{v4, 11, 1}, NamedMatch{v6, 3, 1}));
  EXPECT_THAT(lookup_name("host-redirect"), ElementsAre(NamedMatch{v4, 5, 1}));
  EXPECT_THAT(lookup_name("no-route"), ElementsAre(NamedMatch{v6, 1, 0}));
  EXPECT_THAT(lookup_name("addr-unreachable"), ElementsAre(NamedMatch{v6, 1, 3}));
  EXPECT_THAT(lookup_name("policy-fail"), ElementsAre(NamedMatch{v6, 1, 5}));
  EXPECT_THAT(lookup_name("reject-route"), ElementsAre(NamedMatch{v6, 1, 6}));
  EXPECT_THAT(lookup_name("unrecognized-next-header"), ElementsAre(NamedMatch{v6, 4, 1}));
}

TEST(IcmpTypesTest, UnknownNamesResolveToNothing) {
  EXPECT_THAT(lookup_name("echo-requets"), IsEmpty());
  EXPECT_THAT(lookup_name(""), IsEmpty());
  EXPECT_THAT(lookup_name("Echo-Request"), IsEmpty());
}

TEST(IcmpTypesTest, CodesWithinAType) {
  EXPECT_EQ(lookup_code(v4, 3, "frag-needed"), 4);
  EXPECT_EQ(lookup_code(v4, 3, "fragmentation-needed"), 4);
  EXPECT_EQ(lookup_code(v4, 3, "admin-prohibited"), 13);
  EXPECT_EQ(lookup_code(v6, 1, "admin-prohibited"), 1);
  EXPECT_EQ(lookup_code(v6, 3, "ttl-exceeded"), 0);
  EXPECT_EQ(lookup_code(v4, 5, "tos-host-redirect"), 3);
  EXPECT_EQ(lookup_code(v4, 11, "frag-needed"), std::nullopt);  // a code of another type
  EXPECT_EQ(lookup_code(v6, 137, "host-redirect"), std::nullopt);
  EXPECT_EQ(find_code(v4, 3, 4)->name, "frag-needed");
  EXPECT_EQ(find_code(v4, 3, 16), nullptr);
}

TEST(IcmpTypesTest, NearestNames) {
  EXPECT_THAT(nearest_names("echo-requets"), ElementsAre("echo-request", "info-request"));
  EXPECT_EQ(nearest_names("ehco-request", 1), std::vector<std::string>{"echo-request"});
  EXPECT_EQ(nearest_names("ECHO-REQUEST", 1), std::vector<std::string>{"echo-request"});
  EXPECT_EQ(nearest_names("packet-to-big", 1), std::vector<std::string>{"packet-too-big"});
  EXPECT_EQ(nearest_names("frag-neded", 1), std::vector<std::string>{"frag-needed"});
  // A prefix of a name is close, however many letters are missing.
  EXPECT_THAT(nearest_names("mld-listener"),
              ElementsAre("mld-listener-done", "mld-listener-query", "mld-listener-report"));
  EXPECT_THAT(nearest_names("qqqqqqqqqqqq"), IsEmpty());
  EXPECT_THAT(nearest_names(std::string(200, 'e')), IsEmpty());
  EXPECT_EQ(nearest_names("echo", 5).size(), 2u);
}

TEST(IcmpTypesTest, Describe) {
  EXPECT_EQ(describe(v4, 8), "echo-request");
  EXPECT_EQ(describe(v6, 135), "nd-neighbor-solicit");
  EXPECT_EQ(describe(v4, 200), "icmp type 200");
  EXPECT_EQ(describe(v6, 200), "icmpv6 type 200");
  EXPECT_EQ(describe(v6, 200, 3), "icmpv6 type 200 code 3");
  EXPECT_EQ(describe(v4, 3, 4), "destination-unreachable/frag-needed");
  EXPECT_EQ(describe(v4, 3, 200), "destination-unreachable/200");
  EXPECT_EQ(describe(v6, 3, 0), "time-exceeded/hop-limit-exceeded");
}

TEST(IcmpTypesTest, ListTypes) {
  std::string list = list_types();
  EXPECT_THAT(list, ::testing::HasSubstr("ICMPv4 (icmp:N)\n"));
  EXPECT_THAT(list, ::testing::HasSubstr("ICMPv6 (icmpv6:N)\n"));
  EXPECT_THAT(list, ::testing::HasSubstr("    4  source-quench  [error]  [deprecated]\n"));
  EXPECT_THAT(list, ::testing::HasSubstr("  135  nd-neighbor-solicit, neighbor-solicitation\n"));
  EXPECT_THAT(list, ::testing::HasSubstr("       /4   frag-needed, fragmentation-needed\n"));
  EXPECT_THAT(list, ::testing::HasSubstr("       /0   hop-limit-exceeded, ttl-exceeded\n"));
  // ICMPv4 comes first.
  EXPECT_LT(list.find("ICMPv4"), list.find("ICMPv6"));
}

TEST(PolicyTest, ToString) {
  EXPECT_STREQ(to_string(Family::ipv6), "ipv6");
  EXPECT_STREQ(to_string(Hook::forward), "forward");
  EXPECT_STREQ(to_string(Action::rate_limit), "rate-limit");
  EXPECT_STREQ(to_string(Action::inspect), "inspect");
  EXPECT_STREQ(to_string(AddrType::broadcast), "broadcast");
  EXPECT_STREQ(to_string(RateUnit::hour), "hour");
}

}  // namespace
}  // namespace icmpwall::policy
