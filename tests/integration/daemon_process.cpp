// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon_process.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

#include "harness.h"

namespace icmpwall::integration {
namespace {

Argv daemon_argv(const Netns& ns, const DaemonArgs& a) {
  Argv argv;
  if (!a.env.empty()) {
    argv.push_back("/usr/bin/env");
    argv.insert(argv.end(), a.env.begin(), a.env.end());
  }
  argv.insert(argv.end(), a.wrapper.begin(), a.wrapper.end());
  argv.push_back(icmpwall_binary());
  argv.push_back("daemon");
  argv.insert(argv.end(), a.args.begin(), a.args.end());
  argv.push_back("--netns");
  argv.push_back(ns.name());
  return argv;
}

}  // namespace

Daemon::Daemon(const Netns& ns, const std::string& policy_path)
    : Daemon(ns, DaemonArgs{{"--policy", policy_path}, {}}) {}

Daemon::Daemon(const Netns& ns, const DaemonArgs& args)
    : proc_(Process::start(daemon_argv(ns, args))) {}

bool Daemon::wait_ready() {
  return wait_out("\"event\":\"ready\"");
}

bool Daemon::wait_out(const std::string& text, Millis timeout) {
  return poll_until([&] { return proc_.out().find(text) != std::string::npos; }, timeout);
}

std::optional<int> Daemon::stop() {
  if (stopped_) return exit_;
  ::kill(proc_.pid(), SIGTERM);
  exit_ = proc_.wait_for_exit(Millis(30'000));
  if (!exit_) proc_.kill();
  stopped_ = true;
  return exit_;
}

void Daemon::kill() {
  proc_.kill();
  stopped_ = true;
}

NotifySocket::NotifySocket() {
  static std::atomic<int> serial{0};
  path_ = "/tmp/icmpwall-notify-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
  ::unlink(path_.c_str());
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("notify socket " + path_ + ": " + std::strerror(errno));
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
  ::unlink(path_.c_str());
}

const std::vector<std::string>& NotifySocket::messages() {
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) break;
    messages_.emplace_back(buf, static_cast<size_t>(n));
  }
  return messages_;
}

size_t NotifySocket::count(const std::string& text) {
  size_t n = 0;
  for (const auto& m : messages())
    if (m.find(text) != std::string::npos) ++n;
  return n;
}

bool NotifySocket::wait_for(const std::string& text, Millis timeout) {
  return poll_until([&] { return count(text) > 0; }, timeout);
}

bool have_tool(const char* tool) {
  return access(tool, X_OK) == 0;
}

const char* const kEchoInspectPolicy = R"([hooks.input]
default = "allow"

[[rule]]
name = "echo-inspected"
types = ["echo-request"]
family = "ipv4"
hooks = ["input"]
action = "inspect"
queue = 0

[[rule]]
name = "no-v6-echo"
types = ["echo-request"]
family = "ipv6"
hooks = ["input"]
action = "drop"
)";

std::string echo_inspect_policy_v6_allowed() {
  const std::string all = kEchoInspectPolicy;
  return all.substr(0, all.find("\n[[rule]]\nname = \"no-v6-echo\""));
}

const char* const kEchoInspectPolicyBad = R"([hooks.input]
default = "allow"

[[rule]]
name = "echo-inspected"
types = ["echo-requets"]
hooks = ["input"]
action = "inspect"
)";

const char* const kRouterInspectPolicy = R"([icmpwall]
role = "router"

[hooks.forward]
default = "allow"

[[rule]]
name = "echo"
types = ["echo-request", "echo-reply"]
hooks = ["forward"]
action = "inspect"
no-worker = "accept"
)";

std::string host_inspect_policy(const std::string& icmpwall_keys) {
  return "[icmpwall]\nrole = \"host\"\n" + icmpwall_keys + R"(
[hooks.input]
default = "allow"

[[rule]]
name = "echo"
types = ["echo-request", "echo-reply"]
hooks = ["input"]
action = "inspect"
no-worker = "accept"

[[rule]]
name = "errors"
types = ["destination-unreachable", "time-exceeded", "parameter-problem", "packet-too-big"]
hooks = ["input"]
action = "inspect"
no-worker = "accept"
)";
}

RouterServerPolicies router_server_policies(bool presets, const std::string& router_toml,
                                            const std::string& server_toml) {
  RouterServerPolicies p;
  if (presets) {
    p.router = preset_path("router");
    p.server = preset_path("host");
    return p;
  }
  p.router_file = std::make_unique<TempFile>(router_toml, ".toml");
  p.server_file = std::make_unique<TempFile>(server_toml, ".toml");
  p.router = p.router_file->path();
  p.server = p.server_file->path();
  return p;
}

std::string blocked_sets_with_elements(const Netns& ns) {
  std::string out;
  for (const char* set : {"inspect.blocked.v4", "inspect.blocked.v6"}) {
    auto r = ns.run({"nft", "list", "set", "inet", "icmpwall", set});
    if (!r.ok()) return "cannot list " + std::string(set) + ":\n" + r.describe();
    if (r.out.find("elements") != std::string::npos) out += r.out;
  }
  return out;
}

}  // namespace icmpwall::integration
