// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/http_module.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "icmpwall/util/shared_library.h"
#include "icmpwall/version.h"

namespace icmpwall::daemon {
namespace {

// Where the module may be, first found first: <prefix>/lib/icmpwall for
// <prefix>/sbin/icmpwall, next to the binary (a build directory), else by
// name through the run path (the test programs of a build). No run path on
// the binary itself: ld.so would search it for every library at each start.
std::vector<std::string> candidates() {
  std::vector<std::string> out;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = exe.parent_path();
    out.push_back(dir.parent_path() / "lib/icmpwall" / kHttpModuleName);
    out.push_back(dir / kHttpModuleName);
  }
  out.emplace_back(kHttpModuleName);
  return out;
}

// The first candidate that is there; the last, a name for the run path,
// always counts.
std::string module_path() {
  for (auto& p : candidates())
    if (p.find('/') == std::string::npos || ::access(p.c_str(), F_OK) == 0) return p;
  return kHttpModuleName;
}

Result<const http::Module*> load() {
  // Never unloaded: its threads and objects may outlive any one owner.
  const auto so = SharedLibrary::open(module_path());
  if (!so) return Error{fmt::format("cannot load {}: {}", kHttpModuleName, so.error().message)};
  const auto entry = so->function<decltype(&icmpwall_http_module)>("icmpwall_http_module");
  if (!entry)
    return Error{fmt::format("{}: no entry point: {}", kHttpModuleName, entry.error().message)};
  const http::Module* m = (*entry)();
  if (!m || !m->version || std::strcmp(m->version, ICMPWALL_VERSION) != 0)
    return Error{fmt::format("{} is of version {}, icmpwall of version {}", kHttpModuleName,
                             m && m->version ? m->version : "(none)", ICMPWALL_VERSION)};
  return m;
}

}  // namespace

Result<const http::Module*> http_module() {
  static const Result<const http::Module*> module = load();
  return module;
}

}  // namespace icmpwall::daemon
