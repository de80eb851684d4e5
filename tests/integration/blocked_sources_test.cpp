// The kernel side of "block the source for a period": a policy with an
// inspect rule gets per-family blocked-source sets; adding a source with a
// timeout (what the inspection worker does) makes its ICMP die in the
// kernel before the queue, until the timeout expires.
#include <gmock/gmock.h>

#include <arpa/inet.h>

#include <chrono>
#include <thread>

#include "harness.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/netlink/netns.h"
#include "icmpwall/netlink/set_elements.h"

namespace icmpwall::integration {
namespace {

constexpr const char* kPolicy = R"([hooks.input]
default = "allow"

[[rule]]
name = "tunnel"
types = ["echo-request"]
action = "inspect"
queue = 7
no-worker = "accept"
)";

std::vector<uint8_t> v4(const char* text) {
  std::vector<uint8_t> out(4);
  EXPECT_EQ(inet_pton(AF_INET, text, out.data()), 1);
  return out;
}

Result<void> block(const Netns& ns, policy::Family f, std::vector<uint8_t> key,
                   std::chrono::milliseconds timeout) {
  auto enter = netlink::EnterNetns::open(ns.name());
  if (!enter) return enter.error();
  return netlink::add_timed_elements("icmpwall", compile::blocked_set_name(f),
                                     {{std::move(key), timeout}});
}

TEST(BlockedSourcesTest, BlockedSourceIsDroppedUntilItsTimeoutExpires) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  auto applied = apply_policy_text(net.server, kPolicy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  // No worker listens and the rule fails open: echo passes.
  EXPECT_EQ(ping(net.client, Addr::server_v4, {"-c", "2", "-i", "0.2", "-W", "1"}).received, 2);

  ASSERT_TRUE(block(net.server, policy::Family::ipv4, v4(Addr::client_v4),
                    std::chrono::milliseconds(3000)).ok());
  EXPECT_EQ(ping(net.client, Addr::server_v4, {"-c", "2", "-i", "0.2", "-W", "1"}).received, 0);
  auto set = net.server.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"});
  EXPECT_THAT(set.out, ::testing::HasSubstr(Addr::client_v4));
  EXPECT_THAT(set.out, ::testing::HasSubstr("expires"));
  EXPECT_EQ(read_counter(net.server, "inspect.blocked").packets, 2u);
  // Another source is not affected.
  auto other = parse_ping(net.client.run({"ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-I",
                                          Addr::client2_v4, Addr::server_v4}));
  EXPECT_EQ(other.received, 2);

  // The element expires by itself: poll for the set to empty (a real
  // signal), bounded well past the 3 s timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    auto s = net.server.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"});
    gone = s.out.find(Addr::client_v4) == std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(gone);
  EXPECT_EQ(ping(net.client, Addr::server_v4, {"-c", "2", "-i", "0.2", "-W", "1"}).received, 2);
}

TEST(BlockedSourcesTest, AddingToAMissingSetIsAnErrorNotACrash) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  auto enter = netlink::EnterNetns::open(ns.name());
  ASSERT_TRUE(enter.ok());
  auto r = netlink::add_timed_elements("icmpwall", "inspect.blocked.v4",
                                       {{v4("198.18.0.1"), std::chrono::milliseconds(1000)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("inspect.blocked.v4"));
}

}  // namespace
}  // namespace icmpwall::integration
