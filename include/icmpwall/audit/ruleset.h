// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's whole nftables ruleset as plain, owned C++ values.
//
// A Ruleset is what the audit reads: every table of every family (not
// only icmpwall's), with its chains, rules, sets (and their elements) and
// stateful objects, as the kernel held them at one generation. Nothing
// here refers to libnftnl; dump.h fills it over netlink, describe.h prints
// it.
//
// Rules keep their expressions in kernel order, one typed struct per
// expression kind nft uses for filtering. An expression this file does not
// model is kept as Unknown with its name, never dropped, so a reader can
// tell "nothing here" from "something not understood".
//
// Registers are the kernel's numbers: 0 is the verdict register, 1..4 the
// 128-bit registers, 8..23 the 32-bit ones. Byte strings (cmp data, set
// keys) are exactly what the kernel holds, in its byte order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace icmpwall::audit {

using Bytes = std::vector<uint8_t>;

// A verdict: the kernel's code (NF_DROP 0, NF_ACCEPT 1, NF_QUEUE 3,
// NFT_CONTINUE -1, NFT_BREAK -2, NFT_JUMP -3, NFT_GOTO -4, NFT_RETURN -5)
// and, for jump and goto, the target chain.
struct Verdict {
  int32_t code = 0;
  std::string chain;
  bool operator==(const Verdict&) const = default;
};

// ---- expressions -------------------------------------------------------

struct Meta {
  uint32_t key = 0;              // NFT_META_*
  std::optional<uint32_t> dreg;  // load
  std::optional<uint32_t> sreg;  // store (meta set)
};

struct Payload {
  uint32_t base = 0;  // NFT_PAYLOAD_{LL,NETWORK,TRANSPORT,INNER}_HEADER
  uint32_t offset = 0;
  uint32_t len = 0;
  std::optional<uint32_t> dreg;  // load
  std::optional<uint32_t> sreg;  // store (payload set / mangle)
};

struct Cmp {
  uint32_t sreg = 0;
  uint32_t op = 0;  // NFT_CMP_{EQ,NEQ,LT,LTE,GT,GTE}
  Bytes data;
};

struct Bitwise {
  uint32_t sreg = 0;
  uint32_t dreg = 0;
  uint32_t len = 0;
  uint32_t op = 0;  // NFT_BITWISE_{BOOL,LSHIFT,RSHIFT}
  Bytes mask;
  Bytes xor_;
  Bytes data;  // shift amount for LSHIFT/RSHIFT
};

struct Range {
  uint32_t sreg = 0;
  uint32_t op = 0;  // NFT_RANGE_{EQ,NEQ}
  Bytes from;
  Bytes to;
};

// Set or map lookup; a map lookup has a dreg (0: a verdict map).
struct Lookup {
  std::string set;
  uint32_t sreg = 0;
  std::optional<uint32_t> dreg;
  uint32_t flags = 0;  // NFT_LOOKUP_F_INV
  bool inverted() const { return flags & 1u; }
};

struct Immediate {
  uint32_t dreg = 0;
  std::optional<Verdict> verdict;  // dreg 0
  Bytes data;                      // any other register
};

