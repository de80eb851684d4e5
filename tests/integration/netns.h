// SPDX-License-Identifier: GPL-2.0-or-later
// Scratch network namespaces for the integration tests.
//
// A Netns is `ip netns add iw-<pid>-<n>`: unique per test process, never
// the root namespace. Commands run in it through `ip netns exec NAME ...`
// (argument vectors, no shell). Its destructor kills the background
// processes it started (by their own PID and process group) and deletes
// the namespace, taking its interfaces, addresses, routes and nft tables
// with it. Nothing here touches the root namespace's firewall or routes:
// veth pairs are created inside the namespaces (`ip -n A link add ...
// peer ... netns B`).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "command.h"

namespace icmpwall::integration {

class Netns {
 public:
  Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  ~Netns();

  const std::string& name() const { return name_; }

  // `ip netns exec NAME argv...`
  Argv wrap(const Argv& argv) const;
  CommandResult run(const Argv& argv, const RunOptions& opts = {}) const;
  CommandResult run_checked(const Argv& argv, const RunOptions& opts = {}) const;
  // A background process inside the namespace; also killed when the
  // namespace is destroyed, if the caller has not already done so.
  Process& spawn(const Argv& argv, const std::string& stdin_path = "/dev/null");

  // `ip -n NAME args...`; throws if it fails (set-up steps).
  CommandResult ip(const Argv& args) const;
  void sysctl(const std::string& key, const std::string& value) const;

  // Adds an address; IPv6 addresses get `nodad` so they are usable at once.
  // A non-preferred IPv6 address (preferred_lft 0) is never picked as a
  // source by the kernel, only when a program binds to it.
  void add_address(const std::string& dev, const std::string& cidr, bool preferred = true) const;
  // `dev` names the outgoing interface; needed when `via` is link-local.
  void add_route(const std::string& prefix, const std::string& via,
                 const std::string& dev = "") const;
  void set_mtu(const std::string& dev, int mtu) const;
  std::string mac_of(const std::string& dev) const;
  uint32_t ifindex_of(const std::string& dev) const;
  // A bridge `dev`, set up (it reports UP once it has a port that is up).
  void add_bridge(const std::string& dev) const;
  // Polls `ip -6 addr` until no address on `dev` is tentative (DAD done).
  bool wait_dad_done(const std::string& dev, Millis timeout = Millis(5000)) const;
  // Polls until a TCP socket listens on `port`.
  bool wait_tcp_listening(int port, Millis timeout = Millis(5000)) const;

  // `nft -f -` in this namespace, text on stdin.
  CommandResult nft_load(const std::string& text) const;
  // `nft list table inet NAME` (empty string and non-zero exit if absent).
  CommandResult nft_list_table(const std::string& table) const;
  bool has_table(const std::string& table) const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<Process>> processes_;
};

// A veth pair: `dev_a` in `a`, `dev_b` in `b`, both up (polled until the
// kernel reports them up).
void link_veth(const Netns& a, const std::string& dev_a, const Netns& b, const std::string& dev_b);
// The same, with `dev_b` made a port of the bridge `bridge` in `b` (see
// Netns::add_bridge): `a` joins the segment the bridge forms.
void link_veth_to_bridge(const Netns& a, const std::string& dev_a, const Netns& b,
                         const std::string& dev_b, const std::string& bridge);

// True when running as root (the integration tests need it).
bool is_root();

}  // namespace icmpwall::integration
