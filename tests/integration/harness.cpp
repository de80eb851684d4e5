// SPDX-License-Identifier: GPL-2.0-or-later
// Paths and runners for icmpwall and the packet crafter. See harness.h.
#include "harness.h"

#include <unistd.h>

#include <cstdlib>

namespace icmpwall::integration {

std::string source_dir() {
  return ICMPWALL_SOURCE_DIR;
}
std::string icmpwall_binary() {
  // Another build of icmpwall (to show that a regression test fails on
  // the code before its fix).
  if (const char* other = std::getenv("ICMPWALL_TEST_BINARY"); other && *other) return other;
  return ICMPWALL_BINARY;
}
std::string preset_path(const std::string& name) {
  return source_dir() + "/policies/" + name + ".toml";
}

CommandResult icmpwall(const Argv& args, Millis timeout) {
  Argv argv{icmpwall_binary(), "--color", "never"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {timeout});
}

CommandResult apply_policy(const Netns& ns, const std::string& policy_path) {
  return icmpwall({"apply", "--netns", ns.name(), policy_path});
}

CommandResult apply_policy_text(const Netns& ns, const std::string& toml) {
  TempFile file(toml, ".toml");
  return apply_policy(ns, file.path());
}

const char* const kQueue7InspectPolicy = R"([hooks.input]
default = "allow"

[[rule]]
name = "tunnel"
types = ["echo-request"]
action = "inspect"
queue = 7
no-worker = "accept"
)";

const char* const kForwardEchoInspectPolicy = R"([hooks.forward]
default = "allow"

[[rule]]
name = "sweep"
types = ["echo-request"]
hooks = ["forward"]
action = "inspect"
)";

CommandResult flush_policy(const Netns& ns) {
  return icmpwall({"flush", "--netns", ns.name()});
}

const std::string& python_with_scapy() {
  static const std::string found = [] {
    for (const char* candidate : {"/usr/bin/python3", "python3"}) {
      auto r = run({candidate, "-c", "import scapy.all"}, {Millis(30'000)});
      if (r.ok()) return std::string(candidate);
    }
    return std::string();
  }();
  return found;
}

CommandResult craft(const Netns& from, const Argv& args, Millis timeout) {
  Argv argv{python_with_scapy(), source_dir() + "/tests/integration/tools/craft.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return from.run(argv, {timeout});
}

}  // namespace icmpwall::integration
