// SPDX-License-Identifier: GPL-2.0-or-later
// Tunnel detection (see tunnel.h for the signals and the scoring).
//
// Per packet, in order: classify the query (echo, timestamp, information,
// address mask, node information; anything else passes), find its flow,
// match an echo reply to its request (an unchanged echo is not tested
// again; a reply to nothing is unsolicited), test the payload (ping model
// first, then prober filler; only what neither explains is measured for
// entropy, text and known layouts, also past a timestamp header), update
// the sending side's change history, fill patterns and windows, then
// score that side.
// Signals collect in a fixed array; a Finding is built only for a
// detection, so a passing packet allocates nothing.
#include "icmpwall/inspect/detect/tunnel.h"

#include <bit>
#include <cmath>
#include <optional>

#include "icmpwall/inspect/detect/payload_model.h"
#include "icmpwall/inspect/detect/payload_stats.h"
#include "icmpwall/inspect/detect/prober_fill.h"
#include "icmpwall/inspect/detect/tunnel_layouts.h"

namespace icmpwall::inspect {

namespace {

enum class QueryKind : uint8_t { echo, timestamp, information, address_mask, node_information };

// What an ICMP type is as a query; `is` false: not one.
struct Query {
  bool is = false;
  QueryKind kind = QueryKind::echo;
  bool request = false;
  bool has_id = false;
};

// Query types by family (IPv4, IPv6) and type: one load per packet.
constexpr std::array<std::array<Query, 256>, 2> kQueries = [] {
  std::array<std::array<Query, 256>, 2> q{};
  auto& v4 = q[0];
  v4[8] = {true, QueryKind::echo, true, true};
  v4[0] = {true, QueryKind::echo, false, true};
  v4[13] = {true, QueryKind::timestamp, true, true};
  v4[14] = {true, QueryKind::timestamp, false, true};
  v4[15] = {true, QueryKind::information, true, true};
  v4[16] = {true, QueryKind::information, false, true};
  v4[17] = {true, QueryKind::address_mask, true, true};
  v4[18] = {true, QueryKind::address_mask, false, true};
  auto& v6 = q[1];
  v6[128] = {true, QueryKind::echo, true, true};
  v6[129] = {true, QueryKind::echo, false, true};
  v6[139] = {true, QueryKind::node_information, true, false};
  v6[140] = {true, QueryKind::node_information, false, false};
  return q;
}();

// The body a fixed-size query carries (after the 8-byte header), or
// nullopt when its size varies. Node information queries carry an 8-byte
// nonce and a subject (an address or a DNS-encoded name, at most 255
// bytes); their replies vary and are tested like echo payloads.
struct BodyRule {
  uint32_t min;
  uint32_t max;
};
std::optional<BodyRule> body_rule(const Query& q) {
  switch (q.kind) {
    case QueryKind::timestamp: return BodyRule{12, 12};
    case QueryKind::information: return BodyRule{0, 0};
    case QueryKind::address_mask: return BodyRule{4, 4};
    case QueryKind::node_information:
      if (q.request) return BodyRule{8, 8 + 255};
      return std::nullopt;
    case QueryKind::echo: return std::nullopt;
  }
  return std::nullopt;
}

constexpr uint64_t kPayloadSeed = 0x6a09e667f3bcc908ull;
constexpr uint32_t kStampBytes = 16;  // variation ignores this many leading bytes

// A hash of payload[from, end). Where a ping model explains the payload,
// the fill past its defining bytes (one period of a repeat, the first byte
// of a ramp) follows from the model, so only the bytes up to them are
// read and the model (kind and period or step) is mixed into the seed:
// two payloads of one length that the same model explains hash alike
// exactly when their bytes from `from` on are alike (up to collisions, as
// for a hash of every byte), a payload of another model or none hashes
// otherwise, and a 1400-byte ping costs what a 56-byte one does.
uint64_t payload_hash(std::span<const uint8_t> payload, size_t from, const PingModel& model) {
  from = std::min(from, payload.size());
  size_t end = payload.size();
  uint64_t seed = kPayloadSeed;
  if (model.fill == PingModel::Fill::repeat || model.fill == PingModel::Fill::ramp) {
    const size_t defining = model.fill == PingModel::Fill::repeat ? model.period : 1;
    end = std::min(end, std::max<size_t>(from, model.header) + defining);
    seed ^= (static_cast<uint64_t>(model.fill) << 16 | model.period) * 0x9e3779b97f4a7c15ull;
  }
  return hash_bytes(payload.data() + from, end - from, seed);
}

struct Fired {
  TunnelSignal signal;
  double value;
  double threshold;
};

class Signals {
 public:
  void add(TunnelSignal s, double value, double threshold) {
    if (n_ < fired_.size()) fired_[n_++] = {s, value, threshold};
  }
  std::span<const Fired> all() const { return {fired_.data(), n_}; }
  // Whether a signal other than `s` fired.
  bool any_besides(TunnelSignal s) const {
    for (const Fired& f : all()) {
      if (f.signal != s) return true;
    }
    return false;
  }
  // Whether a known tool's layout or a whole IP packet was found: what
  // no ping sends, whatever its client.
  bool tool() const {
    for (const Fired& f : all()) {
      if (f.signal == TunnelSignal::ptunnel || f.signal == TunnelSignal::hans ||
          f.signal == TunnelSignal::pingtunnel || f.signal == TunnelSignal::ip_packet)
        return true;
    }
    return false;
  }
  double score(const TunnelWeights& w) const {
    double sum = 0;
    for (const Fired& f : all()) sum += w.of(f.signal);
    return sum;
  }

