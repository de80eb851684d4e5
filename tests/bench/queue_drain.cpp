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
#include "icmpwall/inspect/packet.h"
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
#endif

struct Mode {
  std::string name;
  queue::ReaderOptions reader;
  std::unique_ptr<queue::Inspector> inspector;
};

std::optional<Mode> make_mode(const std::string& name) {
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

// A raw ICMP socket in the sender namespace.
class Sender {
 public:
  static std::optional<Sender> open(const std::string& ns, const std::string& dst) {
    Sender s;
    {
      auto in_ns = netlink::EnterNetns::open(ns);
      if (!in_ns) {
        std::fprintf(stderr, "queue_drain: %s\n", in_ns.error().message.c_str());
        return std::nullopt;
      }
      s.fd_ = Fd(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP));
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
    return s;
  }

  // n echo requests with 56 data bytes, sendmmsg 64 at a time.
  uint32_t send(uint32_t n) {
    constexpr size_t kBatch = 64, kLen = 8 + 56;
    std::vector<uint8_t> bufs(kBatch * kLen);
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    uint32_t sent = 0;
    while (sent < n) {
      const size_t k = std::min<size_t>(kBatch, n - sent);
      for (size_t i = 0; i < k; ++i) {
        uint8_t* p = bufs.data() + i * kLen;
        std::memset(p, 0, kLen);
        p[0] = 8;  // echo request (not <netinet/ip_icmp.h>: its icmp_id macro breaks packet.h)
        const uint16_t seq = static_cast<uint16_t>(seq_++);
        p[4] = 0x42, p[5] = 0x42, p[6] = static_cast<uint8_t>(seq >> 8),
        p[7] = static_cast<uint8_t>(seq);
        for (size_t j = 8; j < kLen; ++j) p[j] = static_cast<uint8_t>(j);
        const uint16_t c = checksum(p, kLen);
        std::memcpy(p + 2, &c, 2);
        iov[i] = {p, kLen};
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
  Fd fd_;
  sockaddr_in dst_{};
  uint32_t seq_ = 0;
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
               "[--packets N] [--copy-range N] [--repeat N] [--modes a,b,...]\n");
  return 2;
}

int main_impl(int argc, char** argv) {
  Options o;
  o.modes = {"accept-batched", "accept-per-packet", "accept-classic", "scan-batched"};
#ifdef ICMPWALL_BENCH_DECODE
  o.modes.push_back("decode-batched");
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

  auto sender = Sender::open(o.sender, o.dst);
  if (!sender) return 1;

  std::printf("queue_drain: %u echo requests parked per run, copy range %u, best of %d\n",
              o.packets, o.copy_range, o.repeat);
  std::printf("%-18s %7s %9s %11s %6s %7s %7s %8s %8s\n", "mode", "parked", "drain ms", "packets/s",
              "ratio", "reads", "sends", "verdicts", "batch v");
  double ceiling = 0;
  bool all_ok = true;
  for (const auto& name : o.modes) {
    auto mode = make_mode(name);
    if (!mode) {
      std::fprintf(stderr, "queue_drain: unknown mode %s\n", name.c_str());
      return 2;
    }
    std::optional<RunResult> best;
    for (int r = 0; r < o.repeat; ++r) {
      RunResult res = run_mode(o, *mode, *sender);
      if (!res.ok) {
        all_ok = false;
        continue;
      }
      if (!best || res.parked / res.seconds > best->parked / best->seconds) best = res;
    }
    if (!best) {
      std::printf("%-18s failed\n", name.c_str());
      continue;
    }
    const double pps = best->parked / best->seconds;
    if (ceiling == 0) ceiling = pps;
    const auto& c = best->counters;
    std::printf("%-18s %7u %9.1f %11.0f %6.2f %7llu %7llu %8llu %8llu\n", name.c_str(),
                best->parked, best->seconds * 1e3, pps, pps / ceiling,
                static_cast<unsigned long long>(c.reads),
                static_cast<unsigned long long>(c.batches),
                static_cast<unsigned long long>(c.verdict_messages),
                static_cast<unsigned long long>(c.batch_verdicts));
    std::fflush(stdout);
  }
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
