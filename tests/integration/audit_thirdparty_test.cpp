// SPDX-License-Identifier: GPL-2.0-or-later
// The audit against rulesets other tools write, and against real traffic.
//
// Each test loads a third-party ruleset into a scratch namespace of the
// client — router — server topology: ufw's own before.rules and
// before6.rules (from the Debian package, loaded by ufw's own ufw-init
// through iptables-nft, default policies as `ufw enable` sets them),
// firewalld's nftables table (rulesets/firewalld.nft), docker's
// iptables-nft rules (rulesets/docker.rules), and a native ruleset with a
// prerouting verdict map and a netdev ingress chain. For several ICMP and
// ICMPv6 types it asserts the audit's outcome (told the conntrack state
// the kernel will give the packet: new for a request, established for a
// reply to our own ping, related for an error about our own datagram,
// invalid for an unsolicited reply or error, untracked for neighbour
// discovery) and then sends that packet and checks that the kernel did the
// same: the observer table behind the filter counts what got through.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "harness.h"
#include "icmpwall/audit/dump.h"
#include "icmpwall/audit/evaluate.h"
#include "icmpwall/netlink/netns.h"

namespace icmpwall::integration {
namespace {

using audit::Outcome;
using audit::Packet;

constexpr uint32_t kNew = 8, kEstablished = 2, kRelated = 4, kInvalid = 1, kUntracked = 64;
const char* const kUfwDir = "/var/cache/icmpwall-tests/ufw";

Result<audit::Ruleset> dump_in(const Netns& ns) {
  auto entered = netlink::EnterNetns::open(ns.name());
  if (!entered.ok()) return entered.error();
  return audit::dump_ruleset();
}

std::string ruleset_path(const std::string& name) {
  return source_dir() + "/tests/integration/rulesets/" + name;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// A packet at `hook`, arriving on the topology's interface towards it
// (input and forward), in conntrack state `ct_state`.
Packet packet(Family f, policy::Hook hook, uint8_t type, uint32_t ct_state) {
  Packet p;
  p.family = f == Family::v4 ? policy::Family::ipv4 : policy::Family::ipv6;
  p.hook = hook;
  p.type = type;
  p.ct_state = ct_state;
  if (hook != policy::Hook::output) p.iif = Topology::server_if;
  return p;
}

class AuditThirdPartyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
  }

  // The audit's outcome for `p` in `ns`, with the deciding chain.
  audit::Evaluation audit_of(const Netns& ns, const Packet& p) {
    auto rs = dump_in(ns);
    EXPECT_TRUE(rs.ok()) << rs.error().message;
    return rs.ok() ? audit::evaluate(*rs, p) : audit::Evaluation{};
  }

  // Sends one crafted packet `args` from `from` and returns the packets of
  // `type` the observer in the receiving namespace counted (before, after)
  // its filter at `hook`. Waits until the before-count moved or 3 s passed.
  std::pair<uint64_t, uint64_t> send(const Observer& obs, const Netns& from,
                                     const std::string& hook, Family f, int type,
                                     const Argv& args) {
    auto before = obs.snapshot();
    auto r = craft(from, args);
    EXPECT_TRUE(r.ok()) << r.describe();
    auto after = obs.wait_for([&](const Observer::Snapshot& s) {
      return Observer::delta(before, s, hook, Stage::before, f, type) > 0;
    });
    return {Observer::delta(before, after, hook, Stage::before, f, type),
            Observer::delta(before, after, hook, Stage::after, f, type)};
  }