 private:
  std::array<Fired, kTunnelSignalCount> fired_;  // [0, n_) set: nothing to clear per packet
  size_t n_ = 0;
};

double decay(double score, Clock::duration elapsed, std::chrono::seconds half_life) {
  if (score == 0 || elapsed.count() <= 0 || half_life.count() <= 0) return score;
  double halves = std::chrono::duration<double>(elapsed).count() / half_life.count();
  return score * std::exp2(-halves);
}

TunnelSignal layout_signal(TunnelLayout l) {
  switch (l) {
    case TunnelLayout::ptunnel: return TunnelSignal::ptunnel;
    case TunnelLayout::hans: return TunnelSignal::hans;
    case TunnelLayout::pingtunnel: return TunnelSignal::pingtunnel;
    default: return TunnelSignal::ip_packet;
  }
}

}  // namespace

const char* to_string(TunnelSignal s) {
  switch (s) {
    case TunnelSignal::size: return "size";
    case TunnelSignal::entropy: return "entropy";
    case TunnelSignal::text: return "text";
    case TunnelSignal::shell: return "shell";
    case TunnelSignal::reply_mismatch: return "reply-mismatch";
    case TunnelSignal::variation: return "variation";
    case TunnelSignal::rate: return "rate";
    case TunnelSignal::volume: return "volume";
    case TunnelSignal::query_size: return "query-size";
    case TunnelSignal::ip_packet: return "ip-packet";
    case TunnelSignal::ptunnel: return "ptunnel";
    case TunnelSignal::hans: return "hans";
    case TunnelSignal::pingtunnel: return "pingtunnel";
    case TunnelSignal::mimicry: return "mimicry";
    case TunnelSignal::unsolicited: return "unsolicited";
    case TunnelSignal::bulk: return "bulk";
    case TunnelSignal::pattern_variety: return "pattern-variety";
    case TunnelSignal::blocked: return "blocked";
  }
  return "?";
}

double TunnelWeights::of(TunnelSignal s) const {
  switch (s) {
    case TunnelSignal::size: return size;
    case TunnelSignal::entropy: return entropy;
    case TunnelSignal::text: return text;
    case TunnelSignal::shell: return shell;
    case TunnelSignal::reply_mismatch: return reply_mismatch;
    case TunnelSignal::variation: return variation;
    case TunnelSignal::rate: return rate;
    case TunnelSignal::volume: return volume;
    case TunnelSignal::query_size: return query_size;
    case TunnelSignal::ip_packet: return ip_packet;
    case TunnelSignal::ptunnel: return ptunnel;
    case TunnelSignal::hans: return hans;
    case TunnelSignal::pingtunnel: return pingtunnel;
    case TunnelSignal::mimicry: return mimicry;
    case TunnelSignal::unsolicited: return unsolicited;
    case TunnelSignal::bulk: return bulk;
    case TunnelSignal::pattern_variety: return pattern_variety;
    case TunnelSignal::blocked: return 0;
  }
  return 0;
}

Result<void> validate(const TunnelConfig& c) {
  auto bad = [](const char* what) { return Error{std::string("tunnel: ") + what}; };
  if (c.entropy_bits <= 0 || c.entropy_bits > 8) return bad("entropy_bits must be in (0, 8]");
  if (c.text_min_ratio <= 0 || c.text_min_ratio > 1) return bad("text_min_ratio must be in (0, 1]");
  if (c.text_min_payload == 0) return bad("text_min_payload must be at least 1");
  if (c.variation_changes < 1 || c.variation_changes > 8) {
    return bad("variation_changes must be 1 to 8");
  }
  if (c.rate_window.count() <= 0 || c.volume_window.count() <= 0) {
    return bad("rate_window and volume_window must be positive");
  }
  if (c.max_packets_per_second <= 0 || c.max_bytes_per_second <= 0 ||
      c.max_bulk_bytes_per_second <= 0) {
    return bad(
        "max_packets_per_second, max_bytes_per_second and max_bulk_bytes_per_second "
        "must be positive");
  }
  if (c.max_fill_patterns < 1 || c.max_fill_patterns >= PairHistory::kSlots) {
    return bad("max_fill_patterns must be 1 to 7");
  }
  if (c.pattern_window.count() <= 0) return bad("pattern_window must be positive");
  if (c.max_pattern_pairs < 1 || c.max_pattern_pairs > (1u << 24)) {
    return bad("max_pattern_pairs must be 1 to 16777216");
  }
  if (c.drop_score <= 0 || c.block_score <= 0)
    return bad("drop_score and block_score must be positive");
  if (c.score_half_life.count() <= 0) return bad("score_half_life must be positive");
  if (c.block_for.count() <= 0) return bad("block_for must be positive");
  if (c.max_flows < 1 || c.max_flows > (1u << 24)) return bad("max_flows must be 1 to 16777216");
  if (!(c.protected_share >= 0 && c.protected_share <= 0.9)) {
    return bad("protected_share must be in [0, 0.9]");
  }
  if (c.max_pending_requests < 1 || c.max_pending_requests > (1u << 24)) {
    return bad("max_pending_requests must be 1 to 16777216");
  }
  if (c.flow_idle_timeout.count() <= 0 || c.reply_timeout.count() <= 0) {
    return bad("flow_idle_timeout and reply_timeout must be positive");
  }
  return ok();
}

TunnelDetector::TunnelDetector(const TunnelConfig& config, uint64_t seed)
    : config_(config),
      flows_(config.max_flows, seed, protected_entries(config.max_flows, config.protected_share)),
      pending_(config.max_pending_requests, seed ^ 0x5bd1e995),
      pairs_(config.max_pattern_pairs, seed ^ 0x2545f4914f6cdd1dull) {}

namespace {

constexpr size_t kInitiator = 0;
constexpr size_t kResponder = 1;

// Entropy and text of `bytes`; whether either fired.
bool measure(std::span<const uint8_t> bytes, const TunnelConfig& c, Signals& signals) {
  bool found = false;
  if (bytes.size() >= c.entropy_min_payload) {
    const double h = shannon_entropy(bytes);
    const double limit = entropy_threshold(c.entropy_bits, bytes.size());
    if (h >= limit) {
      signals.add(TunnelSignal::entropy, h, limit);
      found = true;
    }
  }
  if (bytes.size() >= c.text_min_payload) {
    const double ratio = printable_ratio(bytes);
    if (ratio >= c.text_min_ratio) {
      signals.add(has_shell_marker(bytes) ? TunnelSignal::shell : TunnelSignal::text, ratio,
                  c.text_min_ratio);
      found = true;
    }
  }
  return found;
}

// Content signals of a payload no model explains: entropy and text of
// the whole payload, else of what follows a plausible timestamp header
// (then with mimicry: a real ping's layout around data).
void test_content(std::span<const uint8_t> payload, const TunnelConfig& c, Signals& signals) {
  if (measure(payload, c, signals)) return;
  const uint32_t stamp = timestamp_header(payload);
  if (stamp != 0 && measure(payload.subspan(stamp), c, signals)) {
    signals.add(TunnelSignal::mimicry, stamp, 0);
  }
}

}  // namespace

namespace {

TunnelDetector::FlowKey flow_key(const Packet& packet, const Query& query) {
  const Address& initiator = query.request ? packet.ip.src : packet.ip.dst;
  const Address& responder = query.request ? packet.ip.dst : packet.ip.src;
  const uint32_t id = query.has_id ? packet.icmp.id() : 0;
  return {
      initiator.bytes, responder.bytes,
      id | static_cast<uint32_t>(packet.ip.family) << 16 | static_cast<uint32_t>(query.kind) << 24};
}

Query query_of(const Packet& packet) {
  if (packet.is_error) return {};
  return kQueries[packet.ip.family == Family::ipv6 ? 1 : 0][packet.icmp.type];
}

template <class Duration>
Clock::duration ticks(Duration d) {
  return std::chrono::duration_cast<Clock::duration>(d);
}

}  // namespace

void TunnelDetector::withhold(const Packet& packet) {
  const Query query = query_of(packet);
  if (!query.is) return;
  if (Flow* flow = flows_.find(flow_key(packet, query))) {
    flow->blocked_until[query.request ? kInitiator : kResponder] = Clock::time_point{};
  }
}

void TunnelDetector::prefetch(const Packet& packet) const {
  const Query query = query_of(packet);
  if (!query.is) return;
  const uint64_t hash = flows_.hash(flow_key(packet, query));
  flows_.prefetch_hash(hash);
  if (query.kind == QueryKind::echo) pending_.prefetch(pending_.place({hash, packet.icmp.seq()}));
}

// One query's examination, in the steps inspect() runs in order. It holds
// the packet, its flow and sending side, and what the steps found so far.
struct TunnelDetector::Exam {
  Exam(TunnelDetector& detector, const Packet& p, const PacketContext& ctx, Clock::time_point t,
       const Query& q);

