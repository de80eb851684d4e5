// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon config file: every key, the defaults, bad values with their
// positions, unknown keys with hints, and policy paths relative to the file.
#include "icmpwall/daemon/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace icmpwall::daemon {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  std::optional<DaemonConfig> config;
  std::string diagnostics;
};

Parsed parse(const std::string& text, const std::string& path = "/etc/icmpwall/icmpwall.toml") {
  Diagnostics diags;
  Parsed p;
  p.config = parse_config_text(path, text, diags);
  std::ostringstream out;
  diags.render(out);
  p.diagnostics = out.str();
  return p;
}

TEST(DaemonConfig, DefaultsWithOnlyAPolicy) {
  auto p = parse("policy = \"/usr/share/icmpwall/policies/host.toml\"\n");
  ASSERT_TRUE(p.config) << p.diagnostics;
  EXPECT_EQ(p.config->policy, "/usr/share/icmpwall/policies/host.toml");
  EXPECT_FALSE(p.config->strict);
  EXPECT_FALSE(p.config->queue_mode.has_value());
  EXPECT_EQ(p.config->copy_range, 1500u);
  EXPECT_EQ(p.config->on_stop, OnStop::keep);
  EXPECT_EQ(p.config->stats_socket, "/run/icmpwall/stats.sock");
}

TEST(DaemonConfig, EveryKeySet) {
  auto p = parse(R"(policy = "/p.toml"
strict = true
queue_mode = "compat"
copy_range = 128
on_stop = "flush"
stats_socket = "/tmp/s.sock"
)");
  ASSERT_TRUE(p.config) << p.diagnostics;
  EXPECT_TRUE(p.config->strict);
  EXPECT_EQ(p.config->queue_mode, netlink::QueueMode::compat);
  EXPECT_EQ(p.config->copy_range, 128u);
  EXPECT_EQ(p.config->on_stop, OnStop::flush);
  EXPECT_EQ(p.config->stats_socket, "/tmp/s.sock");
}

TEST(DaemonConfig, QueueModes) {
  EXPECT_EQ(parse("policy = \"/p\"\nqueue_mode = \"native\"\n").config->queue_mode,
            netlink::QueueMode::native);
  EXPECT_FALSE(parse("policy = \"/p\"\nqueue_mode = \"auto\"\n").config->queue_mode.has_value());
}

TEST(DaemonConfig, EmptyStatsSocketDisablesIt) {
  auto p = parse("policy = \"/p\"\nstats_socket = \"\"\n");
  ASSERT_TRUE(p.config) << p.diagnostics;
  EXPECT_TRUE(p.config->stats_socket.empty());
}

TEST(DaemonConfig, RelativePolicyIsRelativeToTheConfigFile) {
  auto p = parse("policy = \"policies/host.toml\"\n", "/etc/icmpwall/icmpwall.toml");
  ASSERT_TRUE(p.config) << p.diagnostics;
  EXPECT_EQ(p.config->policy, "/etc/icmpwall/policies/host.toml");
  EXPECT_EQ(parse("policy = \"../x.toml\"\n", "/etc/icmpwall/icmpwall.toml").config->policy,
            "/etc/x.toml");
}

TEST(DaemonConfig, MissingPolicyIsAnError) {
  auto p = parse("strict = true\n");
  EXPECT_FALSE(p.config);
  EXPECT_THAT(p.diagnostics, HasSubstr("names no policy"));
  EXPECT_FALSE(parse("policy = \"\"\n").config);
}

TEST(DaemonConfig, UnknownKeyHasPositionAndHint) {
  auto p = parse("policy = \"/p\"\non_stopp = \"keep\"\n");
  EXPECT_FALSE(p.config);
  EXPECT_THAT(p.diagnostics, HasSubstr("icmpwall.toml:2:1: error: unknown key 'on_stopp'"));
  EXPECT_THAT(p.diagnostics, HasSubstr("did you mean 'on_stop'?"));
}

TEST(DaemonConfig, UnknownKeyFarFromAllListsThem) {
  auto p = parse("policy = \"/p\"\nxyzzy = 1\n");
  EXPECT_FALSE(p.config);
  EXPECT_THAT(p.diagnostics, HasSubstr("valid keys: policy, strict"));
}

