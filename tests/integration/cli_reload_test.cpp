// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall reload` against a real daemon in a scratch namespace: a good
// policy is in the kernel when the command returns 0; a broken one exits 6
// naming the error (the first five of many, in bounded text) with the old
// ruleset still live; no daemon exits 8 at once; a listener that is not
// the daemon gets nobody signalled; a stopped daemon exits 7 within the
// timeout.
#include <gmock/gmock.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// IPv4 echo through queue 0; IPv6 echo dropped by the rule no-v6-echo.
const char* const kPolicy = kEchoInspectPolicy;
const std::string kPolicyV6Allowed = echo_inspect_policy_v6_allowed();
const char* const kPolicyBad = kEchoInspectPolicyBad;  // line 6 misspells a type

// The exit codes README documents for reload.
constexpr int kRefused = 6, kTimedOut = 7, kNoDaemon = 8;

// A process that says which signals reach it: "HUP" and "USR1" lines.
// A SIGUSR1 sent after the command under test is a real signal to wait
// for: a SIGHUP sent before it (a lower number) is handled first, so once
// "USR1" is out, no "HUP" means none came. With a socket path it listens
// there first and answers each connection with a daemon-shaped document;
// with a user it then runs as that user (the socket keeps the credentials
// of when it listened).
constexpr const char* kWitness = R"(
import json, os, signal, socket, sys
for sig, name in ((signal.SIGHUP, "HUP"), (signal.SIGUSR1, "USR1")):
    signal.signal(sig, lambda s, f, name=name: print(name, flush=True))
path, uid = sys.argv[1], int(sys.argv[2])
if not path:
    print("ready", flush=True)
    while True:
        signal.pause()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
if uid >= 0:
    os.setresuid(uid, uid, uid)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.sendall(json.dumps({"reloads": 0, "reload_failures": 0, "reloading": False}).encode())
    c.close()
)";

class Witness {
 public:
  explicit Witness(const std::string& socket = "", int uid = -1)
      : proc_(Process::start({"/usr/bin/python3", "-c", kWitness, socket, std::to_string(uid)})) {}
  bool wait_ready() { return wait_out("ready"); }
  pid_t pid() const { return proc_.pid(); }
  // SIGUSR1, its line, then whether a SIGHUP ever came.
  bool got_sighup() {
    ::kill(proc_.pid(), SIGUSR1);
    EXPECT_TRUE(wait_out("USR1")) << proc_.err();
    return proc_.out().find("HUP") != std::string::npos;
  }

 private:
  bool wait_out(const std::string& text) {
    return poll_until([&] { return proc_.out().find(text) != std::string::npos; }, Millis(10'000));
  }
  Process proc_;
};

class CliReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    ns_ = std::make_unique<Netns>();
    policy_ = std::make_unique<TempFile>(kPolicy, ".toml");
    sock_ = "/tmp/icmpwall-reload-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sock";
  }
  void TearDown() override { ::unlink(sock_.c_str()); }

