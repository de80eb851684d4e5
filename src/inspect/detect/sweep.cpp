// SPDX-License-Identifier: GPL-2.0-or-later
// Ping sweep detection (see sweep.h for the counting and the run).
#include "icmpwall/inspect/detect/sweep.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::inspect {

namespace {

bool is_probe(Family family, uint8_t type) {
  if (family == Family::ipv6) return type == 128 || type == 139;
  return type == 8 || type == 13 || type == 15 || type == 17;
}

// The mask of a prefix `len` bits long, as two words of address bytes.
std::array<uint64_t, 2> mask_words(uint8_t len) {
  Address ones{Family::ipv6, {}};
  ones.bytes.fill(0xff);
  const Address mask = masked(ones, len);
  std::array<uint64_t, 2> words;
  std::memcpy(words.data(), mask.bytes.data(), 16);
  return words;
}

// The destination as a number, for the rising run: IPv4 whole, IPv6 its
// low 64 bits (the interface identifier a sweep of one subnet steps).
uint64_t address_number(const Address& a) {
  uint64_t n = 0;
  const size_t from = a.family == Family::ipv4 ? 0 : 8;
  const size_t to = a.family == Family::ipv4 ? 4 : 16;
  for (size_t i = from; i < to; ++i) n = (n << 8) | a.bytes[i];
  return n;
}

constexpr double kBits = 512;

double estimate_distinct(uint32_t ones) {
  const double zeros = kBits - ones;
  if (zeros < 1) return kBits * std::log(kBits);
  return kBits * std::log(kBits / zeros);
}

// The estimate grows with the bits set: the first count of bits at which
// it rounds to `destinations`, so that a packet compares two integers.
uint32_t ones_for(uint32_t destinations) {
  uint32_t ones = 0;
  while (ones < kBits && std::floor(estimate_distinct(ones) + 0.5) < destinations) ++ones;
  return ones;
}

}  // namespace

const char* to_string(SweepSignal s) {
  switch (s) {
    case SweepSignal::destinations: return "destinations";
    case SweepSignal::rising_sequence: return "rising-sequence";
    case SweepSignal::blocked: return "blocked";
  }
  return "?";
}

Result<void> validate(const SweepConfig& c) {
  auto bad = [](const char* what) { return Error{std::string("sweep: ") + what}; };
  if (c.window.count() < 2) return bad("window must be at least 2 seconds");
  if (c.max_destinations < 2 || c.max_destinations > 256) {
    return bad("max_destinations must be 2 to 256");
  }
  if (c.sequence_run < 2) return bad("sequence_run must be at least 2");
  if (c.sequence_max_gap < 1) return bad("sequence_max_gap must be at least 1");
  if (c.ipv4_prefix < 1 || c.ipv4_prefix > 32) return bad("ipv4_prefix must be 1 to 32");
  if (c.ipv6_prefix < 1 || c.ipv6_prefix > 128) return bad("ipv6_prefix must be 1 to 128");
  if (c.max_sources < 1 || c.max_sources > (1u << 24))
    return bad("max_sources must be 1 to 16777216");
  if (!(c.protected_share >= 0 && c.protected_share <= 0.9)) {
    return bad("protected_share must be in [0, 0.9]");
  }
  if (c.block_for.count() <= 0) return bad("block_for must be positive");
  return ok();
}

SweepDetector::SweepDetector(const SweepConfig& config, uint64_t seed)
    : config_(config),
      prefix_mask_{mask_words(config.ipv4_prefix), mask_words(config.ipv6_prefix)},
      seed_(seed),
      many_ones_(ones_for(config.max_destinations)),
      sources_(config.max_sources, seed,
               protected_entries(config.max_sources, config.protected_share)) {}

uint8_t SweepDetector::prefix_of(const Address& source) const {
  return source.family == Family::ipv4 ? config_.ipv4_prefix : config_.ipv6_prefix;
}

SweepDetector::SourceKey SweepDetector::key_of(const Address& source) const {
  const auto& mask = prefix_mask_[source.family == Family::ipv4 ? 0 : 1];
  std::array<uint64_t, 2> words;
  std::memcpy(words.data(), source.bytes.data(), 16);
  return {{words[0] & mask[0], words[1] & mask[1]}, static_cast<uint64_t>(source.family)};
}

