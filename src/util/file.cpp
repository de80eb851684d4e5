// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/fd.h"

namespace icmpwall {
namespace {

// Why a file of this mode is not read; empty for a regular file.
std::string not_regular(mode_t mode) {
  if (S_ISREG(mode)) return {};
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

Error too_large(size_t max_bytes) {
  return Error{fmt::format("larger than {}, the most icmpwall reads here", format_bytes(max_bytes)),
               EFBIG};
}

}  // namespace

std::string format_bytes(size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

Result<std::string> read_regular_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO without a writer must not wait for one.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) return errno_error(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(errno);
  if (S_ISDIR(st.st_mode)) return errno_error(EISDIR);
  if (auto kind = not_regular(st.st_mode); !kind.empty())
    return Error{kind + ", not a regular file", EINVAL};
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large(max_bytes);
  std::string text;
  text.reserve(static_cast<size_t>(st.st_size));
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) return too_large(max_bytes);
  }
  return text;
}

}  // namespace icmpwall
