// SPDX-License-Identifier: GPL-2.0-or-later
// How fast a queue reader drains a backlog of packets, per verdict
// strategy and inspection cost.
//
// For each mode: bind the queue in the receiver namespace without reading
// it, send N ICMP echo requests from the sender namespace (a raw socket,
// sendmmsg), wait until the kernel reports them all waiting in the queue,
// then run Reader rounds on this thread until every parked packet has its
// verdict, and time that drain. Modes:
//
//   accept-batched     accept all; recvmmsg + batch verdicts (the ceiling)
//   accept-per-packet  accept all; recvmmsg, one verdict sendto per packet
//   accept-classic     accept all; one recv and one verdict per packet
//   scan-batched       search every packet for a marker, batched verdicts
//   decode-batched     decode IP + ICMP (inspect::decode_packet), look for
//                      the marker in the ICMP data, batched verdicts
//   full-batched       the daemon's inspection: every packet through one
//                      inspect::Engine (default EngineConfig, a
//                      StaticRouteView of the receiver), detected = drop,
//                      batched verdicts (what `icmpwall daemon` runs)
//   full-per-packet    the same, one verdict per packet
//
// The load is the same for every mode: echo requests from --sources
// distinct addresses of the sender's /24 (raw IP_HDRINCL socket), one
// identifier per source, sequence numbers counting up, payloads as real
// pings write them, by source: iputils (16-byte timeval + counting fill,
// 56 bytes; every 8th source with -s 1400), Windows (32 bytes of
// "abcdefghijklmnopqrstuvw"), BusyBox (4-byte stamp + zeros) and macOS
// (8-byte stamp + counting fill from 0x08). --load simple sends the old
// load instead (one source, 56 bytes counting from 0x08).
//
// Set up by queue_drain.sh: two namespaces joined by a veth pair, an
// NFQUEUE rule on the receiver's input hook for echo requests, echo
// replies switched off there so accepted packets cost only their delivery.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "icmpwall/netlink/netns.h"
#include "icmpwall/queue/queue_socket.h"
#include "icmpwall/queue/reader.h"
#include "icmpwall/util/fd.h"
#ifdef ICMPWALL_BENCH_DECODE
#include <sys/time.h>

#include "icmpwall/daemon/engine_slot.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/engine.h"
#include "icmpwall/inspect/routes/routes.h"
#endif

