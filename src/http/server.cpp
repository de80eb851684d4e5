// SPDX-License-Identifier: GPL-2.0-or-later
// http::Server over cpp-httplib, bounded (daemon/metrics_http.h says how).
#include "server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "exception_error.h"

namespace icmpwall::http {
namespace {

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

class HttplibServer final : public Server {
 public:
  ~HttplibServer() override {
    if (!thread_.joinable()) return;
    // stop() only acts once the loop runs: wait for it (or for its end).
    while (!server_.is_running() && !done_) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }

  httplib::Server& server() { return server_; }
  void set_port(int port) { port_ = port; }
  int port() const override { return port_; }

  void serve(const std::string& path, const std::string& content_type,
             const std::string& failure_text, Handler handler) override {
    server_.Get(path,
                [=, handler = std::move(handler)](const httplib::Request&, httplib::Response& res) {
                  std::optional<std::string> body = handler();
                  if (!body) {
                    res.status = 500;
                    res.set_content(failure_text, "text/plain");
                    return;
                  }
                  res.set_content(std::move(*body), content_type);
                });
    thread_ = std::thread([this] {
      try {
        server_.listen_after_bind();
      } catch (...) {
      }
      done_ = true;
    });
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> done_{false};  // listen_after_bind() returned
};

}  // namespace

Result<std::unique_ptr<Server>> bind_server(const ServerOptions& o) {
  try {
    auto s = std::make_unique<HttplibServer>();
    auto& svr = s->server();
    svr.new_task_queue = [o] {
      return new BoundedPool(o.answering_threads, o.max_waiting_connections);
    };
    // httplib's default sets SO_REUSEPORT, with which a second daemon binds
    // the same port and the kernel shares the scrapes between the two:
    // SO_REUSEADDR only (a restart may bind again while old connections
    // linger in TIME_WAIT).
    svr.set_socket_options([](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    svr.set_keep_alive_max_count(o.max_requests_per_connection);
    svr.set_keep_alive_timeout(o.keep_alive_timeout.count());
    svr.set_read_timeout(o.read_timeout);
    svr.set_write_timeout(o.read_timeout);
    svr.set_payload_max_length(o.max_request_bytes);
    svr.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content("internal error\n", "text/plain");
        });
    int port = 0;
    if (o.port == 0)
      port = svr.bind_to_any_port(o.host);
    else if (svr.bind_to_port(o.host, o.port))
      port = o.port;
    if (port <= 0) return Error{"cannot listen"};
    s->set_port(port);
    return std::unique_ptr<Server>(std::move(s));
  } catch (...) {
    return exception_error();
  }
}

}  // namespace icmpwall::http
