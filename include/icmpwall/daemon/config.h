// SPDX-License-Identifier: GPL-2.0-or-later
// The service's own configuration: /etc/icmpwall/icmpwall.toml.
//
//   policy = "/usr/share/icmpwall/policies/host.toml"  # relative: to this file
//   strict = false            # lint warnings refuse the policy
//   queue_mode = "auto"       # auto | native | compat
//   copy_range = 1500         # 64..65531
//   on_stop = "keep"          # keep | flush
//   stats_socket = "/run/icmpwall/stats.sock"   # "" disables it
//   metrics_listen = "127.0.0.1:9469"   # HTTP /metrics; absent: none
//   events_file = "/var/log/icmpwall/eve.json"  # eve-style events; absent: none
//   crowdsec_url = "http://127.0.0.1:8080"      # CrowdSec local API; absent: none
//   crowdsec_bouncer_key_file = "/etc/icmpwall/crowdsec-bouncer.key"   # pull decisions
//   crowdsec_machine_id = "router1"             # push alerts, with:
//   crowdsec_machine_password_file = "/etc/icmpwall/crowdsec-machine.password"
//   crowdsec_poll_interval = 10                 # seconds between pulls, 1..3600
//   crowdsec_ca_file = "/etc/icmpwall/crowdsec-ca.pem"  # https: the CAs trusted
//   nflog_events_per_second = 100  # NFLOG log events written, at most (1..1000000)
//   busy_poll_us = 0          # workers spin this long after a packet (0..1000000); 0: off
//   drift_check_interval = 60 # seconds between drift checks (0..86400); 0: off
//
// Every key is optional except `policy`. Errors are diagnostics with the
// file's line and column; an unknown key is an error with a did-you-mean
// hint, so a misspelled setting never silently falls back to its default.
// The file must be a regular file of at most 1 MiB (kMaxConfigBytes).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "icmpwall/netlink/apply.h"
#include "icmpwall/util/diagnostics.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr const char* kDefaultConfigPath = "/etc/icmpwall/icmpwall.toml";
inline constexpr const char* kDefaultStatsSocket = "/run/icmpwall/stats.sock";
// A config is a few lines; anything larger is not one (and /dev/zero is
// not read at all: only regular files are, util/file.h).
inline constexpr size_t kMaxConfigBytes = 1 << 20;

enum class OnStop { keep, flush };

// Where the metrics endpoint listens: a literal IPv4 or IPv6 address (no
// host names: nothing is resolved) and a port.
struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1"
  uint16_t port = 0;
  bool operator==(const ListenAddress&) const = default;
};

// "198.18.0.1:9469" or "[2001:db8::1]:9469"; an Error says what is wrong.
Result<ListenAddress> parse_listen_address(std::string_view text);
std::string to_string(const ListenAddress& a);  // back to ADDR:PORT

// A CrowdSec local API URL: http:// or https://, a literal address (no
// host names: nothing is resolved) and a port, nothing after but "/".
struct LapiUrl {
  bool https = false;
  ListenAddress at;
};
Result<LapiUrl> parse_lapi_url(std::string_view text);

// The CrowdSec local API (crowdsec.h). Credentials only ever come from
// files: the bouncer's API key (pulls decisions) and the machine's
// password (pushes alerts); either or both.
struct CrowdSecConfig {
  std::string url;  // empty: no CrowdSec
  std::string bouncer_key_file;
  std::string machine_id;
  std::string machine_password_file;
  std::chrono::seconds poll_interval{10};
  // The PEM certificates trusted for an https:// url instead of the
  // system's store (/etc/ssl/certs); empty: the system's store. The
  // server's certificate is always verified, its name or address too.
  std::string ca_file;
  bool operator==(const CrowdSecConfig&) const = default;
};
inline constexpr std::chrono::seconds kMaxPollInterval{3600};
// What is missing or contradictory in `c` (a URL without credentials,
// credentials without a URL, a machine id without its password file, ...),
// or empty when it is usable.
std::string crowdsec_config_error(const CrowdSecConfig& c);

struct DaemonConfig {
  std::string policy;  // absolute, or relative to the working directory
  bool strict = false;
  std::optional<netlink::QueueMode> queue_mode;  // none: auto (probe)
  uint32_t copy_range = 1500;
  OnStop on_stop = OnStop::keep;
  std::string stats_socket = kDefaultStatsSocket;  // empty: no socket
  std::optional<ListenAddress> metrics_listen;     // none: no HTTP endpoint
  std::string events_file;                         // empty: no eve-style file
  CrowdSecConfig crowdsec;
  uint32_t nflog_events_per_second = 100;  // the bound on `log` events (NFLOG)
  // Queue workers keep reading without sleeping this long after a packet
  // (queue/worker.h); 0: off. Burns CPU while packets keep coming.
  uint32_t busy_poll_us = 0;
  // The live table compared with the policy (drift_watch.h) this often,
  // and a second after reloads; 0: never.
  std::chrono::seconds drift_check_interval{60};
};
inline constexpr uint32_t kMaxBusyPollUs = 1'000'000;
inline constexpr std::chrono::seconds kMaxDriftCheckInterval{86400};

// Parses a config file's text; `path` names it in diagnostics and anchors
// a relative policy path. Empty (with errors in `diags`) when it is bad.
std::optional<DaemonConfig> parse_config_text(const std::string& path, std::string text,
                                              Diagnostics& diags);
std::optional<DaemonConfig> parse_config_file(const std::string& path, Diagnostics& diags);

std::string_view to_string(OnStop s);

}  // namespace icmpwall::daemon