namespace icmpwall::bench {
namespace {

using Clock = std::chrono::steady_clock;
using queue::PacketInfo;
using queue::Verdict;

constexpr uint8_t kMarker[] = {0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe};

struct Options {
  std::string sender;
  std::string receiver;
  std::string dst;
  uint16_t queue = 0;
  uint32_t packets = 30000;
  uint32_t copy_range = 1500;
  int repeat = 1;
  uint32_t sources = 64;
  bool simple_load = false;
  std::vector<std::string> modes;
};

class MarkerScan final : public queue::Inspector {
 public:
  Verdict inspect(std::span<const uint8_t> p, const PacketInfo&) override {
    return std::search(p.begin(), p.end(), std::begin(kMarker), std::end(kMarker)) == p.end()
               ? Verdict::accept
               : Verdict::drop;
  }
};

#ifdef ICMPWALL_BENCH_DECODE
class DecodeAndScan final : public queue::Inspector {
 public:
  Verdict inspect(std::span<const uint8_t> p, const PacketInfo&) override {
    auto d = inspect::decode_packet(p);
    if (!d) return Verdict::drop;
    const auto& body = d.value->payload;
    return std::search(body.begin(), body.end(), std::begin(kMarker), std::end(kMarker)) ==
                   body.end()
               ? Verdict::accept
               : Verdict::drop;
  }
};

// The routes of the receiver, for the engine of the full modes.
std::shared_ptr<inspect::RouteView> receiver_routes(const std::string& dst) {
  auto v = std::make_shared<inspect::StaticRouteView>();
  auto local = inspect::parse_address(dst);
  if (local) {
    v->add_local(*local);
    v->add_connected(*local, 24, 2);
    v->add_route(*local, 24, inspect::Route{std::nullopt, 2});
  }
  v->set_forwarding(inspect::Family::ipv4, false);
  return v;
}

// The daemon's inspector (daemon::EngineSlot, what serve.cpp hands its
// queue workers) around an engine of its own: default configuration,
// routes of the receiver.
std::unique_ptr<daemon::EngineSlot> full_inspection(const std::string& dst) {
  return std::make_unique<daemon::EngineSlot>(
      std::make_shared<inspect::Engine>(inspect::EngineConfig{}, receiver_routes(dst)));
}
#endif

struct Mode {
  std::string name;
  queue::ReaderOptions reader;
  std::unique_ptr<queue::Inspector> inspector;
};

std::optional<Mode> make_mode(const std::string& name, [[maybe_unused]] const Options& o) {
  using queue::VerdictMode;
  if (name == "accept-batched")
    return Mode{name, {VerdictMode::batched, 64}, std::make_unique<queue::AcceptAll>()};
  if (name == "accept-per-packet")
    return Mode{name, {VerdictMode::per_packet, 64}, std::make_unique<queue::AcceptAll>()};
  if (name == "accept-classic")
    return Mode{name, {VerdictMode::per_packet, 1}, std::make_unique<queue::AcceptAll>()};
  if (name == "scan-batched")
    return Mode{name, {VerdictMode::batched, 64}, std::make_unique<MarkerScan>()};
#ifdef ICMPWALL_BENCH_DECODE
  if (name == "decode-batched")
    return Mode{name, {VerdictMode::batched, 64}, std::make_unique<DecodeAndScan>()};
  if (name == "full-batched") return Mode{name, {VerdictMode::batched, 64}, full_inspection(o.dst)};
  if (name == "full-per-packet")
    return Mode{name, {VerdictMode::per_packet, 64}, full_inspection(o.dst)};
#endif
  return std::nullopt;
}

// Packets waiting in `queue`, from /proc/net/netfilter/nfnetlink_queue of
// the receiver namespace.
std::optional<uint32_t> waiting(const std::string& ns, uint16_t queue) {
  auto in_ns = netlink::EnterNetns::open(ns);
  if (!in_ns) return std::nullopt;
  std::ifstream f("/proc/thread-self/net/netfilter/nfnetlink_queue");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream s(line);
    uint32_t q, portid, total;
    if (s >> q >> portid >> total && q == queue) return total;
  }
  return std::nullopt;
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

// A raw IP socket (IP_HDRINCL) in the sender namespace: echo requests
// from many source addresses of the sender's /24.
class Sender {
 public:
  static std::optional<Sender> open(const std::string& ns, const std::string& dst, uint32_t sources,
                                    bool simple) {
    Sender s;
    {
      auto in_ns = netlink::EnterNetns::open(ns);
      if (!in_ns) {
        std::fprintf(stderr, "queue_drain: %s\n", in_ns.error().message.c_str());
        return std::nullopt;
      }
      s.fd_ = Fd(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
    }
    if (!s.fd_.valid()) {
      std::perror("queue_drain: raw socket");
      return std::nullopt;
    }
    s.dst_.sin_family = AF_INET;
    if (inet_pton(AF_INET, dst.c_str(), &s.dst_.sin_addr) != 1) {
      std::fprintf(stderr, "queue_drain: bad address %s\n", dst.c_str());
      return std::nullopt;
    }
    // Sources: .10, .11, ... of the destination's /24 (never the
    // destination itself).
    const uint32_t base = ntohl(s.dst_.sin_addr.s_addr) & 0xffffff00u;
    const uint32_t n = simple ? 1 : std::clamp<uint32_t>(sources, 1, 200);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t host = 10 + i;
      if ((base | host) == ntohl(s.dst_.sin_addr.s_addr)) host = 250;
      s.sources_.push_back(htonl(base | host));
    }
    s.simple_ = simple;
    s.seq_.assign(n, 0);
    return s;
  }

  uint32_t sources() const { return static_cast<uint32_t>(sources_.size()); }

  // n echo requests, round robin over the sources, sendmmsg 64 at a time.
  uint32_t send(uint32_t n) {
    constexpr size_t kBatch = 64, kSlot = 20 + 8 + 1400;
    std::vector<uint8_t> bufs(kBatch * kSlot);
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    uint32_t sent = 0;
    while (sent < n) {
      const size_t k = std::min<size_t>(kBatch, n - sent);
      for (size_t i = 0; i < k; ++i) {
        uint8_t* p = bufs.data() + i * kSlot;
        const size_t len = build(p, next_++ % sources_.size());
        iov[i] = {p, len};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &dst_;
        msgs[i].msg_hdr.msg_namelen = sizeof dst_;
      }
      int r = sendmmsg(fd_.get(), msgs.data(), static_cast<unsigned>(k), 0);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        std::perror("queue_drain: sendmmsg");
        break;
      }
      sent += static_cast<uint32_t>(r);
    }
    return sent;
  }

