// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/events_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "icmpwall/util/errno_error.h"

namespace icmpwall::daemon {
namespace {

// O_NONBLOCK so that a FIFO at the path cannot hang the open; only a
// regular file is kept, and written blocking.
Result<Fd> open_append(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
               0640));
  if (!fd.valid()) return errno_error("cannot open the events file " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("fstat " + path);
  if (!S_ISREG(st.st_mode)) return Error{"the events file " + path + " is not a regular file"};
  if (::fcntl(fd.get(), F_SETFL, O_APPEND) != 0) return errno_error("fcntl " + path);
  return fd;
}

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool LineQueue::push(std::string line) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || lines_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    lines_.push_back(std::move(line));
  }
  ready_.notify_one();
  return true;
}

std::vector<std::string> LineQueue::take() {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return !lines_.empty() || closed_; });
  std::vector<std::string> out(std::make_move_iterator(lines_.begin()),
                               std::make_move_iterator(lines_.end()));
  lines_.clear();
  return out;
}

void LineQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

uint64_t LineQueue::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

Result<std::unique_ptr<EventsFile>> EventsFile::open(const std::string& path, size_t max_queued) {
  auto fd = open_append(path);
  if (!fd) return fd.error();
  return std::unique_ptr<EventsFile>(new EventsFile(path, std::move(*fd), max_queued));
}

EventsFile::EventsFile(std::string path, Fd fd, size_t max_queued)
    : path_(std::move(path)), queue_(max_queued), fd_(std::move(fd)) {}

void EventsFile::start() {
  if (!writer_.joinable()) writer_ = std::thread([this] { write_loop(); });
}

EventsFile::~EventsFile() {
  queue_.close();
  if (writer_.joinable())
    writer_.join();
  else
    write_loop();  // never started: what is queued, here
}

// Nothing here throws but std::bad_alloc, which ends the batch's lines as
// failed writes: the thread's edge lets nothing out.
void EventsFile::write_loop() {
  while (true) {
    std::vector<std::string> lines = queue_.take();
    if (lines.empty()) return;
    try {
      std::string text;
      for (const auto& l : lines) text += l + "\n";
      std::lock_guard lock(fd_mutex_);
      if (write_all(fd_.get(), text))
        lines_ += lines.size();
      else
        failed_ += lines.size();
    } catch (...) {
      std::lock_guard lock(fd_mutex_);
      failed_ += lines.size();
    }
  }
}

Result<void> EventsFile::reopen() {
  auto fd = open_append(path_);
  if (!fd) return fd.error();
  std::lock_guard lock(fd_mutex_);
  fd_ = std::move(*fd);
  return {};
}

uint64_t EventsFile::lines() const {
  std::lock_guard lock(fd_mutex_);
  return lines_;
}

uint64_t EventsFile::dropped() const {
  std::lock_guard lock(fd_mutex_);
  return failed_ + queue_.dropped();
}

}  // namespace icmpwall::daemon
