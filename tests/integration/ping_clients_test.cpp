// SPDX-License-Identifier: GPL-2.0-or-later
// Real ping clients through inspecting icmpwall daemons: none of them may be
// taken for a tunnel. Client — router — server, `icmpwall daemon` on the
// router inspecting forwarded echo requests and replies, and a second one on
// the server inspecting its input echo; every ICMP echo client Debian ships
// (tools, libraries, monitoring probers) pings the server in both families,
// at its default size and a large one, and iputils, icmplib and fping run
// long sessions of 300 pings 10 ms apart (the corpus has 300 probes of the
// blackbox exporter too; live they take a minute, one HTTP request each).
//
// For every session: the client reports success, every request that reached
// the server was answered and the answer reached the client, the observer
// tables on router and server count the same echo packets before and after
// icmpwall's chains (nothing dropped), and at the end neither daemon has
// reported a detection or a block and both blocked-source sets are empty.
// PingClientsPresets runs the same sessions through the shipped presets
// (router.toml, host.toml): their per-source rate limits, reassembly and
// other rules must not cost a ping either.
// A client whose binary is missing is skipped, saying which; .ci/deps
// installs them all. tests/corpus/pings holds captures of the same clients.
#include <gmock/gmock.h>

#include <functional>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

constexpr const char* kInetutils = "/var/cache/icmpwall-tests/inetutils-ping/bin/";
constexpr const char* kCheckIcmp = "/usr/lib/nagios/plugins/check_icmp";
constexpr const char* kPython = "/usr/bin/python3";

constexpr const char* kIcmplibPing = R"(import icmplib, sys
h = icmplib.ping(sys.argv[1], count=int(sys.argv[2]), interval=float(sys.argv[3]), timeout=2,
                 payload_size=int(sys.argv[4]), privileged=True)
print(h)
sys.exit(0 if h.packets_received == h.packets_sent else 1))";

constexpr const char* kNetPing = R"(use Net::Ping;
my ($proto, $host, $n, $size) = @ARGV;
my $p = Net::Ping->new($proto, 2, $size);
my $ok = 0;
for (1 .. $n) { $ok++ if $p->ping($host); select(undef, undef, undef, 0.05); }
print "$ok/$n\n";
exit($ok == $n ? 0 : 1);)";

// The exporter's modules, shared with the corpus capture.
std::string blackbox_config() {
  return source_dir() + "/tests/corpus/pings/blackbox.yml";
}
constexpr const char* kBlackboxListen = "127.0.0.1:9115";
// N probes of one module against one target; fails unless every probe succeeded.
constexpr const char* kBlackboxProbes =
    R"(for i in $(seq "$1"); do curl -sf "http://127.0.0.1:9115/probe?module=$2&target=$3" |
grep -qx 'probe_success 1' || { echo "probe $i failed"; exit 1; }; done)";

// One ping session: `count` pings of `size` payload bytes (0: the client's
// default) to `dst`, in the family of `dst`.
struct Session {
  bool v6 = false;
  std::string dst;
  int count = 5;
  int size = 0;
  bool long_run = false;  // 10 ms apart instead of 50
};

struct Client {
  std::string name;
  std::string binary;  // skipped when this is not executable
  bool v6 = true;      // has IPv6
  int large = 8000;    // large payload size; 0: the client has no size option
  std::function<Argv(const Session&)> argv;
};

std::string num(int n) {
  return std::to_string(n);
}

