// SPDX-License-Identifier: GPL-2.0-or-later
// Reading the kernel's ICMP sysctls from a /proc/sys tree, and the
// kernel's per-interface combination rules (see kernel_sysctl.h).
#include "icmpwall/audit/kernel_sysctl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <map>
#include <system_error>

#include "icmpwall/util/file.h"

namespace icmpwall::audit {
namespace {

namespace fs = std::filesystem;

// "net/ipv4/icmp_echo_ignore_all" -> "net.ipv4.icmp_echo_ignore_all"
std::string dotted(std::string rel) {
  std::replace(rel.begin(), rel.end(), '/', '.');
  return rel;
}

// Digits with an optional leading '-', or (list) digits, ',' and '-'.
bool well_formed(const std::string& s, bool list) {
  if (s.empty()) return list;  // an empty ratemask list is "no type"
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') continue;
    if (c == '-' && (list || i == 0) && s.size() > 1) continue;
    if (c == ',' && list) continue;
    return false;
  }
  return true;
}

Sysctl read_one(const std::string& root, const std::string& rel, bool list = false) {
  Sysctl s;
  s.name = dotted(rel);
  const std::string path = root + "/" + rel;
  auto bytes = read_regular_file(path, kMaxSysctlBytes);
  if (!bytes) {
    if (bytes.error().code == ENOENT) return s;  // not present
    s.state = Sysctl::State::unreadable;
    s.problem = path + ": " + bytes.error().message;
    return s;
  }
  std::string text = *bytes;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t'))
    text.pop_back();
  if (!well_formed(text, list)) {
    s.state = Sysctl::State::unreadable;
    s.problem = path + ": not " + (list ? "a list of numbers" : "a number");
    return s;
  }
  s.state = Sysctl::State::value;
  s.text = std::move(text);
  return s;
}

void read_conf(const std::string& root, ConfSysctls& c, bool v4, bool v6) {
  auto p4 = "net/ipv4/conf/" + c.name + "/";
  auto p6 = "net/ipv6/conf/" + c.name + "/";
  auto absent = [](const std::string& rel) {
    Sysctl s;
    s.name = dotted(rel);
    return s;
  };
  auto r4 = [&](const char* key) { return v4 ? read_one(root, p4 + key) : absent(p4 + key); };
  auto r6 = [&](const char* key) { return v6 ? read_one(root, p6 + key) : absent(p6 + key); };
  c.accept_redirects = r4("accept_redirects");
  c.secure_redirects = r4("secure_redirects");
  c.shared_media = r4("shared_media");
  c.rp_filter = r4("rp_filter");
  c.forwarding = r4("forwarding");
  c.ignore_routes_with_linkdown = r4("ignore_routes_with_linkdown");
  c.accept_redirects6 = r6("accept_redirects");
  c.accept_ra = r6("accept_ra");
  c.forwarding6 = r6("forwarding");
  c.ignore_routes_with_linkdown6 = r6("ignore_routes_with_linkdown");
  c.force_forwarding6 = r6("force_forwarding");
}

// Interface directories of one conf tree (not all/default), bounded.
void list_interfaces(const std::string& dir, std::map<std::string, std::pair<bool, bool>>& out,
                     bool v4, KernelSysctls& k) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec != std::errc::no_such_file_or_directory) k.problems.push_back(dir + ": " + ec.message());
    return;
  }
  size_t seen = 0;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      k.problems.push_back(dir + ": " + ec.message());
      return;
    }
    std::string name = it->path().filename().string();
    if (name == "all" || name == "default") continue;
    // an interface name: at most IFNAMSIZ-1 bytes, never "." or ".."
    if (name.empty() || name.size() > 15 || name == "." || name == "..") continue;
    if (++seen > kMaxInterfaces) {
      k.problems.push_back(
          fmt::format("{}: more than {} interfaces, the rest not read", dir, kMaxInterfaces));
      return;
    }
    auto& flags = out[name];
    (v4 ? flags.first : flags.second) = true;
  }
}

std::string fmt_value(const Sysctl& s) {
  return s.state == Sysctl::State::value ? s.text : "?";
}

Combined combine_or_and(const Sysctl& all, const Sysctl& dev, bool both) {
  Combined c;
  c.why = fmt::format("{} = {}, {} = {}", all.name, fmt_value(all), dev.name, fmt_value(dev));
  auto a = all.number();
  auto d = dev.number();
  if (a && d)
    c.on = both ? (*a != 0 && *d != 0) : (*a != 0 || *d != 0);
  else if (!both && ((a && *a) || (d && *d)))
    c.on = true;
  else if (both && ((a && !*a) || (d && !*d)))
    c.on = false;
  return c;
}

