// Per-packet cost of the tunnel and sweep detectors (Google Benchmark).
//
// Cases: a steady real ping (one flow, the common case), random sources
// against full 100 000-entry tables (a flood: every packet a cache-cold
// lookup and an eviction), and payloads that take the slow paths (entropy
// of a 1400-byte random payload, a 65000-byte patterned ping).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>

#include "../unit/inspect/detect_packets.h"
#include "icmpwall/inspect/sweep.h"
#include "icmpwall/inspect/tunnel.h"

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
BENCHMARK(BM_SweepOneSource);
BENCHMARK(BM_SweepRandomSources);
BENCHMARK_MAIN();
