#include "icmpwall/inspect/engine.h"

namespace icmpwall::inspect {
namespace {

int severity(Outcome o) { return static_cast<int>(o); }  // pass < log < drop < block

// Sources remembered as blocked at most; beyond this, expired entries are
// pruned and, if still full, the map is emptied (a block request repeated
// for a source is harmless: the kernel already holds it).
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

Finding Engine::inspect(std::span<const uint8_t> bytes, uint32_t iif, Clock::time_point now) {
  auto decoded = decode_packet(bytes, DecodeOptions{.allow_truncated = true});
  std::lock_guard lock(mutex_);
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
    if (f.outcome == Outcome::block) request_block(f, decoded.value->ip.src, now);
  }
  return f;
}

Finding Engine::judge(const Packet& p, uint32_t iif, Clock::time_point now) {
  if (RedirectValidator::applies(p)) return redirect_.check(p, iif);
  if (ForgedErrorValidator::applies(p)) return forged_error_.check(p);
  if (p.is_error) return {};
  Finding worst = tunnel_.inspect(p, now);
  Finding sweep = sweep_.inspect(p, now);
  if (severity(sweep.outcome) > severity(worst.outcome)) worst = std::move(sweep);
  return worst;
}

void Engine::request_block(const Finding& f, const Address& source, Clock::time_point now) {
  if (!on_block_ || f.block_for.count() <= 0) return;
  // The kernel's blocked-source sets hold single addresses: a finding about
  // a whole prefix (an IPv6 /64) blocks the address that sent this packet.
  const Address subject = f.subject_prefix ? source : f.subject;
  auto it = blocked_until_.find(subject);
  if (it != blocked_until_.end() && it->second > now) return;  // the kernel holds it
  if (blocked_until_.size() >= kMaxBlockedRemembered) {
    std::erase_if(blocked_until_, [&](const auto& kv) { return kv.second <= now; });
    if (blocked_until_.size() >= kMaxBlockedRemembered) blocked_until_.clear();
  }
  blocked_until_[subject] = now + f.block_for;
  ++counters_.block_requests;
  on_block_(subject, f.block_for);
}

EngineCounters Engine::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace icmpwall::inspect
