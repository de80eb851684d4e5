// SPDX-License-Identifier: GPL-2.0-or-later
// The stats document and its Prometheus rendering: names, one HELP/TYPE
// per family, labels and their escaping, counters summed over reloads.
#include "icmpwall/daemon/stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "icmpwall/util/json_text.h"

namespace icmpwall::daemon {
namespace {

using ::testing::HasSubstr;

StatsInput sample_input() {
  StatsInput in;
  in.uptime = std::chrono::seconds(42);
  in.reloads = 2;
  in.reload_failures = 1;
  in.policy = "/etc/icmpwall/host.toml";
  in.table = "icmpwall";
  in.engine.packets = 10;
  in.engine.passed = 7;
  in.engine.dropped = 3;
  in.engine.reasons = {{"tunnel", 3}, {"sweep", 1}};
  queue::Counters q0;
  q0.received = 6;
  q0.enobufs = 1;
  queue::Counters q1;
  q1.received = 4;
  in.queues = {{0, q0}, {1, q1}};
  in.types = {
      {policy::Family::ipv4, 8, 9}, {policy::Family::ipv6, 128, 1}, {policy::Family::ipv4, 250, 2}};
  return in;
}

TEST(StatsJson, CarriesEveryCounter) {
  auto j = stats_json(sample_input());
  EXPECT_EQ(j["schema"], 1);
  EXPECT_EQ(j["uptime_s"], 42);
  EXPECT_EQ(j["reloads"], 2);
  EXPECT_EQ(j["verdicts"]["drop"], 3);
  EXPECT_EQ(j["reasons"]["tunnel"], 3);
  EXPECT_EQ(j["queues"][0]["queue"], 0);
  EXPECT_EQ(j["queues"][0]["enobufs"], 1);
  EXPECT_EQ(j["types"][0]["type"], "echo-request");
  EXPECT_EQ(j["types"][1]["type"], "echo-request");
  EXPECT_EQ(j["types"][1]["family"], "ipv6");
  EXPECT_EQ(j["types"][2]["type"], "250");  // unnamed: the number
}

// A policy path is whatever bytes the file system allows; nlohmann's
// dump() throws on invalid UTF-8, and on the stats thread that ended the
// daemon. json_text() shows each bad byte as U+FFFD.
TEST(StatsJson, PolicyPathThatIsNotUtf8StillRenders) {
  auto in = sample_input();
  in.policy = "/etc/icmpwall/\xff\xfe.toml";
  const auto j = stats_json(in);
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error) << "what the daemon used to call";
  std::string text;
  ASSERT_NO_THROW(text = json_text(j));
  EXPECT_EQ(nlohmann::json::parse(text)["policy"], "/etc/icmpwall/\xef\xbf\xbd\xef\xbf\xbd.toml");
  EXPECT_THAT(render_prometheus(nlohmann::json::parse(text)), HasSubstr("icmpwall_info{policy="));
}

// What `icmpwall reload` reads: whether a reload runs, and the last
// refusal's reason only while it stands. The reason, a multi-line text from
// a policy, never reaches the Prometheus rendering.
TEST(StatsJson, ReloadingAndTheLastRefusal) {
  auto in = sample_input();
  auto j = stats_json(in);
  EXPECT_EQ(j["reloading"], false);
  EXPECT_FALSE(j.contains("last_reload_error"));
  in.reloading = true;
  in.last_reload_error = "p.toml:6:10: error: unknown ICMP type 'echo-requets'\n\"}\n1 error(s)";
  j = nlohmann::json::parse(json_text(stats_json(in)));
  EXPECT_EQ(j["reloading"], true);
  EXPECT_EQ(j["last_reload_error"], in.last_reload_error);
  const auto text = render_prometheus(j);
  EXPECT_EQ(text, render_prometheus(stats_json(sample_input())));
  EXPECT_EQ(text.find("echo-requets"), std::string::npos);
}

TEST(Prometheus, SamplesWithLabels) {
  const auto text = render_prometheus(stats_json(sample_input()));
  EXPECT_THAT(text, HasSubstr("icmpwall_reloads_total 2\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_detections_total{reason=\"tunnel\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_verdicts_total{verdict=\"drop\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_queue_received_total{queue=\"1\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_queue_enobufs_total{queue=\"0\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("icmpwall_icmp_packets_total{family=\"ipv4\",type=\"echo-request\"} 9\n"));
  EXPECT_THAT(text,
              HasSubstr("icmpwall_icmp_packets_total{family=\"ipv6\",type=\"echo-request\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_uptime_seconds 42\n"));
}

// The exposition format's rules, line by line.
TEST(Prometheus, OneHelpAndTypePerFamilyBeforeItsSamples) {
  const auto text = render_prometheus(stats_json(sample_input()));
  const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  std::set<std::string> typed, helped;
  std::map<std::string, std::string> type_of;
  std::string current;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(helped.insert(name).second) << "second HELP for " << name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto name = rest.substr(0, rest.find(' '));
      auto type = rest.substr(rest.find(' ') + 1);
      EXPECT_TRUE(typed.insert(name).second) << "second TYPE for " << name;
      EXPECT_TRUE(type == "counter" || type == "gauge") << line;
      type_of[name] = type;
      EXPECT_TRUE(helped.count(name)) << "TYPE before HELP for " << name;
      current = name;
      continue;
    }
    auto name = line.substr(0, line.find_first_of("{ "));
    EXPECT_TRUE(std::regex_match(name, name_re)) << line;
    EXPECT_EQ(name.rfind("icmpwall_", 0), 0u) << line;
    EXPECT_EQ(name, current) << "sample outside its family: " << line;
    if (name.ends_with("_total")) {
      EXPECT_EQ(type_of[name], "counter") << line;
    }
  }
  EXPECT_EQ(typed, helped);
  EXPECT_TRUE(typed.count("icmpwall_queue_received_total"));
}