void SweepDetector::prefetch(const Packet& packet) const {
  if (!packet.is_error && is_probe(packet.ip.family, packet.icmp.type))
    sources_.prefetch(key_of(packet.ip.src));
}

Finding SweepDetector::inspect(const Packet& packet, Clock::time_point now) {
  ++counters_.packets;
  const auto& c = config_;
  if (packet.is_error || !is_probe(packet.ip.family, packet.icmp.type)) {
    counters_.count(Outcome::pass);
    return {};
  }
  const Address& src = packet.ip.src;
  const Address& dst = packet.ip.dst;
  const uint8_t prefix = prefix_of(src);
  const SourceKey key = key_of(src);
  const uint64_t evicted_before = sources_.evictions();
  const auto slot = sources_.find_or_insert(key);
  counters_.evictions += sources_.evictions() - evicted_before;
  Source& s = slot.value;

  const auto half = std::chrono::duration_cast<Clock::duration>(c.window) / 2;
  if (!s.started || now - s.half_start >= 2 * half) {
    const auto blocked_until = s.blocked_until;
    s = Source{};
    s.blocked_until = blocked_until;
    s.started = true;
    s.half_start = now;
  } else if (now - s.half_start >= half) {
    s.previous = s.current;
    s.current = Bitmap{};
    s.half_start += half;
    s.ones = 0;
    for (uint64_t w : s.previous) s.ones = static_cast<uint16_t>(s.ones + std::popcount(w));
  }

  Finding finding;
  auto finish = [&](Outcome outcome) {
    outcome = cap(outcome, c.enforce);
    counters_.count(outcome);
    if (outcome == Outcome::pass) return Finding{};
    finding.outcome = outcome;
    finding.reason = "sweep";
    finding.subject_prefix = prefix;
    if (outcome == Outcome::block) finding.block_for = c.block_for;
    return std::move(finding);
  };

  if (s.blocked_until > now) {
    sources_.protect(slot);
    counters_.count(SweepSignal::blocked);
    finding.signals.push_back({to_string(SweepSignal::blocked), 1, 0});
    return finish(Outcome::drop);
  }

  // Record the destination.
  const uint64_t h = hash_bytes(dst.bytes.data(), dst.bytes.size(), seed_);
  const size_t bit = h & (static_cast<size_t>(kBits) - 1);
  const uint64_t mask = uint64_t{1} << (bit & 63);
  const bool seen = ((s.current[bit >> 6] | s.previous[bit >> 6]) & mask) != 0;
  s.current[bit >> 6] |= mask;
  if (!seen) ++s.ones;
  // A second destination: the source may be sweeping.
  if (s.ones >= 2) sources_.protect(slot);
  // The run: a destination just above the last one extends it; another
  // new one starts a new run; one already seen (a retry, a second probe
  // type) leaves it alone. Rising steps are taken on the address itself,
  // not the bitmap, so a bit shared by two destinations cannot break a run.
  const uint64_t n = address_number(dst);
  if (s.run > 0 && n > s.last_destination && n - s.last_destination <= c.sequence_max_gap) {
    ++s.run;
    s.last_destination = n;
  } else if (!seen) {
    s.run = 1;
    s.last_destination = n;
  }

  const bool many = s.ones >= many_ones_;
  const bool sequence = s.run >= c.sequence_run;
  if (many) counters_.count(SweepSignal::destinations);
  if (sequence) counters_.count(SweepSignal::rising_sequence);
  if (!many && !sequence) return finish(Outcome::pass);

  s.blocked_until = now + std::chrono::duration_cast<Clock::duration>(c.block_for);
  const double distinct = estimate_distinct(s.ones);
  finding.score = std::max(distinct / c.max_destinations, double(s.run) / c.sequence_run);
  finding.signals.push_back(
      {to_string(SweepSignal::destinations), distinct, static_cast<double>(c.max_destinations)});
  if (sequence || s.run * 2 >= c.sequence_run) {
    finding.signals.push_back({to_string(SweepSignal::rising_sequence), static_cast<double>(s.run),
                               static_cast<double>(c.sequence_run)});
  }
  return finish(Outcome::block);
}

}  // namespace icmpwall::inspect