struct Counter {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct Limit {
  uint64_t rate = 0;
  uint64_t unit = 0;  // seconds
  uint32_t burst = 0;
  uint32_t type = 0;   // NFT_LIMIT_PKTS, NFT_LIMIT_PKT_BYTES
  uint32_t flags = 0;  // NFT_LIMIT_F_INV: "limit rate over"
};

// A reference to a named object: by name, or through a map (set + sreg).
struct Objref {
  uint32_t type = 0;  // NFT_OBJECT_*
  std::string name;
  std::string set;
  std::optional<uint32_t> sreg;
};

struct Ct {
  uint32_t key = 0;              // NFT_CT_*
  std::optional<uint32_t> dir;   // IP_CT_DIR_{ORIGINAL,REPLY}
  std::optional<uint32_t> dreg;  // load
  std::optional<uint32_t> sreg;  // store (ct set)
};

// An extension header or option field: IPv6 extension headers (op 0),
// TCP options, IPv4 options, SCTP chunks, DCCP options.
struct Exthdr {
  uint32_t op = 0;   // NFT_EXTHDR_OP_{IPV6,TCPOPT,IPV4,SCTP,DCCP}
  uint8_t type = 0;  // header or option number (IPv6: 44 fragment)
  uint32_t offset = 0;
  uint32_t len = 0;
  uint32_t flags = 0;            // NFT_EXTHDR_F_PRESENT: load "is there" instead
  std::optional<uint32_t> dreg;  // load
  std::optional<uint32_t> sreg;  // store (TCP option set)
};

struct Fib {
  uint32_t flags = 0;   // NFTA_FIB_F_*
  uint32_t result = 0;  // NFT_FIB_RESULT_*
  uint32_t dreg = 0;
};

struct Queue {
  uint16_t num = 0;
  uint16_t total = 0;
  uint16_t flags = 0;  // NFT_QUEUE_FLAG_{BYPASS,CPU_FANOUT}
  std::optional<uint32_t> sreg_qnum;
};

struct Reject {
  uint32_t type = 0;  // NFT_REJECT_{ICMP_UNREACH,TCP_RST,ICMPX_UNREACH}
  uint8_t code = 0;
};

struct Log {
  std::string prefix;
  std::optional<uint16_t> group;
  std::optional<uint32_t> snaplen;
  std::optional<uint16_t> qthreshold;
  std::optional<uint32_t> level;
  std::optional<uint32_t> flags;
};

// xtables compatibility (iptables-nft): -m NAME and -j NAME.
struct Match {
  std::string name;
  uint32_t rev = 0;
  Bytes info;
};
struct Target {
  std::string name;
  uint32_t rev = 0;
  Bytes info;
};

// nat, masq, redir, notrack: what they are, not how they translate.
struct Nat {
  std::string name;
};

struct Notrack {};

// Anything not modelled above, kept by name.
struct Unknown {
  std::string name;
};

struct Expr;

// Adds to or updates a set from the packet path; its own expressions
// (a limit, a counter) run on the element and can end the rule.
struct Dynset {
  std::string set;
  uint32_t op = 0;  // NFT_DYNSET_OP_{ADD,UPDATE,DELETE}
  uint32_t sreg_key = 0;
  std::optional<uint32_t> sreg_data;
  uint64_t timeout = 0;
  uint32_t flags = 0;
  std::vector<Expr> exprs;
};

using ExprVariant =
    std::variant<Meta, Payload, Cmp, Bitwise, Range, Lookup, Immediate, Counter, Limit, Objref,
                 Dynset, Ct, Exthdr, Fib, Queue, Reject, Log, Match, Target, Nat, Notrack, Unknown>;

// One expression of a rule; std::visit and std::get work on it directly.
struct Expr : ExprVariant {
  using ExprVariant::ExprVariant;
};

// The kernel's name for an expression kind ("meta", "cmp", ...); for
// Unknown and Nat, the name they carry.
std::string expr_name(const Expr& e);

// ---- objects of a table ------------------------------------------------

struct Rule {
  uint64_t handle = 0;
  uint32_t index = 0;     // order in its chain, from 0
  uint64_t position = 0;  // NFTA_RULE_POSITION: the preceding rule's handle, 0 if first
  std::optional<std::string> comment;
  std::vector<Expr> exprs;
};

struct BaseHook {
  uint32_t hooknum = 0;  // NF_INET_* (netdev: NF_NETDEV_INGRESS, ...)
  int32_t priority = 0;
  std::string type;                  // "filter", "nat", "route"
  uint32_t policy = 1;               // NF_ACCEPT or NF_DROP
  std::vector<std::string> devices;  // netdev and inet ingress
};

struct Chain {
  std::string name;
  uint64_t handle = 0;
  uint32_t flags = 0;            // NFT_CHAIN_*
  std::optional<BaseHook> hook;  // none: a regular chain
  std::vector<Rule> rules;
};

struct SetElement {
  Bytes key;
  Bytes key_end;                       // the end of a concatenated interval, else empty
  uint32_t flags = 0;                  // NFT_SET_ELEM_INTERVAL_END, NFT_SET_ELEM_CATCHALL
  std::optional<Verdict> verdict;      // verdict maps
  Bytes data;                          // data maps
  std::string objref;                  // object maps
  std::optional<uint64_t> timeout;     // ms
  std::optional<uint64_t> expiration;  // ms
  std::optional<Counter> counter;
  bool interval_end() const { return flags & 1u; }
};

struct Set {
  std::string name;
  uint64_t handle = 0;
  uint32_t flags = 0;     // NFT_SET_{ANONYMOUS,CONSTANT,INTERVAL,MAP,TIMEOUT,EVAL,OBJECT,...}
  uint32_t key_type = 0;  // nft's datatype id (concatenations: packed ids)
  uint32_t key_len = 0;
  std::optional<uint32_t> data_type;  // maps: NFT_DATA_VERDICT (0xffffff00) or a datatype id
  uint32_t data_len = 0;
  std::optional<uint32_t> obj_type;  // object maps
  std::vector<uint8_t> concat;       // NFTNL_SET_DESC_CONCAT field lengths
  std::optional<uint64_t> timeout;   // ms
  std::vector<SetElement> elements;
  bool is_map() const { return flags & 0x8u; }
  bool is_interval() const { return flags & 0x4u; }
  bool is_anonymous() const { return flags & 0x1u; }
};

// A stateful object. `values` holds its numbers by name (counter:
// packets, bytes; quota: bytes, consumed, flags; limit: rate, unit, burst,
// type, flags; ...), `text` its string attribute (ct helper name, secmark
// context), if any.
struct Object {
  uint32_t type = 0;  // NFT_OBJECT_*
  std::string type_name;
  std::string name;
  uint64_t handle = 0;
  std::vector<std::pair<std::string, uint64_t>> values;
  std::string text;
  std::optional<uint64_t> value(const std::string& key) const;
};

struct Table {
  uint32_t family = 0;  // NFPROTO_*
  std::string name;
  uint32_t flags = 0;  // NFT_TABLE_F_*
  uint64_t handle = 0;
  std::optional<uint32_t> owner;  // netlink port id of an owning process
  std::vector<Chain> chains;
  std::vector<Set> sets;
  std::vector<Object> objects;

  const Chain* chain(const std::string& name) const;
  const Set* set(const std::string& name) const;
  const Object* object(const std::string& name) const;
};

struct Ruleset {
  uint32_t generation = 0;
  std::vector<Table> tables;

  const Table* table(uint32_t family, const std::string& name) const;
  size_t rule_count() const;
  size_t element_count() const;
};

// "ip", "ip6", "inet", "arp", "bridge", "netdev", or the number.
std::string family_name(uint32_t family);

}  // namespace icmpwall::audit
