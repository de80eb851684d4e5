// SPDX-License-Identifier: GPL-2.0-or-later
// The bouncer stream as the local API sends it, and as a hostile or broken
// one could: invalid JSON, wrong shapes, huge and deeply nested bodies,
// bad scopes, values and durations. Nothing throws; good decisions in a
// body with bad ones are kept.
#include "icmpwall/daemon/crowdsec_decisions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace icmpwall::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(CrowdSecDecisions, ParsesWhatTheLocalApiSends) {
  auto u = parse_stream(
      R"({"deleted":null,"new":[{"duration":"4m59.504414161s","id":1,"origin":"cscli",)"
      R"("scenario":"test","scope":"Ip","type":"ban","value":"198.18.7.7"},)"
      R"({"duration":"1m59.7s","id":2,"origin":"icmpwall","scenario":"icmpwall/tunnel",)"
      R"("scope":"Range","type":"ban","value":"2001:db8:5::/64"}]})");
  ASSERT_TRUE(u) << u.error().message;
  ASSERT_EQ(u->added.size(), 2u);
  EXPECT_EQ(u->added[0].id, 1u);
  EXPECT_EQ(to_string(u->added[0].prefix), "198.18.7.7/32");
  EXPECT_EQ(u->added[0].remaining, 299504ms);
  EXPECT_EQ(u->added[0].origin, "cscli");
  EXPECT_EQ(to_string(u->added[1].prefix), "2001:db8:5::/64");
  EXPECT_EQ(u->added[1].scenario, "icmpwall/tunnel");
  EXPECT_TRUE(u->deleted.empty());
  EXPECT_EQ(u->rejected, 0u);
}

TEST(CrowdSecDecisions, DeletedOnesNeedNoValidDuration) {
  auto u = parse_stream(
      R"({"new":null,"deleted":[{"duration":"-3.5s","id":7,"scope":"ip","type":"ban",)"
      R"("value":"198.18.7.7"},{"id":8,"scope":"Ip","type":"ban","value":"198.18.7.8"}]})");
  ASSERT_TRUE(u) << u.error().message;
  ASSERT_EQ(u->deleted.size(), 2u);
  EXPECT_EQ(u->deleted[0].remaining, -3500ms);
  EXPECT_EQ(u->deleted[1].id, 8u);
}

TEST(CrowdSecDecisions, OtherTypesAndScopesAreIgnored) {
  auto u = parse_stream(
      R"({"new":[{"duration":"1m","id":1,"scope":"Ip","type":"captcha","value":"198.18.7.7"},)"
      R"({"duration":"1m","id":2,"scope":"Country","type":"ban","value":"FR"},)"
      R"({"duration":"1m","id":3,"scope":"AS","type":"ban","value":"1234"}]})");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->added.empty());
  EXPECT_EQ(u->ignored, 3u);
  EXPECT_EQ(u->rejected, 0u);
}

TEST(CrowdSecDecisions, HostileBodiesAreErrors) {
  for (const std::string body :
       {"", "not json", "[]", "42", "\"new\"", R"({"new":{}})", R"({"new":"x"})", R"({"new":[)",
        "{\"new\":[\xff\xfe]}", R"({"deleted":7})"}) {
    auto u = parse_stream(body);
    EXPECT_FALSE(u) << body;
  }
  EXPECT_THAT(parse_stream(std::string(kMaxStreamBytes + 1, ' ')).error().message,
              HasSubstr("larger than"));
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THAT(parse_stream(deep).error().message, HasSubstr("nests deeper"));
  const std::string deep_in_list =
      R"({"new":[)" + std::string(5000, '{') + std::string(5000, '}') + "]}";
  EXPECT_FALSE(parse_stream(deep_in_list));
  // Brackets inside strings do not count as nesting.
  auto quoted = parse_stream(R"({"new":[],"note":")" + std::string(1000, '[') + R"("})");
  EXPECT_TRUE(quoted);
}

