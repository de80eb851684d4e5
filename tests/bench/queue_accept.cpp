// SPDX-License-Identifier: GPL-2.0-or-later
// queue_accept: a queue worker that accepts every packet without looking
// at it: the daemon's queue path (poll, recvmmsg, verdict) without the
// inspection engine, for inspect_latency.sh to split the latency the
// daemon adds into the queue's part and the engine's.
//
// Usage: queue_accept NETNS QUEUE
//
// Binds QUEUE in the `ip netns` NETNS with the daemon's queue defaults,
// prints "ready", answers until SIGINT or SIGTERM, then prints the
// packets it accepted. Needs root (CAP_NET_ADMIN in NETNS).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "icmpwall/queue/inspector.h"
#include "icmpwall/queue/worker.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: queue_accept NETNS QUEUE\n");
    return 2;
  }
  const long num = std::strtol(argv[2], nullptr, 10);
  if (num < 0 || num > 0xffff) {
    std::fprintf(stderr, "queue_accept: queue %s is not within 0..65535\n", argv[2]);
    return 2;
  }
  // Blocked before the worker starts, so that its thread never takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  icmpwall::queue::QueueConfig config;
  config.queue = static_cast<uint16_t>(num);
  config.netns = argv[1];
  auto worker =
      icmpwall::queue::Worker::start(config, std::make_shared<icmpwall::queue::AcceptAll>());
  if (!worker) {
    std::fprintf(stderr, "queue_accept: %s\n", worker.error().message.c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  worker->stop();
  const auto c = worker->counters();
  std::printf("accepted %llu wakeups %llu\n", static_cast<unsigned long long>(c.accepted),
              static_cast<unsigned long long>(c.wakeups));
  return worker->failure() ? 1 : 0;
}
