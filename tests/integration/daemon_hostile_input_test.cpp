// SPDX-License-Identifier: GPL-2.0-or-later
// What a user or an attacker can hand the daemon and the CLI must neither
// kill nor wedge them: a policy path that is not UTF-8 (it travels in the
// stats document and the reload events), a FIFO or a device where a
// policy or config belongs, and detector tables too large for memory.
// Each test starts its own daemon on the server of client — router —
// server.
#include <gmock/gmock.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;

// IPv4 echo goes through queue 0; IPv6 echo requests are dropped.
const char* const kPolicy = kEchoInspectPolicy;

class DaemonHostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    static std::atomic<int> serial{0};
    // Short: the stats socket's path must fit in sun_path.
    dir_ = "/tmp/iw-hostile-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
    std::filesystem::create_directories(dir_);
    net_ = std::make_unique<Topology>();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool pings(const char* dst) { return ping(net_->client, dst).received > 0; }

  std::string dir_;
  std::unique_ptr<Topology> net_;
};

// nlohmann's dump() threw on the byte 0xFF of the policy path: the first
// stats request aborted the daemon, and a refused reload (whose event
// quotes the path) made it exit 1.
TEST_F(DaemonHostileInputTest, PolicyPathThatIsNotUtf8NeitherStatsNorARefusedReloadEndsTheDaemon) {
  const std::string policy = dir_ + "/p\xff.toml";
  write_file(policy, kPolicy);
  const std::string sock = dir_ + "/stats.sock";
  Daemon daemon(net_->server, {{"--policy", policy, "--stats-socket", sock}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  auto stats = icmpwall({"stats", "--socket", sock, "--json"});
  ASSERT_TRUE(stats.ok()) << stats.describe() << daemon.err();
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["policy"], dir_ + "/p\xef\xbf\xbd.toml") << "the byte shown as U+FFFD";
  auto prom = icmpwall({"stats", "--socket", sock, "--prometheus"});
  ASSERT_TRUE(prom.ok()) << prom.describe();
  EXPECT_THAT(prom.out, HasSubstr("icmpwall_up 1"));
  ASSERT_TRUE(daemon.running()) << daemon.err();

  write_file(policy, "[hooks.input\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":false)")) << daemon.err();
  EXPECT_THAT(daemon.out(), HasSubstr("p\xef\xbf\xbd.toml")) << "the event names the file";
  EXPECT_TRUE(daemon.running()) << daemon.err();
  EXPECT_EQ(ping(net_->client, Addr::server_v4).received, 3) << "the old policy still inspects";
  EXPECT_FALSE(pings(Addr::server_v6)) << "the old policy still drops IPv6 echo";
  auto after = icmpwall({"stats", "--socket", sock, "--json"});
  ASSERT_TRUE(after.ok()) << after.describe();
  EXPECT_EQ(nlohmann::json::parse(after.out)["reload_failures"], 1);
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

// A FIFO (no writer) or a device where a policy or config belongs: refused
// at once with the reason, never waited on, never read without end.
TEST_F(DaemonHostileInputTest, FifoOrDeviceAsPolicyOrConfigIsRefusedAtOnce) {
  const std::string fifo = dir_ + "/policy.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Millis quick(5'000);
  for (const Argv& args : {Argv{"check", fifo}, Argv{"apply", "--netns", net_->server.name(), fifo},
                           Argv{"daemon", "--netns", net_->server.name(), "--policy", fifo}}) {
    SCOPED_TRACE(args[0]);
    auto r = icmpwall(args, quick);
    EXPECT_EQ(r.exit_code, 3) << r.describe();
    EXPECT_THAT(r.err, HasSubstr("cannot read policy file: a FIFO, not a regular file"));
  }
  auto zero = icmpwall({"daemon", "--netns", net_->server.name(), "--config", "/dev/zero"}, quick);
  EXPECT_EQ(zero.exit_code, 3) << zero.describe();
  EXPECT_THAT(zero.err,
              HasSubstr("cannot read the daemon config: a character device, not a regular file"));
  auto dev = icmpwall({"check", "/dev/zero"}, quick);
  EXPECT_EQ(dev.exit_code, 3) << dev.describe();
  EXPECT_FALSE(net_->server.has_table("icmpwall"));
}

// The policy replaced by a FIFO while the daemon runs: the reload is
// refused at once, the daemon keeps serving and still stops on SIGTERM
// (it used to block in open() with every signal blocked).
TEST_F(DaemonHostileInputTest, ReloadFromAFifoIsRefusedAndSigtermStillStopsTheDaemon) {
  const std::string policy = dir_ + "/policy.toml";
  write_file(policy, kPolicy);
  Daemon daemon(net_->server, policy);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  ASSERT_EQ(::unlink(policy.c_str()), 0);
  ASSERT_EQ(::mkfifo(policy.c_str(), 0600), 0);
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":false)", Millis(5'000))) << daemon.err();
  EXPECT_THAT(daemon.err(), HasSubstr("a FIFO, not a regular file"));
  EXPECT_EQ(ping(net_->client, Addr::server_v4).received, 3) << "still inspecting";
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

// Tables of 2^24 entries each (the most each setting takes) would need
// about 13 GiB: `check` refuses them at the setting, with the budget, and
// the daemon refuses to start with nothing applied. (It used to apply the
// table, then die in bad_alloc, leaving inspect rules without a worker.)
// The daemon runs with its address space capped, so no run of this test
// can take the machine's memory.
TEST_F(DaemonHostileInputTest, TablesOverTheMemoryBudgetAreRefusedBeforeAnythingIsApplied) {
  const std::string policy = dir_ + "/huge.toml";
  write_file(policy,
             std::string(kPolicy) +
                 "\n[inspect.tunnel]\nmax-flows = 16777216\nmax-pending-requests = 16777216\n"
                 "max-pattern-pairs = 16777216\n\n[inspect.sweep]\nmax-sources = 16777216\n");
  auto check = icmpwall({"check", policy});
  EXPECT_EQ(check.exit_code, 3) << check.describe();
  EXPECT_THAT(check.err, HasSubstr(policy + ":20:13: error: the detectors' tables would take"));
  EXPECT_THAT(check.err, HasSubstr("over the budget of 2048 MiB"));

  auto start = run({"/usr/bin/prlimit", "--as=4294967296", icmpwall_binary(), "daemon", "--netns",
                    net_->server.name(), "--policy", policy},
                   {Millis(30'000)});
  EXPECT_EQ(start.exit_code, 3) << start.describe();
  EXPECT_THAT(start.err, HasSubstr("over the budget"));
  EXPECT_FALSE(net_->server.has_table("icmpwall")) << "nothing may be applied";
}

// Tables within the budget that this process cannot allocate (its address
// space capped at 1 GiB, the tables needing about 1.5 GiB): the engine is
// built before the table is applied, so a start fails with nothing
// applied and a reload is refused with the old table and engine serving.
TEST_F(DaemonHostileInputTest, EngineThatCannotBeAllocatedChangesNothing) {
  const std::string big = dir_ + "/big.toml";
  write_file(big, std::string(kPolicy) +
                      "\n[inspect.tunnel]\nmax-flows = 4194304\n\n"
                      "[inspect.sweep]\nmax-sources = 2097152\n");
  auto check = icmpwall({"check", big});
  ASSERT_EQ(check.exit_code, 0) << "within the budget: " << check.describe();
  const Argv capped{"/usr/bin/prlimit", "--as=1073741824"};

  Daemon refused(net_->server, {{"--policy", big}, {}, capped});
  EXPECT_TRUE(poll_until([&] { return !refused.running(); }, Millis(20'000)));
  EXPECT_EQ(refused.stop(), 3) << refused.err();
  EXPECT_THAT(refused.err(), HasSubstr("cannot be allocated"));
  EXPECT_THAT(refused.err(), HasSubstr("nothing was changed"));
  EXPECT_FALSE(net_->server.has_table("icmpwall")) << "nothing may be applied";

  const std::string policy = dir_ + "/policy.toml";
  write_file(policy, kPolicy);
  Daemon daemon(net_->server, {{"--policy", policy}, {}, capped});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  write_file(
      policy,
      std::string(kPolicy).substr(0, std::string(kPolicy).find("\n[[rule]]\nname = \"no-v6")) +
          "\n[inspect.tunnel]\nmax-flows = 4194304\n\n[inspect.sweep]\nmax-sources = 2097152\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":false)", Millis(20'000))) << daemon.err();
  EXPECT_THAT(daemon.err(), HasSubstr("cannot be allocated"));
  EXPECT_TRUE(daemon.running());
  EXPECT_FALSE(pings(Addr::server_v6)) << "the old table (dropping IPv6 echo) stays";
  EXPECT_EQ(ping(net_->client, Addr::server_v4).received, 3) << "the old engine still answers";
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

}  // namespace
}  // namespace icmpwall::integration