TEST(Prometheus, LabelValuesAreEscaped) {
  auto in = sample_input();
  in.policy = "/etc/a\"b\\c\nd.toml";
  const auto text = render_prometheus(stats_json(in));
  EXPECT_THAT(text,
              HasSubstr(R"(icmpwall_info{policy="/etc/a\"b\\c\nd.toml",table="icmpwall"} 1)"));
}

TEST(Prometheus, EmptyDocumentStillHasUp) {
  const auto text = render_prometheus(nlohmann::json::object());
  EXPECT_THAT(text, HasSubstr("icmpwall_up 1\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_reloads_total 0\n"));
  EXPECT_EQ(text.find("detections_total{"), std::string::npos);
}

TEST(Prometheus, BuildInfoLastReloadAndEventsFile) {
  auto in = sample_input();
  in.version = "1.2.3";
  in.last_reload = std::chrono::system_clock::time_point(std::chrono::seconds(1796499524));
  in.events_file = std::pair<uint64_t, uint64_t>{5, 2};
  const auto j = stats_json(in);
  EXPECT_EQ(j["version"], "1.2.3");
  EXPECT_EQ(j["last_reload_unix"], 1796499524);
  EXPECT_EQ(j["events_file"]["dropped"], 2);
  const auto text = render_prometheus(j);
  EXPECT_THAT(
      text,
      HasSubstr("# TYPE icmpwall_build_info gauge\nicmpwall_build_info{version=\"1.2.3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE icmpwall_last_reload_timestamp_seconds gauge\n"
                              "icmpwall_last_reload_timestamp_seconds 1796499524\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_events_file_lines_total 5\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_events_file_dropped_total 2\n"));
}

// The NFLOG reader's counters: a document section, and metrics per rule,
// family and type (bounded labels), plus the overflow and rate counters.
TEST(Prometheus, NflogCounters) {
  auto in = sample_input();
  NflogCounters n;
  n.received = 7;
  n.events = 5;
  n.suppressed = 2;
  n.overflows = 1;
  n.packets[{"no-ts", policy::Family::ipv4, 13}] = 4;
  n.packets[{"default.input", policy::Family::ipv6, 128}] = 3;
  in.nflog = n;
  in.nflog_groups = {3};
  const auto j = stats_json(in);
  EXPECT_EQ(j["nflog"]["groups"], nlohmann::json::array({3}));
  EXPECT_EQ(j["nflog"]["suppressed"], 2);
  EXPECT_EQ(j["nflog"]["packets"].size(), 2u);
  const auto text = render_prometheus(j);
  EXPECT_THAT(text, HasSubstr("# TYPE icmpwall_nflog_packets_total counter\n"
                              "icmpwall_nflog_packets_total 7\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_nflog_events_total 5\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_nflog_events_suppressed_total 2\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_nflog_overflows_total 1\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_nflog_rule_packets_total{rule=\"no-ts\",family=\"ipv4\","
                              "type=\"timestamp-request\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_nflog_rule_packets_total{rule=\"default.input\",family="
                              "\"ipv6\",type=\"echo-request\"} 3\n"));
  // Without a group, no section and no metrics.
  EXPECT_EQ(render_prometheus(stats_json(sample_input())).find("nflog"), std::string::npos);
}