  // The steps, each run once per query packet: inlined into inspect(),
  // so that the split costs the packet path nothing.
  [[gnu::always_inline]] inline void check_query_size();
  [[gnu::always_inline]] inline void digest_payload();
  [[gnu::always_inline]] inline void match_reply();
  [[gnu::always_inline]] inline void judge_content();
  [[gnu::always_inline]] inline bool prober_filler();
  [[gnu::always_inline]] inline void test_unexplained(bool filler);
  [[gnu::always_inline]] inline void track_variation(bool filler);
  [[gnu::always_inline]] inline void track_patterns();
  [[gnu::always_inline]] inline void add_windows();
  [[gnu::always_inline]] inline Outcome decide();
  Finding finding(Outcome outcome) const;

  TunnelDetector& d;
  const TunnelConfig& c;
  const Packet& packet;
  const PacketContext& context;
  const Clock::time_point now;
  const Query query;
  const std::span<const uint8_t> payload;
  // The payload length the IP header claims (more than is present when
  // NFQUEUE copied only part of the packet).
  const size_t full_len;
  const size_t unseen;
  const bool echo;  // the pending request's set is looked up after the payload is read
  const bool carries_data;
  const FlowKey key;
  const uint64_t key_hash;  // the flow table's hash of it
  const RequestTable<PendingKey>::Place pending_at;
  const FlowTable<FlowKey, Flow>::Slot slot;
  Flow& flow;
  const bool first;
  const size_t sender;
  Side& side;
  Signals signals;

