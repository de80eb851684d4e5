// SPDX-License-Identifier: GPL-2.0-or-later
// What cpp-httplib threw, as an Error: nothing it throws may leave the
// module (http/module.h).
#pragma once

#include <exception>

#include "icmpwall/util/result.h"

namespace icmpwall::http {

// The exception being handled, as an Error (its what(), or "unknown
// error"). Only inside a catch block.
inline Error exception_error() {
  try {
    throw;
  } catch (const std::exception& e) {
    return Error{e.what()};
  } catch (...) {
    return Error{"unknown error"};
  }
}

}  // namespace icmpwall::http
