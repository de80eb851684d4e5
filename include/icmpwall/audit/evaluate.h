// SPDX-License-Identifier: GPL-2.0-or-later
// What the live ruleset does with one ICMP packet, and why.
//
// evaluate() walks a Ruleset snapshot the way the kernel walks it for a
// packet at one hook: every base chain of that hook in every table whose
// family sees the packet (ip for IPv4, ip6 for IPv6, inet for both;
// dormant tables skipped), in priority order; within a chain the rules in
// order; within a rule the expressions in order, over a symbolic register
// file. A register byte is either known (the packet description fixes it:
// nfproto, l4proto, icmp type and code, addresses and hop limit when
// given, the interfaces when given) or unknown with a label ("ip saddr",
// "ct state"). A comparison, range or set lookup on unknown bytes is a
// condition the description does not fix: the walk forks, follows both
// branches, and if they end alike the condition did not matter; if not,
// the outcome is `conditional`, with the condition's text and location.
// Expressions that are not understood (an Unknown, an xt match) fork the
// same way, so nothing is silently ignored.
//
// Verdicts: accept ends only its own base chain (the next base chain of
// the hook still sees the packet), drop and reject are final, queue (nft
// queue or the xt NFQUEUE target) hands the packet to a worker whose
// accept, like any accept, goes on to the next base chain: a later drop
// decides, else the outcome is `queued`, decided by the queueing rule. jump pushes a return
// point, goto does not, return (or the end of a regular chain) pops; the
// end of a base chain applies its policy. A chain that returned is not
// walked again in the same world from the same state (chain_memo.h), so a
// walk costs at most each chain once per state, not once per path to it.
// A limit on the path (a limit expression, one inside a set update, a
// limit object) is evaluated as "within the rate": if the packet is then
// accepted the outcome is `rate_limited` at that rate.
//
// Budgets (EvaluateOptions): open conditions followed, rule steps, time.
// When one runs out the outcome is conditional and `unknown_beyond` says
// where and why: an answer, never a hang.
//
// The hooks before and after: a packet for this host passes ingress (netdev
// and inet ingress chains, when bound to its input interface) and
// prerouting before input; a forwarded one ingress, prerouting, forward
// and postrouting; a locally sent one output then postrouting. All of
// those are walked in that order, so a drop in a prerouting chain decides
// the input and forward outcomes. An ingress chain whose device the packet
// description does not name is a condition on the input interface.
//
// Connection tracking: `ct state` (native, or the xt conntrack / state
// matches) is known when Packet::ct_state gives it, otherwise a condition
// ("ct state established,related"). Told the state, an invalid or
// untracked packet has no conntrack entry (other ct keys do not match); a
// tracked one is taken as not NATed (ct status dnat/snat clear). xt
// matches are decoded (xt.h); one the audit cannot judge is a condition
// naming it.
//
// Addresses of the packet are destined, by default, to an ordinary
// unicast address: local to this host on input, elsewhere on forward and
// output (`fib daddr type` sees "local" or "unicast"); Packet::daddr_type
// overrides it. The packet is not a fragment and has no IPv4 options or
// IPv6 extension headers: `ip frag-off` reads 0, and an `exthdr` finds no
// header (the rule breaks, or "present" reads 0), so icmpwall's fragment
// rules never change an outcome.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "icmpwall/audit/ruleset.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/result.h"

namespace icmpwall::audit {

// One packet, as far as the question fixes it.
struct Packet {
  policy::Family family = policy::Family::ipv4;
  policy::Hook hook = policy::Hook::input;
  uint8_t type = 0;
  uint8_t code = 0;
  Bytes src;  // 4 or 16 bytes, network order; empty: not given
  Bytes dst;
  std::optional<uint8_t> hop_limit;  // IPv4 ttl / IPv6 hop limit
  std::string iif;                   // interface names; empty: not given
  std::string oif;
  std::optional<uint32_t> daddr_type;  // RTN_*; none: the hook's default
  // The conntrack state, one bit as nft's ct state (new 8, established 2,
  // related 4, invalid 1, untracked 64); none: not given, so a ct state
  // test is a condition of the outcome.
  std::optional<uint32_t> ct_state;
};

enum class Outcome { accepted, dropped, rejected, rate_limited, queued, conditional };

// "accepted", "rate-limited", ...
std::string outcome_name(Outcome o);

// Where something is: a rule (handle != 0) or a chain's policy (handle 0).
struct Location {
  std::string family;  // "inet"
  std::string table;
  std::string chain;
  uint64_t handle = 0;
  std::string hook;  // the netfilter hook the chain is on: "prerouting", "input", ...
  bool operator==(const Location&) const = default;
};

// "inet icmpwall input #5" or "inet icmpwall input policy".
std::string describe(const Location& l);

struct CounterSeen {
  Location where;
  std::string name;  // a named counter object; empty for a rule's own counter
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// Where the evaluation stopped short: a budget ran out (too many open
// conditions, too many steps, the time) or a walk did not end. The outcome
// is conditional, and what the packet meets beyond `where` is unknown.
struct Cutoff {
  std::string reason;
  Location where;
  bool operator==(const Cutoff&) const = default;
};

// An expression the audit cannot model, met on the way (in any world of
// the case split): an expression kind it does not know, an xt match it
// cannot judge, an xt target it does not know. Its effect is a condition
// of the outcome.
struct Unmodelled {
  std::string expression;  // "xt match string rev 1", "expression 'osf'"
  Location where;
  bool operator==(const Unmodelled&) const = default;
};

struct Evaluation {
  Outcome outcome = Outcome::accepted;
  std::string rate;               // rate_limited: "20/second"
  std::string condition;          // conditional: what the outcome depends on, and where
  Location decided_by;            // the rule (or chain policy) that decided
  std::vector<std::string> path;  // one line per rule that acted, in order
  std::vector<CounterSeen> counters;
  std::vector<std::string> notes;  // log, ct set, nat, ... on the path
  std::optional<Cutoff> unknown_beyond;
  std::vector<Unmodelled> unmodelled;
};

struct EvaluateOptions {
  // Forks followed before giving up on a full case split (the outcome
  // then is conditional on the first unresolved condition).
  int max_branches = 256;
  // Rule steps over all walks of one packet (each walk also stops after
  // 100000 steps, taken for a loop). With chains already walked in a world
  // not walked again, ordinary rulesets stay far below it.
  size_t max_steps = 4'000'000;
  // None: no time limit. A report shares one deadline over all its packets.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

Evaluation evaluate(const Ruleset& rs, const Packet& p, const EvaluateOptions& options = {});

// The default options with a deadline `seconds` from now.
EvaluateOptions evaluate_options(double seconds);

// The element of `set` that `key` (set.key_len bytes) falls in: exact
// keys, intervals (start / end-flagged elements), concatenated ranges
// (key .. key_end per field), and the catch-all last. nullptr if none.
const SetElement* find_element(const Set& set, const Bytes& key);

// A command line's family ("ipv4", "ip", "4", ...) and hook ("input", ...);
// the names themselves are policy::to_string's.
Result<policy::Family> parse_family(const std::string& s);
Result<policy::Hook> parse_hook(const std::string& s);
// "established,related" for ct state bits; "new" -> 8 (0: not a state).
std::string ct_state_names(uint32_t states);
uint32_t ct_state_bit(const std::string& name);
// "198.18.0.1" / "2001:db8::1" -> 4 / 16 bytes; the family must match.
Result<Bytes> parse_address(policy::Family f, const std::string& s);

}  // namespace icmpwall::audit
