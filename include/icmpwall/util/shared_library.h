// SPDX-License-Identifier: GPL-2.0-or-later
// A shared library the process opens itself (dlopen) instead of linking
// it, so that only the commands that use it load it. Open it once, into a
// function-local static (whose initialisation is thread-safe); it is never
// closed, since the functions taken from it, and the threads and objects
// it made, may be in use until the process exits.
#pragma once

#include <string>
#include <utility>

#include "icmpwall/util/result.h"

namespace icmpwall {

class SharedLibrary {
 public:
  // dlopen(path, RTLD_NOW | RTLD_LOCAL): every symbol bound at once, none
  // of them seen by what is loaded later. The error is dlerror()'s, which
  // names the file and says why.
  static Result<SharedLibrary> open(const std::string& path);

  // The function `name`, or an error naming the library and the symbol.
  template <typename F>
  Result<F> function(const char* name) const {
    TRY(void* p, symbol(name));
    return reinterpret_cast<F>(p);
  }

 private:
  SharedLibrary(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  Result<void*> symbol(const char* name) const;

  void* handle_;
  std::string path_;
};

}  // namespace icmpwall
