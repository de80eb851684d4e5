// SPDX-License-Identifier: GPL-2.0-or-later
// The queue worker against the real kernel: echo requests of a scratch
// namespace are sent to NFQUEUE by a policy applied with the icmpwall
// binary (`action = "inspect"`), and a worker decides them.
//
// Two scratch namespaces (netns.h), joined by a veth pair:
//
//   client qc0 198.18.10.1/24 2001:db8:10::1/64 —— qs0 198.18.10.2/24 2001:db8:10::2/64 server
//
// The server's input hook queues echo requests; the worker drops those
// whose bytes contain a marker (ping -p) and accepts the rest. Without a
// worker, the policy's `no-worker` decides: accept (bypass) or drop. The
// namespaces are deleted when the test ends, whatever its outcome; the
// root namespace is never touched.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "icmpwall/queue/queue_socket.h"
#include "icmpwall/queue/worker.h"
#include "netns.h"
#include "traffic.h"

namespace icmpwall::integration {
namespace {

using queue::Counters;
using queue::PacketInfo;
using queue::QueueConfig;
using queue::Verdict;
using queue::Worker;
using Clock = std::chrono::steady_clock;

constexpr const char* kClientV4 = "198.18.10.1";
constexpr const char* kServerV4 = "198.18.10.2";
constexpr const char* kClientV6 = "2001:db8:10::1";
constexpr const char* kServerV6 = "2001:db8:10::2";
// ping -p fills the echo data after its timestamp with this pattern.
constexpr const char* kMarkerHex = "deadbeefcafe";
constexpr uint8_t kMarker[] = {0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe};

const Millis kIpTimeout{5000};

// Drops packets whose bytes contain kMarker, accepts the rest, and
// remembers what it saw. Called from worker threads.
class MarkerInspector final : public queue::Inspector {
 public:
  Verdict inspect(std::span<const uint8_t> packet, const PacketInfo& info) override {
    seen++;
    if (info.truncated) truncated++;
    max_copied = std::max<uint32_t>(max_copied, static_cast<uint32_t>(packet.size()));
    max_packet_len = std::max(max_packet_len.load(), info.packet_len);
    if (info.copied_len != packet.size()) size_mismatch++;
    auto hit = std::search(packet.begin(), packet.end(), std::begin(kMarker), std::end(kMarker));
    return hit == packet.end() ? Verdict::accept : Verdict::drop;
  }
  std::atomic<uint64_t> seen{0}, truncated{0}, size_mismatch{0};
  std::atomic<uint32_t> max_copied{0}, max_packet_len{0};
};

// The queue lines of /proc/net/netfilter/nfnetlink_queue in a namespace:
// queue, portid, waiting, copy mode, copy range, queue-full drops,
// delivery failures, last id, 1.
struct QueueStats {
  uint32_t waiting = 0;
  uint32_t queue_dropped = 0;
  uint32_t user_dropped = 0;
};
std::optional<QueueStats> queue_stats(const Netns& ns, uint16_t queue) {
  auto r = ns.run({"cat", "/proc/net/netfilter/nfnetlink_queue"}, {kIpTimeout});
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    uint32_t q, portid, total, mode, range, qdrop, udrop;
    if (f >> q >> portid >> total >> mode >> range >> qdrop >> udrop && q == queue)
      return QueueStats{total, qdrop, udrop};
  }
  return std::nullopt;
}

class QueueWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: creates network namespaces, binds NFQUEUE, applies nft rules";
    client_ = std::make_unique<Netns>();
    server_ = std::make_unique<Netns>();
    link_veth(*client_, "qc0", *server_, "qs0");
    client_->add_address("qc0", std::string(kClientV4) + "/24");
    client_->add_address("qc0", std::string(kClientV6) + "/64");
    server_->add_address("qs0", std::string(kServerV4) + "/24");
    server_->add_address("qs0", std::string(kServerV6) + "/64");
  }

  // Echo requests to the server go to `queue` (.. queue+queues-1).
  void apply_inspect(uint16_t queue, const std::string& no_worker, int queues = 1) {
    std::string toml =
        "[hooks.input]\n"
        "default = \"allow\"\n\n"
        "[[rule]]\n"
        "name = \"inspect-echo\"\n"
        "types = [\"echo-request\"]\n"
        "action = \"inspect\"\n"
        "queue = " +
        std::to_string(queue) +
        "\n"
        "queues = " +
        std::to_string(queues) +
        "\n"
        "no-worker = \"" +
        no_worker + "\"\n";
    TempFile policy(toml, ".toml");
    auto r = run({ICMPWALL_BINARY, "apply", "--netns", server_->name(), policy.path()},
                 {Millis(30'000)});
    ASSERT_TRUE(r.ok()) << r.describe();
  }

  PingResult ping(const std::string& dst, bool marked, int count = 3,
                  const Argv& extra = {}) const {
    Argv argv{"ping", "-n", "-c", std::to_string(count), "-i", "0.2", "-W", "1"};
    if (marked) argv.insert(argv.end(), {"-p", kMarkerHex});
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(dst);
    return parse_ping(client_->run(argv, {Millis(30'000)}));
  }

  QueueConfig config(uint16_t queue) const {
    QueueConfig c;
    c.queue = queue;
    c.netns = server_->name();
    return c;
  }

  std::unique_ptr<Netns> client_;
  std::unique_ptr<Netns> server_;
};

bool wait_received(const Worker& w, uint64_t n, Millis timeout = Millis(5000)) {
  return poll_until([&] { return w.counters().received >= n; }, timeout, Millis(5));
}

TEST_F(QueueWorkerTest, DropsMarkedEchoAndAcceptsTheRest) {
  apply_inspect(3, "accept");
  auto inspector = std::make_shared<MarkerInspector>();
  auto worker = Worker::start(config(3), inspector);
  ASSERT_TRUE(worker) << worker.error().message;

  for (const char* dst : {kServerV4, kServerV6}) {
    SCOPED_TRACE(dst);
    auto plain = ping(dst, false);
    EXPECT_EQ(plain.transmitted, 3) << plain.describe();
    EXPECT_EQ(plain.received, 3) << plain.describe();
    auto marked = ping(dst, true);
    EXPECT_EQ(marked.transmitted, 3) << marked.describe();
    EXPECT_EQ(marked.received, 0) << marked.describe();
  }

  ASSERT_TRUE(wait_received(*worker, 12));
  const Counters c = worker->counters();
  EXPECT_EQ(c.received, 12u);
  EXPECT_EQ(c.accepted, 6u);
  EXPECT_EQ(c.dropped, 6u);
  EXPECT_EQ(inspector->seen, 12u);
  EXPECT_EQ(c.truncated, 0u);
  EXPECT_EQ(c.enobufs, 0u);
  EXPECT_EQ(c.recv_errors, 0u);
  EXPECT_EQ(c.send_errors, 0u);
  EXPECT_EQ(c.verdict_errors, 0u) << "the kernel refused a verdict";
  EXPECT_GE(c.batches, 1u);
  EXPECT_GE(c.verdict_messages, c.batches);
  EXPECT_LE(c.verdict_messages, c.received);
  EXPECT_EQ(inspector->size_mismatch, 0u);

  worker->stop();
  EXPECT_FALSE(worker->running());
  EXPECT_FALSE(worker->failure());
}

// Remembers the metadata of every packet. Called from the worker thread.
class RecordingInspector final : public queue::Inspector {
 public:
  Verdict inspect(std::span<const uint8_t>, const PacketInfo& info) override {
    std::lock_guard lock(mu);
    infos.push_back(info);
    return Verdict::accept;
  }
  std::vector<PacketInfo> taken() {
    std::lock_guard lock(mu);
    return infos;
  }
  std::mutex mu;
  std::vector<PacketInfo> infos;
};

// The context the kernel reports with each packet: input interface, the
// frame's link-layer source, and the conntrack state once the namespace
// tracks connections (a table of its own with a ct rule turns it on).
TEST_F(QueueWorkerTest, ReportsInterfaceLinkLayerSourceAndConntrackState) {
  apply_inspect(8, "accept");
  auto inspector = std::make_shared<RecordingInspector>();
  auto worker = Worker::start(config(8), inspector);
  ASSERT_TRUE(worker) << worker.error().message;
  const uint32_t qs0 = server_->ifindex_of("qs0");
  const std::string client_mac = client_->mac_of("qc0");
  auto mac_text = [](const PacketInfo& i) {
    std::string out;
    char b[4];
    for (size_t k = 0; k < i.hwaddr_len; ++k) {
      std::snprintf(b, sizeof b, k ? ":%02x" : "%02x", i.hwaddr[k]);
      out += b;
    }
    return out;
  };

  for (const char* dst : {kServerV4, kServerV6}) EXPECT_EQ(ping(dst, false, 1).received, 1);
  ASSERT_TRUE(wait_received(*worker, 2));
  // A kernel without CONFIG_NETFILTER_NETLINK_GLUE_CT refuses
  // NFQA_CFG_F_CONNTRACK: the queue is bound without it and every packet
  // is counted as without conntrack state.
  const bool reported = inspector->taken().front().ct_reported;
  for (const auto& i : inspector->taken()) {
    EXPECT_EQ(i.indev, qs0);
    EXPECT_EQ(mac_text(i), client_mac);
    EXPECT_EQ(i.ct_reported, reported);
    EXPECT_FALSE(i.ct_info) << "no table tracks connections in this namespace yet";
  }

  ASSERT_TRUE(
      server_
          ->nft_load("table inet ct_on {\n chain in {\n type filter hook input priority -10\n"
                     " ct state new counter\n }\n}\n")
          .ok());
  for (const char* dst : {kServerV4, kServerV6}) EXPECT_EQ(ping(dst, false, 1).received, 1);
  ASSERT_TRUE(wait_received(*worker, 4));
  auto infos = inspector->taken();
  ASSERT_EQ(infos.size(), 4u);
  if (reported) {
    for (size_t k = 2; k < 4; ++k) {
      ASSERT_TRUE(infos[k].ct_info) << "packet " << k;
      EXPECT_EQ(*infos[k].ct_info, 2u) << "a first echo request: IP_CT_NEW";
    }
    EXPECT_EQ(worker->counters().no_conntrack, 0u);
  } else {
    std::printf("note: this kernel refuses NFQA_CFG_F_CONNTRACK (no NETFILTER_NETLINK_GLUE_CT)\n");
    for (const auto& i : infos) EXPECT_FALSE(i.ct_info);
    EXPECT_EQ(worker->counters().no_conntrack, 4u);
  }
}

TEST_F(QueueWorkerTest, BypassWithoutWorkerLetsEchoThrough) {
  apply_inspect(4, "accept");
  for (const char* dst : {kServerV4, kServerV6}) {
    auto p = ping(dst, true);
    EXPECT_EQ(p.received, 3) << p.describe();
  }
}

TEST_F(QueueWorkerTest, FailClosedWithoutWorkerDropsUntilOneBinds) {
  apply_inspect(5, "drop");
  for (const char* dst : {kServerV4, kServerV6}) {
    auto p = ping(dst, false);
    EXPECT_EQ(p.transmitted, 3) << p.describe();
    EXPECT_EQ(p.received, 0) << p.describe();
  }
  {
    auto worker = Worker::start(config(5), std::make_shared<queue::AcceptAll>());
    ASSERT_TRUE(worker) << worker.error().message;
    for (const char* dst : {kServerV4, kServerV6}) {
      auto p = ping(dst, false);
      EXPECT_EQ(p.received, 3) << p.describe();
    }
    EXPECT_EQ(worker->counters().accepted, 6u);
  }
  // The worker is gone: the queue is unbound and fail-closed again.
  auto p = ping(kServerV4, false);
  EXPECT_EQ(p.received, 0) << p.describe();
}

// Throws for marked packets (a detector out of memory), accepts the rest.
class ThrowingInspector final : public queue::Inspector {
 public:
  Verdict inspect(std::span<const uint8_t> packet, const PacketInfo&) override {
    if (std::search(packet.begin(), packet.end(), std::begin(kMarker), std::end(kMarker)) !=
        packet.end())
      throw std::bad_alloc();
    return Verdict::accept;
  }
};

// The inspector's call is the worker thread's edge: a throw there used to
// end the whole process (std::terminate). Now the packet is answered as
// the queue fails (open: accept, closed: drop), counted, and the worker
// goes on.
TEST_F(QueueWorkerTest, ThrowingInspectorAnswersAsTheQueueFailsAndTheWorkerGoesOn) {
  for (bool fail_open : {true, false}) {
    SCOPED_TRACE(fail_open ? "fail open" : "fail closed");
    apply_inspect(9, fail_open ? "accept" : "drop");
    auto c = config(9);
    c.fail_open = fail_open;
    auto worker = Worker::start(c, std::make_shared<ThrowingInspector>());
    ASSERT_TRUE(worker) << worker.error().message;
    auto marked = ping(kServerV4, true);
    EXPECT_EQ(marked.received, fail_open ? 3 : 0) << marked.describe();
    auto plain = ping(kServerV4, false);
    EXPECT_EQ(plain.received, 3) << plain.describe();
    ASSERT_TRUE(wait_received(*worker, 6));
    EXPECT_EQ(worker->counters().inspect_errors, 3u);
    EXPECT_TRUE(worker->running());
    EXPECT_FALSE(worker->failure());
  }
}

TEST_F(QueueWorkerTest, StopIsPromptWhenIdleAndUnderFlood) {
  apply_inspect(6, "accept");
  {
    auto worker = Worker::start(config(6), std::make_shared<queue::AcceptAll>());
    ASSERT_TRUE(worker) << worker.error().message;
    ASSERT_TRUE(worker->running());
    const auto t0 = Clock::now();
    worker->stop();
    EXPECT_LT(Clock::now() - t0, Millis(100));
    EXPECT_FALSE(worker->running());
    worker->stop();  // idempotent
  }

  auto inspector = std::make_shared<MarkerInspector>();
  auto worker = Worker::start(config(6), inspector);
  ASSERT_TRUE(worker) << worker.error().message;
  // A bounded flood: at most 20000 packets, at most 5 seconds.
  Process flood = Process::start(
      client_->wrap({"ping", "-n", "-q", "-f", "-c", "20000", "-w", "5", kServerV4}));
  ASSERT_TRUE(wait_received(*worker, 500)) << "the flood never reached the worker";
  const auto t0 = Clock::now();
  worker->stop();
  const auto took = Clock::now() - t0;
  EXPECT_LT(took, Millis(250));
  EXPECT_FALSE(worker->running());
  EXPECT_FALSE(worker->failure());
  flood.kill();
  const Counters c = worker->counters();
  EXPECT_EQ(c.received, c.accepted + c.dropped);
  EXPECT_EQ(c.verdict_errors, 0u);
  EXPECT_EQ(c.recv_errors, 0u);
}

// This process's CPU time (user + system, every thread).
std::chrono::microseconds process_cpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto us = [](const timeval& t) { return int64_t{t.tv_sec} * 1'000'000 + t.tv_usec; };
  return std::chrono::microseconds(us(u.ru_utime) + us(u.ru_stime));
}

// Without busy polling every packet of a slow ping wakes the sleeping
// thread; with a window longer than the ping's interval only the first
// does, the rest are read by the spinning thread; with a shorter one the
// thread sleeps again between them. The spin costs no CPU once it is
// over, and stop() is prompt in the middle of one.
TEST_F(QueueWorkerTest, BusyPollReadsWithoutSleepingForItsWindowOnly) {
  apply_inspect(13, "drop");
  auto run = [&](std::chrono::microseconds busy_poll, int pings) {
    queue::ReaderOptions o;
    o.busy_poll = busy_poll;
    auto w = Worker::start(config(13), std::make_shared<MarkerInspector>(), o);
    EXPECT_TRUE(w) << w.error().message;
    auto p = ping(kServerV4, false, pings);
    EXPECT_EQ(p.received, pings) << p.describe();
    EXPECT_TRUE(wait_received(*w, static_cast<uint64_t>(pings)));
    return std::move(*w);
  };

  // One worker at a time: a worker's socket holds the queue until it goes.
  {
    Worker plain = run(std::chrono::microseconds(0), 4);
    EXPECT_EQ(plain.counters().wakeups, 4u);
  }
  {
    Worker spinning = run(std::chrono::seconds(5), 4);  // pings 0.2 s apart
    EXPECT_EQ(spinning.counters().wakeups, 1u);
    const auto t0 = Clock::now();
    spinning.stop();  // within its window
    EXPECT_LT(Clock::now() - t0, Millis(250));
    EXPECT_FALSE(spinning.failure());
  }
  Worker brief = run(std::chrono::milliseconds(20), 3);
  EXPECT_EQ(brief.counters().wakeups, 3u);
  // The window is long over: the thread sleeps and costs nothing.
  const auto cpu0 = process_cpu();
  std::this_thread::sleep_for(Millis(500));
  EXPECT_LT(process_cpu() - cpu0, std::chrono::milliseconds(50));
  const Counters c = brief.counters();
  EXPECT_EQ(c.received, 3u);
  EXPECT_EQ(c.accepted, 3u);
  EXPECT_EQ(c.verdict_errors, 0u);
  EXPECT_EQ(c.recv_errors, 0u);
}

TEST_F(QueueWorkerTest, CopyRangeCutsWhatTheInspectorSees) {
  apply_inspect(7, "accept");
  auto inspector = std::make_shared<MarkerInspector>();
  QueueConfig c = config(7);
  c.copy_range = 128;
  auto worker = Worker::start(c, inspector);
  ASSERT_TRUE(worker) << worker.error().message;

  // 1000 data bytes: a 1028-byte IPv4 packet, 1048 for IPv6, both cut to
  // 128; the marker is in the first 128 bytes, so both are dropped.
  auto p4 = ping(kServerV4, true, 2, {"-s", "1000"});
  EXPECT_EQ(p4.received, 0) << p4.describe();
  EXPECT_EQ(inspector->max_packet_len, 1028u);
  auto p6 = ping(kServerV6, true, 2, {"-s", "1000"});
  EXPECT_EQ(p6.received, 0) << p6.describe();
  EXPECT_EQ(inspector->max_packet_len, 1048u);

  ASSERT_TRUE(wait_received(*worker, 4));
  EXPECT_EQ(inspector->max_copied, 128u);
  EXPECT_EQ(inspector->truncated, 4u);
  EXPECT_EQ(worker->counters().truncated, 4u);
  EXPECT_EQ(worker->counters().dropped, 4u);
}

TEST_F(QueueWorkerTest, SecondWorkerOnABoundQueueIsAnError) {
  auto first = Worker::start(config(8), std::make_shared<queue::AcceptAll>());
  ASSERT_TRUE(first) << first.error().message;
  auto second = Worker::start(config(8), std::make_shared<queue::AcceptAll>());
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("already bound"), std::string::npos)
      << second.error().message;
  // Another queue number is free.
  auto third = Worker::start(config(9), std::make_shared<queue::AcceptAll>());
  EXPECT_TRUE(third) << third.error().message;
}

TEST_F(QueueWorkerTest, BadConfigurationIsAnError) {
  QueueConfig c = config(10);
  c.copy_range = 0;
  auto w = Worker::start(c, std::make_shared<queue::AcceptAll>());
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("copy range"), std::string::npos) << w.error().message;
  c = config(10);
  c.netns = "iw-q-no-such-namespace";
  w = Worker::start(c, std::make_shared<queue::AcceptAll>());
  EXPECT_FALSE(w);
}

// A full queue: fail-open accepts what does not fit, fail-closed drops it.
// The socket is bound but nothing reads, so the first max_len packets wait.
TEST_F(QueueWorkerTest, FullQueueFailOpenAcceptsFailClosedDrops) {
  apply_inspect(11, "drop");
  for (bool fail_open : {true, false}) {
    SCOPED_TRACE(fail_open ? "fail-open" : "fail-closed");
    QueueConfig c = config(11);
    c.max_len = 2;
    c.fail_open = fail_open;
    auto sock = queue::QueueSocket::open(c);
    ASSERT_TRUE(sock) << sock.error().message;

    auto p = ping(kServerV4, false, 5);
    EXPECT_EQ(p.transmitted, 5) << p.describe();
    EXPECT_EQ(p.received, fail_open ? 3 : 0) << p.describe();
    auto stats = queue_stats(*server_, 11);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->waiting, 2u);
    EXPECT_EQ(stats->queue_dropped, fail_open ? 0u : 3u);

    // A worker on the same socket answers the two that waited.
    auto worker = Worker::start(std::move(*sock), std::make_shared<queue::AcceptAll>());
    ASSERT_TRUE(worker) << worker.error().message;
    ASSERT_TRUE(wait_received(*worker, 2));
    EXPECT_TRUE(poll_until([&] { return queue_stats(*server_, 11)->waiting == 0; }, Millis(2000)));
    EXPECT_EQ(worker->counters().received, 2u);
  }
}

// A receive buffer too small for what arrives: the kernel reports ENOBUFS,
// the worker counts it and keeps working.
TEST_F(QueueWorkerTest, OverflowIsCountedAndReadingGoesOn) {
  apply_inspect(12, "drop");
  QueueConfig c = config(12);
  c.rcvbuf_bytes = 1;  // the kernel's minimum: room for a few messages
  c.fail_open = true;  // what cannot be delivered is accepted
  auto sock = queue::QueueSocket::open(c);
  ASSERT_TRUE(sock) << sock.error().message;
  auto burst = ping(kServerV4, false, 30, {"-i", "0.005"});
  EXPECT_EQ(burst.transmitted, 30) << burst.describe();
  auto stats = queue_stats(*server_, 12);
  ASSERT_TRUE(stats);
  ASSERT_GT(stats->waiting, 0u);
  ASSERT_LT(stats->waiting, 30u) << "the buffer did not overflow";

  auto worker = Worker::start(std::move(*sock), std::make_shared<queue::AcceptAll>());
  ASSERT_TRUE(worker) << worker.error().message;
  ASSERT_TRUE(wait_received(*worker, stats->waiting));
  EXPECT_TRUE(poll_until([&] { return worker->counters().enobufs == 1; }, Millis(2000)));
  const uint64_t before = worker->counters().received;
  EXPECT_EQ(before, stats->waiting);

  auto after = ping(kServerV4, false, 3);
  EXPECT_EQ(after.received, 3) << after.describe();
  EXPECT_EQ(worker->counters().received, before + 3);
  EXPECT_TRUE(worker->running());
}

TEST_F(QueueWorkerTest, FanoutSpreadsOverOneWorkerPerQueue) {
  apply_inspect(20, "drop", 2);
  auto inspector = std::make_shared<MarkerInspector>();
  auto workers = queue::start_workers(config(20), 2, inspector);
  ASSERT_TRUE(workers) << workers.error().message;
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_EQ((*workers)[0].queue(), 20);
  EXPECT_EQ((*workers)[1].queue(), 21);

  for (const char* dst : {kServerV4, kServerV6}) {
    auto p = ping(dst, false);
    EXPECT_EQ(p.received, 3) << p.describe();
  }
  uint64_t total = 0;
  for (const auto& w : *workers) total += w.counters().received;
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(inspector->seen, 6u);
}

}  // namespace
}  // namespace icmpwall::integration
