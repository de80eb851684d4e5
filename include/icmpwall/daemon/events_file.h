// SPDX-License-Identifier: GPL-2.0-or-later
// The events file (`events_file`): eve-style lines (events.h) appended by
// one writer thread, so a slow disk never holds up a queue worker.
//
// The queue between them is bounded (kMaxQueuedLines): when the writer is
// behind, new lines are dropped and counted, never stored without limit.
// The file is opened append-only (O_APPEND, created 0640); reopen() opens
// the configured path again, which is what logrotate's "move, then SIGHUP"
// needs: lines queued before the reopen may still land in the moved file,
// every line after it goes to the new one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "icmpwall/util/fd.h"
#include "icmpwall/util/result.h"

namespace icmpwall::daemon {

inline constexpr size_t kMaxQueuedLines = 4096;

// Lines handed from many producers to one consumer, at most `capacity`
// waiting.
class LineQueue {
 public:
  explicit LineQueue(size_t capacity) : capacity_(capacity) {}
  // False, and counted as dropped, when `capacity` lines wait already or
  // the queue is closed.
  bool push(std::string line);
  // Every waiting line; blocks while none wait and the queue is open.
  // Empty once the queue is closed and drained.
  std::vector<std::string> take();
  void close();
  uint64_t dropped() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> lines_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
};

class EventsFile {
 public:
  // Opens (creates) `path` for appending; only a regular file will do.
  // No thread yet: the daemon opens it before dropping its capabilities,
  // and a thread started then would keep them.
  static Result<std::unique_ptr<EventsFile>> open(const std::string& path,
                                                  size_t max_queued = kMaxQueuedLines);
  // Starts the writer thread (lines pushed before wait for it).
  void start();
  // Writes what is queued, then closes the file.
  ~EventsFile();
  EventsFile(const EventsFile&) = delete;
  EventsFile& operator=(const EventsFile&) = delete;

  // Queues one line (without its newline); false when it was dropped.
  bool push(std::string line) { return queue_.push(std::move(line)); }
  // Opens the path again; on failure the old file stays in use.
  Result<void> reopen();

  const std::string& path() const { return path_; }
  uint64_t lines() const;    // written
  uint64_t dropped() const;  // queue full, or a failed write
 private:
  EventsFile(std::string path, Fd fd, size_t max_queued);
  void write_loop();

  const std::string path_;
  LineQueue queue_;
  mutable std::mutex fd_mutex_;  // fd_ and the counters below
  Fd fd_;
  uint64_t lines_ = 0;
  uint64_t failed_ = 0;
  std::thread writer_;
};

}  // namespace icmpwall::daemon
