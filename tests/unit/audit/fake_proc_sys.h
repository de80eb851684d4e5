// SPDX-License-Identifier: GPL-2.0-or-later
// A fake /proc/sys tree in a temporary directory, for the sysctl reader
// and the kernel effects: set() writes one file (its parents made), the
// destructor removes the tree.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace icmpwall::audit::testing {

class FakeProcSys {
 public:
  FakeProcSys() {
    root_ = std::filesystem::temp_directory_path() /
            ("icmpwall-proc-sys-" + std::to_string(::getpid()) + "-" + std::to_string(++count_));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~FakeProcSys() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeProcSys(const FakeProcSys&) = delete;
  FakeProcSys& operator=(const FakeProcSys&) = delete;

  // "net.ipv4.icmp_echo_ignore_all" (dots as in sysctl(8)) = content + "\n".
  void set(const std::string& dotted, const std::string& content) const {
    std::string rel = dotted;
    for (auto& c : rel)
      if (c == '.') c = '/';
    auto path = root_ / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content << "\n";
  }
  // One interface's v4 (and v6) conf, as a host with the kernel's defaults.
  void interface(const std::string& name, bool v6 = true) const {
    for (auto [key, v] : {std::pair{"accept_redirects", "1"},
                          {"secure_redirects", "1"},
                          {"shared_media", "1"},
                          {"rp_filter", "0"},
                          {"forwarding", "0"},
                          {"ignore_routes_with_linkdown", "0"}})
      set("net.ipv4.conf." + name + "." + key, v);
    if (v6)
      for (auto [key, v] : {std::pair{"accept_redirects", "1"},
                            {"accept_ra", "1"},
                            {"forwarding", "0"},
                            {"ignore_routes_with_linkdown", "0"},
                            {"force_forwarding", "0"}})
        set("net.ipv6.conf." + name + "." + key, v);
  }
  // The kernel's defaults for a fresh namespace: globals, all, default, lo.
  void defaults() const {
    set("net.ipv4.icmp_echo_ignore_all", "0");
    set("net.ipv4.icmp_echo_ignore_broadcasts", "1");
    set("net.ipv4.icmp_ratelimit", "1000");
    set("net.ipv4.icmp_ratemask", "6168");
    set("net.ipv4.icmp_msgs_per_sec", "1000");
    set("net.ipv4.icmp_msgs_burst", "50");
    set("net.ipv4.icmp_errors_use_inbound_ifaddr", "0");
    set("net.ipv4.icmp_ignore_bogus_error_responses", "1");
    set("net.ipv4.icmp_echo_enable_probe", "0");
    set("net.ipv6.icmp.ratelimit", "1000");
    set("net.ipv6.icmp.ratemask", "0-1,3-127");
    set("net.ipv6.icmp.echo_ignore_all", "0");
    set("net.ipv6.icmp.echo_ignore_multicast", "0");
    set("net.ipv6.icmp.echo_ignore_anycast", "0");
    interface("all");
    // all = 0 (the kernel starts with 1): each interface's own value decides
    set("net.ipv4.conf.all.accept_redirects", "0");
    interface("default");
    interface("lo");
  }
  std::string root() const { return root_.string(); }
  std::filesystem::path path(const std::string& rel) const { return root_ / rel; }

 private:
  static inline int count_ = 0;
  std::filesystem::path root_;
};

}  // namespace icmpwall::audit::testing
