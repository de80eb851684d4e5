// SPDX-License-Identifier: GPL-2.0-or-later
// Per-packet cost of the tunnel and sweep detectors (Google Benchmark).
//
// Cases: a steady real ping (one flow, the common case), random sources
// against full 100 000-entry tables (a flood: every packet a cache-cold
// lookup and an eviction), and payloads that take the slow paths (entropy
// of a 1400-byte random payload, a 65000-byte patterned ping).
#include <benchmark/benchmark.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../unit/inspect/detect_packets.h"
#include "icmpwall/inspect/detect/sweep.h"
#include "icmpwall/inspect/detect/tunnel.h"
#include "icmpwall/inspect/engine.h"
#include "icmpwall/inspect/routes/routes.h"

using namespace icmpwall::inspect;
using namespace detect_test;
using namespace std::chrono_literals;

namespace {

const Clock::time_point t0 = Clock::time_point{} + 1000h;

void run_tunnel(benchmark::State& state, const Bytes& payload, bool random_sources) {
  TunnelConfig c;
  c.max_flows = 100000;
  c.max_pending_requests = 100000;
  TunnelDetector d(c);
  auto w = echo("198.18.0.1", "198.18.0.2", true, 1, 1, payload);
  std::mt19937 rng(1);
  int64_t i = 0;
  for (auto _ : state) {
    if (random_sources) {
      const uint32_t r = rng();
      std::memcpy(w.packet.ip.src.bytes.data(), &r, 4);
    }
    benchmark::DoNotOptimize(d.inspect(w.packet, {}, t0 + i++ * 1ms));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_TunnelIputilsOneFlow(benchmark::State& s) {
  run_tunnel(s, iputils(56, 1, 1), false);
}
void BM_TunnelIputilsRandomSources(benchmark::State& s) {
  run_tunnel(s, iputils(56, 1, 1), true);
}
void BM_TunnelPing65000(benchmark::State& s) {
  run_tunnel(s, iputils(65000, 1, 1), false);
}
void BM_TunnelRandom1400(benchmark::State& s) {
  std::mt19937 rng(2);
  run_tunnel(s, random_bytes(1400, rng), false);
}
void BM_TunnelWindows(benchmark::State& s) {
  run_tunnel(s, windows(), false);
}

// The queue_drain benchmark's load: 64 sources of one /24, one identifier
// each, sequence numbers counting up, payloads as iputils (56 bytes, every
// 8th source 1400), Windows, BusyBox and macOS write them; with
// `replies`, every request is followed by its echo reply. 65536 packets
// prebuilt (more than the reply table holds, so every request is a new
// key as in a real drain), cycled with time advancing 2 us a packet.
// `syscall_every`: a system call (getppid) after every that many packets,
// as the reader makes one per batch: where the kernel isolates its page
// tables without PCIDs, each one empties the TLB, and the detectors'
// tables are walked again from cold.
std::vector<Wire> drain_load(bool replies) {
  std::vector<Wire> load;
  constexpr int kSources = 64;
  constexpr int kPerSource = 65536 / kSources;
  for (int seq = 1; seq <= kPerSource; ++seq) {
    for (int src = 0; src < kSources; ++src) {
      Bytes payload;
      switch (src % 4) {
        case 0: payload = iputils(src % 8 == 0 ? 1400 : 56, 1000 + seq, 17 * seq); break;
        case 1: payload = windows(); break;
        case 2: payload = busybox(56, 1000 * seq); break;
        default: payload = macos(56, 1000 + seq, 13 * seq); break;
      }
      const std::string from = "198.18.20." + std::to_string(10 + src);
      load.push_back(echo(from, "198.18.20.2", true, static_cast<uint16_t>(100 + src),
                          static_cast<uint16_t>(seq), payload));
      if (replies) {
        load.push_back(echo("198.18.20.2", from, false, static_cast<uint16_t>(100 + src),
                            static_cast<uint16_t>(seq), payload));
      }
    }
  }
  return load;
}

void run_drain_load(benchmark::State& state, bool replies, int syscall_every = 0) {
  const std::vector<Wire> load = drain_load(replies);
  TunnelDetector d{TunnelConfig{}};
  SweepDetector sweep{SweepConfig{}};
  size_t i = 0;
  for (auto _ : state) {
    const Wire& w = load[i % load.size()];
    const auto now = t0 + std::chrono::microseconds(2 * static_cast<int64_t>(i));
    benchmark::DoNotOptimize(d.inspect(w.packet, {}, now));
    benchmark::DoNotOptimize(sweep.inspect(w.packet, now));
    ++i;
    if (syscall_every > 0 && i % syscall_every == 0)
      benchmark::DoNotOptimize(::syscall(SYS_getppid));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DrainLoadRequests(benchmark::State& s) {
  run_drain_load(s, false);
}
void BM_DrainLoadWithReplies(benchmark::State& s) {
  run_drain_load(s, true);
}
void BM_DrainLoadRequestsSyscallPer64(benchmark::State& s) {
  run_drain_load(s, false, 64);
}

// The whole engine as the daemon's queue worker drives it
// (daemon::EngineSlot::inspect_batch): the drain load's packets as bytes,
// in batches of 64 with a system call between (the reader's recvmmsg),
// each packet decoded and its table entries prefetched 4 packets before
// Engine::inspect judges it (default EngineConfig, a route view of the
// receiver: local 198.18.20.2, its /24 connected).
void BM_EngineDrainLoad(benchmark::State& state) {
  const std::vector<Wire> load = drain_load(false);
  auto routes = std::make_shared<StaticRouteView>();
  const Address local = *parse_address("198.18.20.2");
  routes->add_local(local);
  routes->add_connected(local, 24, 2);
  routes->add_route(local, 24, Route{std::nullopt, 2});
  routes->set_forwarding(Family::ipv4, false);
  Engine engine(EngineConfig{}, routes);
  PacketContext ctx;
  ctx.iif = 2;
  ctx.hook = 1;  // NF_INET_LOCAL_IN
  constexpr size_t kBatch = 64;
  constexpr size_t kAhead = 4;
  std::array<Decoded<Packet>, kAhead + 1> ahead;
  auto decode_at = [&](size_t i) {
    auto& d = ahead[i % ahead.size()];
    decode_packet(load[i % load.size()].bytes, DecodeOptions{.allow_truncated = true}, d);
    if (d) engine.prefetch(*d.value);
  };
  size_t next = 0;  // the first packet of the next batch
  int64_t packets = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(::syscall(SYS_getppid));
    const auto now = t0 + std::chrono::microseconds(static_cast<int64_t>(next));
    for (size_t i = next; i < next + kAhead; ++i) decode_at(i);
    for (size_t i = next; i < next + kBatch; ++i) {
      if (i + kAhead < next + kBatch) decode_at(i + kAhead);
      benchmark::DoNotOptimize(engine.inspect(ahead[i % ahead.size()], ctx, now));
    }
    next += kBatch;
    packets += kBatch;
  }
  state.SetItemsProcessed(packets);
}

void run_sweep(benchmark::State& state, bool random_sources) {
  SweepConfig c;
  c.max_sources = 100000;
  SweepDetector d(c);
  auto w = echo("198.18.0.1", "198.18.0.2", true, 1, 1, iputils(56, 1, 1));
  std::mt19937 rng(3);
  int64_t i = 0;
  for (auto _ : state) {
    if (random_sources) {
      const uint32_t r = rng();
      std::memcpy(w.packet.ip.src.bytes.data(), &r, 4);
    }
    benchmark::DoNotOptimize(d.inspect(w.packet, t0 + i++ * 1ms));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SweepOneSource(benchmark::State& s) {
  run_sweep(s, false);
}
void BM_SweepRandomSources(benchmark::State& s) {
  run_sweep(s, true);
}

}  // namespace

BENCHMARK(BM_TunnelIputilsOneFlow);
BENCHMARK(BM_TunnelIputilsRandomSources);
BENCHMARK(BM_TunnelPing65000);
BENCHMARK(BM_TunnelRandom1400);
BENCHMARK(BM_TunnelWindows);
BENCHMARK(BM_DrainLoadRequests);
BENCHMARK(BM_DrainLoadWithReplies);
BENCHMARK(BM_DrainLoadRequestsSyscallPer64);
BENCHMARK(BM_EngineDrainLoad);
BENCHMARK(BM_SweepOneSource);
BENCHMARK(BM_SweepRandomSources);
BENCHMARK_MAIN();
