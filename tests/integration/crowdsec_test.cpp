// SPDX-License-Identifier: GPL-2.0-or-later
// icmpwall and a real CrowdSec local API (Debian's crowdsec, `-no-cs`: the
// API alone, no log-reading agent), started by each test inside the
// server's namespace of client — router — server (198.18.2.2:8080,
// reached by the router's daemon over the test network; nothing listens
// in the root namespace), with its own copy of the packaged config
// (central API off, metrics off), data directory and sqlite database in a
// temporary directory, bouncers and machines registered with `cscli`,
// ready when its API answers, killed by PID.
//
//   1. a tunnel the router's daemon blocks is pushed as an alert, and the
//      server's daemon pulls the decision and blocks the tunnel's source
//      for ICMP itself (shown once the router is out of the way);
//   2. `cscli decisions add` blocks ICMP from that source in the kernel
//      (pings fail, the set holds it) while its TCP still passes and other
//      sources still ping; a decision naming the router's own network is
//      refused; `cscli decisions delete` unblocks;
//   3. killing the API changes nothing in force: the block stays, the
//      daemon keeps filtering and answering its stats socket and counts
//      the failures, and it picks up new decisions when the API is back;
//   4. decisions come only from the authenticated API (a wrong bouncer key
//      gets nothing applied), and a tunnel with a spoofed source raises no
//      alert against the address it names;
//   5. over https (the API with a certificate of a CA made by the test):
//      with that CA as crowdsec_ca_file the daemon pulls decisions; with
//      the system's store, or a certificate for another name, it refuses
//      the server and applies nothing.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "daemon_process.h"
#include "dashboard.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kLapiAddr = Addr::server_v4;
constexpr int kLapiPort = 8080;
constexpr const char* kCrowdsec = "/usr/bin/crowdsec";
constexpr const char* kPackagedConfig = "/etc/crowdsec/config.yaml";

// A crowdsec local API of the test's own, in namespace `ns`; over https
// with a certificate for `tls_name` (an IP address or a DNS name) signed by
// a CA of its own (ca()) when `tls_name` is not empty.
class Lapi {
 public:
  explicit Lapi(const Netns& ns, const std::string& tls_name = "") : ns_(ns), tls_name_(tls_name) {
    char tmpl[] = "/tmp/icmpwall-lapi-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ + "/data");
    if (tls()) make_certificates(tls_name);
    write_config();
  }
  ~Lapi() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Lapi(const Lapi&) = delete;
  Lapi& operator=(const Lapi&) = delete;

  std::string url() const {
    return fmt::format("{}://{}:{}", tls() ? "https" : "http", kLapiAddr, kLapiPort);
  }
  // The CA that signed the API's certificate (https only).
  std::string ca() const { return path("ca.pem"); }