 private:
  Sender() = default;

  // One IPv4 echo request from source `s` at `p`; its length.
  size_t build(uint8_t* p, size_t s) {
    uint8_t* icmp = p + 20;
    uint8_t* data = icmp + 8;
    size_t dlen = 56;
    timeval tv{};
    gettimeofday(&tv, nullptr);
    if (simple_) {
      for (size_t j = 0; j < dlen; ++j) data[j] = static_cast<uint8_t>(j + 8);
    } else {
      switch (s % 4) {
        case 0:  // iputils: struct timeval, then i mod 256 from 0x10
          if (s % 8 == 0) dlen = 1400;
          std::memcpy(data, &tv, sizeof tv);
          for (size_t j = 16; j < dlen; ++j) data[j] = static_cast<uint8_t>(j);
          break;
        case 1: {  // Windows
          dlen = 32;
          for (size_t j = 0; j < dlen; ++j) data[j] = static_cast<uint8_t>('a' + j % 23);
          break;
        }
        case 2: {  // BusyBox: 4-byte monotonic microseconds, zeros
          const uint32_t us = static_cast<uint32_t>(tv.tv_sec * 1000000 + tv.tv_usec);
          std::memcpy(data, &us, 4);
          std::memset(data + 4, 0, dlen - 4);
          break;
        }
        default: {  // macOS: two 32-bit words, then counting from 0x08
          const uint32_t w[2] = {htonl(static_cast<uint32_t>(tv.tv_sec)),
                                 htonl(static_cast<uint32_t>(tv.tv_usec))};
          std::memcpy(data, w, 8);
          for (size_t j = 8; j < dlen; ++j) data[j] = static_cast<uint8_t>(j);
          break;
        }
      }
    }
    // ICMP: echo request (not <netinet/ip_icmp.h>: its icmp_id macro breaks packet.h)
    const uint16_t id = static_cast<uint16_t>(0x4200 + s);
    const uint16_t seq = static_cast<uint16_t>(++seq_[s]);
    icmp[0] = 8, icmp[1] = 0, icmp[2] = 0, icmp[3] = 0;
    icmp[4] = static_cast<uint8_t>(id >> 8), icmp[5] = static_cast<uint8_t>(id);
    icmp[6] = static_cast<uint8_t>(seq >> 8), icmp[7] = static_cast<uint8_t>(seq);
    const uint16_t c = checksum(icmp, 8 + dlen);
    std::memcpy(icmp + 2, &c, 2);
    // IPv4 header; the kernel fills in total length, id and checksum.
    const size_t total = 20 + 8 + dlen;
    std::memset(p, 0, 20);
    p[0] = 0x45;
    p[2] = static_cast<uint8_t>(total >> 8), p[3] = static_cast<uint8_t>(total);
    p[6] = 0x40;  // DF
    p[8] = 64;
    p[9] = 1;  // ICMP
    std::memcpy(p + 12, &sources_[s], 4);
    std::memcpy(p + 16, &dst_.sin_addr, 4);
    return total;
  }

