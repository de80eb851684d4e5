// SPDX-License-Identifier: GPL-2.0-or-later
// The harness itself, without icmpwall: commands and their timeouts,
// namespace lifetime, the topology's reachability, the packet crafter and
// the observer (every crafted type arrives and is counted as that type; a
// drop rule of our own shows up as "before but not after"), and the PMTUD
// set-up (a transfer completes; with frag-needed dropped by a plain nft
// rule it stalls). If these fail, the icmpwall tests mean nothing.
#include "harness.h"

#include <gmock/gmock.h>

namespace icmpwall::integration {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CommandTest, CapturesExitCodeAndOutput) {
  auto r = run({"sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(CommandTest, PassesStdinAndDoesNotInterpretArguments) {
  RunOptions o;
  o.input = std::string(300'000, 'x');
  auto r = run({"wc", "-c"}, o);
  EXPECT_EQ(r.out, "300000\n") << r.describe();
  r = run({"echo", "$(id) `id` ; id"});
  EXPECT_EQ(r.out, "$(id) `id` ; id\n");
}

TEST(CommandTest, TimeoutKillsTheChild) {
  auto r = run({"sleep", "30"}, {Millis(200)});
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(r.elapsed, Millis(3000));
}

TEST(CommandTest, MissingProgramFails) {
  auto r = run({"/nonexistent/program"});
  EXPECT_EQ(r.exit_code, 127);
}

TEST(NetnsTest, CreatesAndRemovesNamespaceAndItsProcesses) {
  ICMPWALL_REQUIRE_ROOT();
  std::string name;
  pid_t pid = -1;
  {
    Netns ns;
    name = ns.name();
    EXPECT_THAT(name, ::testing::MatchesRegex("iw-[0-9]+-[0-9]+"));
    EXPECT_THAT(run_checked({"ip", "netns", "list"}).out, HasSubstr(name));
    // The process says so once it runs inside the namespace: `ip netns
    // exec` enters it between the fork and the exec, so the pid alone can
    // still be in the root namespace for a moment.
    Process& p = ns.spawn({"sh", "-c", "echo in; exec sleep 60"});
    pid = p.pid();
    ASSERT_TRUE(poll_until([&] { return p.out() == "in\n"; }, Millis(5000))) << p.out();
    auto ident = ns.run_checked({"ip", "netns", "identify", std::to_string(pid)});
    EXPECT_EQ(ident.out, name + "\n");
  }
  EXPECT_THAT(run_checked({"ip", "netns", "list"}).out, ::testing::Not(HasSubstr(name)));
  EXPECT_NE(::kill(pid, 0), 0) << "process " << pid << " survived its namespace";
}

TEST(TopologyTest, ClientReachesServerThroughRouter) {
  ICMPWALL_REQUIRE_ROOT();
  Topology t;
  for (const char* dst : {Addr::server_v4, Addr::server_v6}) {
    auto p = ping(t.client, dst);
    EXPECT_EQ(p.received, 3) << p.describe();
  }
  for (const char* dst : {Addr::server_v4, Addr::server_v6})
    for (auto mode : {TraceMode::udp, TraceMode::icmp}) {
      auto tr = traceroute(t.client, dst, mode);
      const char* hop1 =
          dst == std::string(Addr::server_v4) ? Addr::router_c_v4 : Addr::router_c_v6;
      EXPECT_THAT(tr.hops, ElementsAre(hop1, dst)) << tr.describe();
    }
  // No route anywhere but the test prefixes.
  auto r = t.client.run({"ip", "-4", "route", "show", "default"});
  EXPECT_EQ(r.out, "");
  r = t.client.run({"ip", "-6", "route", "show", "default"});
  EXPECT_EQ(r.out, "");
}

TEST(ObserverTest, SeesEveryCraftedTypeAndTellsDropsFromLosses) {
  ICMPWALL_REQUIRE_ROOT();
  ICMPWALL_REQUIRE_CRAFT();
  Topology t;
  Observer obs(t.server, {"input"});
  // A firewall of our own that drops timestamp requests and ICMPv6 type 200.
  auto load = t.server.nft_load(
      "table inet mine {\n"
      "  counter ts {}\n"
      "  chain input { type filter hook input priority 0; policy accept;\n"
      "    icmp type timestamp-request counter name \"ts\" drop\n"
      "    icmpv6 type 200 drop\n"
      "  }\n"
      "}\n");
  ASSERT_TRUE(load.ok()) << load.describe();

  const std::string mac = t.server.mac_of(Topology::server_if);
  auto before = obs.snapshot();
  auto v4 = craft(t.router, {"--src", Addr::router_s_v4, "--dst", Addr::server_v4, "--iface",
                             Topology::router_server_if, "--dst-mac", mac, "--count", "2",
                             "--types", "0,3/3,3/4,4,5/1,8,11,12,13,14,15,16,17,18,200,253"});
  ASSERT_TRUE(v4.ok()) << v4.describe();
  auto v6 =
      craft(t.router, {"--v6", "--src", "fe80::1", "--dst", Addr::server_v6, "--iface",
                       Topology::router_server_if, "--dst-mac", mac, "--count", "2", "--types",
                       "1/4,2,3,4,128,129,130,131,132,133,134,135,136,137,143,200"});
  ASSERT_TRUE(v6.ok()) << v6.describe();
  EXPECT_THAT(v4.out, HasSubstr("sent 32 packets"));

  // The crafted packets arrived and the observer counts them as their type.
  // (Echo requests cause replies, which go out, not in.)
  auto after = obs.wait_for([&](const Observer::Snapshot& s) {
    return Observer::delta(before, s, "input", Stage::before, Family::v6, 200) == 2;
  });
  for (int type : {0, 3, 4, 5, 8, 11, 12, 13, 14, 15, 16, 17, 18, 200, 253})
    EXPECT_EQ(Observer::delta(before, after, "input", Stage::before, Family::v4, type),
              type == 3 ? 4u : 2u)
        << "ICMPv4 type " << type;
  for (int type : {1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143, 200})
    EXPECT_GE(Observer::delta(before, after, "input", Stage::before, Family::v6, type), 2u)
        << "ICMPv6 type " << type;
  // Our drop rule: counted before, not after, and by our own counter.
  EXPECT_EQ(Observer::delta(before, after, "input", Stage::after, Family::v4, 13), 0u);
  EXPECT_EQ(Observer::delta(before, after, "input", Stage::after, Family::v6, 200), 0u);
  EXPECT_EQ(Observer::delta(before, after, "input", Stage::after, Family::v4, 14), 2u);
  EXPECT_EQ(read_counter(t.server, "ts", "mine").packets, 2u);
}

TEST(ObserverTest, L3CraftGoesThroughTheSendersOutputHook) {
  ICMPWALL_REQUIRE_ROOT();
  ICMPWALL_REQUIRE_CRAFT();
  Topology t;
  Observer obs(t.server, {"output"});
  auto before = obs.snapshot();
  auto r =
      craft(t.server, {"--src", Addr::server_v4, "--dst", Addr::client_v4, "--types", "13,200"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = craft(t.server,
            {"--v6", "--src", Addr::server_v6, "--dst", Addr::client_v6, "--types", "200"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto after = obs.snapshot();
  EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, Family::v4, 13), 1u);
  EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, Family::v4, 200), 1u);
  EXPECT_EQ(Observer::delta(before, after, "output", Stage::after, Family::v6, 200), 1u);
}

TEST(PmtudSetupTest, TransferCompletesAndStallsWhenFragNeededIsDropped) {
  ICMPWALL_REQUIRE_ROOT();
  Topology t;
  t.lower_router_server_mtu(1280);
  auto ok = tcp_transfer(t.client, t.server, Addr::server_v4, 2 << 20, Millis(20'000));
  EXPECT_TRUE(ok.completed) << ok.describe();

  Topology u;
  u.lower_router_server_mtu(1280);
  auto load = u.client.nft_load(
      "table inet mine {\n  chain input {\n    type filter hook input priority 0;\n"
      "    icmp type destination-unreachable icmp code frag-needed drop\n  }\n}\n");
  ASSERT_TRUE(load.ok()) << load.describe();
  auto stalled = tcp_transfer(u.client, u.server, Addr::server_v4, 2 << 20, Millis(4'000));
  EXPECT_FALSE(stalled.completed) << stalled.describe();
  EXPECT_TRUE(stalled.sender.timed_out) << stalled.describe();
  EXPECT_LT(stalled.received, size_t{2} << 20);
}

}  // namespace
}  // namespace icmpwall::integration