  // Starts it and polls its API until it answers (an unauthenticated
  // request is refused with 403 once it serves).
  bool start() {
    proc_ =
        std::make_unique<Process>(Process::start(ns_.wrap({kCrowdsec, "-c", config(), "-no-cs"})));
    return poll_until([&] { return status("/v1/decisions/stream") == "403"; }, Millis(15'000),
                      Millis(50));
  }
  // SIGKILL, by PID (its process group), and wait for it.
  void stop() {
    if (proc_) proc_->kill();
    proc_.reset();
  }
  bool running() { return proc_ && proc_->running(); }
  std::string log() const { return proc_ ? proc_->out() + proc_->err() : ""; }

  // The HTTP status of GET `path`, from inside the namespace.
  std::string status(const std::string& path) const {
    return ns_.run(curl({"-o", "/dev/null", "-w", "%{http_code}", path}), {Millis(5'000)}).out;
  }

  // GET /v1/decisions?ip=IP as the bouncer whose key is in `key_file`:
  // the decisions in force for that address ("null" when none).
  std::string decisions_for(const std::string& ip, const std::string& key_file) const {
    std::ifstream in(key_file);
    std::string key;
    std::getline(in, key);
    return ns_.run(curl({"-H", "X-Api-Key: " + key, "/v1/decisions?ip=" + ip}), {Millis(5'000)})
        .out;
  }

  CommandResult cscli(Argv args) const {
    Argv argv{"cscli", "-c", config(), "-o", "raw"};
    argv.insert(argv.end(), args.begin(), args.end());
    return ns_.run(argv, {Millis(15'000)});
  }

  // A bouncer's API key, written to a file of its own.
  std::string add_bouncer(const std::string& name) {
    auto r = cscli({"bouncers", "add", name});
    EXPECT_TRUE(r.ok()) << r.describe();
    return write_file(name + ".key", r.out);
  }
  // A machine with `password`; the password's file.
  std::string add_machine(const std::string& name, const std::string& password) {
    auto r = cscli({"machines", "add", name, "--password", password, "-f", "/dev/null", "--force"});
    EXPECT_TRUE(r.ok()) << r.describe();
    return write_file(name + ".password", password + "\n");
  }
  std::string write_file(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  // A file in its temporary directory.
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string config() const { return dir_ + "/config.yaml"; }

  bool tls() const { return !tls_name_.empty(); }

  // curl with `args`, the last a path of the API; over https it trusts the
  // API's CA and asks for the certificate's name (at kLapiAddr).
  Argv curl(Argv args) const {
    Argv argv{"curl", "-s", "-m", "2"};
    std::string base = url();
    if (tls()) {
      base = fmt::format("https://{}:{}", tls_name_, kLapiPort);
      argv.insert(argv.end(), {"--cacert", ca(), "--resolve",
                               fmt::format("{}:{}:{}", tls_name_, kLapiPort, kLapiAddr)});
    }
    args.back() = base + args.back();
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // A CA and the API's key and certificate for `name`, with openssl.
  void make_certificates(const std::string& name) {
    const bool ip = name.find_first_not_of("0123456789.:") == std::string::npos;
    const Argv new_ca{"openssl",
                      "req",
                      "-x509",
                      "-newkey",
                      "ec",
                      "-pkeyopt",
                      "ec_paramgen_curve:prime256v1",
                      "-nodes",
                      "-days",
                      "2",
                      "-subj",
                      "/CN=icmpwall test CA",
                      "-keyout",
                      path("ca.key"),
                      "-out",
                      ca()};
    const Argv new_key{"openssl",       "req",
                       "-newkey",       "ec",
                       "-pkeyopt",      "ec_paramgen_curve:prime256v1",
                       "-nodes",        "-subj",
                       "/CN=" + name,   "-keyout",
                       path("key.pem"), "-out",
                       path("cert.csr")};
    write_file("cert.ext", fmt::format("subjectAltName={}:{}\n", ip ? "IP" : "DNS", name));
    const Argv sign{"openssl",
                    "x509",
                    "-req",
                    "-in",
                    path("cert.csr"),
                    "-CA",
                    ca(),
                    "-CAkey",
                    path("ca.key"),
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    path("cert.ext"),
                    "-out",
                    path("cert.pem")};
    for (const Argv& a : {new_ca, new_key, sign}) {
      auto r = ns_.run(a, {Millis(15'000)});
      ASSERT_TRUE(r.ok()) << r.describe();
    }
  }

  // The packaged config with the central API's block removed, the
  // database, data and credentials here, the API on kLapiAddr, its
  // metrics off, logs to stdout; cscli logs in as machine "cscli".
  void write_config() {
    std::ifstream in(kPackagedConfig);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto replace = [&](const std::string& re, const std::string& with) {
      text = std::regex_replace(text, std::regex(re), with);
    };
    replace(R"(\n    online_client:[^\n]*\n      credentials_path:[^\n]*)", "");
    replace(R"(daemonize: true)", "daemonize: false");
    replace(R"(log_media: file)", "log_media: stdout");
    replace(R"(data_dir: [^\n]*)", "data_dir: " + dir_ + "/data/");
    replace(R"(db_path: [^\n]*)", "db_path: " + dir_ + "/data/crowdsec.db");
    replace(R"(listen_uri: [^\n]*)", fmt::format("listen_uri: {}:{}", kLapiAddr, kLapiPort));
    replace(R"(credentials_path: /etc/crowdsec/local_api_credentials.yaml)",
            "credentials_path: " + dir_ + "/cscli.yaml");
    replace(R"(\nprometheus:\n  enabled: true)", "\nprometheus:\n  enabled: false");
    if (tls()) {
      replace(R"(#    tls:\n#      cert_file: [^\n]*\n#      key_file: [^\n]*)",
              fmt::format("    tls:\n      cert_file: {}\n      key_file: {}", path("cert.pem"),
                          path("key.pem")));
      // The test's own cscli does not check the certificate (icmpwall does).
      replace(R"(insecure_skip_verify: false)", "insecure_skip_verify: true");
    }
    std::ofstream(config()) << text;
    write_file("cscli.yaml",
               fmt::format("url: {}\nlogin: cscli\npassword: {}\n", url(), kCscliPassword));
  }

 public:
  // After start(): the machine cscli logs in as (decisions add/delete).
  void add_cscli_machine() { add_machine("cscli", kCscliPassword); }

 private:
  static constexpr const char* kCscliPassword = "icmpwall-test-cscli-password";
  const Netns& ns_;
  const std::string tls_name_;
  std::string dir_;
  std::unique_ptr<Process> proc_;
};

class CrowdSecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    if (!have_tool(kCrowdsec) || !have_tool("/usr/bin/cscli"))
      GTEST_SKIP() << "needs crowdsec and cscli (Debian: crowdsec; see .ci/deps)";
    if (!std::filesystem::exists(kPackagedConfig))
      GTEST_SKIP() << "needs " << kPackagedConfig << " (Debian: crowdsec)";
    net_ = std::make_unique<Topology>();
    lapi_ = std::make_unique<Lapi>(net_->server, tls_name());
    ASSERT_TRUE(lapi_->start()) << lapi_->log();
    lapi_->add_cscli_machine();
  }

  // Not empty: the API serves https with a certificate for this name.
  virtual std::string tls_name() const { return ""; }

  // The daemon arguments for a CrowdSec-connected daemon: pull with
  // `key_file`, push as `machine` when given, poll every second.
  Argv crowdsec_args(const std::string& key_file, const std::string& machine = "",
                     const std::string& password_file = "") const {
    Argv a{"--crowdsec-url", lapi_->url(), "--crowdsec-poll-interval", "1"};
    if (!key_file.empty()) a.insert(a.end(), {"--crowdsec-bouncer-key-file", key_file});
    if (!machine.empty())
      a.insert(a.end(), {"--crowdsec-machine-id", machine, "--crowdsec-machine-password-file",
                         password_file});
    return a;
  }

  std::unique_ptr<Daemon> start_daemon(const Netns& ns, const std::string& policy, Argv args,
                                       const Argv& more = {}) {
    args.insert(args.begin(), {"--policy", policy});
    args.insert(args.end(), more.begin(), more.end());
    auto d = std::make_unique<Daemon>(ns, DaemonArgs{args, {}, {}});
    EXPECT_TRUE(d->wait_ready()) << d->out() << d->err();
    return d;
  }

  static std::string blocked(const Netns& ns, const char* family = "v4") {
    return ns
        .run({"nft", "list", "set", "inet", "icmpwall", fmt::format("inspect.blocked.{}", family)})
        .out;
  }

  static int pings(const Netns& from, const char* src, const char* dst = Addr::server_v4) {
    return ping(from, dst, {"-c", "2", "-i", "0.2", "-W", "1", "-I", src}).received;
  }

  // A TCP connection from the client to the server (a listener there).
  bool tcp_passes() {
    net_->server.spawn({"nc", "-l", "-p", "5002"});
    if (!net_->server.wait_tcp_listening(5002)) return false;
    return net_->client.run({"nc", "-z", "-w", "2", Addr::server_v4, "5002"}, {Millis(5'000)}).ok();
  }

  std::unique_ptr<Topology> net_;
  std::unique_ptr<Lapi> lapi_;
};

std::unique_ptr<TempFile> policy_file(const std::string& toml) {
  return std::make_unique<TempFile>(toml, ".toml");
}

// 1. Router A detects and blocks a tunnel and pushes it; server B pulls
// the decision. With A stopped (its table flushed), B alone drops the
// tunnel source's ICMP, and only its.
TEST_F(CrowdSecTest, ATunnelBlockedByOneDaemonIsBlockedByAnother) {
  ICMPWALL_REQUIRE_CRAFT();
  const auto router_policy = policy_file(kRouterInspectPolicy);
  const auto server_policy = policy_file(host_inspect_policy());
  const std::string router_key = lapi_->add_bouncer("router");
  const std::string server_key = lapi_->add_bouncer("server");
  const std::string password = lapi_->add_machine("router", "router-machine-password");
  auto router = start_daemon(net_->router, router_policy->path(),
                             crowdsec_args(router_key, "router", password), {"--flush-on-exit"});
  auto server = start_daemon(net_->server, server_policy->path(), crowdsec_args(server_key));
  ASSERT_TRUE(router->wait_out(R"("state":"connected")")) << router->out() << router->err();
  ASSERT_TRUE(server->wait_out(R"("state":"connected")")) << server->out() << server->err();

  // Tunnel-like echo requests from the client's own address (after a
  // ping, so that the router knows its link-layer address).
  ASSERT_EQ(pings(net_->client, Addr::client_v4), 2);
  auto r = net_->client.run(
      {python_with_scapy(), source_dir() + "/tests/integration/tools/exfil.py", "bulk", "--dst",
       Addr::server_v4, "--count", "40", "--rate", "40", "--size", "400"},
      {Millis(30'000)});
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(router->wait_out(fmt::format(R"("address":"{}","event":"block")", Addr::client_v4)))
      << router->out();
  ASSERT_TRUE(router->wait_out(R"("event":"alert")")) << router->out() << router->err();
  EXPECT_THAT(router->out(), HasSubstr(R"("scenario":"icmpwall/tunnel")"));
  const std::string decided = lapi_->decisions_for(Addr::client_v4, server_key);
  EXPECT_THAT(decided, HasSubstr(R"("scenario":"icmpwall/tunnel")"));
  EXPECT_THAT(decided, HasSubstr(R"("origin":"icmpwall")"));

  // Pulled within a poll interval or two.
  ASSERT_TRUE(
      poll_until([&] { return blocked(net_->server).find(Addr::client_v4) != std::string::npos; },
                 Millis(10'000)))
      << blocked(net_->server) << server->out() << server->err();
  EXPECT_THAT(server->out(), HasSubstr(fmt::format(R"("prefix":"{}/32")", Addr::client_v4)));

  EXPECT_EQ(router->stop(), 0) << router->err();
  ASSERT_FALSE(net_->router.has_table("icmpwall"));
  EXPECT_EQ(pings(net_->client, Addr::client_v4), 0) << "the server's daemon blocks it";
  EXPECT_EQ(pings(net_->client, Addr::client2_v4), 2) << "and only it";
  EXPECT_GT(read_counter(net_->server, "inspect.blocked").packets, 0u);
  EXPECT_THAT(server->out(), Not(HasSubstr(R"("event":"alert")"))) << "pulled, never pushed back";
}

// 2. A decision added by hand blocks ICMP only, from that source only;
// one naming the router's own network is refused; deleting unblocks.
TEST_F(CrowdSecTest, CscliDecisionsBlockIcmpOnlyAndDeletingUnblocks) {
  const auto policy = policy_file(kRouterInspectPolicy);
  auto daemon =
      start_daemon(net_->router, policy->path(), crowdsec_args(lapi_->add_bouncer("router")));
  ASSERT_TRUE(daemon->wait_out(R"("state":"connected")")) << daemon->out() << daemon->err();
  ASSERT_EQ(pings(net_->client, Addr::client_v4), 2);

  for (Argv add : {Argv{"--ip", Addr::client_v4}, Argv{"--ip", Addr::client_v6},
                   Argv{"--range", "198.18.1.0/24"}}) {
    add.insert(add.begin(), {"decisions", "add", "--duration", "5m", "--reason", "test"});
    auto r = lapi_->cscli(add);
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  ASSERT_TRUE(daemon->wait_out(fmt::format(R"("prefix":"{}/128")", Addr::client_v6)))
      << daemon->out();
  ASSERT_TRUE(daemon->wait_out(R"("error":"own-address-or-router")")) << daemon->out();
  // The kernel gets each family's additions in a batch of its own, after
  // the decision events: poll for both sets.
  ASSERT_TRUE(poll_until(
      [&] {
        return blocked(net_->router).find(Addr::client_v4) != std::string::npos &&
               blocked(net_->router, "v6").find(Addr::client_v6) != std::string::npos;
      },
      Millis(5'000)))
      << blocked(net_->router) << blocked(net_->router, "v6") << daemon->out();
  EXPECT_THAT(blocked(net_->router), Not(HasSubstr("198.18.1.0/24")));

  EXPECT_EQ(pings(net_->client, Addr::client_v4), 0);
  EXPECT_EQ(pings(net_->client, Addr::client_v6, Addr::server_v6), 0);
  EXPECT_EQ(pings(net_->client, Addr::client2_v4), 2) << "another source";
  EXPECT_TRUE(tcp_passes()) << "ICMP only: the client's TCP still passes";

  auto del = lapi_->cscli({"decisions", "delete", "--ip", Addr::client_v4});
  ASSERT_TRUE(del.ok()) << del.describe();
  ASSERT_TRUE(daemon->wait_out(R"("action":"delete")")) << daemon->out();
  ASSERT_TRUE(
      poll_until([&] { return blocked(net_->router).find(Addr::client_v4) == std::string::npos; },
                 Millis(5'000)))
      << blocked(net_->router);
  EXPECT_EQ(pings(net_->client, Addr::client_v4), 2);
  EXPECT_THAT(blocked(net_->router, "v6"), HasSubstr(Addr::client_v6)) << "still decided";
  EXPECT_EQ(daemon->stop(), 0) << daemon->err();
}

// 3. The API goes away and comes back.
TEST_F(CrowdSecTest, AnApiOutageChangesNothingInForce) {
  const auto policy = policy_file(kRouterInspectPolicy);
  const std::string stats_socket = lapi_->path("stats.sock");
  auto daemon =
      start_daemon(net_->router, policy->path(), crowdsec_args(lapi_->add_bouncer("router")),
                   {"--stats-socket", stats_socket});
  ASSERT_TRUE(daemon->wait_out(R"("state":"connected")")) << daemon->out() << daemon->err();
  ASSERT_TRUE(lapi_->cscli({"decisions", "add", "--ip", Addr::client_v4, "--duration", "5m"}).ok());
  ASSERT_TRUE(
      poll_until([&] { return blocked(net_->router).find(Addr::client_v4) != std::string::npos; },
                 Millis(5'000)));

  lapi_->stop();
  ASSERT_TRUE(daemon->wait_out(R"("state":"unreachable")")) << daemon->out();
  EXPECT_THAT(blocked(net_->router), HasSubstr(Addr::client_v4)) << "still in force";
  EXPECT_EQ(pings(net_->client, Addr::client_v4), 0);
  EXPECT_EQ(pings(net_->client, Addr::client2_v4), 2) << "still filtering, still passing";
  auto stats = icmpwall({"stats", "--socket", stats_socket});
  ASSERT_TRUE(stats.ok()) << stats.describe();
  const auto doc = nlohmann::json::parse(stats.out);
  EXPECT_EQ(doc["crowdsec"]["connected"], false) << stats.out;
  EXPECT_GE(doc["crowdsec"]["api_failures"].get<uint64_t>(), 1u) << stats.out;
  EXPECT_EQ(doc["crowdsec"]["decisions"], 1) << stats.out;
  EXPECT_GT(doc["inspected"].get<uint64_t>(), 0u) << "the queue is still served";
  // The dashboard's CrowdSec panels query what the daemon exports.
  auto prom = icmpwall({"stats", "--socket", stats_socket, "--prometheus"});
  ASSERT_TRUE(prom.ok()) << prom.describe();
  const auto declared = metric_families(prom.out);
  size_t crowdsec_panels = 0;
  for (const auto& name : dashboard_metrics())
    if (name.starts_with("icmpwall_crowdsec_")) {
      ++crowdsec_panels;
      EXPECT_TRUE(declared.count(name)) << name << " is not exported";
    }
  EXPECT_GE(crowdsec_panels, 4u);

  ASSERT_TRUE(lapi_->start()) << lapi_->log();
  ASSERT_TRUE(poll_until(
      [&] {
        const auto out = daemon->out();
        return out.rfind(R"("state":"connected")") > out.find(R"("state":"unreachable")");
      },
      Millis(15'000)))
      << daemon->out();
  ASSERT_TRUE(
      lapi_->cscli({"decisions", "add", "--ip", Addr::client2_v4, "--duration", "5m"}).ok());
  ASSERT_TRUE(
      poll_until([&] { return blocked(net_->router).find(Addr::client2_v4) != std::string::npos; },
                 Millis(5'000)))
      << daemon->out();
  EXPECT_EQ(pings(net_->client, Addr::client2_v4), 0);
  EXPECT_EQ(daemon->stop(), 0) << daemon->err();
}

// 4. Only the authenticated API decides, and only real senders are
// reported.
TEST_F(CrowdSecTest, OnlyTheAuthenticatedApiDecidesAndSpoofedSourcesAreNotReported) {
  ICMPWALL_REQUIRE_CRAFT();
  const auto policy = policy_file(kRouterInspectPolicy);
  const std::string right_key = lapi_->add_bouncer("router");
  const std::string wrong_key = lapi_->write_file("wrong.key", "0123456789abcdef\n");
  const std::string password = lapi_->add_machine("router", "router-machine-password");
  auto daemon =
      start_daemon(net_->router, policy->path(), crowdsec_args(wrong_key, "router", password));
  ASSERT_TRUE(lapi_->cscli({"decisions", "add", "--ip", Addr::client_v4, "--duration", "5m"}).ok());
  ASSERT_TRUE(daemon->wait_out("the bouncer key was refused")) << daemon->out() << daemon->err();
  EXPECT_EQ(blocked(net_->router).find(Addr::client_v4), std::string::npos);
  EXPECT_EQ(pings(net_->client, Addr::client_v4), 2);

  // Tunnel-like traffic claiming to come from a client-LAN address that
  // is not the client's: detected, but nobody blocked, nothing reported.
  const char* spoofed = "198.18.1.77";
  auto r = net_->client.run(
      {python_with_scapy(), source_dir() + "/tests/integration/tools/exfil.py", "bulk", "--dst",
       Addr::server_v4, "--src", spoofed, "--count", "40", "--rate", "40", "--size", "400"},
      {Millis(30'000)});
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(daemon->wait_out(R"("block_withheld")")) << daemon->out();
  EXPECT_THAT(daemon->out(), Not(HasSubstr(R"("event":"block")")));
  EXPECT_THAT(daemon->out(), Not(HasSubstr(R"("event":"alert")")));
  EXPECT_EQ(lapi_->decisions_for(spoofed, right_key), "null");
  EXPECT_THAT(lapi_->decisions_for(Addr::client_v4, right_key), HasSubstr(R"("origin":"cscli")"))
      << "the query answers";
  EXPECT_EQ(daemon->stop(), 0) << daemon->err();
}

// 5. https: the API's certificate is checked against crowdsec_ca_file (or
// the system's store), its name or address included.
class CrowdSecHttpsTest : public CrowdSecTest {
 protected:
  std::string tls_name() const override { return kLapiAddr; }

  // Whether a daemon with `more` arguments applies a decision for the
  // client; it is stopped either way.
  bool applies_decision(const Argv& more, const std::string& key) {
    const auto policy = policy_file(kRouterInspectPolicy);
    auto daemon = start_daemon(net_->router, policy->path(), crowdsec_args(key), more);
    const bool connected = daemon->wait_out(R"("event":"crowdsec")") &&
                           daemon->out().find(R"("state":"connected")") != std::string::npos;
    if (!connected) {
      EXPECT_THAT(daemon->out(), HasSubstr("SSLServerVerification"));
      EXPECT_EQ(blocked(net_->router).find(Addr::client_v4), std::string::npos);
      EXPECT_EQ(pings(net_->client, Addr::client_v4), 2) << "nothing applied";
    } else {
      EXPECT_TRUE(poll_until(
          [&] { return blocked(net_->router).find(Addr::client_v4) != std::string::npos; },
          Millis(5'000)))
          << daemon->out();
      EXPECT_EQ(pings(net_->client, Addr::client_v4), 0);
    }
    EXPECT_EQ(daemon->stop(), 0) << daemon->err();
    EXPECT_TRUE(net_->router.run({"nft", "delete", "table", "inet", "icmpwall"}).ok());
    return connected;
  }
};

TEST_F(CrowdSecHttpsTest, OnlyTheApisOwnCaIsTrusted) {
  const std::string key = lapi_->add_bouncer("router");
  ASSERT_TRUE(lapi_->cscli({"decisions", "add", "--ip", Addr::client_v4, "--duration", "5m"}).ok());
  EXPECT_FALSE(applies_decision({}, key)) << "the system's store does not know the test's CA";
  EXPECT_TRUE(applies_decision({"--crowdsec-ca-file", lapi_->ca()}, key));
}

class CrowdSecHttpsOtherNameTest : public CrowdSecHttpsTest {
 protected:
  std::string tls_name() const override { return "lapi.icmpwall.test"; }
};

TEST_F(CrowdSecHttpsOtherNameTest, ACertificateForAnotherNameIsRefused) {
  const std::string key = lapi_->add_bouncer("router");
  ASSERT_TRUE(lapi_->cscli({"decisions", "add", "--ip", Addr::client_v4, "--duration", "5m"}).ok());
  EXPECT_FALSE(applies_decision({"--crowdsec-ca-file", lapi_->ca()}, key))
      << "signed by the trusted CA, but for another name than " << kLapiAddr;
}

}  // namespace
}  // namespace icmpwall::integration
