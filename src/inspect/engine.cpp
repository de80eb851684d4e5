#include "icmpwall/inspect/engine.h"

#include <algorithm>

namespace icmpwall::inspect {
namespace {

int severity(Outcome o) { return static_cast<int>(o); }  // pass < log < drop < block

// Prefixes remembered as blocked at most; beyond this, expired entries are
// pruned and, if still full, the map is emptied (a block request repeated
// for a prefix is harmless: the kernel already holds it).
constexpr size_t kMaxBlockedRemembered = 65536;

}  // namespace

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::pass: return "pass";
    case Outcome::log: return "log";
    case Outcome::drop: return "drop";
    case Outcome::block: return "block";
  }
  return "pass";
}

Engine::Engine(EngineConfig config, std::shared_ptr<RouteView> routes, EventFn on_event,
               BlockFn on_block)
    : config_(config),
      routes_(std::move(routes)),
      on_event_(std::move(on_event)),
      on_block_(std::move(on_block)),
      redirect_(config_.redirect, *routes_),
      forged_error_(config_.forged_error, *routes_),
      tunnel_(config_.tunnel),
      sweep_(config_.sweep) {}

const char* to_string(Conntrack c) {
  switch (c) {
    case Conntrack::unknown: return "unknown";
    case Conntrack::none: return "none";
    case Conntrack::new_flow: return "new";
    case Conntrack::established: return "established";
    case Conntrack::reply: return "reply";
    case Conntrack::related: return "related";
  }
  return "unknown";
}

BlockedPrefix mask_prefix(const Address& a, uint8_t length) {
  const uint8_t width = a.family == Family::ipv4 ? 32 : 128;
  return BlockedPrefix{masked(a, length), std::min(length, width)};
}

Finding Engine::inspect(std::span<const uint8_t> bytes, uint32_t iif, Clock::time_point now) {
  auto decoded = decode_packet(bytes, DecodeOptions{.allow_truncated = true});
  std::optional<BlockRequest> block;
  Finding f;
  {
    std::lock_guard lock(mutex_);
    f = judge_locked(decoded, iif, now, block);
  }
  // The netlink round trip runs unlocked: the bookkeeping above already
  // made sure that no other thread asks for this prefix meanwhile.
  if (block) on_block_(block->prefix, block->period);
  return f;
}

Finding Engine::judge_locked(const Decoded<Packet>& decoded, uint32_t iif, Clock::time_point now,
                             std::optional<BlockRequest>& block) {
  // Detectors want non-decreasing time; callers on several threads may
  // read the clock in a different order than they take the lock.
  now = std::max(now, last_now_);
  last_now_ = now;
  ++counters_.packets;
  if (!decoded) {
    Finding f;
    f.outcome = Outcome::drop;
    f.reason = "malformed";
    f.signals.push_back({std::string("decode:") + std::string(to_string(decoded.error)), 0, 0});
    ++counters_.dropped;
    ++counters_.reasons[f.reason];
    if (on_event_) on_event_(Event{nullptr, &f, iif});
    return f;
  }
  Finding f = judge(*decoded.value, iif, now);
  switch (f.outcome) {
    case Outcome::pass: ++counters_.passed; break;
    case Outcome::log:
      ++counters_.passed;
      ++counters_.logged;
      break;
    case Outcome::drop: ++counters_.dropped; break;
    case Outcome::block:
      ++counters_.dropped;
      ++counters_.blocked;
      break;
  }
  if (f.detected()) {
    ++counters_.reasons[f.reason];
    if (on_event_) on_event_(Event{&*decoded.value, &f, iif});
    if (f.outcome == Outcome::block) block = block_request(f, decoded.value->ip.src, now);
  }
  return f;
}

Finding Engine::judge(const Packet& p, uint32_t iif, Clock::time_point now) {
  if (RedirectValidator::applies(p)) return redirect_.check(p, iif);
  if (ForgedErrorValidator::applies(p)) return forged_error_.check(p);
  if (p.is_error) return {};
  Finding worst = tunnel_.inspect(p, PacketContext{}, now);
  Finding sweep = sweep_.inspect(p, now);
  if (severity(sweep.outcome) > severity(worst.outcome)) worst = std::move(sweep);
  return worst;
}

std::optional<Engine::BlockRequest> Engine::block_request(const Finding& f, const Address& source,
                                                          Clock::time_point now) {
  if (!on_block_ || f.block_for.count() <= 0) return std::nullopt;
  // A finding about a detector's grouping prefix (a sweep from an IPv6
  // /64) names the prefix: the packet's sender stands for it. The block
  // covers the sender's prefix of the configured length.
  // A link-local source is blocked alone: fe80::/64 (169.254.0.0/16) is
  // every neighbour's prefix on every link, and blocking it would cut off
  // neighbour discovery from all of them.
  const Address& subject = f.subject_prefix ? source : f.subject;
  uint8_t length =
      subject.family == Family::ipv4 ? config_.block.ipv4_prefix : config_.block.ipv6_prefix;
  if (is_link_local(subject)) length = 128;
  const BlockedPrefix prefix = mask_prefix(subject, length);
  auto it = blocked_until_.find(prefix.address);
  if (it != blocked_until_.end() && it->second > now) return std::nullopt;  // the kernel holds it
  if (blocked_until_.size() >= kMaxBlockedRemembered) {
    std::erase_if(blocked_until_, [&](const auto& kv) { return kv.second <= now; });
    if (blocked_until_.size() >= kMaxBlockedRemembered) blocked_until_.clear();
  }
  blocked_until_[prefix.address] = now + f.block_for;
  ++counters_.block_requests;
  return BlockRequest{prefix, f.block_for};
}

EngineCounters Engine::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace icmpwall::inspect
