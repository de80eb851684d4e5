// SPDX-License-Identifier: GPL-2.0-or-later
// Reading a whole input file (a policy, the daemon config) with bounds.
//
// Only a regular file is read. The file is opened with O_NONBLOCK and
// checked with fstat before any read, so a FIFO, a device (/dev/zero), a
// socket or a directory is refused at once and never waited on or read
// without end. A file over `max_bytes` is refused: by its size before
// reading, and again if it grows while being read (never more than
// max_bytes + 1 bytes are read).
#pragma once

#include <cstddef>
#include <string>

#include "icmpwall/util/result.h"

namespace icmpwall {

// The file's bytes; an Error whose message says why not, without the
// path ("No such file or directory", "a FIFO, not a regular file",
// "larger than 1 MiB, the most icmpwall reads here").
Result<std::string> read_regular_file(const std::string& path, size_t max_bytes);

// "1 MiB", "64 MiB", "1500 bytes": a limit as the messages print it.
std::string format_bytes(size_t bytes);

}  // namespace icmpwall