  std::unique_ptr<Daemon> start_daemon() {
    auto d = std::make_unique<Daemon>(
        *ns_, DaemonArgs{{"--policy", policy_->path(), "--stats-socket", sock_}, {}});
    EXPECT_TRUE(d->wait_ready()) << d->err();
    return d;
  }
  CommandResult reload(Argv extra = {}) {
    Argv args{"reload", "--socket", sock_};
    args.insert(args.end(), extra.begin(), extra.end());
    return icmpwall(args, Millis(60'000));
  }
  std::string table() { return ns_->nft_list_table("icmpwall").out; }
  nlohmann::json stats() {
    auto r = icmpwall({"stats", "--socket", sock_});
    EXPECT_TRUE(r.ok()) << r.describe();
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  std::unique_ptr<Netns> ns_;
  std::unique_ptr<TempFile> policy_;
  std::string sock_;
};

// The new ruleset is in the kernel when the command returns: no polling.
TEST_F(CliReloadTest, AGoodPolicyIsInTheKernelWhenItReturns) {
  auto daemon = start_daemon();
  ASSERT_THAT(table(), HasSubstr("rule.no-v6-echo"));
  write_file(policy_->path(), kPolicyV6Allowed);
  auto r = reload({"--pid", std::to_string(daemon->pid())});
  ASSERT_EQ(r.exit_code, 0) << r.describe() << daemon->err();
  EXPECT_EQ(r.out, "icmpwall reload: reloaded " + policy_->path() + ": table inet icmpwall (pid " +
                       std::to_string(daemon->pid()) + ")\n");
  const std::string now = table();
  EXPECT_THAT(now, Not(HasSubstr("rule.no-v6-echo")));
  EXPECT_THAT(now, HasSubstr("rule.echo-inspected"));
  EXPECT_EQ(stats()["reloads"], 1);
}

TEST_F(CliReloadTest, ABrokenPolicyIsRefusedWithItsErrorAndTheOldRulesetStays) {
  auto daemon = start_daemon();
  const std::string before = table();
  write_file(policy_->path(), kPolicyBad);
  auto r = reload({"--pid", std::to_string(daemon->pid())});
  EXPECT_EQ(r.exit_code, kRefused) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("refused the reload and still serves the previous policy"));
  EXPECT_THAT(r.err, HasSubstr(policy_->path() + ":6:"));
  EXPECT_THAT(r.err, HasSubstr("echo-requets"));
  EXPECT_THAT(r.err, HasSubstr("1 error(s) in " + policy_->path()));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(table(), before) << "the previous ruleset is live";
  auto j = stats();
  EXPECT_EQ(j["reload_failures"], 1);
  EXPECT_THAT(j.value("last_reload_error", ""), HasSubstr("echo-requets"));
  // Fixed: it takes, and the refusal is no longer reported.
  write_file(policy_->path(), kPolicyV6Allowed);
  r = reload({"--pid", std::to_string(daemon->pid())});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_THAT(table(), Not(HasSubstr("rule.no-v6-echo")));
  EXPECT_FALSE(stats().contains("last_reload_error"));
}

// Seven errors: the command shows the first five, then says where the
// rest are; the daemon's log has all seven.
TEST_F(CliReloadTest, ARefusalShowsTheFirstFiveErrors) {
  auto daemon = start_daemon();
  std::string bad = "[hooks.input]\ndefault = \"allow\"\n";
  for (int i = 0; i < 7; ++i)
    bad += "\n[[rule]]\nname = \"r" + std::to_string(i) + "\"\ntypes = [\"echo-requets" +
           std::to_string(i) + "\"]\nhooks = [\"input\"]\naction = \"drop\"\n";
  write_file(policy_->path(), bad);
  auto r = reload();
  EXPECT_EQ(r.exit_code, kRefused) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("echo-requets4"));
  EXPECT_THAT(r.err, Not(HasSubstr("echo-requets5")));
  EXPECT_THAT(r.err, HasSubstr("(2 more in the daemon's log)\n7 error(s) in " + policy_->path()));
  EXPECT_TRUE(daemon->wait_out(R"("event":"reload","ok":false)"));
  EXPECT_THAT(daemon->err(), HasSubstr("echo-requets6"));
}

// A 100 000-byte type name: what the stats document keeps and the command
// prints stays small (the diagnostic shortens the name; the reason is
// capped at 4 KiB besides).
TEST_F(CliReloadTest, ARefusalIsBoundedWhateverThePolicyHolds) {
  auto daemon = start_daemon();
  write_file(policy_->path(), std::string(kPolicyBad)
                                  .replace(std::string(kPolicyBad).find("echo-requets"), 12,
                                           std::string(100'000, 'x')));
  auto r = reload();
  EXPECT_EQ(r.exit_code, kRefused) << r.describe().substr(0, 2000);
  EXPECT_THAT(r.err, HasSubstr("error: unknown ICMP type 'xxxx"));
  EXPECT_THAT(r.err, HasSubstr("\n1 error(s) in " + policy_->path()));
  EXPECT_LT(r.err.size(), 4096u);
}

TEST_F(CliReloadTest, NoDaemonExitsAtOnce) {
  auto r = reload();
  EXPECT_EQ(r.exit_code, kNoDaemon) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("No such file or directory"));
  // A socket file nobody listens on any more (a daemon killed).
  {
    auto daemon = start_daemon();
    daemon->kill();
  }
  r = reload();
  EXPECT_EQ(r.exit_code, kNoDaemon) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("Connection refused"));
  EXPECT_LT(r.elapsed, Millis(5'000)) << "the 30 s timeout is for a daemon that is there";
}

// Whoever listens at the path, --pid names the process to signal: another
// is refused, and neither the listener nor the process named hears a thing.
TEST_F(CliReloadTest, AListenerThatIsNotTheDaemonGetsNobodySignalled) {
  Witness named;  // what --pid names: the daemon as the caller knows it
  Witness listener(sock_);
  ASSERT_TRUE(named.wait_ready());
  ASSERT_TRUE(listener.wait_ready());
  auto r = reload({"--pid", std::to_string(named.pid())});
  EXPECT_EQ(r.exit_code, kNoDaemon) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("is served by PID " + std::to_string(listener.pid()) +
                               ", not by PID " + std::to_string(named.pid()) + " (--pid)"));
  EXPECT_THAT(r.err, HasSubstr("nothing was signalled"));
  EXPECT_FALSE(named.got_sighup());
  EXPECT_FALSE(listener.got_sighup());
  // Nor with --pid naming init.
  r = reload({"--pid", "1"});
  EXPECT_EQ(r.exit_code, kNoDaemon) << r.describe();
  EXPECT_FALSE(listener.got_sighup());
}

// The socket's credentials name the user that listened; a process of
// another user under that PID now (the listener gone and its PID reused,
// here the listener itself after setresuid) is not signalled.
TEST_F(CliReloadTest, AProcessRunningAsAnotherUserThanTheListenerIsNotSignalled) {
  Witness listener(sock_, 65534);
  ASSERT_TRUE(listener.wait_ready());
  auto r = reload();
  EXPECT_EQ(r.exit_code, kNoDaemon) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("runs as user 65534, but the socket was opened by user 0"));
  EXPECT_FALSE(listener.got_sighup());
}

// A stopped daemon accepts connections (the kernel completes them) and
// answers none: the command ends at its timeout, having signalled nothing.
TEST_F(CliReloadTest, AStoppedDaemonTimesOutWithinTheBound) {
  auto daemon = start_daemon();
  ::kill(daemon->pid(), SIGSTOP);
  auto r = reload({"--pid", std::to_string(daemon->pid()), "--timeout", "2"});
  ::kill(daemon->pid(), SIGCONT);
  EXPECT_EQ(r.exit_code, kTimedOut) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("no answer from " + sock_ + " within 2000 ms"));
  EXPECT_GE(r.elapsed, Millis(2'000));
  EXPECT_LT(r.elapsed, Millis(4'000));
  // Resumed, it never saw a SIGHUP from that command, and reloads on the
  // next one.
  auto j = stats();
  EXPECT_EQ(j["reloads"], 0);
  EXPECT_EQ(j["reload_failures"], 0);
  r = reload({"--pid", std::to_string(daemon->pid())});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(stats()["reloads"], 1);
}

}  // namespace
}  // namespace icmpwall::integration
