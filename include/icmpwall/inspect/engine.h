// SPDX-License-Identifier: GPL-2.0-or-later
// The inspection engine: one decoded packet and its context in, one
// Finding out.
//
// decode (packet.h) -> the detector that judges this kind of packet:
//   redirects           RedirectValidator (redirect.h)
//   other ICMP errors   ForgedErrorValidator (forged_error.h)
//   queries (echo, ...) TunnelDetector (tunnel.h) and SweepDetector (sweep.h)
// The most severe finding wins (block > drop > log > pass). A packet that does
// not decode is dropped with reason "malformed": the kernel hands over
// only what an inspect rule matched, so a well-formed ICMP packet always
// decodes. Every finding that detects something is counted per reason,
// passed to the event callback (one structured log event per detection)
// and, for `block`, to the block callback, which asks the kernel to drop
// the sender's prefix (BlockConfig: its /32 or /64 by default) for a while,
// at most once per prefix while its block lasts: an attacker who owns a
// /64 gains nothing by moving to the next address of it.
//
// Who gets blocked. A block names the IP source of the packet whose
// finding says block, never a destination and never an address a detector
// names, and only when that source passes every guard below; otherwise
// the finding is lowered to a drop of the packet and its event says why
// ("block_withheld"):
//   own-address        one of this host's addresses (RouteView::is_local)
//   gateway            one of its routers: the gateway of any of its routes
//                      or an IPv6 neighbour flagged as a router
//   link-local, loopback, multicast, unspecified, broadcast
//                      addresses that are never a single remote sender
//   never-block        inside a BlockConfig::never_block prefix
//   unverified-sender  the sender is not proven (BlockConfig::verify):
//                      `link`: it is on a network directly connected to
//                      the interface the packet came in on AND the frame's
//                      link-layer source is the one the neighbour table
//                      holds for it on that interface (no entry: unproven);
//                      `route`: as `link`, and an off-link sender (or one
//                      behind a device without link-layer addresses) also
//                      passes when the route back to it leaves by the
//                      interface the packet came in on (reverse path).
// A spoofed source therefore costs its victim at most the spoofed packets
// themselves. A prefix-wide block whose prefix would also hold one of this
// host's addresses, one of its routers or (part of) a never-block prefix is
// narrowed to the sender's address alone (/32, /128): the sender is still
// blocked, its neighbours are not.
//
// Dry run. EngineConfig::enforce caps every finding after the guards
// (log: everything passes and is logged; drop: nobody is blocked); the
// event then carries the outcome the cap lowered ("would").
//
// Safe to call from several queue workers at once: one mutex guards the
// detectors' flow state (hash-balanced queues keep a flow on one worker,
// but a sweep spans flows). The event callback runs under that mutex, so
// events come out one at a time; the block callback (a netlink round trip)
// runs after it is released, so the other workers go on meanwhile.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "icmpwall/inspect/context.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/detect/forged_error.h"
#include "icmpwall/inspect/detect/redirect.h"
#include "icmpwall/inspect/detect/sweep.h"
#include "icmpwall/inspect/detect/tunnel.h"
#include "icmpwall/inspect/enforcement.h"
#include "icmpwall/inspect/finding.h"
#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::inspect {

// How much of the address space one block covers: the source's prefix of
// this length. Lengths beyond the family's width mean the whole address.
struct BlockConfig {
  uint8_t ipv4_prefix = 32;
  uint8_t ipv6_prefix = 64;
  // Prefixes never blocked whatever their traffic ([inspect.block]
  // never-block: monitoring systems, resolvers, peers). The host's own
  // addresses, its gateways and routers, link-local, loopback, multicast
  // and unspecified addresses are never blocked either, listed or not.
  struct Prefix {
    Address network;
    uint8_t len = 0;
  };
  std::vector<Prefix> never_block;
  // What a sender must prove before the kernel blocks it (a spoofed source
  // must never get its victim blocked): `link`: it is on a directly
  // connected network and the frame came from its own link-layer address
  // (neighbour table), off-link senders are dropped per packet only;
  // `route`: as `link`, and off-link senders also when the route back to
  // them leaves by the interface the packet came in on (reverse path).
  enum class Verify : uint8_t { link, route };
  Verify verify = Verify::link;
};

// A prefix the engine asks the kernel to drop: `address` with every bit
// past `length` cleared.
struct BlockedPrefix {
  Address address;
  uint8_t length = 0;
  bool operator==(const BlockedPrefix&) const = default;
};

// `a` with every bit past the first `length` cleared (length capped at the
// family's width).
BlockedPrefix mask_prefix(const Address& a, uint8_t length);

struct EngineConfig {
  // The namespace tracks connections (the policy reassembles fragments
  // through conntrack), so a packet without a conntrack entry belongs to
  // no known flow (PacketContext::ct == none).
  bool conntrack = false;
  // Policy-wide cap on every detector ([inspect] enforce): "log" rolls
  // detection out without dropping anything; events say what would have
  // happened. None: each detector's own setting.
  std::optional<Enforce> enforce;
  BlockConfig block;
  TunnelConfig tunnel;
  SweepConfig sweep;
  RedirectConfig redirect;
  ForgedErrorConfig forged_error;
};

