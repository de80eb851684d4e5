// SPDX-License-Identifier: GPL-2.0-or-later
// Structured output of the daemon: one JSON object per line.
#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "icmpwall/daemon/drift_watch.h"
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

// A decoded packet's fields, the same in every event that has one:
// "family","src","dst","type","code" in icmpwall's own events ...
void add_packet_fields(nlohmann::json& j, const inspect::Packet& p);
// ... and "src_ip","dest_ip","proto","icmp_type","icmp_code" in eve.json's.
void add_eve_packet_fields(nlohmann::json& j, const inspect::Packet& p);

// {"event":"block","address":...,"prefix":"A/LEN","seconds":...,"ok":true|false,"error":...}
// `address` is the blocked prefix's first address.
std::string block_json(const inspect::BlockedPrefix& prefix, long seconds,
                       const std::string& error);

// {"event":"drift","table":...,"drift":true|false,"missing":N,"extra":N,
//  "differs":N,"overrides":N,"details":["chain input.v4: rule 3 differs: ...",
//  "override: ...", ...]}  (at most kDriftDetails details; "details_omitted":N
//  counts the rest)
inline constexpr size_t kDriftDetails = 20;
std::string drift_json(const DriftFinding& f);

// {"event":"stopped","engine":{...},"queues":[{"queue":N,...counters}]}
std::string summary_json(const inspect::EngineCounters& engine,
                         const std::vector<std::pair<uint16_t, queue::Counters>>& queues);

// The same detection in the field names SIEMs already map from Suricata's
// eve.json (Filebeat's suricata module, Splunk's, Loki pipelines), one
// object per line for the events file (`events_file`):
//   {"timestamp":"2026-12-05T19:38:44.123456+0000","event_type":"alert",
//    "src_ip":...,"dest_ip":...,"proto":"ICMP"|"IPv6-ICMP",
//    "icmp_type":8,"icmp_code":0,"in_iface":"eth0",
//    "alert":{"action":"allowed"|"blocked","gid":1,"signature_id":N,"rev":1,
//             "signature":...,"category":...,"severity":1..3},
//    "icmpwall":{"reason":...,"outcome":"log|drop|block","score":...,
//                "block_prefix":"A/LEN","block_seconds":N,
//                "block_withheld":...,"would":...}}
// Every detection is an "alert" (Suricata's own event_type for a
// signature match); alert.action says what happened to the packet:
// "blocked" for drop and block (the source block is in
// icmpwall.block_prefix), "allowed" for log. A packet that did not
// decode ("malformed") has no addresses, proto or ICMP fields.
// `when` is the local time and its offset from UTC in seconds.
struct EveTime {
  std::chrono::system_clock::time_point time;
  long utc_offset_s = 0;
  static EveTime now();  // the local time zone's offset (localtime_r)
};
// "YYYY-MM-DDTHH:MM:SS.uuuuuu+HHMM", Suricata's format.
std::string eve_timestamp(const EveTime& when);
std::string eve_json(const inspect::Event& event, std::string_view in_iface, const EveTime& when);
// eve_json() now, with the input interface's name looked up by its index
// (in the daemon's network namespace).
std::string eve_line(const inspect::Event& event);

}  // namespace icmpwall::daemon