  Fd fd_;
  sockaddr_in dst_{};
  std::vector<uint32_t> sources_;  // network order
  std::vector<uint16_t> seq_;
  size_t next_ = 0;
  bool simple_ = false;
};

struct RunResult {
  uint32_t parked = 0;
  double seconds = 0;
  queue::Counters counters;
  bool ok = false;
};

RunResult run_mode(const Options& o, Mode& mode, Sender& sender) {
  RunResult res;
  queue::QueueConfig c;
  c.queue = o.queue;
  c.netns = o.receiver;
  c.copy_range = o.copy_range;
  c.max_len = o.packets + 1024;
  c.fail_open = false;
  c.rcvbuf_bytes = 1 << 30;  // forced as root; the backlog lives here
  auto sock = queue::QueueSocket::open(c);
  if (!sock) {
    std::fprintf(stderr, "queue_drain: %s\n", sock.error().message.c_str());
    return res;
  }
  const uint32_t sent = sender.send(o.packets);
  // Parked: the kernel's count stops growing (it reaches `sent` unless
  // some were lost on the way).
  uint32_t last = 0;
  int stable = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    uint32_t w = waiting(o.receiver, o.queue).value_or(0);
    if (w == sent) break;
    stable = (w == last) ? stable + 1 : 0;
    if (stable >= 20) break;
    last = w;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  res.parked = waiting(o.receiver, o.queue).value_or(0);
  if (res.parked == 0) {
    std::fprintf(stderr, "queue_drain: nothing parked in queue %u (sent %u)\n", o.queue, sent);
    return res;
  }

  queue::Reader reader(std::move(*sock), *mode.inspector, mode.reader);
  const auto t0 = Clock::now();
  const auto give_up = t0 + std::chrono::seconds(20);
  while (reader.counters().received < res.parked && Clock::now() < give_up) {
    auto r = reader.round();
    if (!r) {
      std::fprintf(stderr, "queue_drain: %s\n", r.error().message.c_str());
      return res;
    }
  }
  const auto t1 = Clock::now();
  res.seconds = std::chrono::duration<double>(t1 - t0).count();
  res.counters = reader.counters();
  res.ok = res.counters.received == res.parked && waiting(o.receiver, o.queue).value_or(1) == 0;
  if (!res.ok)
    std::fprintf(stderr, "queue_drain: %s: %llu of %u parked packets answered\n", mode.name.c_str(),
                 static_cast<unsigned long long>(res.counters.received), res.parked);
  return res;
}

int usage() {
  std::fprintf(stderr,
               "usage: queue_drain --sender NS --receiver NS --dst IPV4 [--queue N] "
               "[--packets N] [--copy-range N] [--repeat N] [--sources N] [--load mix|simple] "
               "[--modes a,b,...]\n");
  return 2;
}

int main_impl(int argc, char** argv) {
  Options o;
  o.modes = {"accept-batched", "accept-per-packet", "accept-classic", "scan-batched"};
#ifdef ICMPWALL_BENCH_DECODE
  o.modes.push_back("decode-batched");
  o.modes.push_back("full-batched");
#endif
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--sender")
      o.sender = v;
    else if (a == "--receiver")
      o.receiver = v;
    else if (a == "--dst")
      o.dst = v;
    else if (a == "--queue")
      o.queue = static_cast<uint16_t>(std::stoul(v));
    else if (a == "--packets")
      o.packets = static_cast<uint32_t>(std::stoul(v));
    else if (a == "--copy-range")
      o.copy_range = static_cast<uint32_t>(std::stoul(v));
    else if (a == "--repeat")
      o.repeat = std::max(1, std::stoi(v));
    else if (a == "--sources")
      o.sources = static_cast<uint32_t>(std::stoul(v));
    else if (a == "--load")
      o.simple_load = (v == "simple");
    else if (a == "--modes") {
      o.modes.clear();
      std::istringstream s(v);
      for (std::string m; std::getline(s, m, ',');) o.modes.push_back(m);
    } else
      return usage();
  }
  if (o.sender.empty() || o.receiver.empty() || o.dst.empty() || o.packets == 0) return usage();
  if (o.packets > 200000) {
    std::fprintf(stderr, "queue_drain: at most 200000 packets\n");
    return 2;
  }

  auto sender = Sender::open(o.sender, o.dst, o.sources, o.simple_load);
  if (!sender) return 1;

