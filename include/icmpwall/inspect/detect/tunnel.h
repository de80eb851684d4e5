// SPDX-License-Identifier: GPL-2.0-or-later
// ICMP tunnel detection: echo and the other query types that can carry
// data, scored per flow and per side of it.
//
// A flow is a query exchange between two hosts: (initiator, responder,
// identifier, query kind), where the initiator sends the requests and the
// responder the replies, so both directions of one ping land in one flow.
//
// Evidence has a direction. Each packet is tested for signals; the
// signals it fires weigh against the side that sent it: the initiator for
// a request, the responder for a reply. A reply that returns its request's
// payload unchanged (matched by identifier and sequence in a bounded
// table) carries nothing of its own: its content was the request's and
// was judged there, so it is not tested again and adds nothing to the
// responder. A packet whose signals weigh drop_score is dropped, and its
// score is added to its side's, which decays with a half-life. A side
// whose score reaches block_score is blocked (Outcome::block: the engine
// blocks the packet's IP source, the side that carried the evidence),
// but only once the flow has completed an exchange: a reply answered one
// of its requests (or conntrack reports the flow established). A flow
// whose requests were never answered, or whose replies were never asked
// for, is what a spoofed source produces: its packets may be dropped, it
// is never blocked. An unsolicited reply (no request in the table and,
// where conntrack is known, no conntrack entry either) fires `unsolicited`
// and never leads to a block. Packets below drop_score never add up: a
// flood ping's rate signal fires on every packet and must not become a
// block.
//
// Signals (names are stable; they appear in findings and counters):
//
//   size          echo payload larger than max_echo_payload that no
//                 real-ping model explains (see payload_model.h)
//   entropy       unexplained payload with byte entropy over the threshold
//   text          unexplained payload that is printable text
//   shell         ... that is shell commands or their output (icmpsh)
//   mimicry       text or entropy found past a plausible timestamp header
//                 (payload_model.h): a real ping's layout with data where
//                 its fill belongs; no real client follows its timestamp
//                 with text or random bytes
//   reply-mismatch  echo reply whose payload differs from its request's
//   unsolicited   echo reply to no request seen (reply-only exfil)
//   variation     consecutive payloads of one side differ past their first
//                 16 bytes (real pings change only their timestamp): at
//                 least variation_changes of the last 8, or every one of
//                 the first two or three; or, across flows, the sender's
//                 unexplained payloads to this destination are new by the
//                 same count, each within rate_window of the one before
//                 (a tunnel changing its identifier; pair_history.h)
//   rate          packets per second of the flow over rate_window
//   volume        information bytes per second of one side over
//                 volume_window: the whole payload when unexplained or
//                 prober filler, only the timestamp header of a ping fill,
//                 plus every byte past the copy range (unseen bytes may
//                 hold anything)
//   bulk          the same over max_bulk_bytes_per_second: far more than
//                 any ping sends (ping -s 65000 at 1/s is 64 KB/s), so a
//                 big ping with a fake fill in its first bytes cannot
//                 carry unlimited data unseen
//   pattern-variety  the source sent this destination more distinct fill
//                 patterns (ping -p) within pattern_window than
//                 max_fill_patterns, across flows (pair_history.h)
//   query-size    timestamp, information, address mask or node
//                 information message whose body is not its type's size
//   ip-packet     the payload is itself an IPv4/IPv6 packet
//   ptunnel, hans, pingtunnel  a known tool's layout (tunnel_layouts.h)
//
// A payload identical to the last one its side got through (a fixed
// random or text payload: nping --data-length, fping -R, oping's string)
// carries nothing new: it is not measured again and counts no volume.
//
// Real pings pass: their payloads are fills the models explain (fixed
// patterns: payload_model.h; random prober filler: prober_fill.h), so only
// rate or volume can fire, and neither alone reaches drop_score. A flow's
// requests (or, where the requests left unseen through the output hook,
// its replies that conntrack knows) are prober filler while each is (fixed length, alphabet and
// class proportions, the class counts summed over the flow too) and every
// reply returns its request unchanged; the first request that is not
// ends the explanation for the rest of the flow. Filler is explained only
// while the initiator's volume stays within max_bytes_per_second: a
// prober sends a few packets a second, a channel of random letters faster
// than that is judged as the data it may be.
//
// State is three tables (flows, requests awaiting their reply, fill
// patterns per source and destination), all allocated at construction,
// suspect flows in a protected share of the flow table
// (TunnelConfig::protected_share); inspect() allocates nothing unless it
// returns a detection (the Finding's signal list). One detector per
// engine, called under the engine's mutex (engine.h).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "icmpwall/inspect/context.h"
#include "icmpwall/inspect/counters.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/detect/flow_table.h"
#include "icmpwall/inspect/detect/pair_history.h"
#include "icmpwall/inspect/detect/prober_fill.h"
#include "icmpwall/inspect/detect/request_table.h"
#include "icmpwall/inspect/detect/sliding_window.h"
#include "icmpwall/inspect/enforcement.h"
#include "icmpwall/inspect/finding.h"
#include "icmpwall/util/result.h"

