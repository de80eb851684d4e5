// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/engine_slot.h"

#include <algorithm>
#include <array>

#include "icmpwall/inspect/decode/packet.h"

namespace icmpwall::daemon {

namespace {

// NFQUEUE hands over at most the copy range of a packet.
constexpr inspect::DecodeOptions kDecodeOptions{.allow_truncated = true};

}  // namespace

inspect::PacketContext packet_context(const queue::PacketInfo& info, bool conntrack) {
  inspect::PacketContext ctx;
  ctx.iif = info.indev;
  ctx.oif = info.outdev;
  ctx.hook = info.hook;
  ctx.hwaddr = info.hwaddr;
  ctx.hwaddr_len = info.hwaddr_len;
  if (info.ct_info)
    ctx.ct = inspect::conntrack_from_ctinfo(*info.ct_info);
  else if (info.ct_reported && conntrack)
    ctx.ct = inspect::Conntrack::none;  // the kernel would have said: no entry
  return ctx;
}

queue::Verdict EngineSlot::inspect(std::span<const uint8_t> packet, const queue::PacketInfo& info) {
  return judge(*engine_.load(), packet, info, inspect::Clock::now());
}

void EngineSlot::inspect_batch(std::span<const queue::QueuedPacket> packets,
                               std::span<queue::Verdict> verdicts, size_t& judged) {
  if (judged >= packets.size()) return;
  // One engine and one clock reading for the whole batch (the packets
  // were read at once): loading the engine is an atomic round trip, the
  // clock tens of nanoseconds.
  const auto engine = engine_.load();
  const auto now = inspect::Clock::now();
  // Each packet is decoded kAhead packets before it is judged, and the
  // detectors' table entries it will touch start loading then: after the
  // kernel's work between two batches those tables are cold, and a miss
  // per table per packet, one after the other, costs more than judging.
  constexpr size_t kAhead = 4;
  std::array<inspect::Decoded<inspect::Packet>, kAhead + 1> ahead;
  auto decode_at = [&](size_t i) {
    auto& d = ahead[i % ahead.size()];
    inspect::decode_packet(packets[i].bytes, kDecodeOptions, d);
    if (d) engine->prefetch(*d.value);
  };
  for (size_t i = judged; i < std::min(judged + kAhead, packets.size()); ++i) decode_at(i);
  for (; judged < packets.size(); ++judged) {
    if (judged + kAhead < packets.size()) decode_at(judged + kAhead);
    verdicts[judged] = judge(*engine, ahead[judged % ahead.size()], packets[judged].bytes,
                             packets[judged].info, now);
  }
}

inspect::Decoded<inspect::Packet> EngineSlot::decode(std::span<const uint8_t> packet) {
  return inspect::decode_packet(packet, kDecodeOptions);
}

queue::Verdict EngineSlot::judge(inspect::Engine& engine, std::span<const uint8_t> packet,
                                 const queue::PacketInfo& info, inspect::Clock::time_point now) {
  return judge(engine, decode(packet), packet, info, now);
}

queue::Verdict EngineSlot::judge(inspect::Engine& engine,
                                 const inspect::Decoded<inspect::Packet>& decoded,
                                 std::span<const uint8_t> packet, const queue::PacketInfo& info,
                                 inspect::Clock::time_point now) {
  if (decoded) {
    const auto& p = *decoded.value;
    count(p.ip.family, p.icmp.type);
  } else {
    count_type(packet);  // what the IP header says, if it decodes
  }
  const auto ctx = packet_context(info, engine.config().conntrack);
  const auto f = engine.inspect(decoded, ctx, now);
  return f.outcome >= inspect::Outcome::drop ? queue::Verdict::drop : queue::Verdict::accept;
}

void EngineSlot::count(policy::Family family, uint8_t type) {
  const size_t index = (family == policy::Family::ipv4 ? 0 : 256) + type;
  per_type_[index].fetch_add(1, std::memory_order_relaxed);
}

void EngineSlot::count_type(std::span<const uint8_t> packet) {
  auto ip = inspect::decode_ip(packet);
  if (!ip || ip.value->fragment_offset != 0) return;
  const uint8_t want = ip.value->family == policy::Family::ipv4 ? 1 : 58;
  if (ip.value->protocol != want || ip.value->header_len >= packet.size()) return;
  count(ip.value->family, packet[ip.value->header_len]);
}

std::vector<TypeCount> EngineSlot::type_counts() const {
  std::vector<TypeCount> out;
  for (size_t i = 0; i < per_type_.size(); ++i) {
    uint64_t n = per_type_[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    out.push_back(
        {i < 256 ? policy::Family::ipv4 : policy::Family::ipv6, static_cast<uint8_t>(i % 256), n});
  }
  return out;
}

}  // namespace icmpwall::daemon
