// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/inspect/engine.h"

#include <algorithm>

namespace icmpwall::inspect {
namespace {

int severity(Outcome o) {
  return static_cast<int>(o);
}  // pass < log < drop < block

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

Conntrack conntrack_from_ctinfo(uint32_t ctinfo) {
  switch (ctinfo) {
    case 0: return Conntrack::established;  // IP_CT_ESTABLISHED
    case 1: return Conntrack::related;      // IP_CT_RELATED
    case 2: return Conntrack::new_flow;     // IP_CT_NEW
    case 3: return Conntrack::reply;        // IP_CT_ESTABLISHED_REPLY
    case 4: return Conntrack::related;      // IP_CT_RELATED_REPLY
    default: return Conntrack::unknown;     // IP_CT_UNTRACKED (7) and anything new
  }
}

Finding Engine::inspect(std::span<const uint8_t> bytes, const PacketContext& ctx,
                        Clock::time_point now) {
  return inspect(decode_packet(bytes, DecodeOptions{.allow_truncated = true}), ctx, now);
}

Finding Engine::inspect(const Decoded<Packet>& decoded, const PacketContext& ctx,
                        Clock::time_point now) {
  std::optional<BlockRequest> block;
  std::unique_lock lock(mutex_);
  Finding f = judge_locked(decoded, ctx, now, block);
  lock.unlock();
  // The netlink round trip runs unlocked: the bookkeeping above already
  // made sure that no other thread asks for this prefix meanwhile.
  if (block) on_block_(block->prefix, block->period);
  return f;
}

void Engine::prefetch(const Packet& packet) const {
  if (packet.is_error) return;
  tunnel_.prefetch(packet);
  sweep_.prefetch(packet);
}

Finding Engine::judge_locked(const Decoded<Packet>& decoded, const PacketContext& ctx,
                             Clock::time_point now, std::optional<BlockRequest>& block) {
  // Detectors want non-decreasing time; callers on several threads may
  // read the clock in a different order than they take the lock.
  now = std::max(now, last_now_);
  last_now_ = now;
  ++counters_.packets;
  if (!decoded) return malformed(decoded.error, ctx);
  const Packet& packet = *decoded.value;
  Finding f = judge(packet, ctx, now);
  if (!f.detected()) {
    count(f.outcome);
    return f;
  }
  Event event;
  event.context = &ctx;
  // Only the packet's sender is ever blocked, and only when it passes the
  // guards; otherwise the packet alone is dropped.
  std::optional<BlockedPrefix> prefix;
  if (f.outcome == Outcome::block) {
    event.block_withheld = block_guard(packet.ip.src, ctx);
    if (event.block_withheld) {
      f.outcome = Outcome::drop;
      if (f.reason == "tunnel") tunnel_.withhold(packet);
    } else
      prefix = block_prefix(packet.ip.src);
  }
  enforce(f, event);
  count(f.outcome);
  if (f.outcome == Outcome::block) {
    event.block = prefix;
    block = block_request(f, *prefix, now);
  }
  ++counters_.reasons[f.reason];
  event.packet = &packet;
  event.finding = &f;
  if (on_event_) on_event_(event);
  return f;
}

Finding Engine::malformed(DecodeError error, const PacketContext& ctx) {
  Event event;
  event.context = &ctx;
  Finding f;
  f.outcome = Outcome::drop;
  f.reason = "malformed";
  f.signals.push_back({std::string("decode:") + std::string(to_string(error)), 0, 0});
  enforce(f, event);
  count(f.outcome);
  ++counters_.reasons[f.reason];
  event.finding = &f;
  if (on_event_) on_event_(event);
  return f;
}

void Engine::enforce(Finding& f, Event& event) const {
  if (!config_.enforce) return;
  const Outcome capped = cap(f.outcome, *config_.enforce);
  if (capped != f.outcome) event.would = f.outcome;
  f.outcome = capped;
}

void Engine::count(Outcome o) {
  switch (o) {
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
}

Conntrack Engine::reply_conntrack(const Packet& p, const PacketContext& ctx,
                                  Clock::time_point now) {
  constexpr uint8_t kLocalIn = 1;  // NF_INET_LOCAL_IN
  const bool echo_reply = p.icmp.type == (p.ip.family == Family::ipv4 ? 0 : 129);
  if (ctx.ct != Conntrack::unknown || !config_.conntrack || ctx.hook != kLocalIn || !echo_reply)
    return ctx.ct;
  if (now - lookup_second_ >= std::chrono::seconds(1)) {
    lookup_second_ = now;
    lookups_this_second_ = 0;
  }
  if (lookups_this_second_ >= kConntrackLookupsPerSecond) return Conntrack::unknown;
  ++lookups_this_second_;
  // The request this reply answers, as conntrack holds it (original
  // direction: from this host to the replier).
  FlowTuple request;
  request.src = p.ip.dst;
  request.dst = p.ip.src;
  request.protocol = p.ip.family == Family::ipv4 ? 1 : 58;
  request.icmp_type = p.ip.family == Family::ipv4 ? 8 : 128;
  request.icmp_id = p.icmp.id();
  const std::optional<bool> known = routes_->flow_known(request);
  if (!known) return Conntrack::unknown;
  return *known ? Conntrack::reply : Conntrack::none;
}

Finding Engine::judge(const Packet& p, const PacketContext& ctx, Clock::time_point now) {
  if (RedirectValidator::applies(p)) return redirect_.check(p, ctx);
  if (ForgedErrorValidator::applies(p)) return forged_error_.check(p, ctx);
  if (p.is_error) return {};
  PacketContext query_ctx = ctx;
  query_ctx.ct = reply_conntrack(p, ctx, now);
  Finding worst = tunnel_.inspect(p, query_ctx, now);
  Finding sweep = sweep_.inspect(p, now);
  if (severity(sweep.outcome) > severity(worst.outcome)) worst = std::move(sweep);
  return worst;
}

const char* Engine::block_guard(const Address& source, const PacketContext& ctx) {
  if (is_unspecified(source)) return "unspecified";
  if (is_loopback(source)) return "loopback";
  if (is_multicast(source)) return "multicast";
  if (is_limited_broadcast(source)) return "broadcast";
  if (is_link_local(source)) return "link-local";
  for (const auto& p : config_.block.never_block)
    if (prefix_contains(p.network, p.len, source)) return "never-block";
  if (routes_->is_local(source)) return "own-address";
  if (routes_->is_router(source)) return "gateway";
  if (!sender_verified(source, ctx)) return "unverified-sender";
  return nullptr;
}

bool Engine::sender_verified(const Address& source, const PacketContext& ctx) {
  if (ctx.iif == 0) return false;  // locally generated or unknown: nothing to prove it by
  const bool on_link = routes_->on_link(source, ctx.iif);
  if (on_link && ctx.hwaddr_len > 0) {
    auto known = routes_->neighbour(source, ctx.iif);
    return known && *known == make_link_address({ctx.hwaddr.data(), ctx.hwaddr_len});
  }
  if (config_.block.verify != BlockConfig::Verify::route) return false;
  // Reverse path: the way back to the sender leaves by the interface its
  // packet came in on.
  auto back = routes_->route(source, std::nullopt);
  return back && back->oif == ctx.iif;
}

BlockedPrefix Engine::block_prefix(const Address& source) {
  const uint8_t width = source.family == Family::ipv4 ? 32 : 128;
  const uint8_t length =
      source.family == Family::ipv4 ? config_.block.ipv4_prefix : config_.block.ipv6_prefix;
  BlockedPrefix prefix = mask_prefix(source, length);
  if (prefix.length >= width) return prefix;
  bool narrow = routes_->holds_local_or_router(prefix.address, prefix.length);
  for (const auto& p : config_.block.never_block)
    narrow = narrow || prefix_contains(prefix.address, prefix.length, p.network);
  return narrow ? mask_prefix(source, width) : prefix;
}

std::optional<Engine::BlockRequest> Engine::block_request(const Finding& f,
                                                          const BlockedPrefix& prefix,
                                                          Clock::time_point now) {
  if (!on_block_ || f.block_for.count() <= 0) return std::nullopt;
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