  std::printf(
      "queue_drain: %u echo requests parked per run (%s load, %u sources), copy range %u, "
      "best of %d\n",
      o.packets, o.simple_load ? "simple" : "iputils/windows/busybox/macos", sender->sources(),
      o.copy_range, o.repeat);
  std::printf("%-18s %7s %9s %11s %6s %7s %7s %8s %8s\n", "mode", "parked", "drain ms", "packets/s",
              "ratio", "reads", "sends", "verdicts", "batch v");
  double ceiling = 0;
  std::map<std::string, double> rates;
  bool all_ok = true;
  // Every mode is built first and the repeats interleave (a round runs
  // each mode once), so load from elsewhere on the machine weighs on all
  // modes alike rather than on whichever ran during it.
  std::vector<std::unique_ptr<Mode>> modes;
  for (const auto& name : o.modes) {
    auto mode = make_mode(name, o);
    if (!mode) {
      std::fprintf(stderr, "queue_drain: unknown mode %s\n", name.c_str());
      return 2;
    }
    modes.push_back(std::make_unique<Mode>(std::move(*mode)));
  }
  std::vector<std::optional<RunResult>> bests(modes.size());
  // Packets/s of each mode per round (0: the run failed), for the ratios
  // of modes that ran side by side in the same round.
  std::map<std::string, std::vector<double>> by_round;
  for (int r = 0; r < o.repeat; ++r) {
    for (size_t m = 0; m < modes.size(); ++m) {
      RunResult res = run_mode(o, *modes[m], *sender);
      by_round[o.modes[m]].push_back(res.ok ? res.parked / res.seconds : 0);
      if (!res.ok) {
        all_ok = false;
        continue;
      }
      auto& best = bests[m];
      if (!best || res.parked / res.seconds > best->parked / best->seconds) best = res;
    }
  }
  for (size_t m = 0; m < modes.size(); ++m) {
    const std::string& name = o.modes[m];
    Mode* mode = modes[m].get();
    const std::optional<RunResult>& best = bests[m];
    if (!best) {
      std::printf("%-18s failed\n", name.c_str());
      continue;
    }
    const double pps = best->parked / best->seconds;
    if (ceiling == 0) ceiling = pps;
    rates[name] = pps;
    const auto& c = best->counters;
    std::printf("%-18s %7u %9.1f %11.0f %6.2f %7llu %7llu %8llu %8llu\n", name.c_str(),
                best->parked, best->seconds * 1e3, pps, pps / ceiling,
                static_cast<unsigned long long>(c.reads),
                static_cast<unsigned long long>(c.batches),
                static_cast<unsigned long long>(c.verdict_messages),
                static_cast<unsigned long long>(c.batch_verdicts));
#ifdef ICMPWALL_BENCH_DECODE
    if (auto* full = dynamic_cast<daemon::EngineSlot*>(mode->inspector.get())) {
      const auto ec = full->engine()->counters();
      std::string reasons;
      for (const auto& [r, n] : ec.reasons) reasons += " " + r + "=" + std::to_string(n);
      std::printf(
          "  engine: packets %llu passed %llu logged %llu dropped %llu blocked %llu%s%s\n",
          static_cast<unsigned long long>(ec.packets), static_cast<unsigned long long>(ec.passed),
          static_cast<unsigned long long>(ec.logged), static_cast<unsigned long long>(ec.dropped),
          static_cast<unsigned long long>(ec.blocked),
          reasons.empty() ? "" : " reasons:", reasons.c_str());
    }
#endif
    std::fflush(stdout);
  }
  // The best run of each mode against the best of the other, and the
  // median over the rounds of each round's own ratio (the two modes ran
  // back to back: what the rest of the machine did weighs on both).
  auto ratio_line = [&](const char* label, const std::string& num, const std::string& den,
                        double target) {
    if (!rates.count(num) || !rates.count(den)) return;
    const double r = rates[num] / rates[den];
    std::vector<double> paired;
    for (size_t i = 0; i < by_round[num].size(); ++i) {
      if (by_round[num][i] > 0 && by_round[den][i] > 0)
        paired.push_back(by_round[num][i] / by_round[den][i]);
    }
    std::sort(paired.begin(), paired.end());
    const double median = paired.empty() ? 0 : paired[paired.size() / 2];
    std::printf("ratio %-28s %.2f  (median of %zu rounds: %.2f)", label, r, paired.size(), median);
    if (target > 0) std::printf("  (target >= %.2f: %s)", target, r >= target ? "met" : "MISSED");
    std::printf("\n");
  };
  ratio_line("full/ceiling", "full-batched", "accept-batched", 0.90);
  ratio_line("per-packet/ceiling", "accept-per-packet", "accept-batched", 0);
  ratio_line("full-per-packet/ceiling", "full-per-packet", "accept-batched", 0);
  std::printf("ratio: packets/s against the first mode (%s)\n", o.modes.front().c_str());
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace icmpwall::bench

int main(int argc, char** argv) {
  try {
    return icmpwall::bench::main_impl(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "queue_drain: %s\n", e.what());
    return 2;
  }
}
