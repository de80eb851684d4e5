// SPDX-License-Identifier: GPL-2.0-or-later
// Kernel state kept across `icmpwall apply` and the daemon's SIGHUP
// (netlink/kept_state.h): named counters keep counting from where they
// were, a blocked source stays blocked and its block still ends when it
// would have; a counter whose rule went is gone, and a set whose key type
// changed keeps no element. The kept state is no drift. Rate limits whose
// definition stays keep their token buckets (netlink/in_place.h): a source
// that spent its burst gets no fresh one from an apply or a reload; a
// changed limit starts afresh, with its new burst.
#include <arpa/inet.h>
#include <gmock/gmock.h>

#include <chrono>
#include <regex>

#include "daemon_process.h"
#include "harness.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/netlink/kept_state.h"
#include "icmpwall/netlink/netns.h"
#include "icmpwall/netlink/set_elements.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr const char* kCounted = R"([hooks.input]
default = "allow"

[[rule]]
name = "echo"
types = ["echo-request"]
hooks = ["input"]
action = "allow"

[[rule]]
name = "unreachable"
types = ["destination-unreachable"]
hooks = ["input"]
action = "allow"
)";

// kCounted with "echo" renamed and "unreachable" removed.
constexpr const char* kRenamed = R"([hooks.input]
default = "allow"

[[rule]]
name = "ping"
types = ["echo-request"]
hooks = ["input"]
action = "allow"
)";

constexpr auto kBlock = std::chrono::milliseconds(4000);
const Argv kOnePing = {"-c", "1", "-W", "1"};

// What the daemon's SourceBlocker does: the client's address as a /32
// range with a timeout, in the server's table.
void block_client(const Netns& ns) {
  auto enter = netlink::EnterNetns::open(ns.name());
  ASSERT_TRUE(enter) << enter.error().message;
  std::vector<uint8_t> addr(4);
  ASSERT_EQ(inet_pton(AF_INET, Addr::client_v4, addr.data()), 1);
  auto r = netlink::add_timed_elements("icmpwall", compile::blocked_set_name(policy::Family::ipv4),
                                       {netlink::prefix_element(addr, 32, kBlock)});
  ASSERT_TRUE(r) << r.error().message;
}

std::string blocked_v4(const Netns& ns) {
  return ns.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"}).out;
}

// nft's "2s704ms", "1m3s", "950ms" in milliseconds.
int64_t duration_ms(const std::string& text) {
  static const std::regex part(R"((\d+)(ms|s|m|h|d))");
  int64_t ms = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), part), end; it != end; ++it) {
    const int64_t n = std::stoll((*it)[1]);
    const std::string unit = (*it)[2];
    ms += unit == "ms"  ? n
          : unit == "s" ? n * 1000
          : unit == "m" ? n * 60'000
          : unit == "h" ? n * 3'600'000
                        : n * 86'400'000;
  }
  return ms;
}

// The client's element in the v4 blocked set: its timeout and the time it
// has left, as nft lists them; nullopt when it is not there.
struct Listed {
  int64_t timeout_ms = 0;
  int64_t expires_ms = 0;
};
std::optional<Listed> client_element(const Netns& ns) {
  const std::string text = blocked_v4(ns);
  const std::regex elem(std::string(Addr::client_v4) + R"( timeout (\w+) expires (\w+))");
  std::smatch m;
  if (!std::regex_search(text, m, elem)) return std::nullopt;
  return Listed{duration_ms(m[1]), duration_ms(m[2])};
}

