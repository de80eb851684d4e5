// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/errno_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace icmpwall {

Error errno_error(std::string_view what, int code) {
  return Error{fmt::format("{}: {}", what, std::strerror(code)), code};
}

Error errno_error(std::string_view what) {
  return errno_error(what, errno);
}

Error errno_error(int code) {
  return Error{std::strerror(code), code};
}

}  // namespace icmpwall
