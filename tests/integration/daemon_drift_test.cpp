// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's drift gauge against a real kernel: a daemon serving the
// host preset in a scratch namespace checks every second; a chain added
// by hand and another table dropping echo requests ahead of it show in
// the stats, the Prometheus text and one "drift" event each way, and go
// again when removed; reloads between two presets are never drift; the
// checks can be turned off.
#include <gmock/gmock.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kOtherTable = R"(table inet other {
  chain in {
    type filter hook input priority -10; policy accept;
    icmp type echo-request drop
  }
}
)";

class DaemonDriftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    ns_ = std::make_unique<Netns>();
    sock_ = "/tmp/icmpwall-stats-" + std::to_string(getpid()) + "-drift.sock";
  }

  // The daemon's stats document; null when it cannot be read.
  json stats() {
    auto r = icmpwall({"stats", "--socket", sock_, "--json"});
    if (!r.ok()) return nullptr;
    return json::parse(r.out, nullptr, false);
  }
  // The drift section; an empty object before the daemon answers.
  json drift() {
    const json s = stats();
    return s.is_object() && s.contains("drift") ? s["drift"] : json::object();
  }
  uint64_t drift_value(const char* key) { return drift().value(key, uint64_t{0}); }
  // Polls until a check completed after this call, then returns its section.
  json next_check() {
    const uint64_t before = drift_value("checks");
    json d;
    EXPECT_TRUE(poll_until(
        [&] {
          d = drift();
          return d.value("checks", uint64_t{0}) > before;
        },
        Millis(10'000)))
        << "no drift check completed";
    return d;
  }
  // The "drift" event lines the daemon wrote so far.
  static std::vector<json> drift_events(const Daemon& d) {
    std::vector<json> out;
    std::istringstream in(d.out());
    for (std::string line; std::getline(in, line);)
      if (line.find(R"("event":"drift")") != std::string::npos) out.push_back(json::parse(line));
    return out;
  }
  std::unique_ptr<Netns> ns_;
  std::string sock_;
};

TEST_F(DaemonDriftTest, HandEditsAndOverridesMoveTheGaugeAndGoAgain) {
  Daemon daemon(*ns_, {{"--policy", preset_path("host"), "--stats-socket", sock_,
                        "--drift-check-interval", "1"}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  json d = next_check();
  EXPECT_EQ(d["interval_s"], 1);
  EXPECT_EQ(d["missing"], 0) << d;
  EXPECT_EQ(d["extra"], 0) << d;
  EXPECT_EQ(d["differs"], 0) << d;
  EXPECT_EQ(d["overrides"], 0) << d;
  EXPECT_EQ(d["failures"], 0) << daemon.err();
  EXPECT_GT(d.value("last_check_unix", 0), 1'700'000'000);
  EXPECT_TRUE(drift_events(daemon).empty()) << daemon.out();

  // A chain added by hand to icmpwall's table, another table dropping
  // echo requests before it, in one transaction (a check between two
  // would see half of it, a change of its own): found by the next check,
  // and said once. The gauge is set before the event line is written, and
  // the log line after it: wait for all three.
  ASSERT_TRUE(ns_->nft_load("add chain inet icmpwall scratch\n" + std::string(kOtherTable)).ok());
  ASSERT_TRUE(poll_until(
      [&] {
        d = drift();
        return d.value("extra", 0) == 1 && d.value("overrides", 0) > 0 &&
               !drift_events(daemon).empty() &&
               daemon.err().find("drift: table inet icmpwall:") != std::string::npos;
      },
      Millis(10'000)))
      << d << "\n"
      << daemon.out() << daemon.err();
  EXPECT_EQ(d["missing"], 0);
  EXPECT_EQ(d["differs"], 0);
  auto events = drift_events(daemon);
  ASSERT_EQ(events.size(), 1u) << daemon.out();
  const json& last = events.back();
  EXPECT_EQ(last["drift"], true);
  EXPECT_EQ(last["table"], "icmpwall");
  EXPECT_EQ(last["extra"], 1);
  EXPECT_THAT(last["details"].dump(), HasSubstr("chain scratch"));
  EXPECT_THAT(last["details"].dump(), HasSubstr("override: ipv4 input echo-request"));
  EXPECT_THAT(last["details"].dump(), HasSubstr("inet other"));
  EXPECT_THAT(daemon.err(), HasSubstr("drift: table inet icmpwall:"));

  auto prom = icmpwall({"stats", "--socket", sock_, "--prometheus"});
  ASSERT_TRUE(prom.ok()) << prom.describe();
  EXPECT_THAT(prom.out, HasSubstr("icmpwall_drift{kind=\"extra\"} 1\n"));
  EXPECT_THAT(prom.out, HasSubstr("icmpwall_drift{kind=\"missing\"} 0\n"));
  EXPECT_THAT(prom.out, Not(HasSubstr("icmpwall_drift{kind=\"override\"} 0\n")));
  if (have_tool("/usr/bin/promtool")) {
    TempFile text(prom.out, ".prom");
    auto lint = run({"sh", "-c", "promtool check metrics < " + text.path()});
    EXPECT_TRUE(lint.ok()) << lint.describe() << "\n" << prom.out;
  }

  // The same drift, checked again: not said again.
  const size_t said = drift_events(daemon).size();
  next_check();
  next_check();
  EXPECT_EQ(drift_events(daemon).size(), said) << daemon.out();

  // Both removed, in one transaction: the gauge falls to 0 and the end of
  // the drift is said.
  ASSERT_TRUE(ns_->nft_load("delete chain inet icmpwall scratch\ndelete table inet other\n").ok());
  ASSERT_TRUE(poll_until(
      [&] {
        d = drift();
        return d.value("extra", 1) == 0 && d.value("overrides", 1) == 0 &&
               drift_events(daemon).size() > said;
      },
      Millis(10'000)))
      << d << "\n"
      << daemon.out();
  events = drift_events(daemon);
  ASSERT_EQ(events.size(), said + 1) << daemon.out();
  EXPECT_EQ(events.back()["drift"], false);
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

TEST_F(DaemonDriftTest, ReloadsBetweenPresetsAreNeverDrift) {
  const std::string host = read_file(preset_path("host"));
  const std::string router = read_file(preset_path("router"));
  TempFile policy(host, ".toml");
  Daemon daemon(
      *ns_, {{"--policy", policy.path(), "--stats-socket", sock_, "--drift-check-interval", "1"}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  next_check();
  const std::string reloaded = R"("event":"reload","ok":true)";
  for (int i = 1; i <= 8; ++i) {
    write_file(policy.path(), i % 2 ? router : host);
    daemon.signal(SIGHUP);
    ASSERT_TRUE(poll_until(
        [&] {
          size_t n = 0;
          for (size_t at = daemon.out().find(reloaded); at != std::string::npos;
               at = daemon.out().find(reloaded, at + 1))
            ++n;
          return n == static_cast<size_t>(i);
        },
        Millis(30'000)))
        << "reload " << i << "\n"
        << daemon.err();
    // a check against the policy just loaded (one runs after each reload)
    const json d = next_check();
    EXPECT_EQ(d["missing"].get<uint64_t>() + d["extra"].get<uint64_t>() +
                  d["differs"].get<uint64_t>() + d["overrides"].get<uint64_t>(),
              0u)
        << "reload " << i << ": " << d;
  }
  EXPECT_TRUE(drift_events(daemon).empty()) << daemon.out();
  EXPECT_EQ(drift_value("failures"), 0u) << daemon.err();
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

TEST_F(DaemonDriftTest, ZeroTurnsTheChecksOff) {
  Daemon daemon(*ns_, {{"--policy", preset_path("host"), "--stats-socket", sock_,
                        "--drift-check-interval", "0"}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  const json s = stats();
  ASSERT_TRUE(s.is_object()) << daemon.err();
  EXPECT_FALSE(s.contains("drift")) << s;
  auto prom = icmpwall({"stats", "--socket", sock_, "--prometheus"});
  EXPECT_THAT(prom.out, Not(HasSubstr("icmpwall_drift")));
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

}  // namespace
}  // namespace icmpwall::integration
