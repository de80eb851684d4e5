// SPDX-License-Identifier: GPL-2.0-or-later
// Fragments of ICMP and ICMPv6, with real large pings and crafted ones.
//
// Kernel facts this relies on (and checks): IPv4 local delivery reassembles
// before the input hook, so input sees whole IPv4 datagrams; the IPv6
// input hook and the forward hook (both families) see raw fragments unless
// conntrack's defragmentation runs in the namespace; a non-first fragment
// has no ICMP header, so the type lookup cannot match it.
//
// Each preset passes `ping -s 2000 / 8000 / 65000` in both families where
// it is applied (host on the server, router on the router and host on
// both ends, lockdown on client and server); host and router reassemble
// (conntrack), lockdown follows. A "ping of death" (fragments
// that reassemble past the 65535 bytes an IP datagram may have) gets no
// reply, while the same crafted request at a legal size does: the crafter
// and its capture are shown to work before the test believes a zero. Then
// `fragments = "follow"` and `"drop"` on a small policy on the router,
// each counted in fragments.forward.
#include <gmock/gmock.h>

#include <cstdio>
#include <sstream>

#include "harness.h"

namespace icmpwall::integration {
namespace {

struct FragmentReply {
  int sent = -1;
  int replies = -1;
  int errors = -1;
  CommandResult cmd;
};

// tools/fragments.py: one echo request of `size` bytes (ICMP header and
// data), in 1232-byte fragments, and what came back within `wait` seconds.
FragmentReply send_fragments(const Netns& from, Family f, const std::string& src,
                             const std::string& dst, int size) {
  FragmentReply r;
  r.cmd = from.run({python_with_scapy(), source_dir() + "/tests/integration/tools/fragments.py",
                    "--family", f == Family::v4 ? "4" : "6", "--src", src, "--dst", dst, "--size",
                    std::to_string(size), "--wait", "2"},
                   {Millis(60'000)});
  auto at = r.cmd.out.find("sent ");
  if (at != std::string::npos)
    std::sscanf(r.cmd.out.c_str() + at, "sent %d fragments\nreplies %d errors %d", &r.sent,
                &r.replies, &r.errors);
  return r;
}

// The namespace's failed reassemblies (IPv4: /proc/net/snmp Ip ReasmFails).
uint64_t reasm_fails_v4(const Netns& ns) {
  auto r = ns.run({"cat", "/proc/net/snmp"});
  std::istringstream in(r.out);
  std::string header, values;
  while (std::getline(in, header) && std::getline(in, values)) {
    if (header.rfind("Ip: ", 0) != 0) continue;
    std::istringstream h(header), v(values);
    std::string name, value;
    while (h >> name && v >> value)
      if (name == "ReasmFails") return std::stoull(value);
  }
  return 0;
}

const int kSizes[] = {2000, 8000, 65000};

class FragmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
  }
  void apply(const Netns& ns, const std::string& preset) {
    auto r = apply_policy(ns, preset_path(preset));
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  // Every size, both families, client to server: all replies.
  void large_pings_pass() {
    for (const char* dst : {Addr::server_v4, Addr::server_v6})
      for (int size : kSizes) {
        auto p = ping(net_->client, dst,
                      {"-c", "2", "-i", "0.5", "-W", "5", "-s", std::to_string(size)});
        EXPECT_EQ(p.received, 2) << dst << " -s " << size << "\n" << p.describe();
      }
  }
  // A legal crafted request is answered; the ping of death is not. Why it
  // is not, where something says so: IPv4's reassembly counts a failure in
  // the namespace that reassembles (`v4_reassembler`); an IPv6 receiver
  // that reassembles itself answers the oversized fragment with a
  // parameter problem (`v6_param_problem`; conntrack's defragmenter drops
  // it silently instead).
  void ping_of_death_is_refused(const Netns& v4_reassembler, bool v6_param_problem) {
    if (python_with_scapy().empty())
      GTEST_SKIP() << "needs python3 with scapy (Debian: python3-scapy)";
    for (Family f : {Family::v4, Family::v6}) {
      const std::string src = f == Family::v4 ? Addr::client_v4 : Addr::client_v6;
      const std::string dst = f == Family::v4 ? Addr::server_v4 : Addr::server_v6;
      auto legal = send_fragments(net_->client, f, src, dst, 6000);
      ASSERT_EQ(legal.replies, 1) << f
                                  << ": the legal request got no reply, so a zero proves nothing\n"
                                  << legal.cmd.describe();
      const uint64_t fails = reasm_fails_v4(v4_reassembler);
      auto death = send_fragments(net_->client, f, src, dst, 65600);
      EXPECT_GE(death.sent, 50) << death.cmd.describe();
      EXPECT_EQ(death.replies, 0) << f << ": a datagram past 65535 bytes was answered\n"
                                  << death.cmd.describe();
      if (f == Family::v4) {
        EXPECT_GT(reasm_fails_v4(v4_reassembler), fails)
            << "the kernel did not refuse the reassembly";
      } else if (v6_param_problem) {
        EXPECT_GE(death.errors, 1) << "no parameter problem for the fragment past 65535\n"
                                   << death.cmd.describe();
      }
    }
  }
  std::unique_ptr<Topology> net_;
};

// host.toml on the server (fragments = "reassemble"): IPv4 arrives whole
// at input anyway; IPv6 is reassembled by conntrack before it.
TEST_F(FragmentsTest, HostPresetPassesLargePingsAndRefusesAPingOfDeath) {
  apply(net_->server, "host");
  large_pings_pass();
  auto c = read_counters(net_->server, "icmpwall");
  EXPECT_EQ(c["fragments.input"].packets, 0u) << "a fragment reached the input hook";
  EXPECT_EQ(c[rule_counter("echo-request")].packets, 12u);  // one per datagram, whole
  ping_of_death_is_refused(net_->server, false);
}

// router.toml on the router (fragments = "reassemble", host.toml on both
// ends): the forward hook sees whole datagrams, refragmented on the way
// out; the router refuses the ping of death itself.
TEST_F(FragmentsTest, RouterPresetPassesLargePingsAndRefusesAPingOfDeath) {
  apply(net_->router, "router");
  apply(net_->client, "host");
  apply(net_->server, "host");
  large_pings_pass();
  auto c = read_counters(net_->router, "icmpwall");
  EXPECT_EQ(c["fragments.forward"].packets, 0u) << "a fragment reached the forward hook";
  EXPECT_EQ(c[rule_counter("transit-echo-request")].packets, 12u);  // one per datagram, whole
  EXPECT_EQ(c["default.forward"].packets, 0u);
  ping_of_death_is_refused(net_->router, false);
}

// lockdown.toml on client and server (fragments = "follow" by default).
TEST_F(FragmentsTest, LockdownPresetPassesLargePingsAndRefusesAPingOfDeath) {
  apply(net_->client, "lockdown");
  apply(net_->server, "lockdown");
  // one ping a second stays within lockdown's global echo budget
  for (const char* dst : {Addr::server_v4, Addr::server_v6})
    for (int size : kSizes) {
      auto p =
          ping(net_->client, dst, {"-c", "2", "-i", "1", "-W", "5", "-s", std::to_string(size)});
      EXPECT_EQ(p.received, 2) << dst << " -s " << size << "\n" << p.describe();
      net_->client.run({"sleep", "1"});
    }
  auto c = read_counters(net_->client, "icmpwall");
  EXPECT_GT(c["fragments.input"].packets, 0u)
      << "the IPv6 replies' later fragments were not followed";
  net_->client.run({"sleep", "2"});  // the echo budget refills
  ping_of_death_is_refused(net_->server, true);
}

std::string custom(const std::string& mode) {
  return "[icmpwall]\nrole = \"router\"\nfragments = \"" + mode + R"("

[hooks.forward]
default = "drop"

[[rule]]
name = "transit-echo"
types = ["echo-request", "echo-reply"]
hooks = ["forward"]
action = "allow"

[[rule]]
name = "transit-errors"
types = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"]
hooks = ["forward"]
action = "allow"
)";
}

TEST_F(FragmentsTest, FollowPassesLaterFragmentsAndCountsThem) {
  auto r = apply_policy_text(net_->router, custom("follow"));
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const char* dst : {Addr::server_v4, Addr::server_v6}) {
    auto p = ping(net_->client, dst, {"-c", "2", "-i", "0.5", "-W", "5", "-s", "8000"});
    EXPECT_EQ(p.received, 2) << p.describe();
  }
  auto c = read_counters(net_->router, "icmpwall");
  // 8008 bytes of ICMP in 1480/1448-byte fragments: 5 or 6 later fragments
  // per datagram, each way
  EXPECT_GE(c["fragments.forward"].packets, 2u * 2u * 2u * 5u);
  EXPECT_EQ(c["default.forward"].packets, 0u);
  EXPECT_EQ(c[rule_counter("transit-echo")].packets, 8u);  // first fragments only
  ping_of_death_is_refused(net_->server, true);
}

// The table's ct expression turns conntrack, and its defragmentation, on
// for the namespace: the forward hook sees whole datagrams, the router
// refuses the ping of death itself (silently, for IPv6).
TEST_F(FragmentsTest, ReassembleGivesTheForwardHookWholeMessages) {
  auto r = apply_policy_text(net_->router, custom("reassemble"));
  ASSERT_TRUE(r.ok()) << r.describe();
  large_pings_pass();
  auto c = read_counters(net_->router, "icmpwall");
  EXPECT_EQ(c["fragments.forward"].packets, 0u) << "a fragment reached the forward hook";
  EXPECT_EQ(c[rule_counter("transit-echo")].packets,
            24u);  // one per datagram (12 requests, 12 replies), whole
  EXPECT_EQ(c["default.forward"].packets, 0u);
  EXPECT_EQ(c["ct-invalid.forward"].packets, 0u);  // every echo belonged to a flow
  ping_of_death_is_refused(net_->router, false);
}

TEST_F(FragmentsTest, DropDropsLaterFragmentsAndCountsThem) {
  auto r = apply_policy_text(net_->router, custom("drop"));
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const char* dst : {Addr::server_v4, Addr::server_v6}) {
    auto small = ping(net_->client, dst, {"-c", "1", "-W", "2"});
    EXPECT_EQ(small.received, 1) << small.describe();
    auto large = ping(net_->client, dst, {"-c", "1", "-W", "2", "-s", "2000"});
    EXPECT_EQ(large.received, 0) << large.describe();
  }
  auto c = read_counters(net_->router, "icmpwall");
  EXPECT_GE(c["fragments.forward"].packets, 2u);
  EXPECT_EQ(c["default.forward"].packets, 0u);
}

}  // namespace
}  // namespace icmpwall::integration
