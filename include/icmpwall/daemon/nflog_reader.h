// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's NFLOG reader: the packets a policy's `log` statements send to
// NFLOG groups ([icmpwall] log-group) become structured events.
//
// NflogHandler turns the bytes of one netlink datagram into events: each
// packet message is parsed (nflog_messages.h), matched to its rule by group
// and prefix (nflog_events.h), decoded with the inspection decoder (cut
// packets allowed: only headers are copied), counted per rule, family and
// type, and handed to the sink, at most `events_per_second` a second (a
// token bucket of as many): the kernel's per-rule limit bounds each rule,
// this bounds them all. What is over the bound is counted, not written.
// Nothing in a message can make it throw or read out of bounds; a message
// that does not parse is counted as malformed.
//
// NflogReader owns one netlink socket (util/mnl_socket.h) bound to a fixed
// set of groups, and one thread reading it in bounded reads (a receive
// timeout, so a stop is seen within kNflogPollMs). ENOBUFS (the kernel
// dropped messages because the socket's buffer was full) is counted and
// reading goes on. Closing the socket unbinds its groups.
//
// NflogListener is what the daemon holds across reloads: follow(policy)
// binds the policy's groups (a changed set of groups gets a new socket,
// an unchanged one keeps reading with the new rules), and its counters add
// up over every reader it had.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <tuple>

#include "icmpwall/daemon/nflog_events.h"
#include "icmpwall/util/mnl_socket.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr int kNflogPollMs = 200;
// At most this many (rule, family, type) counters; more fold into rule
// "other".
inline constexpr size_t kMaxNflogLabels = 1024;
inline constexpr uint32_t kDefaultNflogEventsPerSecond = 100;

struct NflogCounters {
  uint64_t received = 0;      // packet messages read
  uint64_t events = 0;        // handed to the sink
  uint64_t suppressed = 0;    // over the daemon's event rate: counted only
  uint64_t overflows = 0;     // ENOBUFS: the kernel dropped messages for us
  uint64_t malformed = 0;     // messages that did not parse
  uint64_t undecoded = 0;     // payloads that did not decode as ICMP
  uint64_t unknown_rule = 0;  // prefixes no rule of the policy uses
  uint64_t recv_errors = 0;   // other failed reads
  // (rule, family, ICMP type) -> packets logged.
  std::map<std::tuple<std::string, policy::Family, uint8_t>, uint64_t> packets;
};

// The plain counters, in order: the stats document's key, the member, the
// metric and its help. Summing and reporting both go through this list.
struct NflogCounterField {
  const char* key;
  uint64_t NflogCounters::*field;
  const char* metric;
  const char* help;
};
inline constexpr NflogCounterField kNflogCounterFields[] = {
    {"received", &NflogCounters::received, "nflog_packets_total",
     "Packets a policy `log` sent to an NFLOG group that the daemon read."},
    {"events", &NflogCounters::events, "nflog_events_total", "NFLOG packets written as events."},
    {"suppressed", &NflogCounters::suppressed, "nflog_events_suppressed_total",
     "NFLOG packets over nflog_events_per_second: counted, not written."},
    {"overflows", &NflogCounters::overflows, "nflog_overflows_total",
     "Times the NFLOG socket overflowed (ENOBUFS) and the kernel dropped messages."},
    {"malformed", &NflogCounters::malformed, "nflog_malformed_total",
     "NFLOG messages that did not parse."},
    {"undecoded", &NflogCounters::undecoded, "nflog_undecoded_total",
     "NFLOG packets whose bytes did not decode as ICMP."},
    {"unknown_rule", &NflogCounters::unknown_rule, "nflog_unknown_rule_total",
     "NFLOG packets with a prefix no rule of the policy uses."},
    {"recv_errors", &NflogCounters::recv_errors, "nflog_receive_errors_total",
     "Failed reads of the NFLOG socket."},
};
void add_counters(NflogCounters& total, const NflogCounters& more);

using NflogSink = std::function<void(const NflogEvent&)>;

class NflogHandler {
 public:
  using Clock = std::chrono::steady_clock;
  NflogHandler(NflogSources sources, uint32_t events_per_second, NflogSink sink);

  // Every message of one datagram; bytes past the last whole message are
  // ignored. NLMSG_ERROR messages are returned (seq, errno) for the binder.
  std::vector<std::pair<uint32_t, int>> datagram(std::span<const uint8_t> bytes,
                                                 Clock::time_point now = Clock::now());
  void set_sources(NflogSources sources);
  void count_overflow();
  void count_recv_error();
  NflogCounters counters() const;

 private:
  void packet(const NflogPacket& m, Clock::time_point now);
  bool take_token(Clock::time_point now);

  NflogSink sink_;
  const double rate_;  // tokens per second, and the bucket's size
  mutable std::mutex mutex_;
  NflogSources sources_;
  NflogCounters counters_;
  double tokens_;
  Clock::time_point refilled_{};
};

class NflogReader {
 public:
  // Opens the socket in the calling thread's namespace and binds `groups`
  // (an Error names the group the kernel refused, e.g. one another
  // process reads). No thread yet: start().
  static Result<std::unique_ptr<NflogReader>> open(const std::set<uint16_t>& groups,
                                                   NflogSources sources, uint32_t events_per_second,
                                                   NflogSink sink);
  ~NflogReader();
  NflogReader(const NflogReader&) = delete;
  NflogReader& operator=(const NflogReader&) = delete;

  void start();
  const std::set<uint16_t>& groups() const { return groups_; }
  uint32_t events_per_second() const { return events_per_second_; }
  NflogHandler& handler() { return handler_; }
  const NflogHandler& handler() const { return handler_; }

 private:
  NflogReader(std::set<uint16_t> groups, NflogSources sources, uint32_t events_per_second,
              NflogSink sink);
  Result<void> bind(uint16_t group);
  void run();

  const std::set<uint16_t> groups_;
  const uint32_t events_per_second_;
  NflogHandler handler_;
  MnlSocket sock_;
  std::vector<uint8_t> buf_;
  uint32_t seq_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class NflogListener {
 public:
  NflogListener(uint32_t events_per_second, NflogSink sink)
      : events_per_second_(events_per_second), sink_(std::move(sink)) {}
  // The policy's groups bound, read by a running thread; none: no reader.
  // On an Error the previous reader is gone too (its groups may be the
  // ones refused).
  Result<void> follow(const policy::Policy& p);
  void set_events_per_second(uint32_t n) { events_per_second_ = n; }
  void stop();
  std::set<uint16_t> groups() const;
  // None while no group was ever bound.
  std::optional<NflogCounters> counters() const;

 private:
  uint32_t events_per_second_;
  NflogSink sink_;
  mutable std::mutex mutex_;  // reader_ (follow/stop) against counters()
  std::unique_ptr<NflogReader> reader_;
  std::optional<NflogCounters> retired_;
};

}  // namespace icmpwall::daemon