// The block ends by itself, on its own schedule: bounded well past it.
bool unblocked_in_time(const Netns& ns) {
  return poll_until([&] { return !client_element(ns); }, Millis(10'000), Millis(100));
}

TEST(StateKeptTest, CountersSurviveApplyOfTheSamePolicy) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  auto applied = apply_policy_text(net.server, kCounted);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  ASSERT_EQ(ping(net.client, Addr::server_v4, {"-c", "4", "-i", "0.1", "-W", "1"}).received, 4);
  const Counter before = read_counter(net.server, rule_counter("echo"));
  ASSERT_GE(before.packets, 4u);

  auto again = apply_policy_text(net.server, kCounted);
  ASSERT_TRUE(again.ok()) << again.describe();
  EXPECT_THAT(again.err, HasSubstr("kept")) << again.describe();
  const Counter after = read_counter(net.server, rule_counter("echo"));
  EXPECT_GE(after.packets, before.packets) << "the counter was reset by the apply";
  EXPECT_GE(after.bytes, before.bytes);

  // It goes on counting from there.
  ASSERT_EQ(ping(net.client, Addr::server_v4, {"-c", "2", "-i", "0.1", "-W", "1"}).received, 2);
  EXPECT_GE(read_counter(net.server, rule_counter("echo")).packets, before.packets + 2);
}

TEST(StateKeptTest, ACounterWhoseRuleWentIsGone) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  auto applied = apply_policy_text(net.server, kCounted);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  ASSERT_EQ(ping(net.client, Addr::server_v4, {"-c", "3", "-i", "0.1", "-W", "1"}).received, 3);
  ASSERT_GE(read_counter(net.server, rule_counter("echo")).packets, 3u);

  auto renamed = apply_policy_text(net.server, kRenamed);
  ASSERT_TRUE(renamed.ok()) << renamed.describe();
  const Counters now = read_counters(net.server, "icmpwall");
  EXPECT_EQ(now.all.count(rule_counter("echo")), 0u);
  EXPECT_EQ(now.all.count(rule_counter("unreachable")), 0u);
  // The renamed rule's counter is a new one: it did not inherit the old
  // rule's packets.
  EXPECT_EQ(now[rule_counter("ping")].packets, 0u);
}

TEST(StateKeptTest, ABlockedSourceStaysBlockedAcrossApply) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  auto applied = apply_policy_text(net.server, kQueue7InspectPolicy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  ASSERT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 1);

  block_client(net.server);
  const auto blocked_at = Clock::now();
  ASSERT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 0);

  const auto applied_at = Clock::now();
  auto again = apply_policy_text(net.server, kQueue7InspectPolicy);
  ASSERT_TRUE(again.ok()) << again.describe();
  EXPECT_THAT(again.err, HasSubstr("1 blocked source(s)")) << again.describe();
  auto kept = client_element(net.server);
  ASSERT_TRUE(kept) << "the block is gone after the apply:\n" << blocked_v4(net.server);
  EXPECT_EQ(kept->timeout_ms, kBlock.count()) << "the block's own timeout was not kept";
  EXPECT_LE(kept->expires_ms, kBlock.count() - 900) << "the countdown restarted";
  EXPECT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 0);
  EXPECT_GE(read_counter(net.server, compile::kBlockedCounter).packets, 2u);

  // It ends when it would have without the apply (a second or more
  // before a block restarted by the apply would).
  ASSERT_TRUE(unblocked_in_time(net.server));
  EXPECT_LT(Clock::now(), applied_at + kBlock) << "the block restarted at the apply";
  EXPECT_GE(Clock::now() - blocked_at, kBlock - std::chrono::milliseconds(200));
  EXPECT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 1);
}

TEST(StateKeptTest, CountersAndBlocksSurviveASighup) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  TempFile policy(kEchoInspectPolicy, ".toml");
  Daemon daemon(net.server, policy.path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  ASSERT_EQ(ping(net.client, Addr::server_v4, {"-c", "3", "-i", "0.1", "-W", "1"}).received, 3);
  const Counter inspected = read_counter(net.server, rule_counter("echo-inspected"));
  ASSERT_GE(inspected.packets, 3u);

  block_client(net.server);
  const auto blocked_at = Clock::now();
  ASSERT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 0);
  const uint64_t dropped = read_counter(net.server, compile::kBlockedCounter).packets;
  ASSERT_GE(dropped, 1u);

  const auto reloaded_at = Clock::now();
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":true)")) << daemon.err();
  EXPECT_THAT(daemon.err(), HasSubstr("kept"));
  EXPECT_GE(read_counter(net.server, rule_counter("echo-inspected")).packets, inspected.packets);
  auto kept = client_element(net.server);
  ASSERT_TRUE(kept) << "the block is gone after the reload:\n" << blocked_v4(net.server);
  EXPECT_EQ(kept->timeout_ms, kBlock.count());
  EXPECT_LE(kept->expires_ms, kBlock.count() - 900);
  EXPECT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 0);
  EXPECT_GE(read_counter(net.server, compile::kBlockedCounter).packets, dropped + 1);

  ASSERT_TRUE(unblocked_in_time(net.server));
  EXPECT_LT(Clock::now(), reloaded_at + kBlock) << "the block restarted at the reload";
  EXPECT_GE(Clock::now() - blocked_at, kBlock - std::chrono::milliseconds(200));
  EXPECT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 1);
}

