// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/shared_library.h"

#include <dlfcn.h>
#include <fmt/format.h>

namespace icmpwall {

Result<SharedLibrary> SharedLibrary::open(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return Error{why ? why : fmt::format("{} cannot be loaded", path)};
  }
  return SharedLibrary(handle, path);
}

Result<void*> SharedLibrary::symbol(const char* name) const {
  void* p = dlsym(handle_, name);
  if (!p) {
    const char* why = dlerror();
    return Error{why ? why : fmt::format("{} lacks {}", path_, name)};
  }
  return p;
}

}  // namespace icmpwall
