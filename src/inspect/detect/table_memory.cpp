// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/inspect/detect/table_memory.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>

namespace icmpwall::inspect::table_memory {
namespace {

std::atomic<size_t> g_mapped{0};

size_t round_up(size_t bytes) {
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

bool mapped(size_t bytes) {
  return bytes >= kMinBytes;
}

}  // namespace

void* acquire(size_t bytes, size_t align) {
  if (!mapped(bytes)) return ::operator new (bytes, std::align_val_t{align});
  if (bytes > SIZE_MAX - 2 * kHugePage) throw std::bad_alloc();
  const size_t len = round_up(bytes);
  // Map one huge page more than needed, then cut the unaligned head and
  // the rest of the tail away.
  const size_t span = len + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = aligned + len;
  if (start + span > end) munmap(reinterpret_cast<void*>(end), start + span - end);
  // Advice only: without transparent huge pages the mapping stays as it is.
  madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
  g_mapped.fetch_add(len, std::memory_order_relaxed);
  return reinterpret_cast<void*>(aligned);
}

void release(void* p, size_t bytes, size_t align) noexcept {
  if (p == nullptr) return;
  if (!mapped(bytes)) {
    ::operator delete (p, std::align_val_t{align});
    return;
  }
  const size_t len = round_up(bytes);
  munmap(p, len);
  g_mapped.fetch_sub(len, std::memory_order_relaxed);
}

size_t mapped_bytes() noexcept {
  return g_mapped.load(std::memory_order_relaxed);
}

}  // namespace icmpwall::inspect::table_memory
