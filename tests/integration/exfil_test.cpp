// SPDX-License-Identifier: GPL-2.0-or-later
// Data leaving over ICMP, the ways icmpwall must stop: real tunnels
// (ptunnel 0.72, icmptx) carrying a TCP transfer, a slow trickle of
// chunks, `ping -p` patterns, iputils-shaped mimicry, unsolicited echo
// replies, IPv6 bulk echo and port-unreachable errors smuggling data.
//
// Client — router — server, as the presets run it: `icmpwall daemon` on the
// router inspecting forwarded echo requests and replies, and one on the
// server inspecting its input echo and errors. Every test starts from a
// new topology and new daemons, and first shows the attack working without
// icmpwall, so a pass is not an artefact of the test network. What reaches
// the server is counted by the observer table behind icmpwall's chains on
// the server's input hook.
//
// ctest runs every test here twice: as discovered, with policies that
// inspect without limits (the detectors alone), and as PresetAttackMatrix
// with the shipped presets, router.toml on the router and host.toml on the
// server (rate limits before the queue, reassembly, every other rule).
#include <gmock/gmock.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

// What a host policy checks errors against: conntrack sees every flow
// whole (fragments reassembled ahead of the rules).
const std::string kHostPolicyConntrack = host_inspect_policy("fragments = \"reassemble\"\n");

constexpr int kEchoRequest[] = {8, 128};  // by Family
constexpr int kEchoReply[] = {0, 129};
constexpr int kPortUnreachable[] = {3, 1};

