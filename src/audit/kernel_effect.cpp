// SPDX-License-Identifier: GPL-2.0-or-later
// How the kernel's sysctls change the outcome of an ICMP packet the
// ruleset lets through (see kernel_effect.h). The behaviour described is
// the kernel's own: net/ipv4/icmp.c (icmp_echo, icmpv4_mask_allow,
// icmpv4_xrlim_allow), net/ipv4/route.c (__ip_do_redirect), net/ipv6/icmp.c,
// net/ipv6/ndisc.c and net/ipv6/route.c (rt6_do_redirect).
#include "icmpwall/audit/kernel_effect.h"

#include <fmt/format.h>
#include <linux/netfilter.h>

#include <functional>

namespace icmpwall::audit {
namespace {

using policy::Family;
using policy::Hook;

constexpr uint8_t kV4EchoRequest = 8, kV4Redirect = 5, kV4Timestamp = 13, kV4DestUnreach = 3,
                  kV4FragNeeded = 4;
constexpr uint8_t kV6EchoRequest = 128, kV6RouterAdvert = 134, kV6Redirect = 137,
                  kV6PacketTooBig = 2;
// RFC 8335 PROBE: extended echo request and reply
constexpr uint8_t kV4ExtEchoRequest = 42, kV6ExtEchoRequest = 160, kV6ExtEchoReply = 161;

bool lets_through(const Evaluation& e) {
  return e.outcome != Outcome::dropped && e.outcome != Outcome::rejected;
}

bool on(const Sysctl& s) {
  auto v = s.number();
  return v && *v != 0;
}

// Errors the kernel sends (never a source quench any more).
bool is_error_v4(uint8_t t) {
  return t == 3 || t == 5 || t == 11 || t == 12;
}

// Interfaces a received packet can arrive on (not the loopback).
std::vector<const ConfSysctls*> receiving(const KernelSysctls& k) {
  std::vector<const ConfSysctls*> out;
  for (const auto& i : k.interfaces)
    if (i.name != "lo") out.push_back(&i);
  return out;
}

// A received echo request: ignored by `all`; notes for the addresses the
// audit's unicast packet is not sent to.
void echo(KernelEffect& fx, const Sysctl& ignore_all,
          std::initializer_list<std::pair<const Sysctl*, const char*>> others) {
  if (on(ignore_all)) {
    fx.effective = "ignored";
    fx.decided_by = {ignore_all.describe()};
    fx.text = "ignored by the kernel: " + ignore_all.describe();
  } else if (ignore_all.state == Sysctl::State::unreadable) {
    fx.notes.push_back("whether the kernel answers is unknown: " + ignore_all.describe());
  }
  for (const auto& [s, to] : others) {
    if (s->state == Sysctl::State::absent) {
      fx.notes.push_back(
          fmt::format("to {}: {} (this kernel has no such setting)", to, s->describe()));
      continue;
    }
    fx.notes.push_back(fmt::format("to {}: {} by the kernel ({})", to,
                                   on(*s) ? "ignored" : "answered", s->describe()));
  }
}

// A received extended echo request (icmp_echo / icmpv6_rcv): the echo
// settings first, then net.ipv4.icmp_echo_enable_probe (both families).
void probe(KernelEffect& fx, const KernelSysctls& k, const Sysctl& ignore_all,
           std::initializer_list<std::pair<const Sysctl*, const char*>> others) {
  echo(fx, ignore_all, others);
  if (!fx.effective.empty()) return;
  const Sysctl& enable = k.echo_enable_probe;
  if (enable.state == Sysctl::State::unreadable) {
    fx.notes.push_back("whether the kernel answers is unknown: " + enable.describe());
  } else if (enable.state == Sysctl::State::absent || !on(enable)) {
    fx.effective = "ignored";
    fx.decided_by = {enable.describe()};
    fx.text = "ignored by the kernel: " +
              (enable.state == Sysctl::State::absent
                   ? enable.describe() + " (this kernel does not answer RFC 8335 PROBE)"
                   : enable.describe());
  } else {
    fx.notes.push_back(
        "answered by the kernel (" + enable.describe() +
        ") with an extended echo reply that says whether the interface the request names (by "
        "name, index or address) exists here, is up, and has IPv4 or IPv6 addresses; a request "
        "that does not ask about this host (L bit clear) is ignored");
  }
}

// Redirects or router advertisements: which interfaces' kernels take them.
void per_interface(KernelEffect& fx, const KernelSysctls& k, const char* what,
                   const std::function<Combined(const ConfSysctls&)>& takes,
                   const std::function<std::string(const ConfSysctls&)>& only) {
  fx.per_interface = true;
  std::vector<std::string> unknown;
  for (const ConfSysctls* dev : receiving(k)) {
    Combined c = takes(*dev);
    if (c.on == true) {
      std::string o = only ? only(*dev) : "";
      fx.accepted_on.push_back(dev->name + (o.empty() ? "" : " (" + o + ")"));
    } else if (c.on == false) {
      fx.ignored_on.push_back(dev->name + ": " + c.why);
      fx.decided_by.push_back(c.why);
    } else {
      unknown.push_back(dev->name + ": " + c.why);
    }
  }
  for (const auto& u : unknown) fx.notes.push_back(fmt::format("{} on {}: unknown", what, u));
  if (!fx.accepted_on.empty() && fx.ignored_on.empty()) {
    fx.decided_by.clear();
    return;  // taken everywhere: the ruleset's outcome stands
  }
  if (fx.accepted_on.empty() && unknown.empty()) {
    fx.effective = "ignored";
    fx.text = fmt::format("ignored by the kernel on every interface{}",
                          fx.ignored_on.empty() ? " (none but the loopback)" : "");
    for (const auto& i : fx.ignored_on) fx.text += "; " + i;
    return;
  }
  std::string taken;
  for (const auto& a : fx.accepted_on) taken += (taken.empty() ? "" : ", ") + a;
  fx.text = fmt::format("taken by the kernel only on {}", taken.empty() ? "(unknown)" : taken);
  for (const auto& i : fx.ignored_on) fx.text += "; ignored on " + i;
}

// What an accepted IPv4 redirect may say (__ip_do_redirect).
std::string v4_redirect_terms(const KernelSysctls& k, const ConfSysctls& dev) {
  Combined shared = v4_shared_media(k, dev);
  if (shared.on == true)
    return "from the destination's current gateway, to any unicast gateway: shared_media";
  Combined secure = v4_secure_redirects(k, dev);
  if (secure.on == true)
    return "from the destination's current gateway, to a gateway on " + dev.name +
           "'s network that is already a gateway of a route on " + dev.name +
           ": secure_redirects, not shared_media";
  return "from the destination's current gateway, to a gateway on " + dev.name + "'s network";
}

void forward(KernelEffect& fx, const KernelSysctls& k, Family f) {
  // ip_route_input_slow: the input interface's forwarding; ip6_forward:
  // all.forwarding or the input interface's force_forwarding
  std::vector<std::string> yes, no;
  for (const ConfSysctls* dev : receiving(k)) {
    if (f == Family::ipv6 && dev->forwarding6.state == Sysctl::State::absent) continue;
    Combined c = f == Family::ipv6 ? v6_forwarding(k, *dev) : v4_forwarding(*dev);
    if (c.on == false)
      no.push_back(c.why);
    else
      yes.push_back(dev->name);
  }
  if (f == Family::ipv6) {
    if (on(k.all.forwarding6)) return;
    if (k.all.forwarding6.number() == 0 && yes.empty()) {
      fx.effective = "not-forwarded";
      fx.decided_by = {k.all.forwarding6.describe()};
      fx.text = "not forwarded by the kernel: " + k.all.forwarding6.describe();
      const Sysctl& force = k.all.force_forwarding6;
      fx.text += force.state == Sysctl::State::absent
                     ? " (this kernel has no per-interface force_forwarding)"
                     : ", and no interface's force_forwarding is on";
      return;
    }
    if (!yes.empty() && !no.empty()) {
      std::string list;
      for (const auto& y : yes) list += (list.empty() ? "" : ", ") + y;
      fx.notes.push_back("forwarded only when received on " + list + " (force_forwarding; " +
                         k.all.forwarding6.describe() + ")");
    }
    return;
  }
  if (yes.empty()) {
    fx.effective = "not-forwarded";
    fx.decided_by = no;
    fx.text = "not forwarded by the kernel: no interface forwards";
    for (const auto& n : no) fx.text += "; " + n;
  } else if (!no.empty()) {
    std::string list;
    for (const auto& y : yes) list += (list.empty() ? "" : ", ") + y;
    fx.notes.push_back("forwarded only when received on " + list);
  }
}

void rp_filter_notes(KernelEffect& fx, const KernelSysctls& k) {
  for (const ConfSysctls* dev : receiving(k)) {
    std::string why;
    auto v = v4_rp_filter(k, *dev, &why);
    if (v && *v == 0) continue;
    fx.notes.push_back(fmt::format(
        "received on {}: dropped before the input and forward hooks if its source fails the {} "
        "reverse-path check ({})",
        dev->name,
        !v        ? "(unknown)"
        : *v == 1 ? "strict"
                  : "loose",
        why));
  }
}

// Messages the kernel sends itself: rate limits and source address.
void sent(KernelEffect& fx, const KernelSysctls& k, const Packet& p) {
  if (p.family == Family::ipv4) {
    const bool kernel_sends = p.type == 0 || is_error_v4(p.type) || p.type == 14;
    if (!kernel_sends) return;
    if (is_error_v4(p.type) && k.errors_use_inbound_ifaddr.number())
      fx.notes.push_back(fmt::format("sent by the kernel from the address of the interface {} ({})",
                                     on(k.errors_use_inbound_ifaddr)
                                         ? "the offending packet came in on"
                                         : "the error leaves by",
                                     k.errors_use_inbound_ifaddr.describe()));
    auto mask = k.ratemask.number();
    auto rate = k.ratelimit.number();
    if (!mask || !rate || p.type > 18 || !((*mask >> p.type) & 1)) return;
    if (p.type == kV4DestUnreach && p.code == kV4FragNeeded) {
      fx.notes.push_back("fragmentation-needed is never rate-limited by the kernel (PMTUD)");
      return;
    }
    std::string global;
    if (k.msgs_per_sec.number())
      global = fmt::format(", and {} messages per second in all ({}, {})", *k.msgs_per_sec.number(),
                           k.msgs_per_sec.describe(), k.msgs_burst.describe());
    fx.send_limit =
        *rate == 0
            ? fmt::format("not limited per destination ({}){}", k.ratelimit.describe(), global)
            : fmt::format("at most one per {} ms per destination ({}; type {} in {}){}{}", *rate,
                          k.ratelimit.describe(), p.type, k.ratemask.describe(),
                          p.type == kV4DestUnreach ? ", fragmentation-needed excepted" : "",
                          global);
    return;
  }
  const bool kernel_sends =
      (p.type >= 1 && p.type <= 4) || p.type == 129 || p.type == kV6ExtEchoReply;
  if (!kernel_sends) return;
  auto rate = k.ratelimit6.number();
  if (!rate) return;
  std::string which;
  if (k.ratemask6.state == Sysctl::State::value) {
    auto in = in_v6_ratemask(k.ratemask6.text, p.type);
    if (in != true) return;
    which = fmt::format("type {} in {}", p.type, k.ratemask6.describe());
  } else {
    // without net.ipv6.icmp.ratemask: errors but packet-too-big
    if (p.type >= 128 || p.type == kV6PacketTooBig) return;
    which = "an error other than packet-too-big; " + k.ratemask6.describe();
  }
  fx.send_limit = *rate == 0
                      ? fmt::format("not limited per destination ({})", k.ratelimit6.describe())
                      : fmt::format("at most one per {} ms per destination ({}; {})", *rate,
                                    k.ratelimit6.describe(), which);
}

}  // namespace

namespace {
// The forward and output hooks' notes: linkdown_routes' text of the family.
void linkdown_notes(KernelEffect& fx, const KernelSysctls& k, Family f) {
  for (const auto& r : linkdown_routes(k))
    if (r.family == f) fx.notes.push_back(r.text);
  if (!k.links.read && !k.links.problem.empty())
    fx.notes.push_back("the links' state could not be read (" + k.links.problem +
                       "): routes through a link that is down are not said");
}
}  // namespace

KernelEffect kernel_effect(const Packet& p, const Evaluation& e, const KernelSysctls& k) {
  KernelEffect fx;
  if (!lets_through(e)) return fx;
  const bool v4 = p.family == Family::ipv4;
  switch (p.hook) {
    case Hook::input:
      if (v4 && p.type == kV4EchoRequest)
        echo(fx, k.echo_ignore_all,
             {{&k.echo_ignore_broadcasts, "a broadcast or multicast address"}});
      if (!v4 && p.type == kV6EchoRequest)
        echo(fx, k.echo_ignore_all6,
             {{&k.echo_ignore_multicast6, "a multicast address"},
              {&k.echo_ignore_anycast6, "an anycast address"}});
      if (v4 && p.type == kV4ExtEchoRequest) probe(fx, k, k.echo_ignore_all, {});
      if (!v4 && p.type == kV6ExtEchoRequest)
        probe(fx, k, k.echo_ignore_all6,
              {{&k.echo_ignore_multicast6, "a multicast address"},
               {&k.echo_ignore_anycast6, "an anycast address"}});
      if (v4 && p.type == kV4Timestamp)
        fx.notes.push_back(fmt::format("to a broadcast or multicast address: {} by the kernel ({})",
                                       on(k.echo_ignore_broadcasts) ? "ignored" : "answered",
                                       k.echo_ignore_broadcasts.describe()));
      if (v4 && p.type == kV4Redirect)
        per_interface(
            fx, k, "redirects", [&](const ConfSysctls& d) { return v4_accept_redirects(k, d); },
            [&](const ConfSysctls& d) { return v4_redirect_terms(k, d); });
      if (!v4 && p.type == kV6Redirect)
        per_interface(fx, k, "redirects", v6_accept_redirects, nullptr);
      if (!v4 && p.type == kV6RouterAdvert)
        per_interface(fx, k, "router advertisements", v6_accept_ra, nullptr);
      if (v4 && (p.type == 3 || p.type == 4 || p.type == 11 || p.type == 12) &&
          k.ignore_bogus_error_responses.number())
        fx.notes.push_back(
            fmt::format("errors sent in reply to broadcast frames are {} ({})",
                        on(k.ignore_bogus_error_responses) ? "ignored silently" : "logged",
                        k.ignore_bogus_error_responses.describe()));
      if (v4) rp_filter_notes(fx, k);
      break;
    case Hook::forward:
      forward(fx, k, p.family);
      if (v4 && fx.effective.empty()) rp_filter_notes(fx, k);
      if (fx.effective.empty()) linkdown_notes(fx, k, p.family);
      break;
    case Hook::output:
      sent(fx, k, p);
      linkdown_notes(fx, k, p.family);
      break;
  }
  return fx;
}

std::vector<LinkDownRoutes> linkdown_routes(const KernelSysctls& k) {
  std::vector<LinkDownRoutes> out;
  for (const auto& dev : k.interfaces) {
    const LinkState* link = k.links.find(dev.name);
    if (!link || !link->link_down()) continue;
    for (Family f : {Family::ipv4, Family::ipv6}) {
      const bool v4 = f == Family::ipv4;
      if ((v4 ? dev.forwarding : dev.forwarding6).state == Sysctl::State::absent) continue;
      Combined c =
          v4 ? v4_ignore_routes_with_linkdown(k, dev) : v6_ignore_routes_with_linkdown(dev);
      LinkDownRoutes r{dev.name, f, c.on, c.why, ""};
      const std::string which = fmt::format("{} routes through {}", policy::to_string(f), dev.name);
      const std::string state = link->describe();
      if (c.on == true)
        r.text = fmt::format(
            "{} are skipped: its link is down ({}) and {}{}; forwarded ICMP and the kernel's own "
            "replies and errors take another route, and where none is left a forwarded packet "
            "is answered with destination-unreachable and the kernel's own message is not sent",
            which, state, c.why, v4 ? " (either suffices)" : "");
      else if (c.on == false)
        r.text = fmt::format(
            "{} are still used though its link is down ({}; {}): what they carry is lost, "
            "forwarded ICMP and the kernel's own replies and errors included",
            which, state, c.why);
      else
        r.text =
            fmt::format("{}: its link is down ({}); whether the kernel skips them is unknown ({})",
                        which, state, c.why);
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<std::string> kernel_warnings(const Ruleset& rs, const std::string& table,
                                         const KernelSysctls& k, const EvaluateOptions& options) {
  std::vector<std::string> out;
  const Table* ours = rs.table(NFPROTO_INET, table);
  if (!ours) return out;
  Ruleset alone;
  alone.generation = rs.generation;
  alone.tables.push_back(*ours);
  auto allowed = [&](Family f, uint8_t type, Evaluation& e) {
    Packet p;
    p.family = f;
    p.hook = Hook::input;
    p.type = type;
    e = evaluate(alone, p, options);
    return e.outcome == Outcome::accepted || e.outcome == Outcome::rate_limited ||
           e.outcome == Outcome::queued;
  };
  auto verdict = [](const Evaluation& e) {
    return outcome_name(e.outcome) + " by " + describe(e.decided_by);
  };
  for (auto [f, type, name] : {std::tuple{Family::ipv4, kV4EchoRequest, "echo-request"},
                               std::tuple{Family::ipv6, kV6EchoRequest, "echo-request"},
                               std::tuple{Family::ipv4, kV4Redirect, "redirect"},
                               std::tuple{Family::ipv6, kV6Redirect, "nd-redirect"}}) {
    Evaluation e;
    if (!allowed(f, type, e)) continue;
    Packet p;
    p.family = f;
    p.type = type;
    KernelEffect fx = kernel_effect(p, e, k);
    if (fx.effective != "ignored") continue;
    out.push_back(fmt::format("the policy lets {} {} in ({}), but {}", policy::to_string(f), name,
                              verdict(e), fx.text));
  }
  // a router that takes redirects
  for (const ConfSysctls* dev : receiving(k)) {
    if (v4_forwarding(*dev).on == true) {
      Combined c = v4_accept_redirects(k, *dev);
      if (c.on == true)
        out.push_back(
            fmt::format("{} forwards and its kernel takes ipv4 redirects ({}): a "
                        "router should not",
                        dev->name, c.why));
    }
    if (on(k.all.forwarding6)) {
      Combined c = v6_accept_redirects(*dev);
      if (c.on == true)
        out.push_back(
            fmt::format("the namespace forwards ipv6 ({}) and {}'s kernel takes ipv6 "
                        "redirects ({}): a router should not",
                        k.all.forwarding6.describe(), dev->name, c.why));
    }
  }
  return out;
}

}  // namespace icmpwall::audit
