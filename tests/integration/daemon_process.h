// `icmpwall daemon` as a test runs it: started in the root namespace with
// --netns, ready when it prints its "ready" event, stopped with SIGTERM
// (what systemd sends) when the test ends.
#pragma once

#include <optional>
#include <string>

#include "command.h"
#include "netns.h"

namespace icmpwall::integration {

class Daemon {
 public:
  Daemon(const Netns& ns, const std::string& policy_path);
  ~Daemon() { stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Polls its output for the ready event (bounded).
  bool wait_ready();
  // SIGTERM, then the exit code; SIGKILL if it does not end in time.
  std::optional<int> stop();
  bool running() { return proc_.running(); }
  std::string out() const { return proc_.out(); }
  std::string err() const { return proc_.err(); }

 private:
  Process proc_;
  bool stopped_ = false;
  std::optional<int> exit_;
};

// True if `tool` exists and is executable.
bool have_tool(const char* tool);

}  // namespace icmpwall::integration
