// SPDX-License-Identifier: GPL-2.0-or-later
// The nftables model: what the compiler produces, and what both the text
// renderer (compile/render.h, for --dry-run) and the netlink encoder
// (netlink/encode.h) consume. One model, two outputs; a test loads the
// text with `nft -f` and the netlink batch into two namespaces and
// compares what the kernel lists.
//
// The model sits at the level of nft statements, not raw expressions:
// each Stmt maps to a fixed expression sequence, the one nft itself emits
// for the same statement (see `nft --debug=netlink`), including the
// implicit protocol dependencies (e.g. `icmp type` in an inet table loads
// meta nfproto and meta l4proto first).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "icmpwall/compile/set_key.h"
#include "icmpwall/policy/policy.h"
#include "icmpwall/util/source.h"

namespace icmpwall::nft {

// Where a kernel object came from: the policy position a kernel error on
// it is reported at, and a short description ("rule 'echo' (rate-limit)").
struct Origin {
  SourceLoc loc;
  std::string what;
};

// Packet fields the model matches on.
enum class Field : uint8_t {
  nfproto,         // meta nfproto, 1 byte (NFPROTO_IPV4=2, NFPROTO_IPV6=10)
  l4proto,         // meta l4proto, 1 byte (1 icmp, 58 ipv6-icmp)
  iifname,         // meta iifname, 16 bytes
  oifname,         // meta oifname, 16 bytes
  ip_saddr,        // 4 bytes @ nh+12 (dependency: meta nfproto ipv4)
  ip_daddr,        // 4 bytes @ nh+16
  ip_ttl,          // 1 byte @ nh+8
  ip6_saddr,       // 16 bytes @ nh+8 (dependency: meta nfproto ipv6)
  ip6_daddr,       // 16 bytes @ nh+24
  ip6_hoplimit,    // 1 byte @ nh+7
  fib_daddr_type,  // fib daddr type, 4 bytes (host order), RTN_* values
  icmp_type,       // 1 byte @ th+0 (dependency: nfproto ipv4, l4proto icmp)
  icmp_code,       // 1 byte @ th+1
  icmpv6_type,     // 1 byte @ th+0 (dependency: nfproto ipv6, l4proto ipv6-icmp)
  icmpv6_code,     // 1 byte @ th+1
};

// `field == value` (value in network byte order for payload fields, as
// the kernel compares it; ifnames NUL-padded to 16 bytes; fib addr type
// and meta values in host order as nft emits them).
struct Match {
  Field field;
  std::vector<uint8_t> value;
};

// `field addr/len`: an address field within one prefix (address bytes in
// network order, host bits clear; 0 < len <= the field's bits), as nft
// encodes `ip saddr 198.18.0.0/15`: a whole-byte prefix loads only its
// bytes, any other is masked. A rule's single prefix is matched this way
// rather than through a set of one element: the kernel pays for each
// named set in proportion to the sets already in the table.
struct PrefixMatch {
  Field field;
  std::vector<uint8_t> addr;
  uint8_t len = 0;
};

// A non-first fragment of `family`: `ip frag-off & 0x1fff != 0` (IPv4,
// dependency meta nfproto ipv4) or `frag frag-off != 0` (IPv6: the
// fragment extension header's offset, dependency meta nfproto ipv6). The
// ICMP header is only in the first fragment, so nothing else of a later
// fragment can be matched on.
struct NonFirstFragment {
  policy::Family family = policy::Family::ipv4;
};

// The ICMP message (from its header on) is longer than `bytes`: the byte
// at transport offset `bytes` exists, `@th,<bytes*8>,8 <= 0xff` (a load
// past the packet's end breaks the rule). The transport offset is the
// kernel's: past IPv4 options and IPv6 extension headers, so the length
// is the message's whatever the IP header holds, which `meta length`
// minus a fixed header length would not be.
struct LongerThan {
  uint16_t bytes = 0;
};

// `ct state S[,S...]`: the packet's conntrack state is one of `states`
// (nft's bits: invalid 1, established 2, related 4, new 8, untracked 64).
// Any ct expression makes the kernel track connections in the namespace,
// both families, and reassemble fragments before the filter hooks.
struct CtState {
  uint32_t states = 0;
};
inline constexpr uint32_t kCtInvalid = 1;

// `notrack`: the kernel does not track the packet's connection (no
// conntrack entry is created for it); the rule goes on.
struct Notrack {};

// `field @set` (a named set lookup).
struct SetMatch {
  Field field;
  std::string set;
};

// `f1 . f2 vmap @map`: concatenated key, verdict map lookup.
struct VmapLookup {
  std::vector<Field> key;
  std::string map;
};

struct CounterRef {  // counter name "x"
  std::string name;
};
struct LimitRef {  // limit name "x"
  std::string name;
};

struct Limit {  // inline: limit rate N/unit burst B packets
  policy::Rate rate;
  uint32_t burst = 5;
};

// update @set { <field> [& mask] limit rate N/unit burst B packets }
// A per-source rate limit: one token bucket per (masked) source address.
struct DynsetLimit {
  std::string set;
  Field key;                  // ip_saddr or ip6_saddr
  std::vector<uint8_t> mask;  // empty: whole address; else bitwise and
  Limit limit;
};

struct Log {  // log prefix "x" [group N]
  std::string prefix;
  // The NFLOG group (netlink, read by the daemon); none: the kernel log.
  std::optional<uint16_t> group;
};

// queue num N[-M] [fanout] [bypass]. The encoder emits the native nft
// queue expression, or the xt NFQUEUE target (rev 3) where the kernel
// lacks nft_queue (see netlink/queue_probe.h).
struct Queue {
  uint16_t num = 0;
  uint16_t total = 1;
  bool bypass = true;  // fail open when no worker listens
  bool fanout = false;
};

enum class VerdictKind : uint8_t { accept, drop, jump, goto_, return_ };
struct Verdict {
  VerdictKind kind = VerdictKind::accept;
  std::string chain;  // jump/goto target
};

using Stmt =
    std::variant<Match, PrefixMatch, NonFirstFragment, LongerThan, CtState, Notrack, SetMatch,
                 VmapLookup, CounterRef, LimitRef, Limit, DynsetLimit, Log, Queue, Verdict>;

struct Rule {
  std::vector<Stmt> stmts;
  std::string comment;  // rendered as comment "..."; stored as rule userdata
  Origin origin;
  // Where each statement comes from in the policy (its key's value), by
  // index into `stmts`: a kernel error on one of its expressions points
  // there, as nft points at the statement. A statement without one points
  // at origin.loc.
  std::vector<SourceLoc> stmt_locs;