const std::vector<Client>& clients() {
  static const std::vector<Client> all = {
      {"iputils", "/usr/bin/ping", true, 8000,
       [](const Session& s) {
         Argv a = {"ping",       "-n", s.v6 ? "-6" : "-4",           "-c",
                   num(s.count), "-i", s.long_run ? "0.01" : "0.05", "-W",
                   "2"};
         if (s.size) a.insert(a.end(), {"-s", num(s.size)});
         a.push_back(s.dst);
         return a;
       }},
      {"inetutils", std::string(kInetutils) + "ping", true, 8000,
       [](const Session& s) {
         // inetutils' ping6 takes whole seconds only.
         Argv a = {std::string(kInetutils) + (s.v6 ? "ping6" : "ping"),
                   "-n",
                   "-c",
                   num(s.count),
                   "-i",
                   s.v6 ? "1" : "0.05"};
         if (s.size) a.insert(a.end(), {"-s", num(s.size)});
         a.push_back(s.dst);
         return a;
       }},
      {"busybox", "/usr/bin/busybox", true, 8000,
       [](const Session& s) {
         Argv a = {"busybox", "ping", s.v6 ? "-6" : "-4", "-c", num(s.count), "-i", "0.05"};
         if (s.size) a.insert(a.end(), {"-s", num(s.size)});
         a.push_back(s.dst);
         return a;
       }},
      {"fping", "/usr/bin/fping", true, 8000,
       [](const Session& s) {
         Argv a = {"fping", s.v6 ? "-6" : "-4",      "-q", "-c", num(s.count),
                   "-p",    s.long_run ? "10" : "50"};
         if (s.size) a.insert(a.end(), {"-b", num(s.size)});
         a.push_back(s.dst);
         return a;
       }},
      {"oping", "/usr/bin/oping", true, 0,
       [](const Session& s) {
         return Argv{"oping", s.v6 ? "-6" : "-4", "-c", num(s.count), "-i", "0.05", s.dst};
       }},
      {"icmplib", kPython, true, 8000,
       [](const Session& s) {
         return Argv{kPython,
                     "-c",
                     kIcmplibPing,
                     s.dst,
                     num(s.count),
                     s.long_run ? "0.01" : "0.05",
                     num(s.size ? s.size : 56)};
       }},
      {"check_icmp", kCheckIcmp, true, 1400,
       [](const Session& s) {
         Argv a = {kCheckIcmp, s.v6 ? "-6" : "-4", "-H", s.dst, "-n", num(s.count), "-i", "50ms"};
         if (s.size) a.insert(a.end(), {"-b", num(s.size)});
         return a;
       }},
      {"blackbox", "/usr/bin/prometheus-blackbox-exporter", true, 1400,
       [](const Session& s) {
         std::string module = s.v6 ? "icmp_v6" : "icmp_v4";
         if (s.size) module += "_" + num(s.size);
         return Argv{"bash", "-c", kBlackboxProbes, "probes", num(s.count), module, s.dst};
       }},
      {"mtr", "/usr/bin/mtr", true, 1400,
       [](const Session& s) {
         Argv a = {"mtr",  "-n", "-r", s.v6 ? "-6" : "-4", "-c", num(s.count), "-i",
                   "0.05", "-G", "1"};
         if (s.size) a.insert(a.end(), {"-s", num(s.size)});
         a.push_back(s.dst);
         return a;
       }},
      // Debian 12's nping fails on any IPv6 ICMP probe (its pcap filter
      // "rejects all packets"); hping3 has no IPv6.
      {"nping", "/usr/bin/nping", false, 1400,
       [](const Session& s) {
         Argv a = {"nping", "-q", "--icmp", "-c", num(s.count), "--delay", "50ms"};
         if (s.size) a.insert(a.end(), {"--data-length", num(s.size)});
         a.push_back(s.dst);
         return a;
       }},
      {"hping3", "/usr/sbin/hping3", false, 1400,
       [](const Session& s) {
         Argv a = {"hping3", "-1", "-c", num(s.count), "-i", "u50000"};
         if (s.size) a.insert(a.end(), {"-d", num(s.size)});
         a.push_back(s.dst);
         return a;
       }},
      {"scamper", "/usr/bin/scamper", true, 1400,
       [](const Session& s) {
         // scamper's -s is the whole packet: IP header and 8 ICMP bytes.
         std::string cmd = "ping -c " + num(s.count) + " -i 0.05";
         if (s.size) cmd += " -s " + num(s.size + (s.v6 ? 48 : 28));
         return Argv{"scamper", "-c", cmd, "-i", s.dst};
       }},
      {"netping", "/usr/bin/perl", true, 1024,
       [](const Session& s) {
         return Argv{"perl", "-e",         kNetPing,   s.v6 ? "icmpv6" : "icmp",
                     s.dst,  num(s.count), num(s.size)};
       }},
      {"nmap", "/usr/bin/nmap", true, 0,
       [](const Session& s) {
         Argv a = {"nmap", "-n", "-sn", "-PE", "--disable-arp-ping"};
         if (s.v6) a.push_back("-6");
         a.push_back(s.dst);
         return a;
       }},
  };
  return all;
}

