// SPDX-License-Identifier: GPL-2.0-or-later
// The policy tree: what a TOML policy file says, checked and resolved, with
// the source position of every part so later stages can point back at it.
//
// The parser (policy/parser.h) builds it; the lint reads it; the compiler
// turns it into an nftables model. Names are already resolved to numbers
// here: a rule that names "echo-request" holds one IcmpMatch per family.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "icmpwall/policy/inspect_settings.h"
#include "icmpwall/util/source.h"

namespace icmpwall::policy {

enum class Family : uint8_t { ipv4, ipv6 };
enum class Hook : uint8_t { input, forward, output };
enum class Action : uint8_t { allow, drop, rate_limit, inspect };
enum class Role : uint8_t { host, router };

// fib daddr type values, as nft names them.
enum class AddrType : uint8_t { unicast, local, broadcast, anycast, multicast };

const char* to_string(Family f);  // "ipv4" / "ipv6"
const char* to_string(Hook h);    // "input" / "forward" / "output"
const char* to_string(Action a);  // "allow" / "drop" / "rate-limit" / "inspect"
const char* to_string(AddrType t);

// One ICMP type (and optionally one code) in one family.
struct IcmpMatch {
  Family family = Family::ipv4;
  uint8_t type = 0;
  std::optional<uint8_t> code;  // none: every code of the type
  SourceLoc loc;                // the list entry that named it
};

enum class RateUnit : uint8_t { second, minute, hour, day };
const char* to_string(RateUnit u);  // "second", ...

struct Rate {
  uint64_t count = 0;
  RateUnit unit = RateUnit::second;
  bool operator==(const Rate&) const = default;
};

struct RateLimit {
  Rate rate;
  uint32_t burst = 0;        // packets; 0 = nft's default (5)
  bool per_source = false;   // false: one global bucket
  uint8_t ipv4_prefix = 32;  // per-source grouping of IPv4 sources
  uint8_t ipv6_prefix = 64;  // per-source grouping of IPv6 sources
  bool over_drop = true;     // over the limit: drop, or continue to the next rule
  uint32_t timeout_s = 60;   // per-source state lifetime
  uint32_t max_sources = 65535;
  SourceLoc loc;  // the `rate` value (else the action)
  bool operator==(const RateLimit& o) const {
    return rate == o.rate && burst == o.burst && per_source == o.per_source &&
           ipv4_prefix == o.ipv4_prefix && ipv6_prefix == o.ipv6_prefix && over_drop == o.over_drop;
  }
};

struct Inspect {
  uint16_t queue = 0;     // first queue number
  uint16_t queues = 1;    // number of queues to balance over
  bool fail_open = true;  // no worker listening: accept (true) or drop
  SourceLoc loc;          // the action
  bool operator==(const Inspect& o) const {
    return queue == o.queue && queues == o.queues && fail_open == o.fail_open;
  }
};

struct Log {
  std::string prefix;  // nft log prefix
  Rate rate{5, RateUnit::minute};
  uint32_t burst = 5;
  // The NFLOG group the packet goes to (`[icmpwall] log-group`), which the
  // daemon reads; none: the kernel log.
  std::optional<uint16_t> group;
  SourceLoc loc;  // the `log` value
  bool operator==(const Log& o) const {
    return prefix == o.prefix && rate == o.rate && burst == o.burst && group == o.group;
  }
};

struct Prefix {
  Family family = Family::ipv4;
  std::array<uint8_t, 16> addr{};  // network byte order; IPv4 uses the first 4
  uint8_t len = 0;
  SourceLoc loc;
  bool operator==(const Prefix& o) const {
    return family == o.family && addr == o.addr && len == o.len;
  }
};

// Where a rule applies. Empty lists mean "anywhere".
struct Scope {
  std::vector<Hook> hooks;  // empty: every hook the policy declares
  std::vector<std::string> iif;
  std::vector<std::string> oif;
  std::vector<Prefix> source;
  std::vector<Prefix> destination;
  std::vector<AddrType> destination_type;
  std::optional<uint8_t> hop_limit;  // IPv6 hop limit / IPv4 TTL must equal this

  // Where each condition is written (its key's value), so that a kernel
  // error on the expressions it becomes points at it. Unknown when absent.
  SourceLoc iif_loc;
  SourceLoc oif_loc;
  SourceLoc source_loc;
  SourceLoc destination_loc;
  SourceLoc destination_type_loc;
  SourceLoc hop_limit_loc;

  // True if the scope has any condition besides hooks.
  bool conditional() const {
    return !iif.empty() || !oif.empty() || !source.empty() || !destination.empty() ||
           !destination_type.empty() || hop_limit.has_value();
  }
};

struct Rule {
  std::string name;  // unique; names the rule's counters in the kernel
  SourceLoc loc;     // the [[rule]] header
  std::vector<IcmpMatch> matches;
  Action action = Action::drop;
  SourceLoc action_loc;
  // Set iff action == rate_limit, or action == inspect with a `rate`:
  // then the packets over the limit are dropped in the kernel and only
  // the rest is queued (over_drop is always true).
  std::optional<RateLimit> limit;
  std::optional<Inspect> inspect;  // set iff action == inspect
  std::optional<Log> log;
  Scope scope;
  // max-size: packets of the rule's types whose ICMP message (header
  // included) is longer are dropped and counted (rule.NAME.oversize).
  std::optional<uint16_t> max_size;
  SourceLoc max_size_loc;
};

// A hook the policy filters, with the verdict for ICMP that no rule names.
struct HookPolicy {
  Hook hook = Hook::input;
  Action default_action = Action::allow;  // allow or drop only
  std::optional<Log> log;                 // log what the default drops/accepts
  SourceLoc loc;
};

// What the table does with fragments of ICMP messages ([icmpwall] fragments).
//   reassemble: the table uses connection tracking, so the kernel
//               reassembles every datagram of the namespace before the
//               filter hooks (both families); the rules see whole messages.
//               With inspect rules, ICMP queries are exempt from tracking
//               (compiler.cpp, declare_notrack_chains).
//   follow:     non-first fragments (no ICMP header to match) are accepted;
//               their first fragment carries the type and gets the verdict,
//               and the receiver cannot reassemble without it.
//   drop:       non-first fragments are dropped.
enum class Fragments : uint8_t { reassemble, follow, drop };
const char* to_string(Fragments f);  // "reassemble" / "follow" / "drop"

struct Policy {
  std::shared_ptr<const SourceFile> source;
  std::string table = "icmpwall";
  int32_t priority = 0;  // base chain priority (nft "filter" is 0)
  Role role = Role::host;
  SourceLoc role_loc;
  Fragments fragments = Fragments::follow;
  SourceLoc fragments_loc;  // unknown when the policy does not say
  // [icmpwall] log-group: every `log` of the policy goes to this NFLOG
  // group (each Log::group says so too); none: to the kernel log.
  std::optional<uint16_t> log_group;
  SourceLoc log_group_loc;
  std::vector<HookPolicy> hooks;  // in input, forward, output order
  std::vector<Rule> rules;        // in file order
  InspectSettings inspect;        // [inspect.*]: thresholds of the inspection worker

  const HookPolicy* hook(Hook h) const {
    for (const auto& hp : hooks)
      if (hp.hook == h) return &hp;
    return nullptr;
  }
};

}  // namespace icmpwall::policy
