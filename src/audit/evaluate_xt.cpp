// SPDX-License-Identifier: GPL-2.0-or-later
// iptables-nft's xt expressions: a match (decoded by decode_xt_match,
// xt.h) and a target (walk.h).
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <utility>

#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/xt.h"
#include "walk.h"

namespace icmpwall::audit::walk {

Step Walk::eval(const Match& m, const At&) {
  Step s;
  const bool v4 = p_.family == policy::Family::ipv4;
  auto no_match = [&s] { s.kind = StepKind::brk; };
  XtMatch x = decode_xt_match(m);
  if (const auto* ic = std::get_if<XtIcmp>(&x)) {
    if (m.name != (v4 ? "icmp" : "icmp6")) return no_match(), s;
    bool any = v4 && ic->type == 0xff;
    bool in = any || (ic->type == p_.type && p_.code >= ic->code_min && p_.code <= ic->code_max);
    if (in == ic->invert) no_match();
    return s;
  }
  if (const auto* ct = std::get_if<XtCtState>(&x)) {
    if (!ct->other.empty()) {
      unmodelled(fmt::format("xt match conntrack {}", ct->other));
      if (!decide(fmt::format("xt match conntrack {} (the audit cannot judge it)", ct->other)))
        return no_match(), s;
    }
    if (ct->states == 0xffff) return s;
    if (ct_state_in(ct->states) == ct->invert) no_match();
    return s;
  }
  if (const auto* lim = std::get_if<XtLimit>(&x)) {
    std::string rate = rate_text(lim->rate, lim->unit, NFT_LIMIT_PKTS);
    commit_limit(rate,
                 fmt::format("{}: xt match limit {} burst {}", describe(here()), rate, lim->burst));
    return s;
  }
  if (const auto* at = std::get_if<XtAddrtype>(&x)) {
    bool dest_in = (at->dest & (1u << daddr_type())) != 0;
    if (at->dest && dest_in == at->invert_dest) return no_match(), s;
    if (at->source && !decide(fmt::format("xt match addrtype --src-type 0x{:x}{}", at->source,
                                          at->invert_source ? " (inverted)" : "")))
      return no_match(), s;
    if (at->limit_iface) {
      unmodelled("xt match addrtype --limit-iface");
      if (!decide("xt match addrtype --limit-iface (the audit cannot judge it)"))
        return no_match(), s;
    }
    return s;
  }
  if (const auto* pt = std::get_if<XtPkttype>(&x)) {
    if ((pt->pkttype == pkttype()) == pt->invert) no_match();
    return s;
  }
  if (const auto* hl = std::get_if<XtHopLimit>(&x)) {
    static const char* kOps[] = {"==", "!=", "<", ">"};
    if (!p_.hop_limit) {
      const char* field = v4 ? "ip ttl" : "ip6 hoplimit";
      if (!decide(fmt::format("{} {} {}", field, kOps[hl->mode], hl->value))) no_match();
      return s;
    }
    int h = *p_.hop_limit;
    bool in = hl->mode == 0   ? h == hl->value
              : hl->mode == 1 ? h != hl->value
              : hl->mode == 2 ? h < hl->value
                              : h > hl->value;
    if (!in) no_match();
    return s;
  }
  if (std::holds_alternative<XtRoutingHeader>(x)) return no_match(), s;
  if (std::holds_alternative<XtComment>(x)) return s;
  unmodelled(std::get<XtOpaque>(x).why);
  if (!decide(std::get<XtOpaque>(x).why + " (the audit cannot judge it)")) no_match();
  return s;
}

Step Walk::eval(const Target& tg, const At&) {
  Step s;
  for (auto [name, code] : {std::pair{"ACCEPT", NF_ACCEPT}, std::pair{"DROP", NF_DROP},
                            std::pair{"RETURN", int{NFT_RETURN}}})
    if (tg.name == name) {
      s.kind = StepKind::verdict;
      s.verdict = Verdict{code, {}};
      s.text = "xt target ";
      return s;
    }
  if (tg.name == "NFQUEUE") {
    terminal(s, Outcome::queued, "xt target NFQUEUE");
    return s;
  }
  if (tg.name == "REJECT") {
    terminal(s, Outcome::rejected, "xt target REJECT");
    return s;
  }
  static const char* kPassive[] = {"LOG",        "NFLOG",       "MARK",  "CONNMARK",  "CT",
                                   "TRACE",      "CLASSIFY",    "DSCP",  "TOS",       "TCPMSS",
                                   "SECMARK",    "CONNSECMARK", "AUDIT", "IDLETIMER", "NOTRACK",
                                   "MASQUERADE", "SNAT",        "DNAT",  "REDIRECT"};
  for (const char* n : kPassive)
    if (tg.name == n) {
      ev_.notes.push_back(fmt::format("{}: xt target {}", describe(here()), tg.name));
      return s;
    }
  unmodelled(fmt::format("xt target {}", tg.name));
  terminal(s, Outcome::conditional, fmt::format("xt target {} (not modelled)", tg.name));
  return s;
}

}  // namespace icmpwall::audit::walk
