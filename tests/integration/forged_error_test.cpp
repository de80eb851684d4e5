// SPDX-License-Identifier: GPL-2.0-or-later
// Forged ICMP errors against a real victim, with `icmpwall daemon`
// inspecting the errors the victim receives: port-unreachable messages
// quoting a fake UDP datagram "from" the victim's own address (with and
// without data appended after the quoted datagram) reach a connected UDP
// socket of the victim without icmpwall (it reports ECONNREFUSED) and do
// not with it, while a genuine port unreachable (the victim's datagram to
// a closed port of its peer) still does. Both families.
//
// Two scratch namespaces joined by a veth pair:
//
//   victim fv0 198.18.30.2/24 2001:db8:30::2/64 —— fa0 198.18.30.1/24 2001:db8:30::1/64 attacker
//
// The victim's namespace tracks connections: the daemon's policy has no
// key for it yet, so the test loads a table of its own with a ct rule
// (which makes the kernel track connections in the namespace). The engine
// then finds the quoted flow in conntrack (ctnetlink) or not.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "command.h"
#include "daemon_process.h"
#include "harness.h"
#include "netns.h"

namespace icmpwall::integration {
namespace {

constexpr const char* kVictimV4 = "198.18.30.2";
constexpr const char* kAttackerV4 = "198.18.30.1";
constexpr const char* kVictimV6 = "2001:db8:30::2";
constexpr const char* kAttackerV6 = "2001:db8:30::1";
constexpr int kVictimPort = 40000;

constexpr const char* kPolicy = R"([hooks.input]
default = "allow"

[[rule]]
name = "inspect-errors"
types = ["destination-unreachable", "time-exceeded", "parameter-problem"]
hooks = ["input"]
action = "inspect"
no-worker = "accept"
)";

constexpr const char* kConntrackTable =
    "table inet forged_error_ct {\n chain out {\n  type filter hook output priority 0\n"
    "  ct state new counter\n }\n}\n";

// A UDP socket of the victim, bound to `local`:port and connected to
// `peer`:`peer_port`; with send=1 it sends one datagram first. Prints
// "ready", then what its next receive gives: "refused" (an ICMP error
// reached it), "data" or "timeout".
constexpr const char* kObserver = R"PY(
import socket, sys
local, port, peer, peer_port, send = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
fam = socket.AF_INET6 if ":" in local else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((local, port))
s.connect((peer, peer_port))
if send:
    s.send(b"hello")
print("ready", flush=True)
s.settimeout(3)
try:
    s.recv(100)
    print("data", flush=True)
except ConnectionRefusedError:
    print("refused", flush=True)
except socket.timeout:
    print("timeout", flush=True)
)PY";

// Port unreachable from `src` to `dst` quoting a UDP datagram
// dst:40000 -> src:53 with 10 data bytes, then `appended` bytes.
constexpr const char* kForger = R"PY(
import sys
from scapy.all import IP, ICMP, IPv6, UDP, Raw, send, raw, conf
from scapy.layers.inet6 import ICMPv6DestUnreach
conf.verb = 0
src, dst, appended = sys.argv[1], sys.argv[2], int(sys.argv[3])
extra = (b"SECRET-DATA-" * 100)[:appended]
if ":" in src:
    inner = IPv6(src=dst, dst=src) / UDP(sport=40000, dport=53) / Raw(b"q" * 10)
    p = IPv6(src=src, dst=dst) / ICMPv6DestUnreach(code=4) / Raw(raw(inner) + extra)
else:
    inner = IP(src=dst, dst=src) / UDP(sport=40000, dport=53) / Raw(b"q" * 10)
    p = IP(src=src, dst=dst) / ICMP(type=3, code=3) / Raw(raw(inner) + extra)
for i in range(3):
    send(p)
)PY";

class ForgedErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    ICMPWALL_REQUIRE_CRAFT();
    victim_ = std::make_unique<Netns>();
    attacker_ = std::make_unique<Netns>();
    link_veth(*victim_, "fv0", *attacker_, "fa0");
    victim_->add_address("fv0", std::string(kVictimV4) + "/24");
    victim_->add_address("fv0", std::string(kVictimV6) + "/64");
    attacker_->add_address("fa0", std::string(kAttackerV4) + "/24");
    attacker_->add_address("fa0", std::string(kAttackerV6) + "/64");
    ASSERT_TRUE(victim_->wait_dad_done("fv0"));
    ASSERT_TRUE(attacker_->wait_dad_done("fa0"));
    for (const char* dst : {kAttackerV4, kAttackerV6})
      ASSERT_TRUE(victim_->run({"ping", "-n", "-c", "1", "-W", "2", dst}, {Millis(10'000)}).ok());
    ASSERT_TRUE(victim_->nft_load(kConntrackTable).ok());
    observer_ = std::make_unique<TempFile>(kObserver, ".py");
    forger_ = std::make_unique<TempFile>(kForger, ".py");
  }

  // What the victim's socket (bound to its port 40000, connected to the
  // attacker's port 53) sees while the attacker forges three port
  // unreachables about it, `appended` bytes after the quote.
  std::string forged(const char* victim, const char* attacker, int appended) {
    Process& obs = victim_->spawn({python_with_scapy(), observer_->path(), victim,
                                   std::to_string(kVictimPort), attacker, "53", "0"});
    if (!poll_until([&] { return obs.out().find("ready") != std::string::npos; }, Millis(10'000)))
      return "observer not ready: " + obs.err();
    auto r = attacker_->run(
        {python_with_scapy(), forger_->path(), attacker, victim, std::to_string(appended)},
        {Millis(30'000)});
    if (!r.ok()) return "forger failed: " + r.describe();
    obs.wait_for_exit(Millis(10'000));
    return last_line(obs.out());
  }

  // A genuine port unreachable: the victim's datagram to a closed port.
  std::string genuine(const char* victim, const char* attacker, int port) {
    auto r = victim_->run(
        {python_with_scapy(), observer_->path(), victim, std::to_string(port), attacker, "9", "1"},
        {Millis(15'000)});
    return last_line(r.out);
  }

  static std::string last_line(const std::string& out) {
    auto end = out.find_last_not_of('\n');
    if (end == std::string::npos) return "";
    auto start = out.rfind('\n', end);
    return out.substr(start == std::string::npos ? 0 : start + 1,
                      end - (start == std::string::npos ? 0 : start + 1) + 1);
  }

  std::unique_ptr<Netns> victim_, attacker_;
  std::unique_ptr<TempFile> observer_, forger_;
};

TEST_F(ForgedErrorTest, ForgedPortUnreachablesAboutFlowsTheVictimNeverHadAreDropped) {
  const std::pair<const char*, const char*> families[] = {{kVictimV4, kAttackerV4},
                                                          {kVictimV6, kAttackerV6}};
  // Without icmpwall the forgeries reach the socket: the attack is real.
  for (const auto& [victim, attacker] : families) {
    SCOPED_TRACE(victim);
    EXPECT_EQ(forged(victim, attacker, 0), "refused");
    EXPECT_EQ(forged(victim, attacker, 120), "refused");
    EXPECT_EQ(genuine(victim, attacker, 40001), "refused");
  }

  TempFile policy(kPolicy, ".toml");
  Daemon daemon(*victim_, policy.path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  int port = 40100;
  for (const auto& [victim, attacker] : families) {
    SCOPED_TRACE(victim);
    EXPECT_EQ(forged(victim, attacker, 0), "timeout");
    EXPECT_EQ(forged(victim, attacker, 120), "timeout");
    // A real error about a real flow is still delivered.
    EXPECT_EQ(genuine(victim, attacker, ++port), "refused");
  }
  EXPECT_TRUE(daemon.wait_out(R"("reason":"error-no-flow")"));
  EXPECT_TRUE(daemon.wait_out(R"("reason":"error-smuggling")"));
  EXPECT_EQ(daemon.out().find(R"("event":"block")"), std::string::npos) << "errors never block";
  EXPECT_EQ(daemon.stop(), 0);
}

}  // namespace
}  // namespace icmpwall::integration
