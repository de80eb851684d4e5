// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/metrics_http.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace icmpwall::daemon {
namespace {

constexpr size_t kAnsweringThreads = 2;

// httplib's task queue, bounded: `threads` answer, at most `max_waiting`
// accepted connections wait; enqueue() (the accept loop) blocks while
// that many wait, so the kernel's backlog takes the rest.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t max_waiting) : max_waiting_(max_waiting) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [this] { return tasks_.size() < max_waiting_ || shutdown_; });
    tasks_.push_back(std::move(fn));
    ready_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    ready_.notify_all();
    space_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  // Runs tasks until shut down with none left; a task that throws is
  // swallowed here, the thread's edge.
  void work() {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !tasks_.empty() || shutdown_; });
        if (tasks_.empty()) return;
        fn = std::move(tasks_.front());
        tasks_.pop_front();
      }
      space_.notify_one();
      try {
        fn();
      } catch (...) {
      }
    }
  }

  const size_t max_waiting_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  bool shutdown_ = false;
};

}  // namespace

struct MetricsServer::State {
  httplib::Server server;
  int port = 0;
  std::thread thread;
  std::atomic<bool> done{false};  // listen_after_bind() returned

  ~State() {
    if (!thread.joinable()) return;
    // stop() only acts once the loop runs: wait for it (or for its end).
    while (!server.is_running() && !done) std::this_thread::yield();
    server.stop();
    thread.join();
  }
};

MetricsServer::MetricsServer(std::unique_ptr<State> s) : state_(std::move(s)) {}
MetricsServer::MetricsServer(MetricsServer&&) noexcept = default;
MetricsServer& MetricsServer::operator=(MetricsServer&&) noexcept = default;
MetricsServer::~MetricsServer() = default;

Result<MetricsServer> MetricsServer::bind(const ListenAddress& at) {
  auto s = std::make_unique<State>();
  auto& svr = s->server;
  svr.new_task_queue = [] { return new BoundedPool(kAnsweringThreads, kMaxWaitingConnections); };
  // httplib's default sets SO_REUSEPORT, with which a second daemon binds
  // the same port and the kernel shares the scrapes between the two:
  // SO_REUSEADDR only (a restart may bind again while old connections
  // linger in TIME_WAIT).
  svr.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  svr.set_keep_alive_max_count(kMaxRequestsPerConnection);
  svr.set_keep_alive_timeout(kKeepAliveTimeout.count());
  svr.set_read_timeout(kReadTimeout);
  svr.set_write_timeout(kReadTimeout);
  svr.set_payload_max_length(kMaxRequestBytes);
  svr.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content("internal error\n", "text/plain");
      });
  if (at.port == 0)
    s->port = svr.bind_to_any_port(at.host);
  else if (svr.bind_to_port(at.host, at.port))
    s->port = at.port;
  if (s->port <= 0)
    return Error{fmt::format(
        "metrics: cannot listen on {} (in use, not an address of this host, or a port below "
        "1024 without CAP_NET_BIND_SERVICE)",
        to_string(at))};
  return MetricsServer(std::move(s));
}

void MetricsServer::serve(Render render) {
  auto& svr = state_->server;
  svr.Get(
      "/metrics", [render = std::move(render)](const httplib::Request&, httplib::Response& res) {
        std::optional<std::string> text = render();
        if (!text) {
          res.status = 500;
          res.set_content("the daemon could not render its metrics; see its log\n", "text/plain");
          return;
        }
        res.set_content(std::move(*text), "text/plain; version=0.0.4; charset=utf-8");
      });
  State* s = state_.get();
  s->thread = std::thread([s] {
    try {
      s->server.listen_after_bind();
    } catch (...) {
    }
    s->done = true;
  });
}

int MetricsServer::port() const {
  return state_->port;
}

}  // namespace icmpwall::daemon
