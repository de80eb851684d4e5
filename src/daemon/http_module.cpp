// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/http_module.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

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

void* open_module() {
  const auto paths = candidates();
  for (const auto& p : paths) {
    const bool by_name = p.find('/') == std::string::npos;
    if (!by_name && ::access(p.c_str(), F_OK) != 0) continue;
    // RTLD_LOCAL: nothing of the module (or of OpenSSL) resolves symbols of
    // anything loaded later. Never unloaded: its threads and objects may
    // outlive any one owner.
    return dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  return nullptr;
}

Result<const http::Module*> load() {
  void* handle = open_module();
  if (!handle) return Error{fmt::format("cannot load {}: {}", kHttpModuleName, dlerror())};
  auto* entry =
      reinterpret_cast<decltype(&icmpwall_http_module)>(dlsym(handle, "icmpwall_http_module"));
  if (!entry) return Error{fmt::format("{}: no entry point: {}", kHttpModuleName, dlerror())};
  const http::Module* m = entry();
  if (!m || !m->version || std::strcmp(m->version, ICMPWALL_VERSION) != 0)
    return Error{fmt::format("{} is of version {}, icmpwall of version {}", kHttpModuleName,
                             m && m->version ? m->version : "(none)", ICMPWALL_VERSION)};
  return m;
}

}  // namespace

Result<const http::Module*> http_module() {
  static std::once_flag once;
  static Result<const http::Module*> module = Error{"not loaded"};
  std::call_once(once, [] { module = load(); });
  return module;
}

}  // namespace icmpwall::daemon
