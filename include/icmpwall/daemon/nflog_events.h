// SPDX-License-Identifier: GPL-2.0-or-later
// What a packet logged through NFLOG becomes: the policy rule (or hook
// default) whose `log` sent it, found by its group and prefix, and the
// structured event lines the daemon writes for it.
//
// The prefix is how a logged packet names its rule: by default it is
// "icmpwall RULE " (a hook's default: "icmpwall default.HOOK "); a custom
// prefix names the rule whose `log` sets it (the first rule, if several
// share one). A prefix no rule of the policy in force uses (another table
// logging to the same group) keeps its text as the event's signature and
// counts as rule "other".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "icmpwall/daemon/events.h"
#include "icmpwall/daemon/nflog_messages.h"
#include "icmpwall/daemon/systemd.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/policy/policy.h"

namespace icmpwall::daemon {

// The rule or default whose `log` produced a packet.
struct LogSource {
  std::string rule;      // the rule's name, or "default.HOOK"
  std::string action;    // the policy's: "allow", "drop", "rate-limit", "inspect"
  bool blocked = false;  // the logged packet is dropped after the log
};

// (group, prefix) -> source, for every `log` of a policy that has a group.
using NflogSources = std::map<std::pair<uint16_t, std::string>, LogSource>;
NflogSources nflog_sources(const policy::Policy& p);
// The NFLOG groups a policy's logs go to (empty: it logs to the kernel log,
// or not at all).
std::set<uint16_t> nflog_groups(const policy::Policy& p);

// One logged packet, decoded as far as its bytes allow.
struct NflogEvent {
  const NflogPacket* message = nullptr;
  const LogSource* source = nullptr;  // none: a prefix the policy does not use
  std::optional<inspect::Packet> packet;
  std::string in_iface;   // empty: none or unknown
  std::string out_iface;  // empty: none or unknown
  EveTime when;
  // The rule as a metric label: the source's, else "other".
  std::string_view rule_label() const { return source ? std::string_view(source->rule) : "other"; }
};

// {"event":"log","rule":...,"action":...,"group":N,"prefix":...,"hook":...,
//  "family":"ipv4|ipv6","src":...,"dst":...,"type":N,"code":N,"iif":...,"oif":...}
// (the addresses and ICMP fields only when the packet decodes).
std::string nflog_json(const NflogEvent& e);
// The eve-style line (events.h): event_type "alert", alert.signature the
// rule's name, alert.action "blocked" or "allowed", alert.category
// "Policy log", severity 3, signature_id 9100010; icmpwall.{rule, action,
// hook, group, prefix}.
std::string nflog_eve_json(const NflogEvent& e);
// The journald fields of the event.
Fields nflog_fields(const NflogEvent& e);

}  // namespace icmpwall::daemon
