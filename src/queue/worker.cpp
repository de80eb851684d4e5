// SPDX-License-Identifier: GPL-2.0-or-later
// The worker thread: poll on the queue socket and a stop eventfd, Reader
// rounds while packets wait, then (with busy_poll) rounds without
// sleeping for a while. See worker.h for the stop protocol.
#include "icmpwall/queue/worker.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stop_token>
#include <thread>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/fd.h"

namespace icmpwall::queue {

struct Worker::State {
  State(QueueSocket socket, std::shared_ptr<Inspector> insp, ReaderOptions options, Fd stop_fd)
      : inspector(std::move(insp)),
        reader(std::move(socket), *inspector, options),
        stop_event(std::move(stop_fd)) {}

  void run(std::stop_token token);
  void serve(std::stop_token token);
  // Rounds while they come back full; false if the thread must end.
  bool drain(const std::stop_token& token);
  // Rounds without sleeping until busy_poll has passed since the last
  // packet; false if the thread must end.
  bool busy_poll(const std::stop_token& token);
  void fail(Error e) {
    std::lock_guard lock(mu);
    failure = std::move(e);
  }

  std::shared_ptr<Inspector> inspector;
  Reader reader;
  Fd stop_event;
  std::atomic<bool> running{true};
  std::atomic<uint64_t> wakeups{0};  // written by the thread only
  mutable std::mutex mu;
  std::optional<Error> failure;
  std::jthread thread;  // last: joined before the members it uses go away
};

// The thread's edge: whatever escapes a round (the Reader catches the
// Inspector's throws itself) ends the thread as a failure() the daemon
// reports, never the process.
void Worker::State::run(std::stop_token token) {
  try {
    serve(token);
  } catch (const std::exception& e) {
    fail(Error{fmt::format("queue {}: {}", reader.socket().queue(), e.what()), EIO});
  } catch (...) {
    fail(Error{fmt::format("queue {}: unknown failure", reader.socket().queue()), EIO});
  }
  running = false;
}

void Worker::State::serve(std::stop_token token) {
  std::stop_callback wake(token, [this] {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_event.get(), &one, sizeof one);
  });
  pollfd fds[2] = {{reader.socket().fd(), POLLIN, 0}, {stop_event.get(), POLLIN, 0}};
  const bool spin = reader.options().busy_poll.count() > 0;
  while (!token.stop_requested()) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno_error(fmt::format("queue {}: poll", reader.socket().queue())));
      break;
    }
    if (fds[1].revents) break;
    if (!fds[0].revents) continue;
    wakeups.store(wakeups.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (!drain(token) || (spin && !busy_poll(token))) return;
  }
  // Answer what is already waiting (one bounded round) before the socket
  // closes and the kernel drops it.
  if (auto r = reader.round(); !r) fail(r.error());
}

bool Worker::State::drain(const std::stop_token& token) {
  // The stop request is checked between rounds so a flood cannot hold the
  // thread.
  const size_t full = reader.options().max_batch;
  while (!token.stop_requested()) {
    auto r = reader.round();
    if (!r) {
      fail(r.error());
      return false;
    }
    if (*r < full) break;
  }
  return true;
}

bool Worker::State::busy_poll(const std::stop_token& token) {
  using Clock = std::chrono::steady_clock;
  const auto window = reader.options().busy_poll;
  auto until = Clock::now() + window;
  while (!token.stop_requested()) {
    auto r = reader.round();
    if (!r) {
      fail(r.error());
      return false;
    }
    const auto now = Clock::now();
    if (*r > 0)
      until = now + window;
    else if (now >= until)
      break;
  }
  return true;
}

Worker::Worker(std::unique_ptr<State> state) : state_(std::move(state)) {}
Worker::Worker(Worker&&) noexcept = default;
Worker& Worker::operator=(Worker&& o) noexcept {
  if (this != &o) {
    stop();
    state_ = std::move(o.state_);
  }
  return *this;
}
Worker::~Worker() {
  stop();
}

Result<Worker> Worker::start(const QueueConfig& config, std::shared_ptr<Inspector> inspector,
                             ReaderOptions options) {
  TRY(auto socket, QueueSocket::open(config));
  return start(std::move(socket), std::move(inspector), options);
}

Result<Worker> Worker::start(QueueSocket socket, std::shared_ptr<Inspector> inspector,
                             ReaderOptions options) {
  if (!inspector) return Error{"queue worker needs an inspector", EINVAL};
  Fd ev(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!ev.valid()) return errno_error(fmt::format("queue {}: eventfd", socket.queue()));
  auto state =
      std::make_unique<State>(std::move(socket), std::move(inspector), options, std::move(ev));
  State* s = state.get();
  s->thread = std::jthread([s](std::stop_token token) { s->run(token); });
  return Worker(std::move(state));
}

void Worker::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  state_->thread.request_stop();
  state_->thread.join();
}

bool Worker::running() const {
  return state_ && state_->running.load();
}

Counters Worker::counters() const {
  if (!state_) return {};
  Counters c = state_->reader.counters();
  c.wakeups = state_->wakeups.load(std::memory_order_relaxed);
  return c;
}

uint16_t Worker::queue() const {
  return state_ ? state_->reader.socket().queue() : 0;
}

std::optional<Error> Worker::failure() const {
  if (!state_) return std::nullopt;
  std::lock_guard lock(state_->mu);
  return state_->failure;
}

Result<std::vector<Worker>> start_workers(const QueueConfig& base, uint16_t count,
                                          std::shared_ptr<Inspector> inspector,
                                          ReaderOptions options) {
  if (count < 1 || base.queue + count - 1 > 0xffff)
    return Error{fmt::format("queue range {}+{} is not within 0..65535", base.queue, count),
                 EINVAL};
  std::vector<Worker> workers;
  workers.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    QueueConfig c = base;
    c.queue = static_cast<uint16_t>(base.queue + i);
    TRY(auto w, Worker::start(c, inspector, options));
    workers.push_back(std::move(w));
  }
  return workers;
}

}  // namespace icmpwall::queue