  PingModel model;
  uint64_t past_stamp = 0;    // the hash of the payload past its first kStampBytes
  uint64_t hash = 0;          // and of the whole payload: its first bytes and that
  bool echoed = false;        // the reply returns its request unchanged
  bool request_seen = false;  // the reply's request is in the table
  bool unsolicited = false;   // a reply to no request seen
  uint64_t information = 0;   // bytes of the payload that carry information
  uint64_t whole = 0;         // hash and length of the whole payload
  bool repeat = false;        // the same payload this side last got through

 private:
  static size_t claimed_len(const Packet& p) {
    const uint32_t overhead = p.ip.header_len + 8;
    return p.ip.total_len >= overhead + p.payload.size() ? p.ip.total_len - overhead
                                                         : p.payload.size();
  }
  FlowTable<FlowKey, Flow>::Slot find_flow();
};

TunnelDetector::Exam::Exam(TunnelDetector& detector, const Packet& p, const PacketContext& ctx,
                           Clock::time_point t, const Query& q)
    : d(detector),
      c(detector.config_),
      packet(p),
      context(ctx),
      now(t),
      query(q),
      payload(p.payload),
      full_len(claimed_len(p)),
      unseen(full_len - payload.size()),
      echo(q.kind == QueryKind::echo),
      carries_data(q.kind == QueryKind::echo ||
                   (q.kind == QueryKind::node_information && !q.request)),
      key(flow_key(p, q)),
      key_hash(detector.flows_.hash(key)),
      pending_at(echo ? detector.pending_.place({key_hash, p.icmp.seq()})
                      : RequestTable<PendingKey>::Place{}),
      slot(find_flow()),
      flow(slot.value),
      first(flow.last_seen == Clock::time_point{}),
      sender(q.request ? kInitiator : kResponder),
      side(flow.side[sender]) {
  // Conntrack saw a reply to this flow's requests.
  if (query.request && context.ct == Conntrack::established) flow.exchanged = true;
}

// Idle flows leave from the LRU tail a couple at a time; the packet's flow
// is found or made (a flow idle past the timeout starts afresh). The
// pending request's set is fetched meanwhile.
FlowTable<TunnelDetector::FlowKey, TunnelDetector::Flow>::Slot TunnelDetector::Exam::find_flow() {
  const auto idle = ticks(c.flow_idle_timeout);
  d.flows_.expire([&](const Flow& f) { return now - f.last_seen > idle; }, 2);
  if (echo) d.pending_.prefetch(pending_at);
  const uint64_t evicted_before = d.flows_.evictions();
  auto found = d.flows_.find_or_insert(key, key_hash);
  d.counters_.evictions += d.flows_.evictions() - evicted_before;
  if (!found.inserted && now - found.value.last_seen > idle) found.value = Flow{};
  return found;
}

void TunnelDetector::Exam::check_query_size() {
  if (auto rule = body_rule(query)) {
    if (full_len < rule->min || full_len > rule->max) {
      signals.add(TunnelSignal::query_size, static_cast<double>(full_len), rule->max);
    }
  }
}

void TunnelDetector::Exam::digest_payload() {
  if (!carries_data) return;
  model = match_ping_model(payload);
  past_stamp = payload_hash(payload, kStampBytes, model);
  hash = hash_bytes(payload.data(), std::min<size_t>(payload.size(), kStampBytes),
                    past_stamp ^ kPayloadSeed);
  whole = hash ^ full_len;
  // The same payload this side last sent and got through carries nothing
  // new (a fixed random or text payload: nping --data-length, fping -R,
  // oping): not measured again. Only a packet that passed sets the
  // reference, so a dropped chunk sent again is judged again.
  repeat = unseen == 0 && side.seen > 0 && whole == side.passed;
}

// Echo replies against their requests.
void TunnelDetector::Exam::match_reply() {
  if (!echo) return;
  if (query.request) {
    d.pending_.insert(pending_at, {hash, static_cast<uint32_t>(full_len), now});
  } else if (const auto p = d.pending_.take(pending_at)) {
    flow.exchanged = true;
    const bool same = p->hash == hash && p->len == full_len;
    if (now - p->sent <= ticks(c.reply_timeout) && !same) {
      signals.add(TunnelSignal::reply_mismatch, static_cast<double>(full_len), p->len);
      flow.not_filler = true;
    }
    echoed = same;
    request_seen = true;
  } else if (context.ct != Conntrack::unknown && context.ct != Conntrack::none) {
    flow.exchanged = true;  // conntrack saw the request of this reply
  } else {
    unsolicited = true;
    signals.add(TunnelSignal::unsolicited, 1, 0);
  }
}

// The payload's own content, for packets that carry their own data.
void TunnelDetector::Exam::judge_content() {
  if (!carries_data || echoed) return;
  information = repeat ? 0 : model.information(static_cast<uint32_t>(full_len));
  if (model.explained()) information += unseen;
  const bool filler = prober_filler();
  test_unexplained(filler);
  track_variation(filler);
  track_patterns();
}

// Prober filler: in requests, and in replies to requests this detector
// did not see but conntrack did (a host's own pings, sent through the
// output hook): those return the host's filler. A reply to a request
// seen is an echo or a mismatch, one to nothing is unsolicited: neither
// is filler.
bool TunnelDetector::Exam::prober_filler() {
  const bool filler_side = query.request || (!request_seen && !unsolicited);
  const bool open_text =
      model.fill == PingModel::Fill::none || model.fill == PingModel::Fill::stamp;
  if (!open_text || !filler_side || flow.not_filler || repeat) return false;
  bool filler = false;
  AlnumCounts counts;
  const uint32_t stamp = timestamp_header(payload);
  if (is_prober_fill(payload.subspan(stamp), counts) &&
      (flow.filler_len == 0 || flow.filler_len == full_len)) {
    AlnumCounts total = flow.filler;
    total += counts;
    filler = alnum_g(total) <= kMaxAlnumG;
    if (filler) {
      flow.filler = total;
      flow.filler_len = static_cast<uint32_t>(full_len);
    }
  }
  if (!filler && flow.filler_len != 0) flow.not_filler = true;
  // Filler is believable at a prober's volume only: past the volume
  // budget it is judged as data (a channel of random letters moves at
  // most max_bytes_per_second unjudged).
  if (filler && side.bytes.per_second(now, ticks(c.volume_window)) > c.max_bytes_per_second) {
    filler = false;
  }
  return filler;
}

// What no ping model or filler explains: a tool's layout, the size, and
// the content measures. A bare timestamp is explained but open to the
// text test.
void TunnelDetector::Exam::test_unexplained(bool filler) {
  if (!model.explained() && !filler) {
    if (auto layout = match_tunnel_layout(payload, full_len)) {
      signals.add(layout_signal(layout.layout), layout.offset, 0);
    }
    if (full_len > c.max_echo_payload && !repeat) {
      signals.add(TunnelSignal::size, static_cast<double>(full_len), c.max_echo_payload);
    }
    if (!repeat) test_content(payload, c, signals);
  } else if (model.fill == PingModel::Fill::stamp && !filler && !repeat &&
             payload.size() >= c.text_min_payload) {
    const double ratio = printable_ratio(payload);
    if (ratio >= c.text_min_ratio) {
      signals.add(has_shell_marker(payload) ? TunnelSignal::shell : TunnelSignal::text, ratio,
                  c.text_min_ratio);
    }
  }
}

// Variation: this side's payloads past their timestamp, with their
// length. Prober filler changes by design and is exempt. Across flows
// too: the sender's unexplained payloads to this destination, new ones
// counted (a tunnel that takes a new identifier every packet or two).
void TunnelDetector::Exam::track_variation(bool filler) {
  const uint64_t fingerprint = past_stamp ^ full_len;
  auto varies = [&](uint32_t changes, uint32_t transitions) {
    return changes >= c.variation_changes || (transitions >= 2 && changes == transitions);
  };
  uint32_t changes = 0;
  bool variation = false;
  if (side.seen > 0) {
    const bool changed = fingerprint != side.fingerprint;
    side.changes = static_cast<uint8_t>((side.changes << 1) | (changed ? 1 : 0));
    changes = static_cast<uint32_t>(std::popcount(side.changes));
    variation = varies(changes, std::min<uint32_t>(side.seen, 8));
  }
  if (!model.explained() && !filler && !repeat) {
    const auto novelty = d.pairs_.record_content(
        packet.ip.src, packet.ip.dst, static_cast<uint32_t>(fingerprint ^ (fingerprint >> 32)), now,
        ticks(c.rate_window));
    const auto fresh = static_cast<uint32_t>(std::popcount(novelty.bits));
    if (!variation && varies(fresh, novelty.count)) {
      variation = true;
      changes = fresh;
    }
  }
  if (variation && !filler) signals.add(TunnelSignal::variation, changes, c.variation_changes);
  side.fingerprint = fingerprint;
  ++side.seen;
}

// Fill patterns across flows, from the sender of the fill: the ones a
// user chooses (ping -p: a repeated block). Counting bytes and zeros, the
// defaults of nearly every client, are nobody's choice and are not
// recorded (nor looked up: a flood of new flows costs no pair lookup).
void TunnelDetector::Exam::track_patterns() {
  const bool chosen =
      model.fill == PingModel::Fill::repeat && !(model.period == 1 && payload[model.header] == 0);
  if (!chosen) return;
  const uint64_t h = payload_hash(payload, model.header, model);
  const uint32_t pattern = static_cast<uint32_t>(h ^ (h >> 32)) | 1;
  if (pattern != side.pattern) {
    side.pattern = pattern;
    side.variety = static_cast<uint8_t>(d.pairs_.record_pattern(
        packet.ip.src, packet.ip.dst, pattern, now, ticks(c.pattern_window)));
  }
  if (side.variety > c.max_fill_patterns) {
    signals.add(TunnelSignal::pattern_variety, side.variety, c.max_fill_patterns);
  }
}

// The flow's packet rate and the side's information volume. Bulk: only a
// packet that carries more than a timestamp header (bytes unseen, or not
// a ping fill) adds to it; a flood ping's timestamps at 20 000 a second
// are a flood, not a bulk transfer (rate's business).
void TunnelDetector::Exam::add_windows() {
  const auto rate_window = ticks(c.rate_window);
  const auto volume_window = ticks(c.volume_window);
  flow.packets.add(now, rate_window, 1);
  side.bytes.add(now, volume_window, information);
  const double pps = flow.packets.per_second(now, rate_window);
  const double bps = side.bytes.per_second(now, volume_window);
  if (pps > c.max_packets_per_second)
    signals.add(TunnelSignal::rate, pps, c.max_packets_per_second);
  if (bps > c.max_bytes_per_second) signals.add(TunnelSignal::volume, bps, c.max_bytes_per_second);
  const bool bulky = information > model.header || unseen > 0;
  if (bps > c.max_bulk_bytes_per_second && bulky) {
    signals.add(TunnelSignal::bulk, bps, c.max_bulk_bytes_per_second);
  }
}

// Scores the sending side and decides. Only packets that are drop-worthy
// themselves add to the score: a flow signal that fires on every packet
// (a flood ping's rate) weighs less than drop_score and must never add up
// to a block. An unsolicited reply adds nothing: it can never lead to a
// block.
Outcome TunnelDetector::Exam::decide() {
  double& score = flow.score[sender];
  Clock::time_point& blocked_until = flow.blocked_until[sender];
  const double packet_score = signals.score(c.weights);
  const Clock::duration elapsed = first ? Clock::duration{} : now - flow.last_seen;
  for (double& s : flow.score) s = decay(s, elapsed, c.score_half_life);
  if (packet_score >= c.drop_score && !unsolicited) score += packet_score;
  flow.last_seen = now;
  if (score > 0 || signals.any_besides(TunnelSignal::rate)) d.flows_.protect(slot);

  const bool was_blocked =
      flow.blocked_until[kInitiator] > now || flow.blocked_until[kResponder] > now;
  Outcome outcome = Outcome::pass;
  // A block needs a completed exchange (a spoofed source never completes
  // one), or a tool's own layout in the sender's packets: a tunnel whose
  // first packet gives it away is dropped before any reply, so it would
  // never complete one. Either way the engine grants the block only to a
  // sender it can prove (its link-layer address, or the reverse path).
  const bool pinned = flow.exchanged || signals.tool();
  if (score >= c.block_score && pinned && !unsolicited && blocked_until <= now) {
    outcome = Outcome::block;
    blocked_until = now + ticks(c.block_for);
  } else if (was_blocked || packet_score >= c.drop_score) {
    outcome = Outcome::drop;
  }
  if (was_blocked) signals.add(TunnelSignal::blocked, score, c.block_score);
  return cap(outcome, c.enforce);
}

Finding TunnelDetector::Exam::finding(Outcome outcome) const {
  const double score = flow.score[sender];
  Finding f;
  f.outcome = outcome;
  f.reason = "tunnel";
  f.score = score;
  f.signals.reserve(signals.all().size() + 1);
  for (const Fired& s : signals.all())
    f.signals.push_back({to_string(s.signal), s.value, s.threshold});
  f.signals.push_back({"score", score, c.block_score});
  if (outcome == Outcome::block) f.block_for = c.block_for;
  return f;
}

Finding TunnelDetector::inspect(const Packet& packet, const PacketContext& context,
                                Clock::time_point now) {
  ++counters_.packets;
  const Query query = query_of(packet);
  if (!query.is) {
    counters_.count(Outcome::pass);
    return {};
  }
  Exam exam(*this, packet, context, now, query);
  exam.check_query_size();
  exam.digest_payload();
  exam.match_reply();
  exam.judge_content();
  exam.add_windows();
  const Outcome outcome = exam.decide();

  for (const Fired& f : exam.signals.all()) counters_.count(f.signal);
  counters_.count(outcome);
  if (outcome != Outcome::pass) return exam.finding(outcome);
  if (exam.carries_data && !exam.echoed) exam.side.passed = exam.whole;
  return {};
}

}  // namespace icmpwall::inspect