TEST(CrowdSecDecisions, BadDecisionsAreRejectedOneByOne) {
  const char* bad[] = {
      R"({"duration":"1m","scope":"Ip","type":"ban","value":"198.18.7.7"})",            // no id
      R"({"duration":"1m","id":-1,"scope":"Ip","type":"ban","value":"198.18.7.7"})",    // id < 0
      R"({"duration":"1m","id":"1","scope":"Ip","type":"ban","value":"198.18.7.7"})",   // id text
      R"({"duration":"1m","id":1,"scope":"Ip","type":"ban","value":"198.18.7.300"})",   // value
      R"({"duration":"1m","id":1,"scope":"Ip","type":"ban","value":"example.org"})",    // name
      R"({"duration":"1m","id":1,"scope":"Ip","type":"ban","value":"198.18.7.0/24"})",  // Ip range
      R"({"duration":"1m","id":1,"scope":"Range","type":"ban","value":"198.18.7.1/24"})",  // host
      R"({"duration":"1m","id":1,"scope":"Range","type":"ban","value":"198.18.7.0/33"})",  // len
      R"({"duration":"1m","id":1,"scope":"Range","type":"ban","value":"198.18.7.0/"})",
      R"({"duration":"1m","id":1,"scope":"Range","type":"ban","value":"198.18.7.0"})",
      R"({"duration":"1m","id":1,"scope":"Ip","type":"ban","value":7})",
      R"({"duration":"1m","id":1,"type":"ban","value":"198.18.7.7"})",  // no scope
      R"({"duration":"soon","id":1,"scope":"Ip","type":"ban","value":"198.18.7.7"})",
      R"({"duration":60,"id":1,"scope":"Ip","type":"ban","value":"198.18.7.7"})",
      R"({"id":1,"scope":"Ip","type":"ban","value":"198.18.7.7"})",
      R"("a string")",
      R"(null)",
  };
  std::string body = R"({"new":[)";
  for (const char* d : bad) body += std::string(d) + ",";
  body += R"({"duration":"1m","id":99,"scope":"Ip","type":"ban","value":"198.18.7.9"}]})";
  auto u = parse_stream(body);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->rejected, std::size(bad));
  EXPECT_FALSE(u->first_rejection.empty());
  ASSERT_EQ(u->added.size(), 1u) << "the good one after the bad ones";
  EXPECT_EQ(u->added[0].id, 99u);
}

TEST(CrowdSecDecisions, LongTextIsCut) {
  auto u = parse_stream(R"({"new":[{"duration":"1m","id":1,"scope":"Ip","type":"ban",)"
                        R"("value":"198.18.7.7","scenario":")" +
                        std::string(100000, 'x') + R"("}]})");
  ASSERT_TRUE(u);
  ASSERT_EQ(u->added.size(), 1u);
  EXPECT_EQ(u->added[0].scenario.size(), kMaxDecisionText);
}

TEST(CrowdSecDecisions, GoDurations) {
  EXPECT_EQ(*parse_go_duration("4m59.504414161s"), 299504ms);
  EXPECT_EQ(*parse_go_duration("168h0m0s"), std::chrono::milliseconds(168h));
  EXPECT_EQ(*parse_go_duration("1.5h"), std::chrono::milliseconds(90min));
  EXPECT_EQ(*parse_go_duration("300ms"), 300ms);
  EXPECT_EQ(*parse_go_duration("2500us"), 3ms);
  EXPECT_EQ(*parse_go_duration("0"), 0ms);
  EXPECT_EQ(*parse_go_duration("0s"), 0ms);
  EXPECT_EQ(*parse_go_duration("-1.5s"), -1500ms);
  EXPECT_EQ(*parse_go_duration("99999999h"), std::chrono::milliseconds(kMaxDecisionDuration));
  EXPECT_EQ(*parse_go_duration("99999999999999999999h"),
            std::chrono::milliseconds(kMaxDecisionDuration));
  for (const char* bad : {"", "-", "s", "1", "1x", "1.2.3s", ".s", "1h 2m", "h1", "--1s", "1e308h",
                          "99999999999999999999999999999999999999999999999999999999999999999s"})
    EXPECT_FALSE(parse_go_duration(bad)) << bad;
}

TEST(CrowdSecDecisions, PrefixesAndScopes) {
  EXPECT_EQ(to_string(*decision_prefix("Ip", "2001:db8::1")), "2001:db8::1/128");
  EXPECT_EQ(to_string(*decision_prefix("RANGE", "198.18.0.0/15")), "198.18.0.0/15");
  EXPECT_EQ(to_string(*decision_prefix("range", "0.0.0.0/0")), "0.0.0.0/0")
      << "parsed; the client refuses it as too broad";
  EXPECT_FALSE(decision_prefix("Country", "FR"));
  EXPECT_FALSE(decision_prefix("Ip", std::string(1000, '1')));
  EXPECT_FALSE(decision_prefix("Range", "2001:db8::/129"));
  EXPECT_FALSE(decision_prefix("Range", "198.18.0.0/-1"));
  EXPECT_FALSE(decision_prefix("Range", "198.18.0.0/+8"));
}

}  // namespace
}  // namespace icmpwall::daemon
