// SPDX-License-Identifier: GPL-2.0-or-later
// fork/exec with pipes and a deadline. The child becomes the leader of a
// new process group so that a timeout can kill it together with anything
// it started, and nothing else. SIGPIPE is ignored in the test process, so
// a child that exits without reading its stdin cannot take the tests down.
#include "command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace icmpwall::integration {
namespace {

using Clock = std::chrono::steady_clock;

const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string join(const Argv& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$") == std::string::npos;
    s += plain ? a : "'" + a + "'";
  }
  return s;
}

int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// In the child after fork(): own process group, the given fds as 0/1/2,
// every other descriptor closed, then exec. Only async-signal-safe calls.
[[noreturn]] void exec_child(const Argv& argv, int in, int out, int err) {
  setpgid(0, 0);
  signal(SIGPIPE, SIG_DFL);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  const char msg[] = "exec failed\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(127);
}

void kill_group(pid_t pid) {
  // The child leads its own group (setpgid in the child); it may not have
  // got there yet, so signal the PID as well.
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

}  // namespace

std::string CommandResult::describe() const {
  std::ostringstream o;
  o << "$ " << join(argv) << "\n";
  if (timed_out)
    o << "[killed after timeout, " << elapsed.count() << " ms]\n";
  else
    o << "[exit " << exit_code << ", " << elapsed.count() << " ms]\n";
  auto tail = [](const std::string& s) {
    return s.size() > 4000 ? "..." + s.substr(s.size() - 4000) : s;
  };
  if (!out.empty()) o << "stdout:\n" << tail(out) << (out.back() == '\n' ? "" : "\n");
  if (!err.empty()) o << "stderr:\n" << tail(err) << (err.back() == '\n' ? "" : "\n");
  return o.str();
}

CommandResult run(const Argv& argv, const RunOptions& opts) {
  CommandResult r;
  r.argv = argv;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) exec_child(argv, in[0], out[1], err[1]);
  setpgid(pid, pid);  // also from here, so the group exists before any kill
  close(in[0]);
  close(out[1]);
  close(err[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);

  size_t written = 0;
  int in_fd = in[1];
  if (opts.input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  int fds[2] = {out[0], err[0]};
  std::string* sinks[2] = {&r.out, &r.err};
  const auto deadline = start + opts.timeout;
  bool exited = false;
  int status = 0;
  std::optional<Clock::time_point> drain_deadline;

  while (true) {
    if (!exited) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        // Output written just before exit is still in the pipes; a
        // grandchild may hold them open, so drain for a bounded time.
        drain_deadline = Clock::now() + Millis(500);
      }
    }
    const auto now = Clock::now();
    if (!exited && now >= deadline) {
      kill_group(pid);
      waitpid(pid, &status, 0);
      r.timed_out = true;
      exited = true;
      drain_deadline = Clock::now() + Millis(200);
    }
    if (fds[0] < 0 && fds[1] < 0 && exited) break;
    if (drain_deadline && Clock::now() >= *drain_deadline) break;

    pollfd p[3];
    int n = 0;
    int idx[3];
    for (int i = 0; i < 2; ++i)
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        idx[n++] = i;
      }
    if (in_fd >= 0) {
      p[n] = {in_fd, POLLOUT, 0};
      idx[n++] = 2;
    }
    if (n == 0) {
      // Nothing to read or write: wait for the exit.
      if (!exited) usleep(5'000);
      continue;
    }
    poll(p, n, 10);
    for (int k = 0; k < n; ++k) {
      if (!p[k].revents) continue;
      if (idx[k] == 2) {
        ssize_t w = write(in_fd, opts.input.data() + written, opts.input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN) || written == opts.input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t got = read(fds[idx[k]], buf, sizeof buf);
      if (got > 0) {
        sinks[idx[k]]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(fds[idx[k]]);
        fds[idx[k]] = -1;
      }
    }
  }
  for (int fd : fds)
    if (fd >= 0) close(fd);
  if (in_fd >= 0) close(in_fd);
  r.exit_code = status_to_code(status);
  r.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  return r;
}

CommandResult run_checked(const Argv& argv, const RunOptions& opts) {
  auto r = run(argv, opts);
  if (!r.ok()) throw std::runtime_error("command failed:\n" + r.describe());
  return r;
}

// ---------------------------------------------------------------------------

struct Process::State {
  Argv argv;
  pid_t pid = -1;
  bool reaped = false;
  int exit_code = -1;
  std::string out_path;
  std::string err_path;
};

namespace {

std::string make_temp(const char* tag) {
  std::string path = std::string("/tmp/icmpwall-") + tag + "-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error(std::string("mkstemp: ") + strerror(errno));
  close(fd);
  return path;
}

}  // namespace

Process::Process(std::unique_ptr<State> s) : state_(std::move(s)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    if (state_) kill();
    state_ = std::move(o.state_);
  }
  return *this;
}

Process Process::start(const Argv& argv, const std::string& stdin_path) {
  auto s = std::make_unique<State>();
  s->argv = argv;
  s->out_path = make_temp("out");
  s->err_path = make_temp("err");
  int in = open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
  int out = open(s->out_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  int err = open(s->err_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (in < 0 || out < 0 || err < 0)
    throw std::runtime_error("cannot open files for " + join(argv) + ": " + strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) exec_child(argv, in, out, err);
  setpgid(pid, pid);
  close(in);
  close(out);
  close(err);
  s->pid = pid;
  return Process(std::move(s));
}

Process::~Process() {
  if (!state_) return;
  kill();
  unlink(state_->out_path.c_str());
  unlink(state_->err_path.c_str());
}

pid_t Process::pid() const {
  return state_->pid;
}
const Argv& Process::argv() const {
  return state_->argv;
}

std::optional<int> Process::wait_for_exit(Millis timeout) {
  if (state_->reaped) return state_->exit_code;
  int status = 0;
  bool done = poll_until(
      [&] {
        pid_t w = waitpid(state_->pid, &status, WNOHANG);
        return w == state_->pid;
      },
      timeout, Millis(10));
  if (!done) return std::nullopt;
  state_->reaped = true;
  state_->exit_code = status_to_code(status);
  return state_->exit_code;
}

bool Process::running() {
  return !wait_for_exit(Millis(0)).has_value();
}

void Process::kill() {
  if (!state_ || state_->reaped) return;
  kill_group(state_->pid);
  int status = 0;
  waitpid(state_->pid, &status, 0);
  state_->reaped = true;
  state_->exit_code = status_to_code(status);
}

std::string Process::out() const {
  return read_file(state_->out_path);
}
std::string Process::err() const {
  return read_file(state_->err_path);
}

// ---------------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TempFile::TempFile(const std::string& content, const std::string& suffix) {
  path_ = "/tmp/icmpwall-test-XXXXXX" + suffix;
  int fd = mkstemps(path_.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error(std::string("mkstemps: ") + strerror(errno));
  size_t off = 0;
  while (off < content.size()) {
    ssize_t w = write(fd, content.data() + off, content.size() - off);
    if (w <= 0) {
      close(fd);
      throw std::runtime_error(std::string("write: ") + strerror(errno));
    }
    off += static_cast<size_t>(w);
  }
  close(fd);
}

TempFile::TempFile(TempFile&& o) noexcept : path_(std::move(o.path_)) {
  o.path_.clear();
}

TempFile::~TempFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

std::string TempFile::read() const {
  return read_file(path_);
}

}  // namespace icmpwall::integration
