// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/http_module.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>
#include <mutex>

#include "icmpwall/version.h"

namespace icmpwall::daemon {
namespace {

Result<const http::Module*> load() {
  // RTLD_LOCAL: nothing of the module (or of OpenSSL) resolves symbols of
  // anything loaded later. Never unloaded: its threads and objects may
  // outlive any one owner.
  void* handle = dlopen(kHttpModuleName, RTLD_NOW | RTLD_LOCAL);
  if (!handle) return Error{fmt::format("cannot load {}: {}", kHttpModuleName, dlerror())};
  auto* entry = reinterpret_cast<decltype(&icmpwall_http_module)>(
      dlsym(handle, "icmpwall_http_module"));
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
