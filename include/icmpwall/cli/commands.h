// The commands behind the command line. Each is a flat list of stages
// (load -> lint -> compile -> apply) and returns an exit code.
#pragma once

#include <optional>
#include <string>

namespace icmpwall::cli {

struct CommonOptions {
  bool strict = false;   // lint warnings are errors
  bool color = false;    // ANSI colors in diagnostics
};

struct ApplyOptions {
  CommonOptions common;
  std::string policy_path;
  std::string netns;
  bool dry_run = false;
  std::string queue_mode = "auto";  // auto | native | compat
  std::string dump;                 // "", "policy" or "nft"
};

struct DaemonOptions {
  CommonOptions common;
  std::string policy_path;
  std::string netns;
  std::string queue_mode = "auto";
  uint32_t copy_range = 1500;
  bool flush_on_exit = false;
};

// audit: the live ruleset's outcome per ICMP type and hook, or (explain)
// the walk of one packet.
struct AuditOptions {
  std::string netns;
  bool json = false;
  bool color = false;  // the text table's outcomes
  std::string family;  // "" = both
  std::string hook;    // "" = all
  std::string type;    // "" = all; a name or a number
  bool explain = false;
  std::optional<int> code;
  std::string src, dst, iif, oif;
  std::optional<int> hop_limit;
};

int cmd_apply(const ApplyOptions& opts);
int cmd_daemon(const DaemonOptions& opts);
int cmd_check(const CommonOptions& common, const std::string& policy_path, const std::string& dump);
int cmd_audit(const AuditOptions& opts);
int cmd_flush(const std::string& netns, const std::string& table);

}  // namespace icmpwall::cli