  std::unique_ptr<Topology> net_;
};

// Whether a crafted packet that reached the hook got past the filter.
void expect_reality(std::pair<uint64_t, uint64_t> seen, bool passes, const std::string& what) {
  EXPECT_GE(seen.first, 1u) << what << ": never reached the hook";
  if (passes)
    EXPECT_GE(seen.second, 1u) << what << ": the audit says it passes, the kernel dropped it";
  else
    EXPECT_EQ(seen.second, 0u) << what
                               << ": the audit says it is stopped, the kernel let it through";
}

// ---- ufw ---------------------------------------------------------------

// ufw's framework (its ufw-init script, run as `ufw enable` does) with the
// package's before/after/user rules, in `ns`, with a private data dir.
class UfwRoot {
 public:
  explicit UfwRoot(const Netns& ns) {
    root_ = "/tmp/icmpwall-ufw-" + std::to_string(::getpid()) + "-" + ns.name();
    std::string pkg = kUfwDir;
    must({"mkdir", "-p", root_ + "/etc/ufw", root_ + "/etc/default", root_ + "/lib"});
    must({"cp", "-r", pkg + "/lib/ufw", root_ + "/lib/"});
    for (const char* f : {"before", "before6", "after", "after6", "user", "user6"})
      must({"cp", pkg + "/usr/share/ufw/iptables/" + f + ".rules", root_ + "/etc/ufw/"});
    // the package's defaults (incoming deny, outgoing allow, routed deny),
    // without loading its sysctl file: sysctls are not what is tested
    {
      std::ifstream in(pkg + "/etc/default/ufw");
      std::ofstream out(root_ + "/etc/default/ufw");
      for (std::string line; std::getline(in, line);)
        out << (line.rfind("IPT_SYSCTL=", 0) == 0 ? "IPT_SYSCTL=" : line) << "\n";
      std::ofstream(root_ + "/etc/ufw/ufw.conf") << "ENABLED=yes\nLOGLEVEL=low\n";
    }
    start = ns.run({root_ + "/lib/ufw/ufw-init", "--rootdir", root_, "--datadir", root_, "start"});
  }
  ~UfwRoot() { run({"rm", "-rf", root_}); }
  CommandResult start;

