// Structured output of the daemon: one JSON object per line.
#pragma once

#include <string>

#include "icmpwall/inspect/engine.h"
#include "icmpwall/queue/reader.h"

namespace icmpwall::daemon {

// {"event":"detection","reason":...,"action":...,"score":...,"family":...,
//  "src":...,"dst":...,"type":...,"code":...,"id":...,"iif":...,
//  "signals":[{"name":...,"value":...,"threshold":...}],"block_s":...}
std::string detection_json(const inspect::Event& event);

// {"event":"block","address":...,"prefix":"A/LEN","seconds":...,"ok":true|false,"error":...}
// `address` is the blocked prefix's first address.
std::string block_json(const inspect::BlockedPrefix& prefix, long seconds, const std::string& error);

// {"event":"stopped","engine":{...},"queues":[{"queue":N,...counters}]}
std::string summary_json(const inspect::EngineCounters& engine,
                         const std::vector<std::pair<uint16_t, queue::Counters>>& queues);

}  // namespace icmpwall::daemon