TEST(DaemonConfig, BadValues) {
  struct Case {
    const char* line;
    const char* message;
  } cases[] = {
      {"strict = \"yes\"", "'strict' must be a boolean"},
      {"queue_mode = \"compt\"", "did you mean 'compat'?"},
      {"queue_mode = 3", "'queue_mode' must be a string"},
      {"copy_range = 63", "'copy_range' must be between 64 and 65531, not 63"},
      {"copy_range = 65532", "between 64 and 65531, not 65532"},
      {"copy_range = \"1500\"", "'copy_range' must be an integer"},
      {"on_stop = \"flsh\"", "did you mean 'flush'?"},
      {"stats_socket = false", "'stats_socket' must be a string"},
      {"metrics_listen = \"127.0.0.1\"", "'metrics_listen': '127.0.0.1' is not ADDR:PORT"},
      {"metrics_listen = \"localhost:9469\"", "is not an IPv4 address (host names are not"},
      {"metrics_listen = \"::1:9469\"", "an IPv6 address goes in brackets"},
      {"metrics_listen = \"127.0.0.1:70000\"", "'70000' is not a port"},
      {"metrics_listen = \"127.0.0.1:0\"", "'0' is not a port"},
      {"metrics_listen = 9469", "'metrics_listen' must be a string"},
      {"events_file = \"eve.json\"", "'events_file' must be an absolute path"},
      {"crowdsec_url = \"127.0.0.1:8080\"", "is not an http:// or https:// URL"},
      {"crowdsec_url = \"http://localhost:8080\"", "host names are not resolved"},
      {"crowdsec_url = \"http://127.0.0.1:8080/v1\"", "may not have a path"},
      {"crowdsec_bouncer_key_file = \"key\"", "must be an absolute path"},
      {"crowdsec_machine_password_file = 7", "must be a string"},
      {"crowdsec_poll_interval = 0", "between 1 and 3600 seconds, not 0"},
      {"crowdsec_poll_interval = \"10s\"", "must be an integer (seconds)"},
      {"crowdsec_ca_file = \"ca.pem\"", "'crowdsec_ca_file' must be an absolute path"},
      {"crowdsec_bouncer_key = \"abc\"", "did you mean 'crowdsec_bouncer_key_file'?"},
  };
  for (const auto& c : cases) {
    auto p = parse(std::string("policy = \"/p\"\n") + c.line + "\n");
    EXPECT_FALSE(p.config) << c.line;
    EXPECT_THAT(p.diagnostics, HasSubstr(c.message)) << c.line;
    EXPECT_THAT(p.diagnostics, HasSubstr("icmpwall.toml:2:")) << c.line;
  }
}

TEST(DaemonConfig, PolicyMustBeAString) {
  auto p = parse("policy = 7\n");
  EXPECT_FALSE(p.config);
  EXPECT_THAT(p.diagnostics, HasSubstr("icmpwall.toml:1:10: error: 'policy' must be a string"));
}

TEST(DaemonConfig, NflogEventsPerSecond) {
  EXPECT_EQ(parse("policy = \"/p\"\n").config->nflog_events_per_second, 100u);
  EXPECT_EQ(parse("policy = \"/p\"\nnflog_events_per_second = 1\n").config->nflog_events_per_second,
            1u);
  auto zero = parse("policy = \"/p\"\nnflog_events_per_second = 0\n");
  EXPECT_FALSE(zero.config);
  EXPECT_THAT(zero.diagnostics,
              HasSubstr("icmpwall.toml:2:27: error: 'nflog_events_per_second' must be between 1 "
                        "and 1000000, not 0"));
  auto text = parse("policy = \"/p\"\nnflog_events_per_second = \"9\"\n");
  EXPECT_THAT(text.diagnostics, HasSubstr("'nflog_events_per_second' must be an integer"));
}

TEST(DaemonConfig, BusyPollIsOffByDefaultAndBounded) {
  EXPECT_EQ(parse("policy = \"/p\"\n").config->busy_poll_us, 0u);
  EXPECT_EQ(parse("policy = \"/p\"\nbusy_poll_us = 20000\n").config->busy_poll_us, 20000u);
  EXPECT_EQ(parse("policy = \"/p\"\nbusy_poll_us = 1000000\n").config->busy_poll_us, 1000000u);
  auto big = parse("policy = \"/p\"\nbusy_poll_us = 1000001\n");
  EXPECT_FALSE(big.config);
  EXPECT_THAT(big.diagnostics,
              HasSubstr("icmpwall.toml:2:16: error: 'busy_poll_us' must be between 0 and 1000000 "
                        "microseconds, not 1000001"));
  EXPECT_FALSE(parse("policy = \"/p\"\nbusy_poll_us = -1\n").config);
  auto text = parse("policy = \"/p\"\nbusy_poll_us = true\n");
  EXPECT_THAT(text.diagnostics, HasSubstr("'busy_poll_us' must be an integer (microseconds)"));
}