  // Appends a statement written at `loc`.
  void add(Stmt s, SourceLoc loc = {});
  // Statement `i`'s position, else origin.loc.
  const SourceLoc& loc_of(size_t i) const;
};

// The netfilter hooks icmpwall's base chains attach to: the policy's
// hooks, and prerouting for the connection-tracking exemptions.
enum class NfHook : uint8_t { prerouting, input, forward, output };
NfHook nf_hook(policy::Hook h);
uint32_t hook_number(NfHook h);   // NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, ...
const char* to_string(NfHook h);  // "prerouting", "input", ... (nf_hook_name)

struct BaseHook {
  NfHook hook;
  int32_t priority = 0;
  bool policy_drop = false;  // always false for icmpwall's chains
};

struct Chain {
  std::string name;
  std::optional<BaseHook> base;  // none: a regular chain (jump target)
  std::vector<Rule> rules;
  Origin origin;
};

// Set key types the model uses (nft datatype names).
enum class KeyType : uint8_t {
  ipv4_addr,
  ipv6_addr,
  ifname,
  fib_addrtype,
  icmp_type_code,    // icmp_type . icmp_code (concatenation)
  icmpv6_type_code,  // icmpv6_type . icmpv6_code (concatenation)
};

struct Element {
  SetKey key;                      // for concatenations: each field padded to 4 bytes
  SetKey key_end;                  // interval sets: inclusive last key; empty = single key
  std::optional<Verdict> verdict;  // maps only
};

struct Set {
  std::string name;
  KeyType key = KeyType::ipv4_addr;
  bool map = false;       // verdict map
  bool interval = false;  // flags interval
  bool dynamic = false;   // flags dynamic,timeout (per-source limits)
  uint32_t timeout_ms = 0;
  uint32_t size = 0;              // 0 = unset
  std::vector<Element> elements;  // sorted, non-overlapping
  Origin origin;
};

enum class ObjectKind : uint8_t { counter, limit };
struct Object {
  ObjectKind kind = ObjectKind::counter;
  std::string name;
  Limit limit;  // for kind == limit
  Origin origin;
};

struct Table {
  std::string name = "icmpwall";
  // family is always inet
  std::vector<Object> objects;  // declared first
  std::vector<Set> sets;        // then sets and maps
  std::vector<Chain> chains;    // then chains (all created before any rule)
};

// True if any rule of the table queues packets (an inspect rule).
bool uses_queue(const Table& table);
// The rules of every chain; the elements of every set and map.
size_t count_rules(const Table& table);
size_t count_elements(const Table& table);

// Byte helpers for building Match values.
std::vector<uint8_t> u8(uint8_t v);
std::vector<uint8_t> u32_host(uint32_t v);                   // host byte order (meta, fib)
std::vector<uint8_t> ifname_bytes(const std::string& name);  // padded to 16

}  // namespace icmpwall::nft
