// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall daemon` as systemd runs it, on the server of client — router —
// server: READY=1 only once the table is in the kernel; SIGHUP reloads a
// changed policy with no lost packet, or keeps the old one when the new one
// is bad; the watchdog; SIGTERM with on_stop keep and flush; capabilities
// after setup; `icmpwall stats`; and what the kernel does with inspect
// traffic once the daemon is killed (the rule's no-worker setting).
#include <gmock/gmock.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// IPv4 echo goes through queue 0; IPv6 echo requests are dropped.
const char* const kPolicy = kEchoInspectPolicy;

const char* const kPolicyBad = kEchoInspectPolicyBad;                   // line 6 misspells a type
const std::string kPolicyV6Allowed = echo_inspect_policy_v6_allowed();  // IPv6 echo allowed

std::string status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) {
      auto v = line.substr(field.size() + 1);
      return v.substr(v.find_first_not_of(" \t"));
    }
  return "";
}

class DaemonLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    policy_ = std::make_unique<TempFile>(kPolicy, ".toml");
    client_in_ = std::make_unique<Observer>(net_->client);
  }

  bool pings(const char* dst) { return ping(net_->client, dst).received > 0; }

  // A flood's ping statistics, and the echo replies that reached the
  // client: every request sent must have had its reply.
  struct Flood {
    PingResult ping;
    uint64_t replies = 0;
  };

  // Inspected echo requests `interval` apart from the client, until
  // stop_flood() (or `cap` requests, a bound). The flood lasts as long as
  // the reloads under it take, however slow the machine.
  Process& start_flood(const char* interval, int cap) {
    replies_from_ = client_in_->snapshot();
    return net_->client.spawn(
        {"ping", "-n", "-q", "-i", interval, "-c", std::to_string(cap), Addr::server_v4});
  }
  // The echo replies the client got since the flood started.
  uint64_t replies() const {
    return Observer::delta(replies_from_, client_in_->snapshot(), "input", Stage::before,
                           Family::v4, 0);
  }
  // Polls until `n` more replies than now have come (the flood goes on).
  bool more_replies(uint64_t n) const {
    const uint64_t now = replies();
    return poll_until([&] { return replies() >= now + n; }, Millis(10'000));
  }
  // SIGINT: ping stops sending and prints its statistics. It does not wait
  // for the replies still on their way; the client's observer counts them.
  // Empty if the flood had ended by itself (at its cap) or does not end.
  std::optional<Flood> stop_flood(Process& flood) {
    if (!flood.running()) return std::nullopt;
    ::kill(flood.pid(), SIGINT);
    if (!flood.wait_for_exit(Millis(10'000))) return std::nullopt;
    Flood f{parse_ping(finished(flood))};
    f.replies = echo_replies_since(*client_in_, replies_from_, Family::v4,
                                   static_cast<uint64_t>(std::max(f.ping.transmitted, 0)));
    return f;
  }

  // Inspected echo requests 10 ms apart; `next` is written over the policy
  // and the daemon reloads in the middle of them: 50 replies before the
  // reload, 50 after it has ended (with `reloaded` printed). Empty when
  // the reload did not end while they ran.
  std::optional<Flood> flood_across_reload(Daemon& daemon, const std::string& next,
                                           const std::string& reloaded) {
    Process& flood = start_flood("0.01", 6000);
    if (!more_replies(50)) return std::nullopt;
    write_file(policy_->path(), next);
    daemon.signal(SIGHUP);
    if (!daemon.wait_out(reloaded, Millis(30'000)) || !more_replies(50)) return std::nullopt;
    return stop_flood(flood);
  }

  std::unique_ptr<Topology> net_;
  std::unique_ptr<TempFile> policy_;
  std::unique_ptr<Observer> client_in_;
  Observer::Snapshot replies_from_;
};

TEST_F(DaemonLifecycleTest, ReadyOnlyOnceTheTableIsLoadedAndTrafficIsFiltered) {
  NotifySocket notify;
  Daemon daemon(net_->server, {{"--policy", policy_->path()}, {notify.env()}});
  ASSERT_TRUE(notify.wait_for("READY=1")) << daemon.err();
  EXPECT_TRUE(net_->server.has_table("icmpwall")) << "READY=1 before the table was loaded";
  EXPECT_THAT(notify.messages().front(), HasSubstr("READY=1"));
  EXPECT_THAT(notify.messages().front(), HasSubstr("STATUS=serving"));
  ASSERT_TRUE(daemon.wait_ready());

  PingResult v4 = ping(net_->client, Addr::server_v4);
  EXPECT_EQ(v4.received, 3) << v4.describe();
  PingResult v6 = ping(net_->client, Addr::server_v6);
  EXPECT_EQ(v6.received, 0) << v6.describe();
  EXPECT_EQ(v6.transmitted, 3) << v6.describe();
}

TEST_F(DaemonLifecycleTest, ReloadAppliesAChangedPolicyWithoutLosingAPacket) {
  NotifySocket notify;
  Daemon daemon(net_->server, {{"--policy", policy_->path()}, {notify.env()}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  ASSERT_FALSE(pings(Addr::server_v6));

  auto r = flood_across_reload(daemon, kPolicyV6Allowed, R"("event":"reload","ok":true)");
  ASSERT_TRUE(r) << "no reload while the flood ran: " << daemon.err();
  EXPECT_GE(r->ping.transmitted, 100) << r->ping.describe();
  EXPECT_EQ(r->replies, static_cast<uint64_t>(r->ping.transmitted))
      << "packets lost across the reload: " << r->ping.describe();

  EXPECT_TRUE(pings(Addr::server_v6)) << "the reloaded policy allows IPv6 echo";
  EXPECT_GE(notify.count("RELOADING=1"), 1u);
  EXPECT_GE(notify.count("MONOTONIC_USEC="), 1u);
  EXPECT_GE(notify.count("READY=1"), 2u);
  EXPECT_THAT(daemon.err(), HasSubstr("reloaded"));
  EXPECT_EQ(daemon.stop(), 0);
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Many reloads while inspected echo requests keep coming: each reload
// replaces the table, and a packet waiting in the queue at that moment
// must still get its verdict. Requests 1 ms apart across 80 reloads, each
// awaited before the next (the flood lasts until the last one has ended);
// no request may be lost and the kernel must not refuse a single verdict
// (a verdict for a packet it already dropped). Deleting the old base
// chains made the kernel drop every queued packet: this lost one to five
// requests a run.
TEST_F(DaemonLifecycleTest, ManyReloadsUnderTrafficLoseNoPacket) {
  constexpr int kReloads = 80;
  const std::string sock = "/tmp/icmpwall-stats-" + std::to_string(getpid()) + "-reloads.sock";
  Daemon daemon(net_->server, {{"--policy", policy_->path(), "--stats-socket", sock}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  Process& flood = start_flood("0.001", 200'000);
  ASSERT_TRUE(poll_until(
      [&] {
        auto s = icmpwall({"stats", "--socket", sock});
        return s.ok() && nlohmann::json::parse(s.out)["inspected"].get<uint64_t>() >= 20;
      },
      Millis(10'000)))
      << "no inspected traffic";
  const std::string ok = R"("event":"reload","ok":true)";
  int reloads = 0;
  for (; reloads < kReloads; ++reloads) {
    write_file(policy_->path(), reloads % 2 ? kPolicy : kPolicyV6Allowed);
    daemon.signal(SIGHUP);
    ASSERT_TRUE(
        poll_until([&] { return occurrences(daemon.out(), ok) > size_t(reloads); }, Millis(30'000)))
        << "reload " << reloads << " did not end: " << daemon.err();
  }
  ASSERT_TRUE(more_replies(20)) << "the flood stopped";
  const auto r = stop_flood(flood);
  ASSERT_TRUE(r) << "the flood ended before the reloads did";
  EXPECT_EQ(r->replies, static_cast<uint64_t>(r->ping.transmitted))
      << "packets lost across " << reloads << " reloads: " << r->ping.describe();
  auto stats = icmpwall({"stats", "--socket", sock, "--json"});
  ASSERT_TRUE(stats.ok()) << stats.describe();
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["reloads"].get<uint64_t>(), uint64_t(reloads));
  EXPECT_EQ(j["queues"][0]["verdict_errors"].get<uint64_t>(), 0u)
      << "verdicts for packets the kernel no longer held";
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

// Echo moves from queue 0 to queue 1, failing closed: the worker for
// queue 1 must listen before the table sends packets there.
TEST_F(DaemonLifecycleTest, ReloadMovingToANewQueueLosesNoPacket) {
  std::string closed = kPolicy;
  closed.replace(closed.find("queue = 0"), 9, "queue = 0\nno-worker = \"drop\"");
  write_file(policy_->path(), closed);
  Daemon daemon(net_->server, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  ASSERT_THAT(daemon.out(), HasSubstr(R"("queues":[0])"));

  std::string moved = closed;
  moved.replace(moved.find("queue = 0"), 9, "queue = 1");
  auto r = flood_across_reload(daemon, moved, R"("queues_added":[1],"queues_removed":[0])");
  ASSERT_TRUE(r) << "no reload while the flood ran: " << daemon.err();
  EXPECT_GE(r->ping.transmitted, 100) << r->ping.describe();
  EXPECT_EQ(r->replies, static_cast<uint64_t>(r->ping.transmitted))
      << "packets lost across the queue move: " << r->ping.describe();
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(DaemonLifecycleTest, BadReloadKeepsTheRunningPolicy) {
  // Started from a config file that names the policy: the refusal must
  // name the policy file, where the error is, not the config.
  const std::string rel = policy_->path().substr(policy_->path().rfind('/') + 1);
  TempFile config("policy = \"" + rel + "\"\n", ".toml");
  NotifySocket notify;
  Daemon daemon(net_->server, {{"--config", config.path()}, {notify.env()}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  write_file(policy_->path(), kPolicyBad);
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":false)")) << daemon.err();
  // The diagnostic points at the misspelled type: file:6:col.
  EXPECT_THAT(daemon.err(), HasSubstr(policy_->path() + ":6:"));
  EXPECT_THAT(daemon.err(), HasSubstr("echo-requets"));
  EXPECT_THAT(daemon.err(), HasSubstr("reload refused"));
  EXPECT_THAT(daemon.err(), HasSubstr("1 error(s) in " + policy_->path()));
  EXPECT_THAT(daemon.err(), Not(HasSubstr("error(s) in " + config.path())));
  EXPECT_TRUE(poll_until([&] { return notify.count("READY=1") >= 2; }, Millis(5'000)));
  // Still the old ruleset, still inspecting.
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(ping(net_->client, Addr::server_v4).received, 3);
  EXPECT_FALSE(pings(Addr::server_v6));
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(DaemonLifecycleTest, WatchdogPings) {
  NotifySocket notify;
  Daemon daemon(net_->server,
                {{"--policy", policy_->path()}, {notify.env(), "WATCHDOG_USEC=200000"}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  EXPECT_TRUE(poll_until([&] { return notify.count("WATCHDOG=1") >= 3; }, Millis(5'000)))
      << "watchdog messages: " << notify.count("WATCHDOG=1");
}

TEST_F(DaemonLifecycleTest, SigtermKeepsTheTableByDefault) {
  NotifySocket notify;
  Daemon daemon(net_->server, {{"--policy", policy_->path()}, {notify.env()}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_TRUE(notify.wait_for("STOPPING=1", Millis(1'000)));
  EXPECT_TRUE(net_->server.has_table("icmpwall"));
  EXPECT_THAT(daemon.out(), HasSubstr(R"("event":"stopped")"));
  EXPECT_FALSE(pings(Addr::server_v6)) << "the kept table still filters";
}

// A config file: relative policy path, on_stop = "flush", a stats socket.
TEST_F(DaemonLifecycleTest, ConfigFileFlushOnStopAndStats) {
  const std::string sock = "/tmp/icmpwall-stats-" + std::to_string(getpid()) + ".sock";
  const std::string rel = policy_->path().substr(policy_->path().rfind('/') + 1);
  TempFile config(
      "policy = \"" + rel + "\"\non_stop = \"flush\"\nstats_socket = \"" + sock + "\"\n", ".toml");
  NotifySocket notify;
  Daemon daemon(net_->server, {{"--config", config.path()}, {notify.env()}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  struct stat st {};
  ASSERT_EQ(::stat(sock.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  auto before = icmpwall({"stats", "--socket", sock});
  ASSERT_TRUE(before.ok()) << before.describe();
  auto j0 = nlohmann::json::parse(before.out);
  ASSERT_EQ(ping(net_->client, Addr::server_v4, {"-c", "5", "-i", "0.05", "-W", "1"}).received, 5);
  auto after = icmpwall({"stats", "--socket", sock, "--json"});
  ASSERT_TRUE(after.ok()) << after.describe();
  auto j1 = nlohmann::json::parse(after.out);
  EXPECT_EQ(j1["policy"], policy_->path());
  EXPECT_EQ(
      j1["queues"][0]["received"].get<uint64_t>() - j0["queues"][0]["received"].get<uint64_t>(),
      5u);
  EXPECT_EQ(j1["verdicts"]["pass"].get<uint64_t>() - j0["verdicts"]["pass"].get<uint64_t>(), 5u);
  EXPECT_EQ(j1["types"][0]["type"], "echo-request");
  EXPECT_GE(j1["types"][0]["packets"].get<uint64_t>(), 5u);

  auto prom = icmpwall({"stats", "--socket", sock, "--prometheus"});
  ASSERT_TRUE(prom.ok()) << prom.describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      prom.out, m,
      std::regex(R"(icmpwall_icmp_packets_total\{family="ipv4",type="echo-request"\} (\d+))")))
      << prom.out;
  EXPECT_GE(std::stoul(m[1]), 5u);
  EXPECT_THAT(prom.out, HasSubstr("# TYPE icmpwall_queue_received_total counter"));
  EXPECT_THAT(prom.out, HasSubstr("icmpwall_queue_received_total{queue=\"0\"}"));

  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_FALSE(net_->server.has_table("icmpwall")) << "on_stop = flush";
  EXPECT_NE(::access(sock.c_str(), F_OK), 0) << "the stats socket outlived the daemon";
  EXPECT_TRUE(pings(Addr::server_v6)) << "no table: nothing filters";
}

TEST_F(DaemonLifecycleTest, KeepsOnlyNetAdminAndStillReloads) {
  Daemon daemon(net_->server, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  const std::string net_admin = "0000000000001000";  // bit 12
  EXPECT_EQ(status_field(daemon.pid(), "CapEff"), net_admin);
  EXPECT_EQ(status_field(daemon.pid(), "CapPrm"), net_admin);
  EXPECT_EQ(status_field(daemon.pid(), "CapBnd"), net_admin);
  EXPECT_EQ(status_field(daemon.pid(), "CapInh"), "0000000000000000");
  EXPECT_EQ(status_field(daemon.pid(), "NoNewPrivs"), "1");
  // Every thread, not just the main one.
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(daemon.pid()) + "/task")) {
    std::ifstream in(task.path() / "status");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THAT(text, HasSubstr("CapEff:\t" + net_admin)) << task.path();
  }
  write_file(policy_->path(), kPolicyV6Allowed);
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":true)")) << daemon.err();
  EXPECT_TRUE(pings(Addr::server_v6));
}

// Started the way a locked-down unit starts it: root, but CAP_NET_ADMIN
// alone in every set (no CAP_SETPCAP, no CAP_DAC_OVERRIDE). It serves and
// reloads all the same.
TEST_F(DaemonLifecycleTest, RunsAndReloadsWithOnlyNetAdmin) {
  if (!have_tool("/usr/bin/setpriv")) GTEST_SKIP() << "needs setpriv (util-linux)";
  Process& daemon =
      net_->server.spawn({"/usr/bin/setpriv", "--bounding-set=-all,+net_admin", "--inh-caps=-all",
                          icmpwall_binary(), "daemon", "--policy", policy_->path()});
  auto out_has = [&](const std::string& text) {
    return poll_until([&] { return daemon.out().find(text) != std::string::npos; }, Millis(30'000));
  };
  ASSERT_TRUE(out_has(R"("event":"ready")")) << daemon.err();
  EXPECT_EQ(status_field(daemon.pid(), "CapEff"), "0000000000001000");
  EXPECT_EQ(status_field(daemon.pid(), "CapBnd"), "0000000000001000");
  EXPECT_EQ(status_field(daemon.pid(), "NoNewPrivs"), "1");
  EXPECT_EQ(ping(net_->client, Addr::server_v4).received, 3);
  ASSERT_FALSE(pings(Addr::server_v6));
  write_file(policy_->path(), kPolicyV6Allowed);
  ::kill(daemon.pid(), SIGHUP);
  ASSERT_TRUE(out_has(R"("event":"reload","ok":true)")) << daemon.err();
  EXPECT_TRUE(pings(Addr::server_v6));
  ::kill(daemon.pid(), SIGTERM);
  EXPECT_EQ(daemon.wait_for_exit(Millis(30'000)), 0) << daemon.err();
}

// Killed (no cleanup at all): the table stays, the queue has no listener,
// and the kernel applies the rule's no-worker setting.
TEST_F(DaemonLifecycleTest, KilledDaemonFailsOpenOrClosedPerPolicy) {
  for (const char* no_worker : {"accept", "drop"}) {
    SCOPED_TRACE(no_worker);
    std::string text = kPolicyV6Allowed;
    text.insert(text.find("queue = 0") + 9, std::string("\nno-worker = \"") + no_worker + "\"");
    write_file(policy_->path(), text);
    Daemon daemon(net_->server, policy_->path());
    ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
    ASSERT_TRUE(pings(Addr::server_v4));
    daemon.kill();
    ASSERT_TRUE(net_->server.has_table("icmpwall"));
    PingResult r = ping(net_->client, Addr::server_v4);
    if (std::string(no_worker) == "accept")
      EXPECT_EQ(r.received, 3) << r.describe();
    else
      EXPECT_EQ(r.received, 0) << r.describe();
    EXPECT_EQ(flush_policy(net_->server).exit_code, 0);
  }
}

}  // namespace
}  // namespace icmpwall::integration