TEST(DaemonConfig, DriftChecksEveryMinuteByDefaultZeroIsOff) {
  EXPECT_EQ(parse("policy = \"/p\"\n").config->drift_check_interval, std::chrono::seconds(60));
  EXPECT_EQ(parse("policy = \"/p\"\ndrift_check_interval = 0\n").config->drift_check_interval,
            std::chrono::seconds(0));
  EXPECT_EQ(parse("policy = \"/p\"\ndrift_check_interval = 86400\n").config->drift_check_interval,
            std::chrono::seconds(86400));
  auto big = parse("policy = \"/p\"\ndrift_check_interval = 86401\n");
  EXPECT_FALSE(big.config);
  EXPECT_THAT(big.diagnostics, HasSubstr("icmpwall.toml:2:24: error: 'drift_check_interval' must "
                                         "be between 0 and 86400 seconds, not 86401"));
  EXPECT_FALSE(parse("policy = \"/p\"\ndrift_check_interval = -5\n").config);
  auto text = parse("policy = \"/p\"\ndrift_check_interval = \"1m\"\n");
  EXPECT_THAT(text.diagnostics, HasSubstr("'drift_check_interval' must be an integer (seconds)"));
}

TEST(DaemonConfig, BoundsOfCopyRangeAreAccepted) {
  EXPECT_EQ(parse("policy = \"/p\"\ncopy_range = 64\n").config->copy_range, 64u);
  EXPECT_EQ(parse("policy = \"/p\"\ncopy_range = 65531\n").config->copy_range, 65531u);
}

TEST(DaemonConfig, InvalidTomlPointsAtTheLine) {
  auto p = parse("policy = \"/p\"\nstrict = \n");
  EXPECT_FALSE(p.config);
  EXPECT_THAT(p.diagnostics, HasSubstr("icmpwall.toml:2:"));
  EXPECT_THAT(p.diagnostics, HasSubstr("not valid TOML"));
}

TEST(DaemonConfig, UnreadableFile) {
  Diagnostics diags;
  EXPECT_FALSE(parse_config_file("/nonexistent/icmpwall.toml", diags));
  ASSERT_FALSE(diags.empty());
  EXPECT_THAT(diags.items()[0].message, HasSubstr("cannot read the daemon config"));
}

// A device, a FIFO or an oversized file is refused at once with a reason
// (the bounded reader of util/file.h): /dev/zero used to be read forever.
TEST(DaemonConfig, DeviceFifoAndOversizedConfigsAreRefused) {
  Diagnostics zero;
  EXPECT_FALSE(parse_config_file("/dev/zero", zero));
  ASSERT_EQ(zero.items().size(), 1u);
  EXPECT_EQ(zero.items()[0].message,
            "cannot read the daemon config: a character device, not a regular file");

  const std::string fifo = "/tmp/icmpwall-config-fifo-" + std::to_string(getpid());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Diagnostics f;
  EXPECT_FALSE(parse_config_file(fifo, f));
  ::unlink(fifo.c_str());
  ASSERT_EQ(f.items().size(), 1u);
  EXPECT_EQ(f.items()[0].message, "cannot read the daemon config: a FIFO, not a regular file");

  const std::string big = "/tmp/icmpwall-config-big-" + std::to_string(getpid()) + ".toml";
  std::ofstream(big) << "policy = \"/p\"\n" << std::string(kMaxConfigBytes, '#');
  Diagnostics b;
  EXPECT_FALSE(parse_config_file(big, b));
  ::unlink(big.c_str());
  ASSERT_EQ(b.items().size(), 1u);
  EXPECT_EQ(b.items()[0].message,
            "cannot read the daemon config: larger than 1 MiB, the most icmpwall reads here");
}

