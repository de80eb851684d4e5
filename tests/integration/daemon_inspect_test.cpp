// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall daemon` on the router of client — router — server, inspecting
// forwarded echo: a real ptunnel-ng tunnel carrying a TCP transfer is cut
// off and its source blocked in the kernel, while real pings from other
// sources keep working; a burst of malformed ICMP leaves the daemon alive.
// Each test first shows the tunnel works without icmpwall, so a pass is
// not an artefact of the test network.
#include <gmock/gmock.h>
#include <signal.h>

#include <fstream>
#include <random>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

constexpr const char* kPolicy = R"([hooks.forward]
default = "allow"

[[rule]]
name = "tunnel"
types = ["echo-request", "echo-reply"]
hooks = ["forward"]
action = "inspect"
)";

class DaemonInspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    if (!have_tool("/usr/bin/ptunnel-ng")) GTEST_SKIP() << "needs ptunnel-ng (Debian: ptunnel-ng)";
    net_ = std::make_unique<Topology>();
    policy_ = std::make_unique<TempFile>(kPolicy, ".toml");
    payload_ = std::make_unique<TempFile>(random_bytes(kTransfer));
    net_->server.spawn({"ptunnel-ng", "-r127.0.0.1", "-R5001", "-v", "-1"});
    net_->client.spawn(
        {"ptunnel-ng", "-p", Addr::server_v4, "-l2222", "-r127.0.0.1", "-R5001", "-v", "-1"});
    ASSERT_TRUE(poll_until(
        [&] {
          return net_->client.run({"ss", "-Hltn", "sport = :2222"}).out.find("2222") !=
                 std::string::npos;
        },
        Millis(5'000)));
  }

  static std::string random_bytes(size_t n) {
    std::mt19937 rng(42);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  }

  // One TCP transfer of the payload through the tunnel; bytes that arrived.
  size_t transfer(Millis limit) {
    net_->server.spawn({"nc", "-N", "-l", "-p", "5001"}, payload_->path());
    poll_until(
        [&] {
          return net_->server.run({"ss", "-Hltn", "sport = :5001"}).out.find("5001") !=
                 std::string::npos;
        },
        Millis(5'000));
    auto r = net_->client.run({"nc", "-d", "127.0.0.1", "2222"}, {limit});
    return r.out.size();
  }

  static constexpr size_t kTransfer = 150'000;
  std::unique_ptr<Topology> net_;
  std::unique_ptr<TempFile> policy_;
  std::unique_ptr<TempFile> payload_;
};

TEST_F(DaemonInspectTest, TunnelIsCutOffAndBlockedWhileRealPingsPass) {
  // Without icmpwall the tunnel carries the whole transfer.
  ASSERT_EQ(transfer(Millis(60'000)), kTransfer);

  Daemon daemon(net_->router, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  const size_t got = transfer(Millis(8'000));
  EXPECT_LT(got, kTransfer / 10) << "the tunnel kept carrying data";
  EXPECT_THAT(daemon.out(), ::testing::HasSubstr(R"("reason":"tunnel")"));
  EXPECT_THAT(daemon.out(), ::testing::HasSubstr(R"("event":"block")"));
  auto blocked = net_->router.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"});
  EXPECT_THAT(blocked.out, ::testing::HasSubstr(Addr::client_v4));

  // Real pings from sources that are not the tunnel's keep working: iputils
  // defaults, large sizes, fill patterns, and both families.
  const std::vector<Argv> kinds = {
      {"-c", "3", "-i", "0.2", "-W", "1", "-I", Addr::client2_v4},
      {"-c", "3", "-i", "0.2", "-W", "1", "-s", "1400", "-I", Addr::client2_v4},
      {"-c", "3", "-i", "0.2", "-W", "1", "-s", "8000", "-I", Addr::client2_v4},
      {"-c", "3", "-i", "0.2", "-W", "1", "-p", "ff00", "-I", Addr::client2_v4},
      {"-c", "3", "-i", "0.2", "-W", "1", "-s", "32", "-p", "6162636465666768696a6b6c6d6e6f70",
       "-I", Addr::client2_v4},
      {"-c", "3", "-i", "0.2", "-W", "1", "-I", Addr::client_other64_v6},
      {"-c", "3", "-i", "0.2", "-W", "1", "-s", "1400", "-I", Addr::client_other64_v6},
  };
  for (const auto& opts : kinds) {
    const bool v6 = opts.back().find(':') != std::string::npos;
    auto p = ping(net_->client, v6 ? Addr::server_v6 : Addr::server_v4, opts);
    EXPECT_EQ(p.received, 3) << p.describe();
  }
  // The blocked source's packets now die in the kernel, before the queue.
  EXPECT_GT(read_counter(net_->router, "inspect.blocked").packets, 0u);

  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_THAT(daemon.out(), ::testing::HasSubstr(R"("event":"stopped")"));
}

TEST_F(DaemonInspectTest, MalformedIcmpBurstLeavesTheDaemonServing) {
  ICMPWALL_REQUIRE_CRAFT();
  Daemon daemon(net_->router, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  // 300 ICMP packets with headers cut short or random bytes, forwarded by
  // the router's kernel (the IP header is valid) into the queue.
  auto burst = net_->client.run(
      {python_with_scapy(), "-c",
       "from scapy.all import *\n"
       "import random\n"
       "random.seed(7)\n"
       "pkts=[]\n"
       "for i in range(300):\n"
       "    body=bytes(random.getrandbits(8) for _ in range(random.randrange(0,64)))\n"
       "    if i % 3 == 0: body=b'\\x08' + body[:2]\n"
       "    pkts.append(IP(src='198.18.1.2',dst='198.18.2.2',proto=1)/Raw(body))\n"
       "send(pkts, verbose=0)\n"},
      {Millis(60'000)});
  ASSERT_TRUE(burst.ok()) << burst.describe();
  EXPECT_TRUE(daemon.running());
  auto p = ping(net_->client, Addr::server_v4,
                {"-c", "3", "-i", "0.2", "-W", "1", "-I", Addr::client2_v4});
  EXPECT_EQ(p.received, 3) << p.describe();
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_THAT(daemon.out(), ::testing::HasSubstr(R"("malformed")"));
}

// Pings as other systems send them (payload layouts as those ping
// programs write them), through the inspecting router: every request is
// answered. False positives are bugs.
TEST_F(DaemonInspectTest, PingsOfOtherSystemsPass) {
  ICMPWALL_REQUIRE_CRAFT();
  Daemon daemon(net_->router, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  auto r = net_->client.run(
      {python_with_scapy(), "-c",
       "from scapy.all import *\n"
       "import struct, time\n"
       "def windows(n=32): return bytes(ord('a') + i % 23 for i in range(n))\n"
       "def busybox(n=56): return struct.pack('<I', int(time.monotonic()*1e6) & 0xffffffff) + "
       "bytes(n-4)\n"
       "def macos(n=56):\n"
       "    t = time.time()\n"
       "    return struct.pack('!II', int(t), int((t % 1) * 1e6)) + bytes(i & 0xff for i in "
       "range(8, n))\n"
       "sent = got = 0\n"
       "for ident, make, v6 in [(0x101, windows, False), (0x102, busybox, False), (0x103, macos, "
       "False),\n"
       "                        (0x104, windows, True), (0x105, macos, True)]:\n"
       "    for seq in range(4):\n"
       "        if v6:\n"
       "            p = IPv6(src='2001:db8:3::2', dst='2001:db8:2::2')/ICMPv6EchoRequest(id=ident, "
       "seq=seq, data=make())\n"
       "        else:\n"
       "            p = IP(src='198.18.1.3', dst='198.18.2.2')/ICMP(id=ident, seq=seq)/make()\n"
       "        sent += 1\n"
       "        if sr1(p, timeout=2, verbose=0) is not None: got += 1\n"
       "        time.sleep(0.2)\n"
       "print(sent, got)\n"},
      {Millis(120'000)});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "20 20\n") << daemon.out();
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_THAT(daemon.out(), ::testing::Not(::testing::HasSubstr(R"("event":"detection")")));
}

}  // namespace
}  // namespace icmpwall::integration