// The daemon's start over a table `icmpwall apply` left: the same keeping.
TEST(StateKeptTest, TheDaemonsStartKeepsTheLiveTablesCounters) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  TempFile policy(kEchoInspectPolicy, ".toml");
  auto applied = apply_policy(net.server, policy.path());
  ASSERT_TRUE(applied.ok()) << applied.describe();
  // Dropped by rule no-v6-echo, in the kernel alone.
  ASSERT_EQ(ping(net.client, Addr::server_v6, {"-c", "3", "-i", "0.1", "-W", "1"}).received, 0);
  const Counter dropped = read_counter(net.server, rule_counter("no-v6-echo"));
  ASSERT_GE(dropped.packets, 3u);

  Daemon daemon(net.server, policy.path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  EXPECT_THAT(daemon.err(), HasSubstr("kept"));
  EXPECT_GE(read_counter(net.server, rule_counter("no-v6-echo")).packets, dropped.packets);
}

// A live set of the same name with another key type (here made by hand
// with nft): its elements mean something else and are not kept.
TEST(StateKeptTest, AChangedKeyTypeKeepsNoElements) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  TempFile other(R"(table inet icmpwall {
  set inspect.blocked.v4 {
    type ipv6_addr
    flags interval,timeout
    elements = { 2001:db8:1::/64 timeout 60s }
  }
}
)",
                 ".nft");
  ASSERT_TRUE(ns.run({"nft", "-f", other.path()}).ok());

  auto applied = apply_policy_text(ns, kQueue7InspectPolicy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  EXPECT_THAT(applied.err, HasSubstr("set inspect.blocked.v4: its key type changed"));
  const std::string set = blocked_v4(ns);
  EXPECT_THAT(set, HasSubstr("type ipv4_addr"));
  EXPECT_THAT(set, Not(HasSubstr("elements")));
}

TEST(StateKeptTest, KeptStateIsNoDrift) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  TempFile policy(kQueue7InspectPolicy, ".toml");
  auto applied = apply_policy(net.server, policy.path());
  ASSERT_TRUE(applied.ok()) << applied.describe();
  ASSERT_EQ(ping(net.client, Addr::server_v4, kOnePing).received, 1);
  block_client(net.server);
  auto again = apply_policy(net.server, policy.path());
  ASSERT_TRUE(again.ok()) << again.describe();
  ASSERT_TRUE(client_element(net.server)) << blocked_v4(net.server);

  auto audit = icmpwall({"audit", "--netns", net.server.name(), "--policy", policy.path()});
  EXPECT_EQ(audit.exit_code, 0) << audit.describe();
  EXPECT_THAT(audit.out, HasSubstr("table inet icmpwall: no drift")) << audit.describe();
}

// Echo requests limited to `burst` packets, refilled at 1/minute: within
// a test, a bucket once spent stays spent.
std::string limited(const std::string& per, int burst = 5) {
  return R"([hooks.input]
default = "allow"

[[rule]]
name = "echo"
types = ["echo-request"]
action = "rate-limit"
rate = "1/minute"
burst = )" +
         std::to_string(burst) +
         R"(
per = ")" +
         per + "\"\n";
}

// Echo requests 10 ms apart (a flood, bounded): how many were answered.
int flood(const Topology& net, int count) {
  return ping(net.client, Addr::server_v4,
              {"-c", std::to_string(count), "-i", "0.01", "-W", "1", "-q"})
      .received;
}

class BucketKeptTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BucketKeptTest, ASpentBucketStaysSpentAcrossApply) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  const std::string text = limited(GetParam());
  auto applied = apply_policy_text(net.server, text);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  ASSERT_EQ(flood(net, 10), 5) << "the burst";

  auto again = apply_policy_text(net.server, text);
  ASSERT_TRUE(again.ok()) << again.describe();
  // A fresh bucket would answer 5 of them.
  EXPECT_EQ(flood(net, 5), 0) << "the apply gave the flooding source a fresh burst";
}

