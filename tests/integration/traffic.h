// SPDX-License-Identifier: GPL-2.0-or-later
// Real traffic between the test namespaces, with the standard tools:
// iputils ping, traceroute (UDP and ICMP probes), a TCP bulk transfer with
// OpenBSD netcat. Each is bounded in time and count, and returns what a
// test asserts on, together with the command's full result for messages.
#pragma once

#include <string>
#include <vector>

#include "netns.h"

namespace icmpwall::integration {

struct PingResult {
  int transmitted = -1;
  int received = -1;
  CommandResult cmd;
  std::string describe() const { return cmd.describe(); }
};

// `ping -n <options> dst` from `from`; options default to three echo
// requests 0.2 s apart, one second's wait for the last reply.
PingResult ping(const Netns& from, const std::string& dst,
                const Argv& options = {"-c", "3", "-i", "0.2", "-W", "1"},
                Millis timeout = Millis(30'000));

// The statistics of a finished ping (run or spawned).
PingResult parse_ping(CommandResult cmd);
// The output of a spawned ping that has ended, as a CommandResult.
CommandResult finished(Process& p);

enum class TraceMode { udp, icmp };

struct TraceResult {
  // hops[i] is the address that answered the probe with TTL i+1, or "*".
  std::vector<std::string> hops;
  CommandResult cmd;
  std::string describe() const { return cmd.describe(); }
};

// traceroute -n, one probe per hop, at most `max_hops` hops.
TraceResult traceroute(const Netns& from, const std::string& dst, TraceMode mode, int max_hops = 4);

struct TransferResult {
  bool completed = false;  // the receiver got every byte, intact, and both ends closed
  size_t received = 0;     // bytes the receiver got
  Millis elapsed{0};
  CommandResult sender;
  std::string describe() const;
};

// Sends `bytes` pseudo-random bytes over TCP from `sender` to
// `receiver_addr:port` (a netcat listener in `receiver`), giving up after
// `timeout`.
TransferResult tcp_transfer(Netns& sender, Netns& receiver, const std::string& receiver_addr,
                            size_t bytes, Millis timeout, int port = 5001);

// The same through a relay: the receiver listens on `listen_addr:listen_port`
// and the sender connects to `connect_addr:connect_port` (a tunnel's local
// end that forwards to the listener).
TransferResult tcp_transfer_via(Netns& sender, const std::string& connect_addr, int connect_port,
                                Netns& receiver, const std::string& listen_addr, int listen_port,
                                size_t bytes, Millis timeout);

}  // namespace icmpwall::integration
