// SPDX-License-Identifier: GPL-2.0-or-later
// netlink/kept_state.h: which counters and elements of the live table go
// into the next one (names, key types, flags, time left), and the encoder
// writing them into the batch.
#include "icmpwall/netlink/kept_state.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <linux/netfilter/nf_tables.h>

#include "icmpwall/netlink/nft_datatype.h"
#include "parse_back.h"

namespace icmpwall::netlink {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<uint8_t> v4(const char* text) {
  std::vector<uint8_t> out(4);
  EXPECT_EQ(inet_pton(AF_INET, text, out.data()), 1) << text;
  return out;
}

constexpr uint32_t kBlockedFlags = NFT_SET_INTERVAL | NFT_SET_TIMEOUT;
constexpr uint64_t kSetTimeout = 600'000;

// A blocked-source set as the compiler declares it.
nft::Set blocked_set(const std::string& name, nft::KeyType key = nft::KeyType::ipv4_addr) {
  nft::Set s;
  s.name = name;
  s.key = key;
  s.interval = true;
  s.timeout_ms = kSetTimeout;
  return s;
}

// The same set as the kernel lists it, with `elements`.
LiveSet live_blocked(const std::string& name, std::vector<LiveElement> elements) {
  LiveSet s;
  s.name = name;
  s.flags = kBlockedFlags;
  s.key_type = nft_datatype::ipv4_addr;
  s.key_len = 4;
  s.timeout_ms = kSetTimeout;
  s.elements = std::move(elements);
  return s;
}

LiveElement start(const char* addr, std::optional<uint64_t> left,
                  std::optional<uint64_t> timeout = std::nullopt) {
  return {v4(addr), 0, timeout, left};
}
LiveElement end(const char* addr) {
  return {v4(addr), NFT_SET_ELEM_INTERVAL_END, std::nullopt, std::nullopt};
}

nft::Object counter(const std::string& name) {
  return {nft::ObjectKind::counter, name, {}, {}};
}

TEST(KeptStateTest, CountersKeepTheirValuesWhereTheNameStays) {
  LiveState live;
  live.counters = {{"rule.echo", {5, 420}},
                   {"rule.renamed-away", {3, 252}},
                   {"default.input", {7, 588}},
                   {"rule.limited", {9, 756}}};
  nft::Table next;
  next.objects = {counter("rule.echo"),
                  counter("default.input"),
                  counter("rule.new-name"),
                  {nft::ObjectKind::limit, "rule.limited", {}, {}}};
  const auto kept = plan_kept_state(live, next);
  // A renamed or removed rule's counter is gone; a new one starts at 0; a
  // limit object of a counter's name is not a counter.
  EXPECT_THAT(kept.counters,
              ElementsAre(std::pair{std::string("default.input"), CounterValue{7, 588}},
                          std::pair{std::string("rule.echo"), CounterValue{5, 420}}));
  EXPECT_THAT(kept.dropped, IsEmpty());
}

TEST(KeptStateTest, BlockedSourcesKeepTheirRangesAndTimeLeft) {
  LiveState live;
  // Listed in the kernel's order (not sorted), one range with its own
  // timeout, the leading end element nft writes at 0.
  live.sets = {live_blocked("inspect.blocked.v4",
                            {end("198.18.1.0"), start("198.18.0.2", 30'000), end("198.18.0.3"),
                             end("0.0.0.0"), start("198.18.0.128", 500, 1'000)})};
  nft::Table next;
  next.sets = {blocked_set("inspect.blocked.v4")};
  const auto kept = plan_kept_state(live, next);
  ASSERT_EQ(kept.elements.count("inspect.blocked.v4"), 1u);
  const auto& e = kept.elements.at("inspect.blocked.v4");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].key, v4("198.18.0.2"));
  EXPECT_EQ(e[0].key_end, v4("198.18.0.3"));
  EXPECT_EQ(e[0].timeout, std::chrono::milliseconds(kSetTimeout));  // the set's own
  EXPECT_EQ(e[0].expiration, 30s);
  EXPECT_EQ(e[1].key, v4("198.18.0.128"));
  EXPECT_EQ(e[1].key_end, v4("198.18.1.0"));
  EXPECT_EQ(e[1].timeout, 1s);
  EXPECT_EQ(e[1].expiration, 500ms);
  EXPECT_EQ(kept.element_count(), 2u);
}

TEST(KeptStateTest, AdjacentRangesStayTwoRanges) {
  LiveState live;
  live.sets = {live_blocked("b", {start("198.18.0.4", 10), end("198.18.0.8"), end("198.18.0.4"),
                                  start("198.18.0.0", 20)})};
  nft::Table next;
  next.sets = {blocked_set("b")};
  const auto kept = plan_kept_state(live, next);
  const auto& e = kept.elements.at("b");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].key, v4("198.18.0.0"));
  EXPECT_EQ(e[0].key_end, v4("198.18.0.4"));
  EXPECT_EQ(e[1].key, v4("198.18.0.4"));
  EXPECT_EQ(e[1].key_end, v4("198.18.0.8"));
}

TEST(KeptStateTest, ARangeToTheTopHasNoEnd) {
  LiveState live;
  live.sets = {live_blocked("b", {start("255.255.255.0", 10)})};
  nft::Table next;
  next.sets = {blocked_set("b")};
  const auto kept = plan_kept_state(live, next);
  const auto& e = kept.elements.at("b");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0].key_end, IsEmpty());
}

