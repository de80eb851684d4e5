// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall daemon` as a test runs it: started in the root namespace with
// --netns, ready when it prints its "ready" event, stopped with SIGTERM
// (what systemd sends) when the test ends.
//
// NotifySocket plays systemd's side of sd_notify: a datagram socket whose
// path the daemon gets as $NOTIFY_SOCKET, collecting what it is told.
#pragma once

#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "netns.h"

namespace icmpwall::integration {

struct DaemonArgs {
  Argv args;                     // after `daemon` (--netns is added)
  std::vector<std::string> env;  // NAME=value, set for the daemon only (env(1))
  Argv wrapper;                  // a command the daemon runs under ({"prlimit", "--as=N"})
};

class Daemon {
 public:
  Daemon(const Netns& ns, const std::string& policy_path);
  Daemon(const Netns& ns, const DaemonArgs& args);
  ~Daemon() { stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Polls its output for the ready event (bounded).
  bool wait_ready();
  // Polls stdout for `text` (bounded). A start or reload closes netfilter
  // sockets, and the kernel may hold each close until an RCU grace period
  // has passed: on a busy machine one reload took over 10 s.
  bool wait_out(const std::string& text, Millis timeout = Millis(30'000));
  // SIGTERM, then the exit code; SIGKILL if it does not end in time.
  std::optional<int> stop();
  // A signal to the daemon (SIGHUP: reload).
  void signal(int sig) { ::kill(proc_.pid(), sig); }
  // SIGKILL: the daemon ends without any cleanup, as in a crash.
  void kill();
  pid_t pid() const { return proc_.pid(); }
  bool running() { return proc_.running(); }
  std::string out() const { return proc_.out(); }
  std::string err() const { return proc_.err(); }

 private:
  Process proc_;
  bool stopped_ = false;
  std::optional<int> exit_;
};

class NotifySocket {
 public:
  NotifySocket();
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }
  // Every datagram received so far, in order (drains the socket first).
  const std::vector<std::string>& messages();
  // Polls until a message contains `text` (a line such as "READY=1").
  bool wait_for(const std::string& text, Millis timeout = Millis(30'000));
  // How many messages contain `text`.
  size_t count(const std::string& text);

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

// True if `tool` exists and is executable.
bool have_tool(const char* tool);

// Inline policies that inspect the way the presets do, failing open when no
// worker listens: a router inspecting forwarded echo requests and replies,
// and a host inspecting its input echo and errors; `icmpwall_keys` (lines)
// go into the host's [icmpwall] table.
extern const char* const kRouterInspectPolicy;
// The daemon tests' host policy: IPv4 echo requests go through queue 0,
// IPv6 echo requests are dropped (line 17 is the last).
extern const char* const kEchoInspectPolicy;
// kEchoInspectPolicy without its rule no-v6-echo: IPv6 echo allowed.
std::string echo_inspect_policy_v6_allowed();
// Its first rule with the type misspelled (line 6): a policy the daemon
// refuses.
extern const char* const kEchoInspectPolicyBad;
std::string host_inspect_policy(const std::string& icmpwall_keys = "");

// The policies of a router's and a server's daemon: the shipped presets
// (router.toml, host.toml) with `presets`, else `router_toml` and
// `server_toml` written to temporary files (kept while this lives).
struct RouterServerPolicies {
  std::string router, server;  // the paths to run
  std::unique_ptr<TempFile> router_file, server_file;
};
RouterServerPolicies router_server_policies(bool presets, const std::string& router_toml,
                                            const std::string& server_toml);

// The listings of icmpwall's blocked-source sets in `ns` that hold any
// element: empty when nobody is blocked.
std::string blocked_sets_with_elements(const Netns& ns);

}  // namespace icmpwall::integration
