// Structured output of the daemon: one JSON object per line.
#pragma once

#include <string>

#include "icmpwall/inspect/engine.h"
#include "icmpwall/queue/reader.h"

namespace icmpwall::daemon {

// {"event":"detection","reason":...,"action":...,"score":...,"family":...,
//  "src":...,"dst":...,"type":...,"code":...,"id":...,"iif":...,"oif":...,
//  "hwaddr":"aa:bb:..","ct":"none|new|established|reply|related",
//  "signals":[{"name":...,"value":...,"threshold":...}],
//  "block_s":...,"block_prefix":"A/LEN"  (action block)
//  "block_withheld":"own-address|gateway|never-block|unverified-sender|link-local|..."
//  "would":"block|drop"  (EngineConfig::enforce lowered the action)}
// "action" is what was done to the packet.
std::string detection_json(const inspect::Event& event);

// {"event":"block","address":...,"prefix":"A/LEN","seconds":...,"ok":true|false,"error":...}
// `address` is the blocked prefix's first address.
std::string block_json(const inspect::BlockedPrefix& prefix, long seconds,
                       const std::string& error);

// {"event":"stopped","engine":{...},"queues":[{"queue":N,...counters}]}
std::string summary_json(const inspect::EngineCounters& engine,
                         const std::vector<std::pair<uint16_t, queue::Counters>>& queues);

}  // namespace icmpwall::daemon
