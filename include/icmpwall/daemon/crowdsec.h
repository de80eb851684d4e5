// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's CrowdSec client: its blocks out as alerts, the fleet's
// decisions in, over the local API (LAPI), in a thread of its own.
//
// Push (crowdsec_machine_id + crowdsec_machine_password_file): every block
// the daemon makes (push(), called by the block callback after the kernel
// took the prefix) is queued — at most kMaxQueuedAlerts, the oldest
// dropped and counted beyond that, so a queue worker never waits on HTTP —
// and sent as an alert with one ban decision (crowdsec_alert.h) after a
// watcher login (POST /v1/watchers/login; the token is renewed when the
// API refuses it).
//
// Pull (crowdsec_bouncer_key_file): every poll interval, GET
// /v1/decisions/stream (startup=true the first time, then what changed),
// X-Api-Key the bouncer key. Ban decisions of scope Ip and Range, both
// families, go into the table's blocked-source sets (the same ones the
// engine's blocks go into, matched only on the ICMP paths of the table),
// with the decision's remaining duration as the element's timeout;
// deleted decisions leave the sets (crowdsec_decision_table.h says what
// happens when a local block names the same prefix). A decision is
// refused (counted, one event) when its prefix is broader than
// kMinRangeV4/kMinRangeV6, holds one of this host's addresses or routers,
// overlaps a never-block prefix, or is loopback, multicast, link-local or
// unspecified. Pulled decisions are never pushed back: only the engine's
// own blocks are pushed.
//
// Loss of the API never stops filtering: a failed call is counted, logged
// and reported by one event when the API becomes unreachable (and one when
// it answers again); calls are retried with exponential backoff from one
// poll interval up to kMaxBackoffIntervals of them (at most 5 minutes);
// decisions already applied stay in the kernel until their timeout.
//
// Every call has connect, read and write timeouts; answer bodies are
// bounded (kMaxStreamBytes for the stream, kMaxReplyBytes otherwise) and
// parsed without trusting them; the thread catches whatever escapes one
// round at its edge and goes on. Credentials are read from their files
// once, at open(), bounded (kMaxCredentialBytes), one line of printable
// ASCII.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "icmpwall/daemon/backoff.h"
#include "icmpwall/daemon/config.h"
#include "icmpwall/daemon/crowdsec_alert.h"
#include "icmpwall/daemon/crowdsec_decision_table.h"
#include "icmpwall/daemon/systemd.h"
#include "icmpwall/http/module.h"
#include "icmpwall/inspect/engine.h"
#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr size_t kMaxQueuedAlerts = 1024;
inline constexpr size_t kMaxAlertsPerPost = 64;
inline constexpr size_t kMaxReplyBytes = 64 * 1024;
inline constexpr size_t kMaxCredentialBytes = 4096;
inline constexpr uint8_t kMinRangeV4 = 16;
inline constexpr uint8_t kMinRangeV6 = 32;
inline constexpr unsigned kMaxBackoffIntervals = 8;
inline constexpr std::chrono::seconds kConnectTimeout{3};
inline constexpr std::chrono::seconds kIoTimeout{5};
inline constexpr size_t kMaxCaFileBytes = 1 << 20;

struct CrowdSecCounters {
  bool connected = false;       // the last call to the API succeeded
  uint64_t decisions = 0;       // prefixes held from CrowdSec decisions
  uint64_t alerts_sent = 0;     // alerts the API accepted
  uint64_t alerts_dropped = 0;  // alerts dropped: queue full
  uint64_t api_failures = 0;    // calls that failed (connection, timeout, status, body)
  uint64_t decisions_added = 0;
  uint64_t decisions_deleted = 0;
  uint64_t decisions_refused = 0;  // malformed, too broad, protected, or no room
  uint64_t kernel_failures = 0;    // set changes the kernel refused
};

// The credential in file `path`: its one line, without the newline.
Result<std::string> read_credential(const std::string& path);

class CrowdSec {
 public:
  struct Sinks {
    std::function<void(const std::string&)> event;  // one JSON line
    std::function<void(Priority, const std::string&)> log;
  };

  // Reads the credentials; nothing is sent before start().
  static Result<std::unique_ptr<CrowdSec>> open(const CrowdSecConfig& config, Sinks sinks,
                                                std::shared_ptr<inspect::RouteView> routes);
  ~CrowdSec();

  // The thread, applying decisions to the sets of table inet `table`.
  void start(const std::string& table, std::vector<inspect::BlockConfig::Prefix> never_block);
  // Any thread; never waits on the network.
  void push(const inspect::BlockedPrefix& prefix, std::chrono::seconds period,
            const std::string& reason);
  // After a reload: the (possibly new) table, and every decision applied again.
  void reloaded(const std::string& table, std::vector<inspect::BlockConfig::Prefix> never_block);
  // Ends the thread (an HTTP call in flight is cut off).
  void stop();
  CrowdSecCounters counters() const;

 private:
  CrowdSec(CrowdSecConfig config, Sinks sinks, std::shared_ptr<inspect::RouteView> routes);
  void run();
  void round();
  bool send_alerts(std::string& error);
  bool login(std::string& error);
  bool poll(std::string& error);
  void apply(const StreamUpdate& update);
  // Why the prefix may not be blocked, or null.
  const char* refusal(const inspect::BlockedPrefix& p);
  void apply_kernel_changes();
  void succeeded();
  void failed(const char* call, const std::string& error);
  void event(const std::string& line);
  void log(Priority p, const std::string& message);

  struct Reply {
    int status = 0;
    std::string body;
  };
  Result<Reply> call(const char* method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body, size_t max_bytes);

  const CrowdSecConfig config_;
  const Sinks sinks_;
  const std::shared_ptr<inspect::RouteView> routes_;
  std::string bouncer_key_, machine_password_;
  std::string token_;
  bool pulled_once_ = false;
  Backoff backoff_;
  std::chrono::steady_clock::time_point retry_at_{}, next_poll_{};
  bool failing_ = false;
  bool reported_down_ = false;
  std::vector<inspect::BlockConfig::Prefix> never_block_now_;  // the thread's copy

  mutable std::mutex mutex_;  // everything below
  std::condition_variable wake_;
  bool stopping_ = false;
  bool kernel_work_ = false;  // a reload or a local block: apply the changes now
  std::string table_;
  std::vector<inspect::BlockConfig::Prefix> never_block_;
  std::deque<LocalBlock> queued_;
  DecisionTable decisions_;
  CrowdSecCounters counters_;
  std::unique_ptr<http::Client> http_;  // guarded for stop(); used by the thread
  std::thread thread_;
};

}  // namespace icmpwall::daemon
