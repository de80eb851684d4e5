// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall daemon --metrics-listen` and `--events-file` on the router of
// client — router — server: the /metrics endpoint, scraped with curl from
// the server's namespace, counts real pings, passes `promtool check
// metrics` and holds every metric the shipped Grafana dashboard queries; a
// real ping sweep lands in the events file as eve-style lines, and after
// the file is moved and SIGHUP sent, new detections go to a new file at
// the configured path (what logrotate does).
#include <gmock/gmock.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "daemon_process.h"
#include "dashboard.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The router's address on the server's side: the endpoint lives in the
// router's namespace only.
const std::string kListen = std::string(Addr::router_s_v4) + ":9469";
const std::string kUrl = "http://" + kListen + "/metrics";

class DaemonMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    if (!have_tool("/usr/bin/curl")) GTEST_SKIP() << "needs curl (Debian: curl)";
    net_ = std::make_unique<Topology>();
    policy_ = std::make_unique<TempFile>(kForwardEchoInspectPolicy, ".toml");
    char tmpl[] = "/tmp/icmpwall-eve-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // One scrape from the server's namespace; the body, or "" on failure.
  std::string scrape(const std::string& url = kUrl) {
    auto r = net_->server.run({"curl", "-sS", "--fail", "--max-time", "5", url}, {Millis(10'000)});
    return r.ok() ? r.out : "";
  }

  // The value of one sample line (`name{labels}`), or -1.
  static double sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
  }

  // A sweep of the server's /24 from `source`, with nmap (ICMP echo only).
  void sweep_from(const std::string& source) {
    auto scan = net_->client.run({"nmap", "-sn", "-PE", "-n", "--max-rate", "200", "--max-retries",
                                  "0", "-S", source, "-e", Topology::client_if, "198.18.2.0/24"},
                                 {Millis(60'000)});
    ASSERT_TRUE(scan.ok()) << scan.describe();
  }

  // The file's lines, each parsed (a failure if one is not JSON).
  static std::vector<nlohmann::json> eve_lines(const std::string& path) {
    std::vector<nlohmann::json> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << line;
      out.push_back(j);
    }
    return out;
  }

  // The daemon's {"event":"detection"} lines.
  static size_t detections(const std::string& out) {
    size_t n = 0;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
      n += l.find(R"("event":"detection")") != std::string::npos;
    return n;
  }

  static bool has_src(const std::vector<nlohmann::json>& lines, const std::string& src) {
    for (const auto& j : lines)
      if (j.value("src_ip", "") == src) return true;
    return false;
  }

  std::unique_ptr<Topology> net_;
  std::unique_ptr<TempFile> policy_;
  std::string dir_;
};

TEST_F(DaemonMetricsTest, EndpointCountsPingsPassesPromtoolAndStopsWithTheDaemon) {
  Daemon daemon(net_->router, {{"--policy", policy_->path(), "--metrics-listen", kListen}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  const std::string before = scrape();
  ASSERT_THAT(before, HasSubstr("icmpwall_up 1\n")) << daemon.err();
  EXPECT_THAT(before, HasSubstr("icmpwall_build_info{version=\""));
  EXPECT_GT(sample(before, "icmpwall_last_reload_timestamp_seconds"), 1.7e9);

  ASSERT_EQ(ping(net_->client, Addr::server_v4, {"-c", "5", "-i", "0.05", "-W", "1"}).received, 5);
  const std::string after = scrape();
  EXPECT_EQ(sample(after, "icmpwall_queue_received_total{queue=\"0\"}") -
                sample(before, "icmpwall_queue_received_total{queue=\"0\"}"),
            5);
  EXPECT_EQ(sample(after, "icmpwall_verdicts_total{verdict=\"pass\"}") -
                sample(before, "icmpwall_verdicts_total{verdict=\"pass\"}"),
            5);
  EXPECT_GE(sample(after, "icmpwall_icmp_packets_total{family=\"ipv4\",type=\"echo-request\"}"), 5);

  // promtool, the Prometheus project's own linter of the exposition format.
  if (have_tool("/usr/bin/promtool")) {
    TempFile text(after, ".prom");
    auto lint = run({"sh", "-c", "promtool check metrics < " + text.path()});
    EXPECT_TRUE(lint.ok()) << lint.describe() << "\n" << after;
  } else {
    ADD_FAILURE() << "needs promtool (Debian: prometheus)";
  }

  // Only GET /metrics.
  auto other = net_->server.run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                 "--max-time", "5", "http://" + kListen + "/"});
  EXPECT_EQ(other.out, "404");

  // The server thread holds no capability the daemon dropped.
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(daemon.pid()) + "/task")) {
    std::ifstream in(task.path() / "status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("CapEff:", 0) == 0) {
        EXPECT_THAT(line, HasSubstr("0000000000001000"));
      }
    }
  }

  // SIGTERM ends it, endpoint and all, within a bound, with an idle
  // keep-alive connection open to the endpoint (bash says when it is open:
  // a stop before that would not test the connection at all).
  Process& idle = net_->server.spawn(
      {"bash", "-c",
       "exec 3<>/dev/tcp/" + std::string(Addr::router_s_v4) + "/9469; echo open; exec sleep 30"});
  ASSERT_TRUE(poll_until([&] { return idle.out() == "open\n"; }, Millis(10'000))) << idle.err();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(scrape(), "") << "the endpoint outlived the daemon";
}

TEST_F(DaemonMetricsTest, SweepGoesToTheEventsFileWhichFollowsLogrotate) {
  if (!have_tool("/usr/bin/nmap")) GTEST_SKIP() << "needs nmap (Debian: nmap)";
  const std::string eve = dir_ + "/eve.json";
  Daemon daemon(net_->router,
                {{"--policy", policy_->path(), "--metrics-listen", kListen, "--events-file", eve}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  sweep_from(Addr::client_v4);
  // One line per detection: as many as the daemon's own detection events.
  // The file's writer is a thread of its own, behind the event lines on
  // stdout: poll until it has caught up with them (the file is read first,
  // so a line can never be counted ahead of its event).
  std::vector<nlohmann::json> lines;
  size_t detected = 0;
  ASSERT_TRUE(poll_until(
      [&] {
        lines = eve_lines(eve);
        detected = detections(daemon.out());
        return has_src(lines, Addr::client_v4) && lines.size() >= detected;
      },
      Millis(5'000)))
      << lines.size() << " lines for " << detected << " detections\n"
      << daemon.out();
  EXPECT_EQ(lines.size(), detected);
  const auto& j = lines.front();
  EXPECT_EQ(j["event_type"], "alert");
  EXPECT_TRUE(std::regex_match(j["timestamp"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4})")))
      << j;
  EXPECT_EQ(j["src_ip"], Addr::client_v4);
  EXPECT_THAT(j["dest_ip"].get<std::string>(), HasSubstr("198.18.2."));
  EXPECT_EQ(j["proto"], "ICMP");
  EXPECT_EQ(j["icmp_type"], 8);
  EXPECT_EQ(j["icmp_code"], 0);
  EXPECT_EQ(j["in_iface"], Topology::router_client_if);
  EXPECT_EQ(j["alert"]["category"], "Detection of a Network Scan");
  EXPECT_EQ(j["alert"]["signature_id"], 9100002);
  EXPECT_TRUE(j["alert"]["action"] == "blocked" || j["alert"]["action"] == "allowed") << j;
  EXPECT_EQ(j["icmpwall"]["reason"], "sweep");
  // Python's json module reads every line, as a SIEM's shipper would.
  auto py =
      run({"python3", "-c", "import json,sys\nfor l in open(sys.argv[1]): json.loads(l)\n", eve});
  EXPECT_TRUE(py.ok()) << py.describe();

  // The endpoint now shows every metric the Grafana dashboard queries
  // (CrowdSec's only with CrowdSec: CrowdSecTest checks those). The line
  // count is taken after each write, so it may trail the file for a moment.
  std::string text;
  poll_until(
      [&] {
        text = scrape();
        return sample(text, "icmpwall_events_file_lines_total") ==
               static_cast<double>(lines.size());
      },
      Millis(5'000));
  const auto declared = metric_families(text);
  const auto used = dashboard_metrics();
  EXPECT_GE(used.size(), 8u);
  for (const auto& name : used) {
    if (!name.starts_with("icmpwall_crowdsec_")) {
      EXPECT_TRUE(declared.count(name)) << name << " is not scraped";
    }
  }
  EXPECT_EQ(sample(text, "icmpwall_events_file_lines_total"), static_cast<double>(lines.size()));
  EXPECT_EQ(sample(text, "icmpwall_events_file_dropped_total"), 0);

  // logrotate: move the file, SIGHUP; the daemon reloads and reopens.
  ASSERT_EQ(std::rename(eve.c_str(), (eve + ".1").c_str()), 0);
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_out(R"("event":"reload","ok":true)")) << daemon.err();
  ASSERT_TRUE(std::filesystem::exists(eve)) << "the path is opened again at once";
  sweep_from(Addr::client2_v4);
  ASSERT_TRUE(poll_until([&] { return has_src(eve_lines(eve), Addr::client2_v4); }, Millis(5'000)))
      << daemon.out();
  EXPECT_FALSE(has_src(eve_lines(eve + ".1"), Addr::client2_v4))
      << "a detection after the SIGHUP went to the moved file";
  EXPECT_FALSE(has_src(eve_lines(eve), Addr::client_v4));
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

}  // namespace
}  // namespace icmpwall::integration
