// SPDX-License-Identifier: GPL-2.0-or-later
// Reading what the kernel counted.
//
// icmpwall names one counter per rule (`rule.<name>`), `rule.<name>.over`
// for packets over a rate limit and `default.<hook>` for a hook's default;
// read_counter() fetches one of them with `nft -j list counter`.
//
// The Observer is a second table, `inet observer`, that counts ICMP and
// ICMPv6 per type at two points of each hook it watches: `before` (priority
// -100, ahead of icmpwall's chains at 0) and `after` (priority 100, behind
// them). A packet icmpwall drops is counted before and not after, so a test
// can tell "dropped" from "never arrived" — which a test that only looks
// at the far side cannot. Counters are named `<hook>.<stage>.v4.<type>` /
// `.v6.<type>`, one per type 0..255, reached through an objref map so each
// packet costs one lookup.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "netns.h"

namespace icmpwall::integration {

struct Counter {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// icmpwall's kernel names: the counter of rule NAME, and of the packets
// over its rate limit. (A hook's default is counted in "default.HOOK".)
inline std::string rule_counter(const std::string& rule) {
  return "rule." + rule;
}
inline std::string over_counter(const std::string& rule) {
  return "rule." + rule + ".over";
}

// The named counters of a table. Asking for a name that is not there
// throws: a renamed counter must fail a test, not read as zero.
class Counters {
 public:
  const Counter& operator[](const std::string& name) const;
  auto begin() const { return all.begin(); }
  auto end() const { return all.end(); }
  std::map<std::string, Counter> all;
};

// Packets counted between two reads of the same table; throws like Counters.
class CounterDeltas {
 public:
  uint64_t operator[](const std::string& name) const;
  std::map<std::string, uint64_t> all;
};
CounterDeltas counter_deltas(const Counters& before, const Counters& after);

// One named counter of table inet `table`; throws if it does not exist.
Counter read_counter(const Netns& ns, const std::string& name,
                     const std::string& table = "icmpwall");
// Every named counter of table inet `table`.
Counters read_counters(const Netns& ns, const std::string& table);

enum class Family { v4, v6 };
enum class Stage { before, after };
// "ipv4" / "ipv6", for test names and messages.
inline std::ostream& operator<<(std::ostream& o, Family f) {
  return o << (f == Family::v4 ? "ipv4" : "ipv6");
}

class Observer {
 public:
  static constexpr int kBeforePriority = -100;
  static constexpr int kAfterPriority = 100;

  // Installs table inet observer in `ns`, watching `hooks` (input,
  // forward, output). The Observer refers to `ns`, which must outlive it.
  explicit Observer(const Netns& ns, std::vector<std::string> hooks = {"input"});

  class Snapshot {
   public:
    uint64_t get(const std::string& hook, Stage s, Family f, int type) const;
    std::map<std::string, Counter> counters;
  };
  Snapshot snapshot() const;
  // Snapshots until `done(snapshot)` holds or `timeout` passes; returns the
  // last one. Crafted packets are still in flight when the sender exits.
  template <typename Pred>
  Snapshot wait_for(Pred done, Millis timeout = Millis(3000)) const {
    Snapshot s;
    poll_until([&] { return done(s = snapshot()); }, timeout, Millis(20));
    return s;
  }

  // Packets of type `type` counted at (hook, stage) between two snapshots.
  static uint64_t delta(const Snapshot& a, const Snapshot& b, const std::string& hook, Stage s,
                        Family f, int type);

  static std::string counter_name(const std::string& hook, Stage s, Family f, int type);

 private:
  const Netns& ns_;
  std::vector<std::string> hooks_;
};

// The echo replies of family `f` that reached the input hook `obs` watches
// since `from`, once they number `expected` or 3 s have passed. A pinger
// that ends at a deadline does not wait for the reply to its last request:
// this counts what arrived, not what ping saw.
uint64_t echo_replies_since(const Observer& obs, const Observer::Snapshot& from, Family f,
                            uint64_t expected);

}  // namespace icmpwall::integration
