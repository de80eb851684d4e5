// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall daemon` on the router of client — router — server: an IPv6
// ping sweep from one address of the client's /64 is blocked in the
// kernel (inspect.blocked.v6), but that /64 is the client LAN's, which
// also holds the router's own address: the block is narrowed to the
// sender's address alone (/128), so the blocked address is dropped by the
// kernel — the inspect.blocked counter moves and the queue never sees its
// packets — while a second address of the same /64, a neighbour that did
// nothing, and an address of another /64 still reach the server. (A whole
// /64 in the kernel: blocked_sources_test.cpp.)
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Inspects forwarded IPv6 echo requests; the block lengths are the
// defaults, written out.
constexpr const char* kPolicy = R"([hooks.forward]
default = "allow"

[[rule]]
name = "sweep6"
types = ["echo-request"]
family = "ipv6"
hooks = ["forward"]
action = "inspect"

[inspect.block]
ipv4-prefix = 32
ipv6-prefix = 64
)";

Argv from(const std::string& src) {
  return {"-c", "3", "-i", "0.2", "-W", "1", "-I", src};
}

// Packets the router's NFQUEUE queues have handed out so far: the sum of
// the id sequences in /proc/net/netfilter/nfnetlink_queue (per namespace).
uint64_t queued(const Netns& router) {
  auto r = router.run({"cat", "/proc/net/netfilter/nfnetlink_queue"});
  std::istringstream lines(r.out);
  uint64_t sum = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    uint64_t f[8] = {};
    for (auto& v : f) fields >> v;
    sum += f[7];  // id_sequence
  }
  return sum;
}

// The daemon's {"event":"block"} lines, parsed.
std::vector<nlohmann::json> block_events(const std::string& events) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(events);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("event", "") == "block") out.push_back(std::move(j));
  }
  return out;
}

TEST(BlockedPrefixTest, AnIpv6SweepFromTheRoutersOwnSlash64BlocksTheSenderAlone) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  TempFile policy(kPolicy, ".toml");
  // Every client address reaches the server before icmpwall runs.
  for (const char* src : {Addr::client_v6, Addr::client2_v6, Addr::client_other64_v6})
    ASSERT_EQ(ping(net.client, Addr::server_v6, from(src)).received, 3) << src;

  Daemon daemon(net.router, policy.path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  // for i in 1..40: ping -c 1 2001:db8:2::$i, from the client's first address.
  auto loop = net.client.run(
      {"sh", "-c",
       std::string("i=1; while [ $i -le 40 ]; do ping -n -q -c 1 -W 0.2 -I ") + Addr::client_v6 +
           " 2001:db8:2::$(printf %x $i) >/dev/null 2>&1; i=$((i + 1)); done"},
      {Millis(60'000)});
  ASSERT_TRUE(loop.ok()) << loop.describe();
  EXPECT_THAT(daemon.out(), HasSubstr(R"("reason":"sweep")"));
  const auto blocks = block_events(daemon.out());
  ASSERT_EQ(blocks.size(), 1u) << daemon.out();
  EXPECT_EQ(blocks[0].value("address", ""), Addr::client_v6);
  EXPECT_EQ(blocks[0].value("prefix", ""), std::string(Addr::client_v6) + "/128");
  EXPECT_TRUE(blocks[0].value("ok", false)) << blocks[0].dump();
  const auto set =
      net.router.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v6"}).out;
  EXPECT_THAT(set, HasSubstr(Addr::client_v6)) << set;
  EXPECT_THAT(set, Not(HasSubstr("2001:db8:1::/64"))) << set;

  // The sender itself: dropped in the kernel, never queued.
  const uint64_t blocked_before = read_counter(net.router, "inspect.blocked").packets;
  const uint64_t queued_before = queued(net.router);
  auto again = ping(net.client, Addr::server_v6, from(Addr::client_v6));
  EXPECT_EQ(again.received, 0) << "the blocked sender still gets through\n" << again.describe();
  EXPECT_EQ(read_counter(net.router, "inspect.blocked").packets - blocked_before, 3u);
  EXPECT_EQ(queued(net.router), queued_before) << "the blocked sender's packets reached the queue";

  // Its neighbour in the same /64 is not blocked in the kernel: its
  // packets reach the queue. (The sweep detector, which counts IPv6
  // sources by /64, still drops them there while the /64's sweep state
  // lasts.)
  ping(net.client, Addr::server_v6, from(Addr::client2_v6));
  EXPECT_EQ(read_counter(net.router, "inspect.blocked").packets - blocked_before, 3u);
  EXPECT_GE(queued(net.router), queued_before + 3);
  // An address of another /64 passes (through the queue).
  auto other = ping(net.client, Addr::server_v6, from(Addr::client_other64_v6));
  EXPECT_EQ(other.received, 3) << other.describe();
  EXPECT_GE(queued(net.router), queued_before + 6);

  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_THAT(daemon.out(), HasSubstr(R"("block_requests":1)")) << daemon.out();
}

}  // namespace
}  // namespace icmpwall::integration