struct EngineCounters {
  uint64_t packets = 0;
  uint64_t passed = 0;
  uint64_t logged = 0;  // passed, but detected (policy: log only)
  uint64_t dropped = 0;
  uint64_t blocked = 0;                     // findings with outcome block
  uint64_t block_requests = 0;              // prefixes handed to the block callback
  std::map<std::string, uint64_t> reasons;  // per detection reason
};

// What the engine tells the outside world about a detection.
struct Event {
  const Packet* packet = nullptr;          // null for "malformed"
  const Finding* finding = nullptr;        // its outcome is what is done to the packet
  const PacketContext* context = nullptr;  // never null
  // The outcome before EngineConfig::enforce capped it; none when the cap
  // changed nothing.
  std::optional<Outcome> would;
  // Why a block the detector asked for was lowered to a drop (a guard:
  // "own-address", "gateway", "never-block", "unverified-sender", ...);
  // null when nothing was withheld.
  const char* block_withheld = nullptr;
  // The prefix blocked (or already held blocked) for outcome block.
  std::optional<BlockedPrefix> block;
};

class Engine {
 public:
  using EventFn = std::function<void(const Event&)>;
  using BlockFn = std::function<void(const BlockedPrefix&, std::chrono::seconds)>;

  Engine(EngineConfig config, std::shared_ptr<RouteView> routes, EventFn on_event = {},
         BlockFn on_block = {});

  // `bytes` from the IP header (possibly cut by the queue's copy range);
  // `ctx`: what the kernel says about the packet.
  Finding inspect(std::span<const uint8_t> bytes, const PacketContext& ctx, Clock::time_point now);
  // The same for a packet decoded already (decode_packet with
  // DecodeOptions::allow_truncated), for a caller that reads the decoded
  // packet too.
  Finding inspect(const Decoded<Packet>& decoded, const PacketContext& ctx, Clock::time_point now);
  // Starts loading the table entries inspect(packet) will touch first (a
  // caller with several packets at hand calls it a few packets ahead, so
  // that their cache misses overlap). Changes nothing and takes no lock.
  void prefetch(const Packet& packet) const;

  EngineCounters counters() const;
  const EngineConfig& config() const { return config_; }

 private:
  struct BlockRequest {
    BlockedPrefix prefix;
    std::chrono::seconds period{0};
  };

  // inspect()'s part under the mutex; a block to request lands in `block`.
  Finding judge_locked(const Decoded<Packet>& decoded, const PacketContext& ctx,
                       Clock::time_point now, std::optional<BlockRequest>& block);
  Finding judge(const Packet& packet, const PacketContext& ctx, Clock::time_point now);
  // The conntrack state of an echo reply arriving on the input hook when
  // the kernel did not report one (kernels without NETLINK_GLUE_CT): a
  // host's own pings leave through the output hook, so the tunnel
  // detector never sees their requests; conntrack does. Asked over
  // ctnetlink, at most kConntrackLookupsPerSecond times a second (beyond
  // that, and where the namespace does not track, the state stays
  // unknown), so a flood of replies cannot turn into a flood of lookups.
  Conntrack reply_conntrack(const Packet& packet, const PacketContext& ctx, Clock::time_point now);
  // The drop of a packet that does not decode, counted and reported
  // (under the mutex).
  Finding malformed(DecodeError error, const PacketContext& ctx);
  // EngineConfig::enforce applied to `f`; `event.would` records a change.
  void enforce(Finding& f, Event& event) const;
  void count(Outcome o);
  // The guard that forbids blocking `source` (see above), or null.
  const char* block_guard(const Address& source, const PacketContext& ctx);
  bool sender_verified(const Address& source, const PacketContext& ctx);
  // The prefix a block of `source` covers: the configured length, narrowed
  // to the address alone when the prefix holds something protected.
  BlockedPrefix block_prefix(const Address& source);
  // The request to hand to the block callback; none if the prefix is
  // blocked already (or there is no callback).
  std::optional<BlockRequest> block_request(const Finding& f, const BlockedPrefix& prefix,
                                            Clock::time_point now);

  static constexpr uint32_t kConntrackLookupsPerSecond = 1000;

  EngineConfig config_;
  std::shared_ptr<RouteView> routes_;
  Clock::time_point lookup_second_{};
  uint32_t lookups_this_second_ = 0;
  EventFn on_event_;
  BlockFn on_block_;
  RedirectValidator redirect_;
  ForgedErrorValidator forged_error_;
  TunnelDetector tunnel_;
  SweepDetector sweep_;
  mutable std::mutex mutex_;
  EngineCounters counters_;
  Clock::time_point last_now_{};
  std::map<Address, Clock::time_point> blocked_until_;  // per prefix; bounded: pruned on insert
};

}  // namespace icmpwall::inspect