 private:
  static void must(const Argv& argv) { run_checked(argv); }
  std::string root_;
};

TEST_F(AuditThirdPartyTest, UfwBeforeRules) {
  if (!exists(std::string(kUfwDir) + "/usr/share/ufw/iptables/before.rules"))
    GTEST_SKIP() << "ufw's rule files are not in " << kUfwDir
                 << " (.ci/deps unpacks the Debian package there)";
  auto version = net_->server.run({"iptables", "--version"});
  if (version.out.find("nf_tables") == std::string::npos)
    GTEST_SKIP() << "iptables is not iptables-nft: " << version.out;
  Netns& host = net_->server;
  UfwRoot ufw(host);
  ASSERT_TRUE(ufw.start.ok()) << ufw.start.describe();
  auto in = policy::Hook::input;

  // what the audit says, told the conntrack state
  struct Case {
    Family f;
    uint8_t type;
    uint32_t ct;
    Outcome outcome;
    const char* chain;  // the deciding chain
  };
  const Case cases[] = {
      {Family::v4, 8, kNew, Outcome::accepted, "ufw-before-input"},
      {Family::v4, 0, kEstablished, Outcome::accepted, "ufw-before-input"},
      {Family::v4, 0, kInvalid, Outcome::dropped, "ufw-before-input"},
      {Family::v4, 3, kRelated, Outcome::accepted, "ufw-before-input"},
      {Family::v4, 3, kInvalid, Outcome::dropped, "ufw-before-input"},
      {Family::v4, 11, kInvalid, Outcome::dropped, "ufw-before-input"},
      {Family::v4, 12, kInvalid, Outcome::dropped, "ufw-before-input"},
      {Family::v4, 13, kNew, Outcome::dropped, "INPUT"},
      {Family::v6, 128, kNew, Outcome::accepted, "ufw6-before-input"},
      {Family::v6, 129, kEstablished, Outcome::accepted, "ufw6-before-input"},
      {Family::v6, 2, kInvalid, Outcome::dropped, "ufw6-before-input"},
  };
  for (const auto& c : cases) {
    auto ev = audit_of(host, packet(c.f, in, c.type, c.ct));
    EXPECT_EQ(ev.outcome, c.outcome)
        << c.f << " type " << int(c.type) << " ct " << c.ct << ": " << ev.condition;
    EXPECT_EQ(ev.decided_by.chain, c.chain) << c.f << " type " << int(c.type);
  }
  // neighbour discovery is untracked; ufw wants hop limit 255 (xt hl match)
  auto ns_ev = [&](std::optional<uint8_t> hl) {
    Packet p = packet(Family::v6, in, 135, kUntracked);
    p.hop_limit = hl;
    return audit_of(host, p);
  };
  EXPECT_EQ(ns_ev(255).outcome, Outcome::accepted);
  EXPECT_EQ(ns_ev(64).outcome, Outcome::dropped);
  EXPECT_EQ(ns_ev(std::nullopt).outcome, Outcome::conditional);
  Packet ra = packet(Family::v6, in, 134, kUntracked);
  ra.hop_limit = 255;
  EXPECT_EQ(audit_of(host, ra).outcome, Outcome::accepted);
  // told nothing about conntrack, echo-reply depends on it, and says so
  Packet unknown_ct = packet(Family::v4, in, 0, kNew);
  unknown_ct.ct_state.reset();
  auto open = audit_of(host, unknown_ct);
  EXPECT_EQ(open.outcome, Outcome::conditional);
  EXPECT_NE(open.condition.find("ct state established,related"), std::string::npos)
      << open.condition;
  // the command line: --ct-state says the state, new by default
  Argv explain = {"audit",  "--netns", host.name(), "--explain",  "--family", "ipv4",
                  "--hook", "input",   "--type",    "echo-reply", "--iif",    Topology::server_if};
  auto as_new = icmpwall(explain);
  EXPECT_EQ(as_new.exit_code, 0) << as_new.describe();
  EXPECT_NE(as_new.out.find("): dropped"), std::string::npos) << as_new.out;
  explain.insert(explain.end(), {"--ct-state", "established"});
  auto as_reply = icmpwall(explain);
  EXPECT_NE(as_reply.out.find("): accepted"), std::string::npos) << as_reply.out;
  EXPECT_NE(as_reply.out.find("ip filter ufw-before-input #"), std::string::npos) << as_reply.out;
  // forward: routed traffic is denied, ICMP errors and echo requests pass
  EXPECT_EQ(audit_of(host, packet(Family::v4, policy::Hook::forward, 8, kNew)).outcome,
            Outcome::accepted);
  EXPECT_EQ(audit_of(host, packet(Family::v4, policy::Hook::forward, 13, kNew)).outcome,
            Outcome::dropped);

  // reality, from the router next door
  Observer obs(host);
  const std::string v4 = Addr::router_s_v4, host4 = Addr::server_v4;
  const std::string v6 = Addr::router_s_v6, host6 = Addr::server_v6;
  auto p = ping(net_->router, host4);  // echo-request (new) in, reply out
  EXPECT_EQ(p.received, 3) << p.describe();
  p = ping(host, v4);  // echo-reply (established) in
  EXPECT_EQ(p.received, 3) << p.describe();
  p = ping(net_->router, host6);
  EXPECT_EQ(p.received, 3) << p.describe();
  p = ping(host, v6);
  EXPECT_EQ(p.received, 3) << p.describe();
  expect_reality(
      send(obs, net_->router, "input", Family::v4, 0, {"--src", v4, "--dst", host4, "--type", "0"}),
      false, "unsolicited echo-reply");
  for (int t : {3, 11, 12})
    expect_reality(send(obs, net_->router, "input", Family::v4, t,
                        {"--src", v4, "--dst", host4, "--type", std::to_string(t)}),
                   false, "unsolicited error type " + std::to_string(t));
  expect_reality(send(obs, net_->router, "input", Family::v4, 13,
                      {"--src", v4, "--dst", host4, "--type", "13"}),
                 false, "timestamp request");
  expect_reality(send(obs, net_->router, "input", Family::v6, 2,
                      {"--v6", "--src", v6, "--dst", host6, "--type", "2", "--mtu", "1280"}),
                 false, "unsolicited packet-too-big");
  expect_reality(send(obs, net_->router, "input", Family::v6, 135,
                      {"--v6", "--src", v6, "--dst", host6, "--type", "135", "--target", host6}),
                 true, "neighbour solicitation, hop limit 255");
  expect_reality(send(obs, net_->router, "input", Family::v6, 135,
                      {"--v6", "--src", v6, "--dst", host6, "--type", "135", "--target", host6,
                       "--hlim", "64"}),
                 false, "neighbour solicitation, hop limit 64");
  // related: the router's port-unreachable for the host's own datagram
  auto before = obs.snapshot();
  auto udp = host.run({python_with_scapy().empty() ? "python3" : python_with_scapy(), "-c",
                       "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                       "s.bind(('" +
                           host4 + "', 33434)); s.sendto(b'x', ('" + v4 + "', 33435))"});
  ASSERT_TRUE(udp.ok()) << udp.describe();
  auto after = obs.wait_for([&](const Observer::Snapshot& s) {
    return Observer::delta(before, s, "input", Stage::before, Family::v4, 3) > 0;
  });
  expect_reality({Observer::delta(before, after, "input", Stage::before, Family::v4, 3),
                  Observer::delta(before, after, "input", Stage::after, Family::v4, 3)},
                 true, "related port-unreachable");
}

// ---- firewalld ---------------------------------------------------------

TEST_F(AuditThirdPartyTest, FirewalldZoneWithIcmpBlock) {
  Netns& host = net_->server;
  std::ifstream file(ruleset_path("firewalld.nft"));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto loaded = host.nft_load(text);
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto in = policy::Hook::input;

  auto echo = audit_of(host, packet(Family::v4, in, 8, kNew));
  EXPECT_EQ(echo.outcome, Outcome::rejected) << echo.condition;
  EXPECT_EQ(echo.decided_by.chain, "filter_IN_public_deny");
  EXPECT_EQ(echo.decided_by.hook, "input");
  auto echo6 = audit_of(host, packet(Family::v6, in, 128, kNew));
  EXPECT_EQ(echo6.outcome, Outcome::rejected);
  auto ts = audit_of(host, packet(Family::v4, in, 13, kNew));
  EXPECT_EQ(ts.outcome, Outcome::accepted) << ts.condition;
  EXPECT_EQ(ts.decided_by.chain, "filter_IN_public");
  for (uint8_t t : {0, 3, 11, 12}) {
    auto ev = audit_of(host, packet(Family::v4, in, t, kInvalid));
    EXPECT_EQ(ev.outcome, Outcome::dropped) << int(t);
    EXPECT_EQ(ev.decided_by.chain, "filter_INPUT") << int(t);
  }
  EXPECT_EQ(audit_of(host, packet(Family::v4, in, 0, kEstablished)).outcome, Outcome::accepted);
  EXPECT_EQ(audit_of(host, packet(Family::v4, in, 3, kRelated)).outcome, Outcome::accepted);
  for (uint8_t t : {134, 135, 136}) {
    auto ev = audit_of(host, packet(Family::v6, in, t, kUntracked));
    EXPECT_EQ(ev.outcome, Outcome::accepted) << int(t) << ": " << ev.condition;
  }
  // the established,related rule first: without the state, it is the condition
  Packet open = packet(Family::v4, in, 8, 0);
  open.ct_state.reset();
  auto cond = audit_of(host, open);
  EXPECT_EQ(cond.outcome, Outcome::conditional);
  EXPECT_NE(cond.condition.find("ct state established,related"), std::string::npos)
      << cond.condition;

  // reality
  Observer obs(host);
  const std::string v4 = Addr::router_s_v4, host4 = Addr::server_v4;
  const std::string v6 = Addr::router_s_v6, host6 = Addr::server_v6;
  EXPECT_EQ(ping(net_->router, host4).received, 0);
  EXPECT_EQ(ping(net_->router, host6).received, 0);
  auto back = ping(host, v4);
  EXPECT_EQ(back.received, 3) << back.describe();
  expect_reality(
      send(obs, net_->router, "input", Family::v4, 8, {"--src", v4, "--dst", host4, "--type", "8"}),
      false, "echo-request (icmp-block)");
  expect_reality(send(obs, net_->router, "input", Family::v4, 13,
                      {"--src", v4, "--dst", host4, "--type", "13"}),
                 true, "timestamp request");
  for (int t : {0, 3, 11, 12})
    expect_reality(send(obs, net_->router, "input", Family::v4, t,
                        {"--src", v4, "--dst", host4, "--type", std::to_string(t)}),
                   false, "invalid type " + std::to_string(t));
  expect_reality(send(obs, net_->router, "input", Family::v6, 135,
                      {"--v6", "--src", v6, "--dst", host6, "--type", "135", "--target", host6}),
                 true, "neighbour solicitation");
  expect_reality(send(obs, net_->router, "input", Family::v6, 136,
                      {"--v6", "--src", v6, "--dst", host6, "--type", "136", "--target", v6}),
                 true, "neighbour advertisement");
  expect_reality(send(obs, net_->router, "input", Family::v6, 134,
                      {"--v6", "--src", "fe80::1", "--dst", "ff02::1", "--type", "134", "--iface",
                       Topology::router_server_if}),
                 true, "router advertisement");
}

// ---- docker ------------------------------------------------------------

TEST_F(AuditThirdPartyTest, DockerForwardChains) {
  Netns& router = net_->router;
  auto version = router.run({"iptables", "--version"});
  if (version.out.find("nf_tables") == std::string::npos)
    GTEST_SKIP() << "iptables is not iptables-nft: " << version.out;
  auto loaded = router.run({"iptables-nft-restore", ruleset_path("docker.rules")});
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto fwd = [&](uint8_t type, uint32_t ct, const char* iif, const char* oif) {
    Packet p = packet(Family::v4, policy::Hook::forward, type, ct);
    p.iif = iif;
    p.oif = oif;
    return audit_of(router, p);
  };
  const char* out_side = Topology::router_client_if;  // "the world"
  const char* bridge = Topology::router_server_if;    // docker0
  // into the bridge: only what belongs to a connection
  auto in_echo = fwd(8, kNew, out_side, bridge);
  EXPECT_EQ(in_echo.outcome, Outcome::dropped);
  EXPECT_EQ(in_echo.decided_by.chain, "FORWARD");
  EXPECT_EQ(in_echo.decided_by.handle, 0u);  // the policy
  EXPECT_EQ(fwd(13, kNew, out_side, bridge).outcome, Outcome::dropped);
  EXPECT_EQ(fwd(3, kInvalid, out_side, bridge).outcome, Outcome::dropped);
  EXPECT_EQ(fwd(0, kEstablished, out_side, bridge).outcome, Outcome::accepted);
  EXPECT_EQ(fwd(3, kRelated, out_side, bridge).outcome, Outcome::accepted);
  // out of the bridge: everything
  auto out_echo = fwd(8, kNew, bridge, out_side);
  EXPECT_EQ(out_echo.outcome, Outcome::accepted);
  EXPECT_EQ(out_echo.decided_by.chain, "FORWARD");
  // not told the interfaces: it depends on them
  auto open = fwd(8, kNew, "", "");
  EXPECT_EQ(open.outcome, Outcome::conditional);
  EXPECT_NE(open.condition.find("meta iifname == \"r1\""), std::string::npos) << open.condition;
  // IPv6 is not docker's business here
  EXPECT_EQ(audit_of(router, packet(Family::v6, policy::Hook::forward, 128, kNew)).outcome,
            Outcome::accepted);

  // reality
  Observer obs(router, {"forward"});
  auto p = ping(net_->client, Addr::server_v4);
  EXPECT_EQ(p.received, 0) << p.describe();
  p = ping(net_->server, Addr::client_v4);  // out (new), and the replies in (established)
  EXPECT_EQ(p.received, 3) << p.describe();
  p = ping(net_->client, Addr::server_v6);
  EXPECT_EQ(p.received, 3) << p.describe();
  expect_reality(send(obs, net_->client, "forward", Family::v4, 13,
                      {"--src", Addr::client_v4, "--dst", Addr::server_v4, "--type", "13"}),
                 false, "timestamp into the bridge");
  expect_reality(send(obs, net_->client, "forward", Family::v4, 3,
                      {"--src", Addr::client_v4, "--dst", Addr::server_v4, "--type", "3"}),
                 false, "unsolicited error into the bridge");
  expect_reality(send(obs, net_->server, "forward", Family::v4, 13,
                      {"--src", Addr::server_v4, "--dst", Addr::client_v4, "--type", "13"}),
                 true, "timestamp out of the bridge");
}

// ---- hooks around input ------------------------------------------------

TEST_F(AuditThirdPartyTest, PreroutingVmapAndIngressDecideInput) {
  Netns& host = net_->server;
  auto loaded = host.nft_load(R"(
table inet early {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    icmp type timestamp-request counter
    icmp type vmap { timestamp-request : drop, echo-request : accept }
  }
}
table inet late {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    icmp type echo-request drop
  }
  chain input {
    type filter hook input priority filter; policy drop;
    meta l4proto { icmp, ipv6-icmp } accept
  }
}
table netdev edge {
  chain ingress {
    type filter hook ingress device "s0" priority 0; policy accept;
    icmp type address-mask-request counter drop
  }
}
)");
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto in = policy::Hook::input;
  // the vmap drops timestamp at prerouting: input never sees it
  auto ts = audit_of(host, packet(Family::v4, in, 13, kNew));
  EXPECT_EQ(ts.outcome, Outcome::dropped);
  EXPECT_EQ(ts.decided_by.table, "early");
  EXPECT_EQ(ts.decided_by.hook, "prerouting");
  // forward too
  EXPECT_EQ(audit_of(host, packet(Family::v4, policy::Hook::forward, 13, kNew)).decided_by.hook,
            "prerouting");
  // the vmap's accept ends only its chain: the later prerouting chain drops
  auto echo = audit_of(host, packet(Family::v4, in, 8, kNew));
  EXPECT_EQ(echo.outcome, Outcome::dropped);
  EXPECT_EQ(echo.decided_by.table, "late");
  EXPECT_EQ(echo.decided_by.chain, "pre");
  // the ingress chain: on s0 it drops, elsewhere not, unknown: conditional
  Packet mask = packet(Family::v4, in, 17, kNew);
  mask.iif.clear();
  auto open = audit_of(host, mask);
  EXPECT_EQ(open.outcome, Outcome::conditional);
  EXPECT_NE(open.condition.find("meta iifname { s0 }"), std::string::npos) << open.condition;
  mask.iif = Topology::server_if;
  auto on_s0 = audit_of(host, mask);
  EXPECT_EQ(on_s0.outcome, Outcome::dropped);
  EXPECT_EQ(on_s0.decided_by.hook, "ingress");
  mask.iif = "lo";
  EXPECT_EQ(audit_of(host, mask).outcome, Outcome::accepted);
  Packet info = packet(Family::v4, in, 15, kNew);
  info.iif = Topology::server_if;
  EXPECT_EQ(audit_of(host, info).outcome, Outcome::accepted);
  // output does not pass prerouting
  EXPECT_EQ(audit_of(host, packet(Family::v4, policy::Hook::output, 13, kNew)).outcome,
            Outcome::accepted);

  // reality: what is dropped before input never reaches it; the rest does
  Observer obs(host);
  const std::string v4 = Addr::router_s_v4, host4 = Addr::server_v4;
  EXPECT_EQ(ping(net_->router, host4).received, 0);
  auto before = obs.snapshot();
  auto r = craft(net_->router, {"--src", v4, "--dst", host4, "--types", "13,17,15"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto after = obs.wait_for([&](const Observer::Snapshot& s) {
    return Observer::delta(before, s, "input", Stage::after, Family::v4, 15) > 0;
  });
  EXPECT_GE(Observer::delta(before, after, "input", Stage::after, Family::v4, 15), 1u);
  EXPECT_EQ(Observer::delta(before, after, "input", Stage::before, Family::v4, 13), 0u);
  EXPECT_EQ(Observer::delta(before, after, "input", Stage::before, Family::v4, 17), 0u);
  // they did arrive: the early chains counted them
  for (const char* table : {"inet early", "netdev edge"}) {
    auto listed = host.run({"sh", "-c", std::string("nft list table ") + table});
    EXPECT_NE(listed.out.find("counter packets 1 "), std::string::npos) << listed.out;
  }
}

}  // namespace
}  // namespace icmpwall::integration