namespace icmpwall::inspect {

enum class TunnelSignal : uint8_t {
  size,
  entropy,
  text,
  shell,
  reply_mismatch,
  variation,
  rate,
  volume,
  query_size,
  ip_packet,
  ptunnel,
  hans,
  pingtunnel,
  mimicry,
  unsolicited,
  bulk,
  pattern_variety,
  blocked,  // not a signal of its own: the flow was blocked earlier
};
inline constexpr size_t kTunnelSignalCount = 18;
const char* to_string(TunnelSignal s);

struct TunnelWeights {
  double size = 1;
  double entropy = 3;
  double text = 2;
  double shell = 4;
  double reply_mismatch = 3;
  double variation = 2;
  double rate = 1;
  double volume = 2;
  double query_size = 4;
  double ip_packet = 12;  // a whole packet inside: a tunnel, nothing else does it
  double ptunnel = 12;
  double hans = 12;
  double pingtunnel = 12;
  // With text or entropy (which it never fires without) it drops.
  double mimicry = 2;
  // With text or entropy it drops: reply-only exfil.
  double unsolicited = 2;
  double bulk = 4;
  double pattern_variety = 4;
  double of(TunnelSignal s) const;
};

struct TunnelConfig {
  // --- payload shape -------------------------------------------------
  // Largest echo payload not counted as "size" unless a ping model explains
  // it. Default pings send 56 bytes (Linux, macOS, BusyBox) or 32
  // (Windows); path MTU tests use -s 1472 (1500-byte packets). Bigger
  // patterned pings (ping -s 65000) are explained and never counted.
  uint32_t max_echo_payload = 1472;
  // Entropy is measured on unexplained payloads of at least this many
  // bytes; below that, a few bytes say nothing about their source.
  uint32_t entropy_min_payload = 32;
  // Bits per byte for payloads of 256+ bytes, scaled by log2(n)/8 below.
  // Encrypted or compressed data: 7.2-8.0 at 256+ bytes (about 5.7 at 64
  // bytes, 4.9 at 32); English text and shell output: 4-5; ping fills are
  // recognised first and never measured.
  double entropy_bits = 7.0;
  // Text: at least this share of printable bytes in an unexplained payload
  // of at least text_min_payload bytes. Real pings send no free text (the
  // Windows alphabet is a fill); a random 4-byte timestamp is all printable
  // about 2% of the time, which is why text alone does not drop.
  double text_min_ratio = 0.9;
  uint32_t text_min_payload = 4;

  // --- flow behaviour ------------------------------------------------
  // Of the last 8 payloads of a flow, how many may differ from the one
  // before (past their first 16 bytes) before "variation" fires. A real
  // ping: none (iputils, BSD, BusyBox change only their timestamp, Windows
  // nothing). A tunnel: nearly all.
  uint32_t variation_changes = 4;
  // Packets per second of a flow, both directions, averaged over the
  // window. ping: 2/s (request and reply), ping -i 0.2: 10/s; flood ping
  // (root, ping -f) exceeds it, which alone still passes.
  std::chrono::seconds rate_window{10};
  double max_packets_per_second = 20;
  // Information bytes per second of a flow (see "volume" above), averaged
  // over the window. A real ping carries its 4-16 byte timestamp: under
  // 100 B/s even at -i 0.2; a tunnel moving interactive traffic or files
  // carries kilobytes.
  std::chrono::seconds volume_window{10};
  double max_bytes_per_second = 4096;
  // Information bytes per second of one side that drop every packet:
  // about four 65000-byte pings a second (their unseen bytes count).
  double max_bulk_bytes_per_second = 262144;
  // Distinct fill patterns one source may send one destination within
  // pattern_window, across flows: `-p ff`, `-p aa55` and two more (the
  // defaults, counting bytes and zeros, are not counted; Windows' alphabet
  // and hping3's 'X' are). Each pattern can hold 16 chosen bytes (ping
  // -p), so this bounds a `ping -p` channel at 64 bytes per window.
  uint32_t max_fill_patterns = 4;
  std::chrono::seconds pattern_window{600};

  // --- scoring and verdicts ------------------------------------------
  TunnelWeights weights;
  // A packet whose signals weigh this much is dropped: e.g. entropy with
  // variation, shell text, text with a mismatched reply, an odd-sized
  // timestamp message.
  double drop_score = 4;
  // A flow whose decayed score reaches this has its initiator blocked:
  // one known-tool or IP-in-ICMP packet, or three or so dropped packets
  // within a half-life.
  double block_score = 12;
  std::chrono::seconds score_half_life{60};
  std::chrono::seconds block_for{600};
  Enforce enforce = Enforce::block;