// A limit whose rate or burst changed is a new limit: fresh buckets, with
// the new burst.
TEST_P(BucketKeptTest, AChangedLimitStartsAfresh) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  auto applied = apply_policy_text(net.server, limited(GetParam(), 5));
  ASSERT_TRUE(applied.ok()) << applied.describe();
  ASSERT_EQ(flood(net, 10), 5);

  auto changed = apply_policy_text(net.server, limited(GetParam(), 3));
  ASSERT_TRUE(changed.ok()) << changed.describe();
  EXPECT_EQ(flood(net, 10), 3);
}

INSTANTIATE_TEST_SUITE_P(PerSourceAndGlobal, BucketKeptTest, ::testing::Values("source", "global"),
                         [](const auto& info) { return std::string(info.param); });

TEST(StateKeptTest, ASpentBucketStaysSpentAcrossASighup) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  TempFile policy(limited("source"), ".toml");
  Daemon daemon(net.server, policy.path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  ASSERT_EQ(flood(net, 10), 5) << "the burst";

  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":true)")) << daemon.err();
  EXPECT_EQ(flood(net, 5), 0) << "the reload gave the flooding source a fresh burst";
}

// A batch the kernel refuses changes nothing: the spent bucket included.
TEST(StateKeptTest, AFailedApplyLeavesTheBucketsAlone) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  const std::string text = limited("source");
  auto applied = apply_policy_text(net.server, text);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  ASSERT_EQ(flood(net, 10), 5);

  Diagnostics diags;
  auto parsed = policy::parse_policy_text("p.toml", text, diags);
  ASSERT_TRUE(parsed);
  auto bad = compile::compile(*parsed, diags);
  ASSERT_TRUE(bad);
  bad->chains.back().rules.push_back(
      {{nft::Verdict{nft::VerdictKind::jump, "no-such-chain"}}, "", {{}, "rule 'bad'"}, {}});
  {
    auto enter = netlink::EnterNetns::open(net.server.name());
    ASSERT_TRUE(enter) << enter.error().message;
    Diagnostics kernel;
    auto refused = netlink::apply_table(*bad, kernel);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ENOENT);
  }
  EXPECT_EQ(flood(net, 5), 0);
  // And the next good apply still keeps it.
  auto again = apply_policy_text(net.server, text);
  ASSERT_TRUE(again.ok()) << again.describe();
  EXPECT_EQ(flood(net, 5), 0);
}

// What the kernel lists back is what the encoder describes: applying a
// preset and reading it leaves every limit, counter and run-time set in
// place, and the next apply's batch names none of them.
TEST(StateKeptTest, TheKernelListsBackEveryDefinitionAsEncoded) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  for (const char* preset : {"host", "router", "router-edge", "lockdown"}) {
    SCOPED_TRACE(preset);
    const std::string path = preset_path(preset);
    auto applied = apply_policy(net.server, path);
    ASSERT_TRUE(applied.ok()) << applied.describe();
    Diagnostics diags;
    auto parsed = policy::parse_policy_file(path, diags);
    ASSERT_TRUE(parsed);
    auto table = compile::compile(*parsed, diags);
    ASSERT_TRUE(table);

    auto enter = netlink::EnterNetns::open(net.server.name());
    ASSERT_TRUE(enter) << enter.error().message;
    auto mode = netlink::probe_queue_mode();
    ASSERT_TRUE(mode);
    auto live = netlink::read_live_state(table->name);
    ASSERT_TRUE(live) << live.error().message;
    ASSERT_TRUE(live->layout.present);
    const auto mine = netlink::layout_of(*table, *mode);
    const auto in_place = netlink::plan_in_place(live->layout, *table, *mode);
    EXPECT_EQ(in_place.objects.size(), table->objects.size());
    for (const auto& s : table->sets) {
      if (!s.elements.empty() || !(s.dynamic || s.timeout_ms)) continue;
      EXPECT_TRUE(in_place.sets.count(s.name))
          << s.name << "\nkernel:  " << live->layout.sets[s.name]
          << "\nencoded: " << mine.sets.at(s.name);
    }
  }
}

}  // namespace
}  // namespace icmpwall::integration
