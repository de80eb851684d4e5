// SPDX-License-Identifier: GPL-2.0-or-later
// Netns: creation, commands inside, and teardown. See netns.h.
#include "netns.h"

#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace icmpwall::integration {
namespace {

std::atomic<int> next_index{0};

const Millis kIpTimeout{5000};

}  // namespace

bool is_root() {
  return geteuid() == 0;
}

Netns::Netns() {
  name_ = "iw-" + std::to_string(getpid()) + "-" + std::to_string(next_index++);
  integration::run_checked({"ip", "netns", "add", name_}, {kIpTimeout});
  try {
    ip({"link", "set", "lo", "up"});
  } catch (...) {
    integration::run({"ip", "netns", "del", name_}, {kIpTimeout});
    throw;
  }
}

Netns::~Netns() {
  // Our own background processes first: a namespace with live processes
  // outlives `ip netns del`.
  for (auto& p : processes_) p->kill();
  processes_.clear();
  integration::run({"ip", "netns", "del", name_}, {kIpTimeout});
}

Argv Netns::wrap(const Argv& argv) const {
  Argv out{"ip", "netns", "exec", name_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

CommandResult Netns::run(const Argv& argv, const RunOptions& opts) const {
  return integration::run(wrap(argv), opts);
}

CommandResult Netns::run_checked(const Argv& argv, const RunOptions& opts) const {
  return integration::run_checked(wrap(argv), opts);
}

Process& Netns::spawn(const Argv& argv, const std::string& stdin_path) {
  processes_.push_back(std::make_unique<Process>(Process::start(wrap(argv), stdin_path)));
  return *processes_.back();
}

CommandResult Netns::ip(const Argv& args) const {
  Argv argv{"ip", "-n", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  return integration::run_checked(argv, {kIpTimeout});
}

void Netns::sysctl(const std::string& key, const std::string& value) const {
  Netns::run_checked({"sysctl", "-q", "-w", key + "=" + value}, {kIpTimeout});
}

void Netns::add_address(const std::string& dev, const std::string& cidr, bool preferred) const {
  if (cidr.find(':') == std::string::npos)
    ip({"addr", "add", cidr, "dev", dev});
  else if (preferred)
    ip({"-6", "addr", "add", cidr, "dev", dev, "nodad"});
  else
    ip({"-6", "addr", "add", cidr, "dev", dev, "nodad", "preferred_lft", "0"});
}

void Netns::add_route(const std::string& prefix, const std::string& via,
                      const std::string& dev) const {
  Argv args{
      prefix.find(':') != std::string::npos ? "-6" : "-4", "route", "add", prefix, "via", via};
  if (!dev.empty()) args.insert(args.end(), {"dev", dev});
  ip(args);
}

void Netns::set_mtu(const std::string& dev, int mtu) const {
  ip({"link", "set", "dev", dev, "mtu", std::to_string(mtu)});
}

std::string Netns::mac_of(const std::string& dev) const {
  auto r = ip({"-j", "link", "show", "dev", dev});
  auto j = nlohmann::json::parse(r.out);
  return j.at(0).at("address").get<std::string>();
}

uint32_t Netns::ifindex_of(const std::string& dev) const {
  auto r = ip({"-j", "link", "show", "dev", dev});
  auto j = nlohmann::json::parse(r.out);
  return j.at(0).at("ifindex").get<uint32_t>();
}

void Netns::add_bridge(const std::string& dev) const {
  ip({"link", "add", dev, "type", "bridge"});
  ip({"link", "set", dev, "up"});
}

bool Netns::wait_dad_done(const std::string& dev, Millis timeout) const {
  return poll_until(
      [&] {
        auto r = integration::run(
            {"ip", "-n", name_, "-6", "addr", "show", "dev", dev, "tentative"}, {kIpTimeout});
        return r.ok() && r.out.find("inet6") == std::string::npos;
      },
      timeout, Millis(50));
}

bool Netns::wait_tcp_listening(int port, Millis timeout) const {
  const std::string needle = ":" + std::to_string(port) + " ";
  return poll_until(
      [&] {
        auto r = run({"ss", "-Hltn"}, {kIpTimeout});
        return r.ok() && r.out.find(needle) != std::string::npos;
      },
      timeout, Millis(20));
}

CommandResult Netns::nft_load(const std::string& text) const {
  RunOptions o;
  o.timeout = Millis(10'000);
  o.input = text;
  return run({"nft", "-f", "-"}, o);
}

CommandResult Netns::nft_list_table(const std::string& table) const {
  return run({"nft", "list", "table", "inet", table}, {Millis(10'000)});
}

bool Netns::has_table(const std::string& table) const {
  auto r = run({"nft", "-j", "list", "tables", "inet"}, {Millis(10'000)});
  if (!r.ok()) throw std::runtime_error("nft list tables failed:\n" + r.describe());
  auto j = nlohmann::json::parse(r.out);
  for (const auto& item : j.at("nftables"))
    if (item.contains("table") && item["table"].value("name", "") == table) return true;
  return false;
}

namespace {

// Sets both ends of a veth pair up and polls until the kernel reports them up.
void bring_up(const Netns& a, const std::string& dev_a, const Netns& b, const std::string& dev_b) {
  a.ip({"link", "set", dev_a, "up"});
  b.ip({"link", "set", dev_b, "up"});
  auto up = [](const Netns& ns, const std::string& dev) {
    return poll_until(
        [&] {
          auto r = ns.ip({"-j", "link", "show", "dev", dev});
          auto j = nlohmann::json::parse(r.out);
          return j.at(0).value("operstate", "") == "UP";
        },
        Millis(5000), Millis(20));
  };
  if (!up(a, dev_a) || !up(b, dev_b))
    throw std::runtime_error("veth " + dev_a + "/" + dev_b + " did not come up");
}

}  // namespace

void link_veth(const Netns& a, const std::string& dev_a, const Netns& b, const std::string& dev_b) {
  a.ip({"link", "add", dev_a, "type", "veth", "peer", "name", dev_b, "netns", b.name()});
  bring_up(a, dev_a, b, dev_b);
}

void link_veth_to_bridge(const Netns& a, const std::string& dev_a, const Netns& b,
                         const std::string& dev_b, const std::string& bridge) {
  a.ip({"link", "add", dev_a, "type", "veth", "peer", "name", dev_b, "netns", b.name()});
  b.ip({"link", "set", dev_b, "master", bridge});
  bring_up(a, dev_a, b, dev_b);
}

}  // namespace icmpwall::integration
