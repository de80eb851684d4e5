#include "daemon_process.h"

#include <signal.h>
#include <unistd.h>

#include "harness.h"

namespace icmpwall::integration {

Daemon::Daemon(const Netns& ns, const std::string& policy_path)
    : proc_(Process::start(
          {icmpwall_binary(), "daemon", "--policy", policy_path, "--netns", ns.name()})) {}

bool Daemon::wait_ready() {
  return poll_until([&] { return proc_.out().find("\"event\":\"ready\"") != std::string::npos; },
                    Millis(10'000));
}

std::optional<int> Daemon::stop() {
  if (stopped_) return exit_;
  ::kill(proc_.pid(), SIGTERM);
  exit_ = proc_.wait_for_exit(Millis(10'000));
  if (!exit_) proc_.kill();
  stopped_ = true;
  return exit_;
}

bool have_tool(const char* tool) { return access(tool, X_OK) == 0; }

}  // namespace icmpwall::integration
