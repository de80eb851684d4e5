// SPDX-License-Identifier: GPL-2.0-or-later
// Memory and per-packet cost of the inspection engine at 100 000 tracked
// flows.
//
// Feeds one inspect::Engine (StaticRouteView, like the daemon's engine
// but without the kernel) IPv4 echo requests as iputils writes them (56
// bytes: timeval + counting fill) from N distinct sources (default
// 100 000, 198.18.0.0 upwards) to one destination, one identifier per
// source, 1 µs apart on the engine's clock. Then a second round: every
// source's next sequence number (flows that exist). Reports RSS (VmRSS,
// VmHWM from /proc/self/status) and mallinfo2 in-use bytes before the
// engine exists, after it is built (its flow tables are allocated at
// construction), after the first and the second round, and the time per
// packet of each round.
//
// Two configurations: the default EngineConfig (at most 65 536 tunnel
// flows, pending requests and sweep sources: the rest is LRU-evicted), and
// one whose tables hold 131 072 so that all 100 000 flows are tracked.
// The table fill is read from detectors of the same configuration fed the
// same packets.
//
// Usage: engine_memory [SOURCES]   (no root needed; about a second)
#include <malloc.h>
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/detect/sweep.h"
#include "icmpwall/inspect/detect/table_memory.h"
#include "icmpwall/inspect/detect/tunnel.h"
#include "icmpwall/inspect/engine.h"
#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::bench {
namespace {

using inspect::Clock;

struct Mem {
  long rss_kb = 0;
  long hwm_kb = 0;
  size_t heap = 0;  // mallinfo2 uordblks + hblkhd, and the tables' own mappings
};

Mem memory() {
  Mem m;
  std::ifstream f("/proc/self/status");
  std::string key;
  long v;
  std::string unit;
  for (std::string line; std::getline(f, line);) {
    if (std::sscanf(line.c_str(), "VmRSS: %ld", &v) == 1) m.rss_kb = v;
    if (std::sscanf(line.c_str(), "VmHWM: %ld", &v) == 1) m.hwm_kb = v;
  }
  const auto mi = mallinfo2();
  m.heap = mi.uordblks + mi.hblkhd + icmpwall::inspect::table_memory::mapped_bytes();
  return m;
}

void print(const char* label, const Mem& m, const Mem& base) {
  std::printf("  %-26s RSS %8.1f MiB (%+8.1f)  peak %8.1f MiB  heap in use %8.1f MiB (%+8.1f)\n",
              label, m.rss_kb / 1024.0, (m.rss_kb - base.rss_kb) / 1024.0, m.hwm_kb / 1024.0,
              m.heap / 1048576.0, (static_cast<double>(m.heap) - base.heap) / 1048576.0);
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// An IPv4 echo request from 198.18.0.0 + i to 198.19.255.254, iputils
// payload (56 bytes).
std::vector<uint8_t> echo_request(uint32_t i, uint16_t seq) {
  std::vector<uint8_t> p(20 + 8 + 56, 0);
  const uint32_t src = (198u << 24 | 18u << 16) + i;
  const uint32_t dst = 198u << 24 | 19u << 16 | 255u << 8 | 254u;
  p[0] = 0x45;
  p[2] = static_cast<uint8_t>(p.size() >> 8), p[3] = static_cast<uint8_t>(p.size());
  p[6] = 0x40;
  p[8] = 64;
  p[9] = 1;
  for (int b = 0; b < 4; ++b) {
    p[12 + b] = static_cast<uint8_t>(src >> (24 - 8 * b));
    p[16 + b] = static_cast<uint8_t>(dst >> (24 - 8 * b));
  }
  const uint16_t ipc = checksum(p.data(), 20);
  p[10] = static_cast<uint8_t>(ipc >> 8), p[11] = static_cast<uint8_t>(ipc);
  uint8_t* icmp = p.data() + 20;
  icmp[0] = 8;
  const uint16_t id = static_cast<uint16_t>(i * 2654435761u >> 16);
  icmp[4] = static_cast<uint8_t>(id >> 8), icmp[5] = static_cast<uint8_t>(id);
  icmp[6] = static_cast<uint8_t>(seq >> 8), icmp[7] = static_cast<uint8_t>(seq);
  uint8_t* data = icmp + 8;
  timeval tv{1700000000 + static_cast<time_t>(seq), static_cast<suseconds_t>(i % 1000000)};
  std::memcpy(data, &tv, sizeof tv);
  for (size_t j = 16; j < 56; ++j) data[j] = static_cast<uint8_t>(j);
  const uint16_t c = checksum(icmp, 8 + 56);
  icmp[2] = static_cast<uint8_t>(c >> 8), icmp[3] = static_cast<uint8_t>(c);
  return p;
}

std::shared_ptr<inspect::RouteView> routes() {
  auto v = std::make_shared<inspect::StaticRouteView>();
  auto net = inspect::parse_address("198.18.0.0");
  v->add_connected(*net, 15, 2);
  v->add_route(*net, 15, inspect::Route{std::nullopt, 2});
  v->set_forwarding(inspect::Family::ipv4, true);
  return v;
}

void run(const char* title, const inspect::EngineConfig& config, uint32_t sources) {
  std::printf("%s: %u sources\n", title, sources);
  // The packets first, so their memory is in the baseline.
  std::vector<std::vector<uint8_t>> round1, round2;
  round1.reserve(sources);
  round2.reserve(sources);
  for (uint32_t i = 0; i < sources; ++i) {
    round1.push_back(echo_request(i, 1));
    round2.push_back(echo_request(i, 2));
  }
  malloc_trim(0);
  const Mem base = memory();
  print("before the engine", base, base);
  {
    inspect::Engine engine(config, routes());
    print("engine built", memory(), base);
    const auto t0 = Clock::time_point(std::chrono::hours(1));
    auto now = t0;
    uint64_t dropped = 0;
    auto feed = [&](const std::vector<std::vector<uint8_t>>& pkts, const char* label) {
      const auto w0 = std::chrono::steady_clock::now();
      for (const auto& p : pkts) {
        now += std::chrono::microseconds(1);
        if (engine.inspect(p, inspect::PacketContext{.iif = 2}, now).outcome >=
            inspect::Outcome::drop)
          ++dropped;
      }
      const double ns =
          std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - w0).count() /
          static_cast<double>(pkts.size());
      const Mem m = memory();
      print(label, m, base);
      std::printf("  %-26s %.0f ns/packet (%.2f M packets/s on one core)\n", "", ns, 1e3 / ns);
    };
    feed(round1, "after round 1 (new flows)");
    feed(round2, "after round 2 (existing)");
    const auto c = engine.counters();
    std::printf(
        "  engine: packets %llu passed %llu dropped %llu blocked %llu\n",
        static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.passed),
        static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(dropped));
  }
  // Table fill: detectors of the same configuration, same packets.
  inspect::TunnelDetector tunnel(config.tunnel);
  inspect::SweepDetector sweep(config.sweep);
  auto now = Clock::time_point(std::chrono::hours(1));
  for (const auto* round : {&round1, &round2})
    for (const auto& p : *round) {
      now += std::chrono::microseconds(1);
      auto d = inspect::decode_packet(p);
      if (!d) continue;
      tunnel.inspect(*d.value, {}, now);
      sweep.inspect(*d.value, now);
    }
  std::printf(
      "  tracked: tunnel flows %zu, pending requests %zu (%.1f MiB of tables), "
      "sweep sources %zu (%.1f MiB)\n",
      tunnel.flows(), tunnel.pending_requests(), tunnel.memory_bytes() / 1048576.0, sweep.sources(),
      sweep.memory_bytes() / 1048576.0);
  std::printf(
      "  per tracked flow: %.0f bytes of tables\n",
      static_cast<double>(tunnel.memory_bytes() + sweep.memory_bytes()) /
          static_cast<double>(std::max<size_t>(1, std::max(tunnel.flows(), sweep.sources()))));
}

}  // namespace
}  // namespace icmpwall::bench

int main(int argc, char** argv) {
  using namespace icmpwall;
  const uint32_t sources =
      argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 100000;
  if (sources == 0 || sources > 131000) {
    std::fprintf(stderr, "usage: engine_memory [SOURCES <= 131000]\n");
    return 2;
  }
  inspect::EngineConfig defaults;
  bench::run("default EngineConfig", defaults, sources);
  inspect::EngineConfig big;
  big.tunnel.max_flows = 131072;
  big.tunnel.max_pending_requests = 131072;
  big.sweep.max_sources = 131072;
  if (auto v = inspect::validate(big.tunnel); !v) {
    std::fprintf(stderr, "engine_memory: tunnel config: %s\n", v.error().message.c_str());
    return 1;
  }
  if (auto v = inspect::validate(big.sweep); !v) {
    std::fprintf(stderr, "engine_memory: sweep config: %s\n", v.error().message.c_str());
    return 1;
  }
  bench::run("tables of 131072 (all flows tracked)", big, sources);
  return 0;
}