// A setting that decides alone: on where it is not 0.
Combined own_value(const Sysctl& s) {
  Combined c;
  c.why = s.describe();
  if (auto v = s.number()) c.on = *v != 0;
  return c;
}

}  // namespace

std::optional<int64_t> Sysctl::number() const {
  if (state != State::value || text.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string Sysctl::describe() const {
  switch (state) {
    case State::value: return name + " = " + text;
    case State::absent: return name + " not present";
    case State::unreadable: return name + " unreadable (" + problem + ")";
  }
  return name;
}

std::vector<const Sysctl*> KernelSysctls::every() const {
  std::vector<const Sysctl*> out = {&echo_ignore_all,
                                    &echo_ignore_broadcasts,
                                    &ratelimit,
                                    &ratemask,
                                    &msgs_per_sec,
                                    &msgs_burst,
                                    &errors_use_inbound_ifaddr,
                                    &ignore_bogus_error_responses,
                                    &ratelimit6,
                                    &ratemask6,
                                    &echo_ignore_all6,
                                    &echo_ignore_multicast6,
                                    &echo_ignore_anycast6,
                                    &echo_enable_probe};
  auto conf = [&](const ConfSysctls& c) {
    for (const Sysctl* s :
         {&c.accept_redirects, &c.secure_redirects, &c.shared_media, &c.rp_filter, &c.forwarding,
          &c.ignore_routes_with_linkdown, &c.accept_redirects6, &c.accept_ra, &c.forwarding6,
          &c.ignore_routes_with_linkdown6, &c.force_forwarding6})
      out.push_back(s);
  };
  conf(all);
  conf(dflt);
  for (const auto& i : interfaces) conf(i);
  return out;
}

KernelSysctls read_sysctls(const std::string& root) {
  KernelSysctls k;
  k.echo_ignore_all = read_one(root, "net/ipv4/icmp_echo_ignore_all");
  k.echo_ignore_broadcasts = read_one(root, "net/ipv4/icmp_echo_ignore_broadcasts");
  k.ratelimit = read_one(root, "net/ipv4/icmp_ratelimit");
  k.ratemask = read_one(root, "net/ipv4/icmp_ratemask");
  k.msgs_per_sec = read_one(root, "net/ipv4/icmp_msgs_per_sec");
  k.msgs_burst = read_one(root, "net/ipv4/icmp_msgs_burst");
  k.errors_use_inbound_ifaddr = read_one(root, "net/ipv4/icmp_errors_use_inbound_ifaddr");
  k.ignore_bogus_error_responses = read_one(root, "net/ipv4/icmp_ignore_bogus_error_responses");
  k.ratelimit6 = read_one(root, "net/ipv6/icmp/ratelimit");
  k.ratemask6 = read_one(root, "net/ipv6/icmp/ratemask", true);
  k.echo_ignore_all6 = read_one(root, "net/ipv6/icmp/echo_ignore_all");
  k.echo_ignore_multicast6 = read_one(root, "net/ipv6/icmp/echo_ignore_multicast");
  k.echo_ignore_anycast6 = read_one(root, "net/ipv6/icmp/echo_ignore_anycast");
  k.echo_enable_probe = read_one(root, "net/ipv4/icmp_echo_enable_probe");
  k.all.name = "all";
  read_conf(root, k.all, true, true);
  k.dflt.name = "default";
  read_conf(root, k.dflt, true, true);
  std::map<std::string, std::pair<bool, bool>> names;  // sorted by name
  list_interfaces(root + "/net/ipv4/conf", names, true, k);
  list_interfaces(root + "/net/ipv6/conf", names, false, k);
  for (const auto& [name, families] : names) {
    ConfSysctls c;
    c.name = name;
    read_conf(root, c, families.first, families.second);
    k.interfaces.push_back(std::move(c));
  }
  return k;
}

KernelSysctls read_kernel_state() {
  KernelSysctls k = read_sysctls();
  k.links = read_links();
  return k;
}

Combined v4_accept_redirects(const KernelSysctls& k, const ConfSysctls& dev) {
  auto fwd = dev.forwarding.number();
  if (!fwd) {
    Combined c = combine_or_and(k.all.accept_redirects, dev.accept_redirects, false);
    Combined a = combine_or_and(k.all.accept_redirects, dev.accept_redirects, true);
    if (c.on != a.on) c.on.reset();  // depends on forwarding, which is not known
    c.why += ", " + dev.forwarding.describe();
    return c;
  }
  Combined c = combine_or_and(k.all.accept_redirects, dev.accept_redirects, *fwd != 0);
  c.why += fmt::format(" ({} = {}: {})", dev.forwarding.name, *fwd,
                       *fwd ? "forwarding, both needed" : "not forwarding, either suffices");
  return c;
}

Combined v4_secure_redirects(const KernelSysctls& k, const ConfSysctls& dev) {
  return combine_or_and(k.all.secure_redirects, dev.secure_redirects, false);
}

Combined v4_shared_media(const KernelSysctls& k, const ConfSysctls& dev) {
  return combine_or_and(k.all.shared_media, dev.shared_media, false);
}

Combined v4_forwarding(const ConfSysctls& dev) {
  return own_value(dev.forwarding);
}

std::optional<int64_t> v4_rp_filter(const KernelSysctls& k, const ConfSysctls& dev,
                                    std::string* why) {
  auto a = k.all.rp_filter.number();
  auto d = dev.rp_filter.number();
  if (why)
    *why = fmt::format("{} = {}, {} = {}", k.all.rp_filter.name, fmt_value(k.all.rp_filter),
                       dev.rp_filter.name, fmt_value(dev.rp_filter));
  if (!a || !d) return std::nullopt;
  return std::max(*a, *d);
}

Combined v6_accept_redirects(const ConfSysctls& dev) {
  Combined c;
  c.why =
      fmt::format("{} = {}, {} = {}", dev.accept_redirects6.name, fmt_value(dev.accept_redirects6),
                  dev.forwarding6.name, fmt_value(dev.forwarding6));
  auto ar = dev.accept_redirects6.number();
  auto fwd = dev.forwarding6.number();
  if (fwd && *fwd)
    c.on = false;
  else if (ar && fwd)
    c.on = *ar != 0;
  else if (ar && !*ar)
    c.on = false;
  return c;
}

Combined v6_accept_ra(const ConfSysctls& dev) {
  Combined c;
  c.why = fmt::format("{} = {}, {} = {}", dev.accept_ra.name, fmt_value(dev.accept_ra),
                      dev.forwarding6.name, fmt_value(dev.forwarding6));
  auto ra = dev.accept_ra.number();
  auto fwd = dev.forwarding6.number();
  if (ra && fwd) c.on = *fwd ? *ra == 2 : *ra != 0;
  if (ra && fwd && *fwd) c.why += " (forwarding: accept_ra = 2 needed)";
  return c;
}

Combined v4_ignore_routes_with_linkdown(const KernelSysctls& k, const ConfSysctls& dev) {
  return combine_or_and(k.all.ignore_routes_with_linkdown, dev.ignore_routes_with_linkdown, false);
}

Combined v6_ignore_routes_with_linkdown(const ConfSysctls& dev) {
  return own_value(dev.ignore_routes_with_linkdown6);
}

Combined v6_forwarding(const KernelSysctls& k, const ConfSysctls& dev) {
  Combined c;
  const Sysctl& all = k.all.forwarding6;
  const Sysctl& force = dev.force_forwarding6;
  c.why = all.describe() + ", " +
          (force.state == Sysctl::State::absent
               ? force.name + " not present (no per-interface forwarding on this kernel)"
               : force.describe());
  auto a = all.number();
  auto f = force.number();
  if ((a && *a) || (f && *f))
    c.on = true;
  else if (a && (f || force.state == Sysctl::State::absent))
    c.on = false;
  return c;
}

std::optional<bool> in_v6_ratemask(const std::string& list, uint8_t type) {
  if (!well_formed(list, true)) return std::nullopt;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    std::string item =
        list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? list.size() : comma + 1;
    if (item.empty()) continue;
    size_t dash = item.find('-');
    int lo = 0, hi = 0;
    auto parse = [](const std::string& s, int& out) {
      if (s.empty() || s.size() > 3) return false;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc() && end == s.data() + s.size() && out <= 255;
    };
    if (dash == std::string::npos) {
      if (!parse(item, lo)) return std::nullopt;
      hi = lo;
    } else if (!parse(item.substr(0, dash), lo) || !parse(item.substr(dash + 1), hi)) {
      return std::nullopt;
    }
    if (type >= lo && type <= hi) return true;
  }
  return false;
}

}  // namespace icmpwall::audit