const Client& client_named(const std::string& name) {
  for (const auto& c : clients())
    if (c.name == name) return c;
  throw std::invalid_argument("no client " + name);
}

class PingClients : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    const Client& c = client_named(GetParam());
    if (!have_tool(c.binary.c_str()))
      GTEST_SKIP() << c.name << " not installed (" << c.binary << " missing; .ci/deps installs it)";
    if (c.name == "icmplib" && !run({kPython, "-c", "import icmplib"}).ok())
      GTEST_SKIP() << "icmplib not installed (Debian: python3-icmplib)";
    net_ = std::make_unique<Topology>();
    policies_ = router_server_policies(presets(), kRouterInspectPolicy, host_inspect_policy());
    router_daemon_ = std::make_unique<Daemon>(net_->router, policies_.router);
    ASSERT_TRUE(router_daemon_->wait_ready()) << router_daemon_->err();
    server_daemon_ = std::make_unique<Daemon>(net_->server, policies_.server);
    ASSERT_TRUE(server_daemon_->wait_ready()) << server_daemon_->err();
    client_obs_ = std::make_unique<Observer>(net_->client, std::vector<std::string>{"input"});
    router_obs_ = std::make_unique<Observer>(net_->router, std::vector<std::string>{"forward"});
    server_obs_ = std::make_unique<Observer>(net_->server, std::vector<std::string>{"input"});
    if (c.name == "blackbox") {
      net_->client.ip({"link", "set", "lo", "up"});
      net_->client.spawn({"prometheus-blackbox-exporter", "--config.file=" + blackbox_config(),
                          std::string("--web.listen-address=") + kBlackboxListen});
      ASSERT_TRUE(poll_until(
          [&] {
            return net_->client
                .run({"curl", "-sf", "-o", "/dev/null",
                      std::string("http://") + kBlackboxListen + "/metrics"})
                .ok();
          },
          Millis(10'000)))
          << "the blackbox exporter did not start";
    }
  }

  void TearDown() override {
    if (!router_daemon_ || !server_daemon_) return;
    // Nobody detected, nobody blocked, by either daemon.
    for (auto* d : {router_daemon_.get(), server_daemon_.get()}) {
      EXPECT_THAT(d->out(), ::testing::Not(::testing::HasSubstr(R"("event":"detection")")))
          << d->out();
      EXPECT_THAT(d->out(), ::testing::Not(::testing::HasSubstr(R"("event":"block")"))) << d->out();
    }
    EXPECT_EQ(blocked_sets_with_elements(net_->router), "");
    EXPECT_EQ(blocked_sets_with_elements(net_->server), "");
    EXPECT_EQ(router_daemon_->stop(), 0) << router_daemon_->err();
    EXPECT_EQ(server_daemon_->stop(), 0) << server_daemon_->err();
  }

  // One session, and what every session must show.
  void session(const Session& s) {
    const Client& c = client_named(GetParam());
    SCOPED_TRACE(c.name + (s.v6 ? " IPv6" : " IPv4") +
                 (s.size ? " size " + std::to_string(s.size) : " default size") + ", " +
                 std::to_string(s.count) + " pings");
    const Family f = s.v6 ? Family::v6 : Family::v4;
    const int request = s.v6 ? 128 : 8;
    const int reply = s.v6 ? 129 : 0;
    const auto c0 = client_obs_->snapshot();
    const auto r0 = router_obs_->snapshot();
    const auto s0 = server_obs_->snapshot();

    auto r = net_->client.run(c.argv(s), {Millis(60'000)});
    EXPECT_TRUE(r.ok()) << r.describe() << "\nrouter daemon:\n"
                        << router_daemon_->out() << "\nserver daemon:\n"
                        << server_daemon_->out();

    // Every request that reached the server was answered, and the answer
    // came back to the client (replies may still be in flight).
    auto requests_at_server = [&](const Observer::Snapshot& now) {
      return Observer::delta(s0, now, "input", Stage::before, f, request);
    };
    const auto s1 = server_obs_->snapshot();
    const auto c1 = client_obs_->wait_for([&](const Observer::Snapshot& now) {
      return Observer::delta(c0, now, "input", Stage::before, f, reply) >= requests_at_server(s1);
    });
    const auto r1 = router_obs_->snapshot();
    const uint64_t expected = c.name == "nmap" ? 1u : static_cast<uint64_t>(s.count);
    EXPECT_GE(requests_at_server(s1), expected) << r.describe();
    EXPECT_EQ(Observer::delta(c0, c1, "input", Stage::before, f, reply), requests_at_server(s1))
        << r.describe();
    // Nothing dropped by icmpwall on the way.
    EXPECT_EQ(Observer::delta(s0, s1, "input", Stage::after, f, request), requests_at_server(s1));
    for (int type : {request, reply})
      EXPECT_EQ(Observer::delta(r0, r1, "forward", Stage::after, f, type),
                Observer::delta(r0, r1, "forward", Stage::before, f, type))
          << "type " << type;
  }

  // The client's usual sessions: both families where it has them, default
  // size and large size.
  void usual_sessions() {
    const Client& c = client_named(GetParam());
    for (bool v6 : {false, true}) {
      if (v6 && !c.v6) continue;
      const std::string dst = v6 ? Addr::server_v6 : Addr::server_v4;
      // inetutils' ping6 pings once a second at best.
      const int count = c.name == "inetutils" && v6 ? 3 : 5;
      session({v6, dst, count, 0});
      if (c.large) session({v6, dst, 3, c.large});
    }
  }

  // Whether the daemons run the shipped presets (router.toml on the
  // router, host.toml on the server) instead of inspect-everything policies
  // without rate limits.
  virtual bool presets() const { return false; }

  std::unique_ptr<Topology> net_;
  RouterServerPolicies policies_;
  std::unique_ptr<Daemon> router_daemon_, server_daemon_;
  std::unique_ptr<Observer> client_obs_, router_obs_, server_obs_;
};

TEST_P(PingClients, DefaultAndLargePingsPassUndetected) {
  usual_sessions();
}

// The same sessions through the presets as shipped: their rate limits in
// front of the queue, fragment reassembly, the other types' rules.
class PingClientsPresets : public PingClients {
 protected:
  bool presets() const override { return true; }
};

TEST_P(PingClientsPresets, DefaultAndLargePingsPassUndetected) {
  usual_sessions();
}

class PingClientsLong : public PingClients {};

TEST_P(PingClientsLong, ThreeHundredPingsPassUndetected) {
  session({false, Addr::server_v4, 300, 0, true});
  session({true, Addr::server_v6, 300, 0, true});
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

const std::vector<std::string> kEveryClient = {
    "iputils",  "inetutils", "busybox", "fping",  "oping",   "icmplib", "check_icmp",
    "blackbox", "mtr",       "nping",   "hping3", "scamper", "netping", "nmap"};

INSTANTIATE_TEST_SUITE_P(Debian, PingClients, ::testing::ValuesIn(kEveryClient), param_name);

INSTANTIATE_TEST_SUITE_P(Debian, PingClientsPresets, ::testing::ValuesIn(kEveryClient), param_name);

INSTANTIATE_TEST_SUITE_P(Debian, PingClientsLong, ::testing::Values("iputils", "icmplib", "fping"),
                         param_name);

}  // namespace
}  // namespace icmpwall::integration