// metrics_listen and events_file: what they accept, and each bad value as
// an error at its own position.
TEST(DaemonConfig, MetricsListenAndEventsFile) {
  auto p = parse(R"(policy = "/p.toml"
metrics_listen = "[2001:db8::1]:9469"
events_file = "/var/log/icmpwall/eve.json"
)");
  ASSERT_TRUE(p.config) << p.diagnostics;
  ASSERT_TRUE(p.config->metrics_listen);
  EXPECT_EQ(p.config->metrics_listen->host, "2001:db8::1");
  EXPECT_EQ(p.config->metrics_listen->port, 9469);
  EXPECT_EQ(p.config->events_file, "/var/log/icmpwall/eve.json");

  auto none = parse("policy = \"/p.toml\"\n");
  ASSERT_TRUE(none.config);
  EXPECT_FALSE(none.config->metrics_listen) << "no endpoint unless asked for";
  EXPECT_TRUE(none.config->events_file.empty());
}

TEST(ListenAddress, ParsesAndPrintsBothFamilies) {
  auto v4 = parse_listen_address("198.18.0.1:9469");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(v4->host, "198.18.0.1");
  EXPECT_EQ(v4->port, 9469);
  EXPECT_EQ(to_string(*v4), "198.18.0.1:9469");
  auto v6 = parse_listen_address("[::]:65535");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::");
  EXPECT_EQ(to_string(*v6), "[::]:65535");
  for (const char* bad : {"", ":9469", "1.2.3.4:", "1.2.3.4:x", "1.2.3.4:-1", "1.2.3.4:9469 ",
                          "[1.2.3.4]:9469", "[::1:9469", "256.0.0.1:1", "1.2.3.4:+80"})
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
}

TEST(DaemonConfig, CrowdSecKeys) {
  auto p = parse(
      "policy = \"/p\"\n"
      "crowdsec_url = \"http://[::1]:8080/\"\n"
      "crowdsec_bouncer_key_file = \"/etc/icmpwall/bouncer.key\"\n"
      "crowdsec_machine_id = \"router1\"\n"
      "crowdsec_machine_password_file = \"/etc/icmpwall/machine.password\"\n"
      "crowdsec_poll_interval = 3\n"
      "crowdsec_ca_file = \"/etc/icmpwall/crowdsec-ca.pem\"\n");
  ASSERT_TRUE(p.config) << p.diagnostics;
  const auto& c = p.config->crowdsec;
  EXPECT_EQ(c.url, "http://[::1]:8080/");
  EXPECT_EQ(c.bouncer_key_file, "/etc/icmpwall/bouncer.key");
  EXPECT_EQ(c.machine_id, "router1");
  EXPECT_EQ(c.machine_password_file, "/etc/icmpwall/machine.password");
  EXPECT_EQ(c.poll_interval, std::chrono::seconds(3));
  EXPECT_EQ(c.ca_file, "/etc/icmpwall/crowdsec-ca.pem");
  EXPECT_THAT(crowdsec_config_error(c), HasSubstr("not an https:// URL"));
  auto u = parse_lapi_url(c.url);
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->https);
  EXPECT_EQ(to_string(u->at), "[::1]:8080");
  EXPECT_TRUE(parse_lapi_url("https://198.18.0.1:8443")->https);
}

TEST(DaemonConfig, CrowdSecNeedsAUrlAndCredentialsTogether) {
  CrowdSecConfig none;
  EXPECT_EQ(crowdsec_config_error(none), "");
  CrowdSecConfig url_only{"http://127.0.0.1:8080", "", "", "", std::chrono::seconds(10)};
  EXPECT_THAT(crowdsec_config_error(url_only), HasSubstr("neither"));
  CrowdSecConfig key_only{"", "/k", "", "", std::chrono::seconds(10)};
  EXPECT_THAT(crowdsec_config_error(key_only), HasSubstr("no crowdsec_url"));
  CrowdSecConfig id_only{"http://127.0.0.1:8080", "", "router1", "", std::chrono::seconds(10)};
  EXPECT_THAT(crowdsec_config_error(id_only), HasSubstr("needs both"));
  CrowdSecConfig pull{"http://127.0.0.1:8080", "/k", "", "", std::chrono::seconds(10)};
  EXPECT_EQ(crowdsec_config_error(pull), "");
  CrowdSecConfig ca_over_http = pull;
  ca_over_http.ca_file = "/etc/icmpwall/ca.pem";
  EXPECT_THAT(crowdsec_config_error(ca_over_http), HasSubstr("not an https:// URL"));
  CrowdSecConfig ca_over_https = ca_over_http;
  ca_over_https.url = "https://198.18.0.1:8443";
  EXPECT_EQ(crowdsec_config_error(ca_over_https), "");
}

}  // namespace
}  // namespace icmpwall::daemon