TEST(KeptStateTest, ExpiredElementsAreNotKept) {
  LiveState live;
  live.sets = {live_blocked("b", {start("198.18.0.2", 0), end("198.18.0.3"),
                                  start("198.18.0.9", std::nullopt), end("198.18.0.10")})};
  nft::Table next;
  next.sets = {blocked_set("b")};
  const auto kept = plan_kept_state(live, next);
  EXPECT_THAT(kept.elements, IsEmpty());
  EXPECT_THAT(kept.dropped, IsEmpty());  // nothing was left to keep
}

TEST(KeptStateTest, AChangedKeyTypeKeepsNoElements) {
  LiveState live;
  live.sets = {live_blocked("b", {start("198.18.0.2", 10), end("198.18.0.3")})};
  nft::Table next;
  next.sets = {blocked_set("b", nft::KeyType::ifname)};
  const auto kept = plan_kept_state(live, next);
  EXPECT_THAT(kept.elements, IsEmpty());
  EXPECT_THAT(kept.dropped, ElementsAre(HasSubstr("set b: its key type changed, 1 element")));
}

TEST(KeptStateTest, ChangedFlagsKeepNoElements) {
  LiveState live;
  live.sets = {live_blocked("b", {start("198.18.0.2", 10), end("198.18.0.3")})};
  nft::Table next;
  next.sets = {blocked_set("b")};
  next.sets[0].interval = false;
  const auto kept = plan_kept_state(live, next);
  EXPECT_THAT(kept.elements, IsEmpty());
  EXPECT_THAT(kept.dropped, ElementsAre(HasSubstr("its flags changed")));
}

TEST(KeptStateTest, ASetTheNewTableLacksKeepsNoElements) {
  LiveState live;
  live.sets = {live_blocked("inspect.blocked.v4", {start("198.18.0.2", 10), end("198.18.0.3")})};
  const auto kept = plan_kept_state(live, nft::Table{});
  EXPECT_THAT(kept.elements, IsEmpty());
  EXPECT_THAT(kept.dropped, ElementsAre(HasSubstr("inspect.blocked.v4: not in the new table")));
}

TEST(KeptStateTest, PerSourceAndStaticSetsAreNotCarried) {
  EXPECT_TRUE(carries_elements(NFT_SET_INTERVAL | NFT_SET_TIMEOUT));
  EXPECT_FALSE(carries_elements(NFT_SET_TIMEOUT | NFT_SET_EVAL));  // per-source limits
  EXPECT_FALSE(carries_elements(NFT_SET_INTERVAL));                // the policy's own
  LiveState live;
  auto dyn = live_blocked("echo.sources.v4", {start("198.18.0.2", 10)});
  dyn.flags = NFT_SET_TIMEOUT | NFT_SET_EVAL;
  live.sets = {dyn};
  nft::Table next;
  next.sets = {blocked_set("echo.sources.v4")};
  next.sets[0].interval = false;
  next.sets[0].dynamic = true;
  EXPECT_TRUE(plan_kept_state(live, next).empty());
}

// The encoder writes the kept values: counters start at them, kept
// elements follow the set's declaration with their timeout and time left.
TEST(KeptStateTest, TheBatchCarriesTheKeptState) {
  nft::Table table;
  table.name = "t";
  table.objects = {counter("rule.echo"), counter("rule.new")};
  table.sets = {blocked_set("b")};
  KeptState kept;
  kept.counters = {{"rule.echo", {5, 420}}};
  TimedElement el{v4("198.18.0.2"), 600s, 30s, v4("198.18.0.3")};
  kept.elements["b"] = {el};
  Batch batch(1);
  Diagnostics diags;
  ASSERT_TRUE(encode_table(table, EncodeOptions{QueueMode::native, &kept}, batch, diags));

  std::map<std::string, CounterValue> values;
  for (const auto* m : testing::of_type(batch, NFT_MSG_NEWOBJ)) {
    ObjPtr o = make_obj();
    ASSERT_GE(nftnl_obj_nlmsg_parse(m, o.get()), 0);
    values[nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME)] = {
        nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_PKTS),
        nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_BYTES)};
  }
  EXPECT_EQ(values["rule.echo"], (CounterValue{5, 420}));
  EXPECT_EQ(values["rule.new"], (CounterValue{0, 0}));

  const auto elems = testing::of_type(batch, NFT_MSG_NEWSETELEM);
  ASSERT_EQ(elems.size(), 1u);
  SetPtr s = make_set();
  ASSERT_GE(testing::parse_elements(elems[0], s.get()), 0);
  std::vector<LiveElement> parsed;
  nftnl_set_elem_foreach(
      s.get(),
      [](nftnl_set_elem* e, void* data) {
        static_cast<std::vector<LiveElement>*>(data)->push_back(live_element(e));
        return 0;
      },
      &parsed);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].key, v4("198.18.0.2"));
  EXPECT_EQ(parsed[0].timeout_ms, 600'000u);
  EXPECT_EQ(parsed[0].expiration_ms, 30'000u);
  EXPECT_EQ(parsed[1].key, v4("198.18.0.3"));
  EXPECT_EQ(parsed[1].flags, uint32_t(NFT_SET_ELEM_INTERVAL_END));
  EXPECT_FALSE(parsed[1].timeout_ms);
}

}  // namespace
}  // namespace icmpwall::netlink