// The drift checks: counters at once, the gauge per kind only once a
// check has said something (before it, 0 would claim "no drift").
TEST(Prometheus, DriftGaugeAfterTheFirstCheck) {
  auto in = sample_input();
  in.drift = DriftCounters{.interval = std::chrono::seconds(60)};
  auto j = stats_json(in);
  EXPECT_EQ(j["drift"]["interval_s"], 60);
  EXPECT_FALSE(j["drift"].contains("last_check_unix"));
  auto text = render_prometheus(j);
  EXPECT_THAT(text, HasSubstr("icmpwall_drift_checks_total 0\n"));
  EXPECT_EQ(text.find("icmpwall_drift{"), std::string::npos) << text;

  in.drift = DriftCounters{
      .checks = 3,
      .failures = 1,
      .missing = 2,
      .extra = 1,
      .differs = 0,
      .overrides = 4,
      .last_check = std::chrono::system_clock::time_point(std::chrono::seconds(1796499524)),
      .interval = std::chrono::seconds(60)};
  j = stats_json(in);
  EXPECT_EQ(j["drift"]["last_check_unix"], 1796499524);
  EXPECT_EQ(j["drift"]["overrides"], 4);
  text = render_prometheus(j);
  EXPECT_THAT(text, HasSubstr("# TYPE icmpwall_drift gauge\n"
                              "icmpwall_drift{kind=\"missing\"} 2\n"
                              "icmpwall_drift{kind=\"extra\"} 1\n"
                              "icmpwall_drift{kind=\"differs\"} 0\n"
                              "icmpwall_drift{kind=\"override\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_drift_checks_total 3\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_drift_check_failures_total 1\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_drift_last_check_timestamp_seconds 1796499524\n"));
  // with the checks off, nothing
  EXPECT_EQ(render_prometheus(stats_json(sample_input())).find("drift"), std::string::npos);
}

TEST(Prometheus, OlderDocumentsLeaveTheNewMetricsOut) {
  const auto text = render_prometheus(stats_json(sample_input()));
  EXPECT_EQ(text.find("icmpwall_build_info"), std::string::npos);
  EXPECT_EQ(text.find("icmpwall_last_reload_timestamp_seconds"), std::string::npos);
  EXPECT_EQ(text.find("icmpwall_events_file"), std::string::npos);
}

// Labels have bounded values: never an address, whatever the document
// holds. The label names in use are these and no others.
TEST(Prometheus, OnlyBoundedLabelNames) {
  auto in = sample_input();
  in.version = "1.2.3";
  in.drift = DriftCounters{.checks = 1, .last_check = std::chrono::system_clock::now()};
  const auto text = render_prometheus(stats_json(in));
  const std::set<std::string> allowed = {"family", "type",   "code",  "verdict", "reason", "rule",
                                         "queue",  "policy", "table", "version", "kind"};
  const std::regex label_re(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*")re");
  std::istringstream lines(text);
  std::string line;
  size_t labelled = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) == 0 || line.find('{') == std::string::npos) continue;
    const auto labels = line.substr(line.find('{') + 1, line.rfind('}') - line.find('{') - 1);
    for (std::sregex_iterator it(labels.begin(), labels.end(), label_re), end; it != end; ++it) {
      EXPECT_TRUE(allowed.count((*it)[1])) << line;
      ++labelled;
    }
  }
  EXPECT_GT(labelled, 10u);
}

// The exposition format's escaping, for every character it names, in a
// label value that came from the document.
TEST(Prometheus, EscapesBackslashQuoteAndNewlineOnly) {
  auto in = sample_input();
  in.version = "a\\b\"c\nd\te";
  const auto text = render_prometheus(stats_json(in));
  EXPECT_THAT(text, HasSubstr("icmpwall_build_info{version=\"a\\\\b\\\"c\\nd\te\"} 1\n"));
}

TEST(Counters, AddedAcrossReloads) {
  inspect::EngineCounters total;
  total.packets = 1;
  total.reasons["tunnel"] = 1;
  inspect::EngineCounters more;
  more.packets = 2;
  more.dropped = 2;
  more.reasons = {{"tunnel", 2}, {"sweep", 1}};
  add_counters(total, more);
  EXPECT_EQ(total.packets, 3u);
  EXPECT_EQ(total.dropped, 2u);
  EXPECT_EQ(total.reasons["tunnel"], 3u);
  EXPECT_EQ(total.reasons["sweep"], 1u);

  queue::Counters q, r;
  q.received = 1;
  r.received = 5;
  r.enobufs = 2;
  add_counters(q, r);
  EXPECT_EQ(q.received, 6u);
  EXPECT_EQ(q.enobufs, 2u);
}

TEST(Prometheus, CrowdSecCounters) {
  auto in = sample_input();
  EXPECT_EQ(render_prometheus(stats_json(in)).find("crowdsec"), std::string::npos);
  CrowdSecCounters c;
  c.connected = true;
  c.decisions = 3;
  c.alerts_sent = 4;
  c.api_failures = 2;
  in.crowdsec = c;
  const auto j = stats_json(in);
  EXPECT_EQ(j["crowdsec"]["api_failures"], 2);
  EXPECT_EQ(j["crowdsec"]["connected"], true);
  const auto text = render_prometheus(j);
  EXPECT_THAT(text, HasSubstr("# TYPE icmpwall_crowdsec_up gauge\nicmpwall_crowdsec_up 1\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_crowdsec_decisions 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE icmpwall_crowdsec_api_failures_total counter\n"
                              "icmpwall_crowdsec_api_failures_total 2\n"));
  EXPECT_THAT(text, HasSubstr("icmpwall_crowdsec_alerts_sent_total 4\n"));
}

}  // namespace
}  // namespace icmpwall::daemon