int of(const int (&types)[2], Family f) {
  return types[f == Family::v4 ? 0 : 1];
}
const char* server_addr(Family f) {
  return f == Family::v4 ? Addr::server_v4 : Addr::server_v6;
}
const char* client_addr(Family f) {
  return f == Family::v4 ? Addr::client_v4 : Addr::client_v6;
}
Argv operator+(Argv a, const Argv& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class ExfilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    router_obs_ = std::make_unique<Observer>(net_->router, std::vector<std::string>{"forward"});
    server_obs_ = std::make_unique<Observer>(net_->server, std::vector<std::string>{"input"});
  }

  void TearDown() override {
    if (router_daemon_) {
      EXPECT_EQ(router_daemon_->stop(), 0) << router_daemon_->err();
    }
    if (server_daemon_) {
      EXPECT_EQ(server_daemon_->stop(), 0) << server_daemon_->err();
    }
  }

  // The daemons' policies: inspect-everything ones without rate limits
  // (the router's echo, the host's echo and errors; `server_toml` for the
  // server), or, with ICMPWALL_TEST_POLICIES=presets in the environment
  // (the PresetAttackMatrix test), the shipped router.toml and host.toml.
  void start_daemons(const std::string& server_toml = host_inspect_policy()) {
    const char* mode = std::getenv("ICMPWALL_TEST_POLICIES");
    policies_ = router_server_policies(mode != nullptr && std::string(mode) == "presets",
                                       kRouterInspectPolicy, server_toml);
    std::printf("policies: %s, %s\n", policies_.router.c_str(), policies_.server.c_str());
    router_daemon_ = std::make_unique<Daemon>(net_->router, policies_.router);
    ASSERT_TRUE(router_daemon_->wait_ready()) << router_daemon_->out() << router_daemon_->err();
    server_daemon_ = std::make_unique<Daemon>(net_->server, policies_.server);
    ASSERT_TRUE(server_daemon_->wait_ready()) << server_daemon_->out() << server_daemon_->err();
  }

  // tools/exfil.py in the client namespace.
  CommandResult exfil(const Argv& args, Millis timeout = Millis(60'000)) {
    Argv argv{python_with_scapy(), source_dir() + "/tests/integration/tools/exfil.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    return net_->client.run(argv, {timeout});
  }

  // Packets of `type` that reached the server past icmpwall since `from`,
  // `sent` of them having been sent: once the router has seen them all and
  // both the router's and the server's counts behind icmpwall have stopped
  // moving (a packet may wait in a queue for its verdict).
  uint64_t delivered(const Observer::Snapshot& from, Family f, int type, uint64_t sent) {
    auto at_router = [&](const Observer::Snapshot& now, Stage st) {
      return Observer::delta(router_from_, now, "forward", st, f, type);
    };
    auto r1 = router_obs_->wait_for(
        [&](const Observer::Snapshot& now) { return at_router(now, Stage::before) >= sent; });
    // A packet that never reached the router must not pass for one stopped.
    EXPECT_GE(at_router(r1, Stage::before), sent) << "the router did not see every packet sent";
    auto s1 = server_obs_->snapshot();
    uint64_t forwarded = at_router(r1, Stage::after);
    uint64_t got = Observer::delta(from, s1, "input", Stage::after, f, type);
    poll_until(
        [&] {
          const auto r2 = router_obs_->snapshot();
          const auto s2 = server_obs_->snapshot();
          const uint64_t forwarded2 = at_router(r2, Stage::after);
          const uint64_t got2 = Observer::delta(from, s2, "input", Stage::after, f, type);
          const bool arrived =
              Observer::delta(from, s2, "input", Stage::before, f, type) >= forwarded2;
          const bool still = forwarded2 == forwarded && got2 == got;
          forwarded = forwarded2;
          got = got2;
          return arrived && still;
        },
        Millis(3'000), Millis(200));
    return got;
  }

  // tools/exfil.py with `args`; how many packets of `type` it got past
  // icmpwall to the server.
  uint64_t exfil_delivered(const Argv& args, Family f, int type) {
    const auto s0 = mark();
    auto r = exfil(args);
    EXPECT_TRUE(r.ok()) << r.describe();
    uint64_t sent = 0;
    EXPECT_EQ(std::sscanf(r.out.c_str(), "sent %" SCNu64, &sent), 1) << r.describe();
    return delivered(s0, f, type, sent);
  }

  // Marks the start of a count: server and router snapshots.
  Observer::Snapshot mark() {
    router_from_ = router_obs_->snapshot();
    return server_obs_->snapshot();
  }

  std::string daemons_out() const {
    std::string s;
    if (router_daemon_) s += "router daemon:\n" + router_daemon_->out() + router_daemon_->err();
    if (server_daemon_) s += "\nserver daemon:\n" + server_daemon_->out() + server_daemon_->err();
    return s;
  }

  std::unique_ptr<Topology> net_;
  std::unique_ptr<Observer> router_obs_, server_obs_;
  Observer::Snapshot router_from_;
  RouterServerPolicies policies_;
  std::unique_ptr<Daemon> router_daemon_, server_daemon_;
};

constexpr size_t kTransfer = 150'000;

// ptunnel 0.72 (IPv4 only): TCP relayed in echo requests and replies.
TEST_F(ExfilTest, PtunnelTransferIsCutOff) {
  if (!have_tool("/usr/sbin/ptunnel")) GTEST_SKIP() << "ptunnel not installed (Debian: ptunnel)";
  net_->server.spawn({"ptunnel", "-v", "-1"});
  net_->client.spawn({"ptunnel", "-p", Addr::server_v4, "-lp", "2222", "-da", "127.0.0.1", "-dp",
                      "5001", "-v", "-1"});
  ASSERT_TRUE(net_->client.wait_tcp_listening(2222));

  auto before = tcp_transfer_via(net_->client, "127.0.0.1", 2222, net_->server, "127.0.0.1", 5001,
                                 kTransfer, Millis(60'000));
  ASSERT_TRUE(before.completed) << "the tunnel does not work without icmpwall: "
                                << before.describe();

  start_daemons();
  auto after = tcp_transfer_via(net_->client, "127.0.0.1", 2222, net_->server, "127.0.0.1", 5001,
                                kTransfer, Millis(10'000));
  EXPECT_LT(after.received, kTransfer / 10) << after.describe() << daemons_out();
}

// icmptx (IPv4 only): IP packets in echo requests (client) and replies
// (server), between tun devices 198.19.0.2 and 198.19.0.1.
TEST_F(ExfilTest, IcmptxTransferIsCutOff) {
  if (!have_tool("/usr/bin/icmptx")) GTEST_SKIP() << "icmptx not installed (Debian: icmptx)";
  // The icmptx server answers pings itself.
  net_->server.sysctl("net.ipv4.icmp_echo_ignore_all", "1");
  net_->server.spawn({"icmptx", "-s", Addr::client_v4});
  net_->client.spawn({"icmptx", "-c", Addr::server_v4});
  for (auto [end, addr] :
       {std::pair{&net_->server, "198.19.0.1/24"}, std::pair{&net_->client, "198.19.0.2/24"}}) {
    const Netns* ns =
        end;  // a structured binding cannot be captured before C++20's P2036 (clang 14)
    ASSERT_TRUE(poll_until(
        [&] {
          return ns->run({"ip", "link", "show", "tun0"}).ok();
        },
        Millis(5'000)));
    ns->ip({"addr", "add", addr, "dev", "tun0"});
    ns->ip({"link", "set", "tun0", "mtu", "1400", "up"});
  }

  auto before = tcp_transfer(net_->client, net_->server, "198.19.0.1", kTransfer, Millis(60'000));
  ASSERT_TRUE(before.completed) << "the tunnel does not work without icmpwall: "
                                << before.describe();

  start_daemons();
  auto after = tcp_transfer(net_->client, net_->server, "198.19.0.1", kTransfer, Millis(10'000));
  EXPECT_LT(after.received, kTransfer / 10) << after.describe() << daemons_out();
}

struct SlowCase {
  Family family;
  const char* kind;  // "text" or "encrypted"
};

class SlowExfilTest : public ExfilTest, public ::testing::WithParamInterface<SlowCase> {};

// Ten echo requests 1 to 1.5 s apart, each the next 56 bytes of a secret:
// no rate or volume to see, only what the payloads carry. The first packets
// of a flow look like a prober's random filler; at most two may arrive.
TEST_P(SlowExfilTest, ChunksDoNotReachTheServer) {
  ICMPWALL_REQUIRE_CRAFT();
  const auto [f, kind] = GetParam();
  const Argv args = {"slow", "--dst", server_addr(f), "--kind", kind, "--count", "10"};

  ASSERT_EQ(
      exfil_delivered(args + Argv{"--min-gap", "0.05", "--max-gap", "0.1"}, f, of(kEchoRequest, f)),
      10u)
      << "without icmpwall";

  start_daemons();
  EXPECT_LE(
      exfil_delivered(args + Argv{"--min-gap", "1", "--max-gap", "1.5"}, f, of(kEchoRequest, f)),
      2u)
      << daemons_out();
}

INSTANTIATE_TEST_SUITE_P(
    All, SlowExfilTest,
    ::testing::Values(SlowCase{Family::v4, "text"}, SlowCase{Family::v4, "encrypted"},
                      SlowCase{Family::v6, "text"}, SlowCase{Family::v6, "encrypted"}),
    [](const auto& info) {
      return std::string(info.param.family == Family::v4 ? "ipv4_" : "ipv6_") + info.param.kind;
    });

class FamilyExfilTest : public ExfilTest, public ::testing::WithParamInterface<Family> {};

std::string family_name(const ::testing::TestParamInfo<Family>& info) {
  return info.param == Family::v4 ? "ipv4" : "ipv6";
}

// 24 separate `ping -c 1 -p <16 bytes>` runs, each pattern the next 16
// bytes of a secret (a new echo identifier each time): at least 20 of them
// must not reach the server.
TEST_P(FamilyExfilTest, PingPatternExfilIsDropped) {
  const Family f = GetParam();
  const std::string secret =
      "db_password=Correct-Horse-Battery-Staple-42;aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/"
      "bPxRfiCYEXAMPLEKEY;root:$6$Qx9d$kq1v7Yb3mZ:19000:0:99999:7:::;-----BEGIN OPENSSH PRIVATE "
      "KEY-----b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==";
  auto pattern = [&](int i) {
    static const char* hex = "0123456789abcdef";
    std::string p;
    for (int k = 0; k < 16; ++k) {
      const auto c = static_cast<unsigned char>(secret[(i * 16 + k) % secret.size()]);
      p += hex[c >> 4];
      p += hex[c & 15];
    }
    return p;
  };
  auto run_all = [&] {
    int answered = 0;
    for (int i = 0; i < 24; ++i) {
      auto p = ping(net_->client, server_addr(f), {"-c", "1", "-W", "0.5", "-p", pattern(i)});
      if (p.received == 1) ++answered;
    }
    return answered;
  };

  auto s0 = mark();
  ASSERT_EQ(run_all(), 24) << "without icmpwall";
  ASSERT_EQ(delivered(s0, f, of(kEchoRequest, f), 24), 24u);

  start_daemons();
  s0 = mark();
  const int answered = run_all();
  const uint64_t got = delivered(s0, f, of(kEchoRequest, f), 24);
  EXPECT_LE(got, 4u) << "patterns that reached the server" << daemons_out();
  EXPECT_LE(answered, 4) << daemons_out();
}

// Pings laid out exactly like iputils' (a 16-byte struct timeval, then 40
// bytes of fill), the fill replaced by a secret as hex (the first param) or
// base32 text, 10 per second, 50 in all.
class MimicryTest : public ExfilTest,
                    public ::testing::WithParamInterface<std::tuple<Family, const char*>> {};

TEST_P(MimicryTest, IputilsShapedTextIsDropped) {
  ICMPWALL_REQUIRE_CRAFT();
  const auto [f, fill] = GetParam();
  const Argv args = {"mimicry", "--dst", server_addr(f), "--fill", fill, "--count", "50"};

  ASSERT_EQ(exfil_delivered(args + Argv{"--rate", "100"}, f, of(kEchoRequest, f)), 50u)
      << "without icmpwall";

  start_daemons();
  EXPECT_LE(exfil_delivered(args + Argv{"--rate", "10"}, f, of(kEchoRequest, f)), 5u)
      << daemons_out();
}

INSTANTIATE_TEST_SUITE_P(All, MimicryTest,
                         ::testing::Combine(::testing::Values(Family::v4, Family::v6),
                                            ::testing::Values("hex", "base32")),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == Family::v4 ? "ipv4_"
                                                                                    : "ipv6_") +
                                  std::get<1>(info.param);
                         });

// A host on the client LAN sends the server echo replies it never asked
// for, carrying text: they are dropped, and nobody is blocked — not the
// server (the replies' destination), not the sender (a reply's source may be
// spoofed). Both directions still ping afterwards.
TEST_P(FamilyExfilTest, UnsolicitedRepliesAreDroppedAndNobodyBlocked) {
  ICMPWALL_REQUIRE_CRAFT();
  const Family f = GetParam();
  const std::string src = f == Family::v4 ? Addr::client2_v4 : Addr::client2_v6;
  const Argv args = {"reply", "--src", src, "--dst", server_addr(f), "--count", "30"};

  ASSERT_EQ(exfil_delivered(args + Argv{"--rate", "100"}, f, of(kEchoReply, f)), 30u)
      << "without icmpwall";

  start_daemons();
  EXPECT_LE(exfil_delivered(args + Argv{"--rate", "5"}, f, of(kEchoReply, f)), 3u) << daemons_out();

  for (auto* d : {router_daemon_.get(), server_daemon_.get()})
    EXPECT_THAT(d->out(), ::testing::Not(::testing::HasSubstr(R"("event":"block")"))) << d->out();
  EXPECT_EQ(blocked_sets_with_elements(net_->router), "");
  EXPECT_EQ(blocked_sets_with_elements(net_->server), "");
  auto to_client = ping(net_->server, client_addr(f));
  EXPECT_EQ(to_client.received, 3) << to_client.describe();
  auto to_server = ping(net_->client, server_addr(f));
  EXPECT_EQ(to_server.received, 3) << to_server.describe();
}

// Large IPv6 echo requests of random data (1400 bytes, unfragmented), 20
// per second: at most a tenth arrives.
TEST_F(ExfilTest, Ipv6BulkEchoIsDropped) {
  ICMPWALL_REQUIRE_CRAFT();
  const Argv args = {"bulk", "--dst", Addr::server_v6, "--size", "1400", "--count", "40"};

  ASSERT_EQ(exfil_delivered(args + Argv{"--rate", "100"}, Family::v6, 128), 40u)
      << "without icmpwall";

  start_daemons();
  EXPECT_LE(exfil_delivered(args + Argv{"--rate", "20"}, Family::v6, 128), 4u) << daemons_out();
}

// Port-unreachable errors sent to the server quoting a UDP datagram from
// the server's own address to the client — a flow the server never had —
// with data appended after the quoted datagram: none is delivered (RFC
// 5927 section 4: check the quoted flow, not only the quoted source).
TEST_P(FamilyExfilTest, ErrorsQuotingAFlowThatNeverWasAreNotDelivered) {
  ICMPWALL_REQUIRE_CRAFT();
  const Family f = GetParam();
  const Argv args = {"smuggle",
                     "--dst",
                     server_addr(f),
                     "--quoted-src",
                     server_addr(f),
                     "--quoted-dst",
                     client_addr(f),
                     "--count",
                     "20",
                     "--rate",
                     "20"};

  ASSERT_EQ(exfil_delivered(args, f, of(kPortUnreachable, f)), 20u) << "without icmpwall";

  start_daemons(kHostPolicyConntrack);
  EXPECT_EQ(exfil_delivered(args, f, of(kPortUnreachable, f)), 0u) << daemons_out();
}

INSTANTIATE_TEST_SUITE_P(All, FamilyExfilTest, ::testing::Values(Family::v4, Family::v6),
                         family_name);

}  // namespace
}  // namespace icmpwall::integration
