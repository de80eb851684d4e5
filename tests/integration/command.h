// SPDX-License-Identifier: GPL-2.0-or-later
// Running programs from the integration tests: fork/exec with an argument
// vector (never a shell, so nothing in an argument is interpreted), a hard
// timeout after which the process group the child leads is killed, and the
// exit code, stdout and stderr captured.
//
// run() waits for the program; Process starts one in the background (a
// listener, a concurrent flood) whose output goes to temporary files, and
// kills it (by its own PID and process group, nothing else) when it goes
// out of scope.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace icmpwall::integration {

using Argv = std::vector<std::string>;
using Millis = std::chrono::milliseconds;

struct CommandResult {
  Argv argv;
  int exit_code = -1;      // exit status; 128 + signal if killed by one
  bool timed_out = false;  // the timeout expired and the child was killed
  std::string out;
  std::string err;
  Millis elapsed{0};

  bool ok() const { return !timed_out && exit_code == 0; }
  // The command line, exit status and output, for assertion messages.
  std::string describe() const;
};

struct RunOptions {
  Millis timeout{10'000};
  std::string input;  // written to the child's stdin, which is then closed
};

CommandResult run(const Argv& argv, const RunOptions& opts = {});

// Like run(), but a non-zero exit or a timeout throws std::runtime_error
// carrying describe(). For set-up steps that must not fail.
CommandResult run_checked(const Argv& argv, const RunOptions& opts = {});

// A background process. stdin is /dev/null or a given file; stdout and
// stderr go to temporary files that out()/err() read.
class Process {
 public:
  static Process start(const Argv& argv, const std::string& stdin_path = "/dev/null");
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const;
  // The exit code (128 + signal) once the process has ended within
  // `timeout`; nullopt if it is still running.
  std::optional<int> wait_for_exit(Millis timeout);
  bool running();
  // SIGKILL to the process group the child leads, then reaps it.
  void kill();
  std::string out() const;
  std::string err() const;
  const Argv& argv() const;

 private:
  struct State;
  explicit Process(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

// Polls `condition` every `interval` until it is true or `timeout` has
// passed; returns its last value. The way tests wait for a state of the
// system (an address no longer tentative, a port listening) instead of
// sleeping for a guessed time.
template <typename Condition>
bool poll_until(Condition condition, Millis timeout, Millis interval = Millis(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(interval);
  }
}

// A file in /tmp, removed when this goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& content = "", const std::string& suffix = "");
  TempFile(TempFile&& o) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();
  const std::string& path() const { return path_; }
  std::string read() const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
// Replaces the file at `path` with `text`.
void write_file(const std::string& path, const std::string& text);

}  // namespace icmpwall::integration