  // --- state -------------------------------------------------------------
  // Flows tracked at once (LRU beyond). About 290 bytes each.
  uint32_t max_flows = 65536;
  // Share of max_flows kept for suspect flows: a flow is suspect once one
  // of its packets fired a signal other than rate (a flood ping's rate
  // alone is no evidence), and so also once it has any score. Suspect
  // flows are evicted only by other suspect flows, least recently used
  // first, so a flood of one-packet spoofed sources cannot flush a
  // scoring tunnel's state (see flow_table.h); a flood of suspect flows
  // takes at most this share. 0 makes the table a plain LRU.
  double protected_share = 0.25;
  // Echo requests remembered for reply matching (beyond, the oldest of
  // the new request's set of four goes: request_table.h). A ping has one
  // outstanding at a time, and a tunnel's reply follows its request within
  // milliseconds, so 16384 are plenty; 32 bytes each, 512 KiB in all,
  // small enough to stay in cache. Rounded down to a multiple of 4.
  uint32_t max_pending_requests = 16384;
  // (source, destination) pairs whose fill patterns and recent payloads
  // are remembered (LRU beyond); about 190 bytes each.
  uint32_t max_pattern_pairs = 16384;
  // A flow idle this long starts afresh; a request unanswered this long is
  // forgotten (iputils waits at most 10 s for a reply by default).
  std::chrono::seconds flow_idle_timeout{120};
  std::chrono::seconds reply_timeout{30};
};

// Checks ranges (sizes nonzero, ratios in (0, 1], entropy in (0, 8], ...).
Result<void> validate(const TunnelConfig& config);

using TunnelCounters = DetectionCounters<TunnelSignal, kTunnelSignalCount>;

class TunnelDetector {
 public:
  explicit TunnelDetector(const TunnelConfig& config, uint64_t seed = random_seed());

  // Inspects one decoded packet seen at `now` (non-decreasing per
  // detector); `context` says what conntrack knows of it. ICMP errors and
  // types that are not queries pass untouched. Outcome::block names the
  // packet's own source: the side whose packets carried the evidence.
  Finding inspect(const Packet& packet, const PacketContext& context, Clock::time_point now);
  // The block `packet`'s finding asked for was not granted (the engine
  // could not prove its sender, or the sender is protected): its side of
  // the flow is not treated as blocked; later packets are judged on their
  // own evidence, so spoofed evidence cannot condemn the flow of the
  // address it names.
  void withhold(const Packet& packet);
  // Starts loading what inspect(packet) will touch first: the flow's
  // bucket and the request's set. Changes nothing (FlowTable::prefetch).
  void prefetch(const Packet& packet) const;

  const TunnelConfig& config() const { return config_; }
  const TunnelCounters& counters() const { return counters_; }
  size_t flows() const { return flows_.size(); }
  size_t protected_flows() const { return flows_.protected_size(); }
  size_t pending_requests() const { return pending_.size(); }
  size_t pattern_pairs() const { return pairs_.pairs(); }
  size_t memory_bytes() const {
    return flows_.memory_bytes() + pending_.memory_bytes() + pairs_.memory_bytes();
  }

  // Flow and reply-table keys (public for the tables' sake), each word
  // written at once (flow_table.h).
  struct FlowKey {
    std::array<uint8_t, 16> initiator;
    std::array<uint8_t, 16> responder;
    uint32_t query;  // identifier | family << 16 | query kind << 24
  };
  // A request: its flow's keyed hash (FlowTable::hash: two flows alike in
  // its 64 bits are as unlikely as two requests alike in the request
  // table's tag) and its sequence number.
  struct PendingKey {
    uint64_t flow;
    uint64_t seq;
  };

 private:
  // What one side (requests, or replies) of a flow sent on its own; its
  // score and block are in the Flow, beside the other side's (the fields
  // every packet reads share cache lines).
  struct Side {
    SlidingCount bytes;  // information
    uint64_t fingerprint = 0;
    uint64_t passed = 0;   // hash and length of the last payload that passed
    uint32_t seen = 0;     // packets whose content was tested
    uint32_t pattern = 0;  // the last fill pattern recorded (0: none)
    uint8_t variety = 0;   // distinct patterns of the pair when it was recorded
    uint8_t changes = 0;   // bit i: payload i packets ago differed from the one before it
  };
  struct Flow {
    Clock::time_point last_seen{};
    SlidingCount packets;
    std::array<double, 2> score{};                     // by side: kInitiator, kResponder
    std::array<Clock::time_point, 2> blocked_until{};  // by side
    bool exchanged = false;   // a reply answered a request (or conntrack says so)
    bool not_filler = false;  // a request or reply broke the prober filler model
    uint32_t filler_len = 0;  // the length of the requests explained as prober filler
    AlnumCounts filler;       // and their class counts
    std::array<Side, 2> side;
  };

  struct Exam;  // one packet's examination (tunnel.cpp)

  TunnelConfig config_;
  FlowTable<FlowKey, Flow> flows_;
  RequestTable<PendingKey> pending_;
  PairHistory pairs_;
  TunnelCounters counters_;
};

}  // namespace icmpwall::inspect
