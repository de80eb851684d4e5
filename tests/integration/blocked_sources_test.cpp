// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel side of "block the source for a period": a policy with an
// inspect rule gets per-family blocked-source interval sets; adding a
// source's prefix as a range with a timeout (what the inspection worker
// does) makes the ICMP of every address in it die in the kernel before
// the queue, until the timeout expires.
#include <arpa/inet.h>
#include <gmock/gmock.h>

#include <chrono>
#include <thread>

#include "harness.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/compile/render.h"
#include "icmpwall/netlink/netns.h"
#include "icmpwall/netlink/set_elements.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::integration {
namespace {

std::vector<uint8_t> v4(const char* text) {
  std::vector<uint8_t> out(4);
  EXPECT_EQ(inet_pton(AF_INET, text, out.data()), 1);
  return out;
}

std::vector<uint8_t> v6(const char* text) {
  std::vector<uint8_t> out(16);
  EXPECT_EQ(inet_pton(AF_INET6, text, out.data()), 1);
  return out;
}

// What the daemon's SourceBlocker does: the address's prefix of `length`
// as one range with a timeout.
Result<void> block(const Netns& ns, policy::Family f, const std::vector<uint8_t>& address,
                   unsigned length, std::chrono::milliseconds timeout) {
  auto enter = netlink::EnterNetns::open(ns.name());
  if (!enter) return enter.error();
  return netlink::add_timed_elements("icmpwall", compile::blocked_set_name(f),
                                     {netlink::prefix_element(address, length, timeout)});
}

// Polls the set until `text` is gone from it (bounded).
bool leaves_set(const Netns& ns, policy::Family f, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto s = ns.run({"nft", "list", "set", "inet", "icmpwall", compile::blocked_set_name(f)});
    if (s.out.find(text) == std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

TEST(BlockedSourcesTest, BlockedSourceIsDroppedUntilItsTimeoutExpires) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  auto applied = apply_policy_text(net.server, kQueue7InspectPolicy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  // No worker listens and the rule fails open: echo passes.
  EXPECT_EQ(ping(net.client, Addr::server_v4, {"-c", "2", "-i", "0.2", "-W", "1"}).received, 2);

  ASSERT_TRUE(block(net.server, policy::Family::ipv4, v4(Addr::client_v4), 32,
                    std::chrono::milliseconds(3000))
                  .ok());
  EXPECT_EQ(ping(net.client, Addr::server_v4, {"-c", "2", "-i", "0.2", "-W", "1"}).received, 0);
  auto set = net.server.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"});
  EXPECT_THAT(set.out, ::testing::HasSubstr(Addr::client_v4));
  EXPECT_THAT(set.out, ::testing::HasSubstr("expires"));
  EXPECT_EQ(read_counter(net.server, "inspect.blocked").packets, 2u);
  // Another source is not affected.
  auto other = parse_ping(net.client.run(
      {"ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-I", Addr::client2_v4, Addr::server_v4}));
  EXPECT_EQ(other.received, 2);

  // The element expires by itself: poll for the set to empty (a real
  // signal), bounded well past the 3 s timeout.
  EXPECT_TRUE(leaves_set(net.server, policy::Family::ipv4, Addr::client_v4));
  EXPECT_EQ(ping(net.client, Addr::server_v4, {"-c", "2", "-i", "0.2", "-W", "1"}).received, 2);
}

// An IPv6 block is a /64 range: every address of it dies in the kernel, an
// address of another /64 passes, and the range expires as one.
TEST(BlockedSourcesTest, BlockedIpv6PrefixDropsEveryAddressOfIt) {
  ICMPWALL_REQUIRE_ROOT();
  Topology net;
  auto applied = apply_policy_text(net.server, kQueue7InspectPolicy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  const Argv from_client2 = {"-c", "2", "-i", "0.2", "-W", "1", "-I", Addr::client2_v6};
  const Argv from_other64 = {"-c", "2", "-i", "0.2", "-W", "1", "-I", Addr::client_other64_v6};
  ASSERT_EQ(ping(net.client, Addr::server_v6, from_client2).received, 2);

  ASSERT_TRUE(block(net.server, policy::Family::ipv6, v6(Addr::client_v6), 64,
                    std::chrono::milliseconds(3000))
                  .ok());
  auto set = net.server.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v6"});
  EXPECT_THAT(set.out, ::testing::HasSubstr("2001:db8:1::/64"));
  EXPECT_THAT(set.out, ::testing::HasSubstr("expires"));
  // Blocking the same prefix again is no error.
  EXPECT_TRUE(block(net.server, policy::Family::ipv6, v6(Addr::client2_v6), 64,
                    std::chrono::milliseconds(3000))
                  .ok());

  EXPECT_EQ(ping(net.client, Addr::server_v6, {"-c", "2", "-i", "0.2", "-W", "1"}).received, 0);
  EXPECT_EQ(ping(net.client, Addr::server_v6, from_client2).received, 0);
  EXPECT_EQ(read_counter(net.server, "inspect.blocked").packets, 4u);
  EXPECT_EQ(ping(net.client, Addr::server_v6, from_other64).received, 2);

  EXPECT_TRUE(leaves_set(net.server, policy::Family::ipv6, "2001:db8:1::"));
  EXPECT_EQ(ping(net.client, Addr::server_v6, from_client2).received, 2);
}

// The blocked sets are interval sets with a timeout; the --dry-run text
// of them loaded by `nft -f` gives the kernel the same sets as the netlink
// batch. (Only the sets: this kernel may lack the nft queue expression
// that the rendered inspect rule names.)
TEST(BlockedSourcesTest, IntervalSetsRenderAndEncodeAlike) {
  ICMPWALL_REQUIRE_ROOT();
  Netns encoded, rendered;
  auto applied = apply_policy_text(encoded, kQueue7InspectPolicy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  Diagnostics diags;
  auto parsed = policy::parse_policy_text("p.toml", kQueue7InspectPolicy, diags);
  ASSERT_TRUE(parsed);
  auto table = compile::compile(*parsed, diags);
  ASSERT_TRUE(table);
  table->chains.clear();
  std::erase_if(table->sets, [](const nft::Set& st) { return !st.name.starts_with("inspect."); });
  auto loaded = rendered.nft_load(compile::render_nft(*table));
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  for (auto f : {policy::Family::ipv4, policy::Family::ipv6}) {
    const Argv list = {"nft", "list", "set", "inet", "icmpwall", compile::blocked_set_name(f)};
    const std::string ours = encoded.run(list).out;
    EXPECT_THAT(ours, ::testing::HasSubstr("flags interval,timeout"));
    EXPECT_EQ(ours, rendered.run(list).out);
  }
}

// A list larger than one message holds (20 000 ranges: 40 000 kernel
// elements, about 1 MB of attributes) goes in as several messages of one
// transaction, and comes out the same way.
TEST(BlockedSourcesTest, AListLargerThanAMessageGoesInAndOutWhole) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  auto applied = apply_policy_text(ns, kQueue7InspectPolicy);
  ASSERT_TRUE(applied.ok()) << applied.describe();
  std::vector<netlink::TimedElement> many;
  for (uint32_t i = 0; i < 20000; ++i) {
    const uint32_t host = 0xc6120000u + 2 * i;  // 198.18.0.0/15, every other address
    const uint8_t bytes[4] = {uint8_t(host >> 24), uint8_t(host >> 16), uint8_t(host >> 8),
                              uint8_t(host)};
    many.push_back(netlink::prefix_element(bytes, 32, std::chrono::minutes(10)));
  }
  auto listed = [&] {
    return ns.run_checked({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"}).out;
  };
  auto occurrences = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  ASSERT_EQ(occurrences(listed(), "198.18."), 0u);
  {
    auto enter = netlink::EnterNetns::open(ns.name());
    ASSERT_TRUE(enter.ok());
    auto r = netlink::add_timed_elements("icmpwall", "inspect.blocked.v4", many);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  const std::string full = listed();
  EXPECT_EQ(occurrences(full, "198.18."), 20000u);
  EXPECT_EQ(occurrences(full, " expires "), 20000u);
  EXPECT_THAT(full, ::testing::HasSubstr("198.18.156.62 "));  // the last: 0xc6129c3e
  {
    auto enter = netlink::EnterNetns::open(ns.name());
    ASSERT_TRUE(enter.ok());
    auto r = netlink::delete_elements("icmpwall", "inspect.blocked.v4", many);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(occurrences(listed(), "198.18."), 0u);
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
