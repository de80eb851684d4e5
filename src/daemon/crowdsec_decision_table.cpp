// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/crowdsec_decision_table.h"

#include <algorithm>

namespace icmpwall::daemon {
namespace {

// Local blocks remembered at most (the engine's own bound is similar);
// beyond it expired ones are pruned first, then new ones are not kept.
constexpr size_t kMaxLocalBlocks = 65536;

std::chrono::milliseconds until(DecisionTable::Clock::time_point end,
                                DecisionTable::Clock::time_point now) {
  return std::chrono::ceil<std::chrono::milliseconds>(end - now);
}

}  // namespace

DecisionTable::Clock::time_point DecisionTable::Entry::end() const {
  Clock::time_point e{};
  for (const auto& [id, t] : decisions) e = std::max(e, t);
  return e;
}

DecisionTable::Clock::time_point DecisionTable::local_end(const Key& k,
                                                          Clock::time_point now) const {
  auto it = local_.find(k);
  return it != local_.end() && it->second > now ? it->second : Clock::time_point{};
}

bool DecisionTable::add(const Decision& d, Clock::time_point now) {
  if (d.remaining.count() <= 0) return false;
  const Key k = key(d.prefix);
  auto it = entries_.find(k);
  if (it == entries_.end()) {
    if (entries_.size() >= max_prefixes_) return false;
    it = entries_.emplace(k, Entry{}).first;
  }
  if (auto old = by_id_.find(d.id); old != by_id_.end() && old->second != k)
    remove(Decision{d.id, {old->second.first, old->second.second}, {}, {}, {}}, now);
  const auto end = now + d.remaining;
  if (end > it->second.end()) it->second.applied = false;
  it->second.decisions[d.id] = end;
  by_id_[d.id] = k;
  return true;
}

bool DecisionTable::remove(const Decision& d, Clock::time_point now) {
  Key k = key(d.prefix);
  if (auto id = by_id_.find(d.id); id != by_id_.end()) {
    k = id->second;
    by_id_.erase(id);
  }
  auto it = entries_.find(k);
  if (it == entries_.end() || it->second.decisions.erase(d.id) == 0) return false;
  const inspect::BlockedPrefix p{k.first, k.second};
  if (!it->second.decisions.empty()) {
    // A shorter end now: the kernel's element is cut to it (with local
    // blocks still counted).
    const auto end = std::max(it->second.end(), local_end(k, now));
    if (end > now) pending_.push_back({p, until(end, now), false});
    return true;
  }
  entries_.erase(it);
  if (const auto local = local_end(k, now); local > now)
    pending_.push_back({p, until(local, now), false});
  else
    pending_.push_back({p, {}, true});
  return true;
}

void DecisionTable::local_block(const inspect::BlockedPrefix& p, Clock::time_point until_,
                                Clock::time_point now) {
  const Key k = key(p);
  if (local_.size() >= kMaxLocalBlocks)
    std::erase_if(local_, [&](const auto& kv) { return kv.second <= now; });
  if (local_.size() < kMaxLocalBlocks || local_.count(k)) local_[k] = std::max(local_[k], until_);
  // The local block set the element's timeout: a longer decision wins it back.
  if (auto it = entries_.find(k); it != entries_.end() && it->second.end() > until_)
    it->second.applied = false;
}

void DecisionTable::reapply_all() {
  for (auto& [k, e] : entries_) e.applied = false;
}

std::vector<KernelChange> DecisionTable::take_changes(Clock::time_point now) {
  std::vector<KernelChange> out = std::move(pending_);
  pending_.clear();
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto& e = it->second;
    std::erase_if(e.decisions, [&](const auto& kv) {
      if (kv.second > now) return false;
      by_id_.erase(kv.first);
      return true;
    });
    if (e.decisions.empty()) {
      it = entries_.erase(it);
      continue;
    }
    if (!e.applied) {
      const auto end = std::max(e.end(), local_end(it->first, now));
      out.push_back({{it->first.first, it->first.second}, until(end, now), false});
      e.applied = true;
    }
    ++it;
  }
  return out;
}

bool DecisionTable::failed(const KernelChange& c) {
  auto it = entries_.find(key(c.prefix));
  if (it == entries_.end() || c.remove) return false;
  it->second.applied = false;
  const bool first = !it->second.failed;
  it->second.failed = true;
  return first;
}

}  // namespace icmpwall::daemon
