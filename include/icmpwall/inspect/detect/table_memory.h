// SPDX-License-Identifier: GPL-2.0-or-later
// Memory for the detectors' fixed tables, on huge pages where the kernel
// gives them.
//
// The tables are hundreds of kilobytes to tens of megabytes, touched at a
// random place per packet (a hash bucket, a request set). On 4 KiB pages
// each of those touches is also a TLB miss, and on kernels that isolate
// their page tables without PCIDs every system call (one per batch the
// queue reader reads) empties the TLB: a drain spends more time walking
// page tables than judging packets. A table of at least kMinBytes is
// therefore mapped on its own, 2 MiB-aligned and rounded up to 2 MiB,
// with madvise(MADV_HUGEPAGE), so that transparent huge pages in "madvise"
// mode (Debian's default) back it: one TLB entry per 2 MiB. Where they are
// off, it is an ordinary anonymous mapping. Smaller tables come from
// operator new.
#pragma once

#include <cstddef>
#include <new>

namespace icmpwall::inspect {

namespace table_memory {

inline constexpr size_t kHugePage = size_t{2} << 20;
inline constexpr size_t kMinBytes = size_t{64} << 10;

// `bytes` (> 0) aligned to `align`; throws std::bad_alloc when the memory
// is not there. Free with release(p, bytes, align), the same arguments.
void* acquire(size_t bytes, size_t align);
void release(void* p, size_t bytes, size_t align) noexcept;

// Bytes mapped by acquire() and not yet released, in this process (the
// tables' memory, which malloc statistics do not see).
size_t mapped_bytes() noexcept;

}  // namespace table_memory

// std::vector<T, TableAllocator<T>>: a detector table's storage.
template <typename T>
struct TableAllocator {
  using value_type = T;

  TableAllocator() = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(table_memory::acquire(n * sizeof(T), alignof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { table_memory::release(p, n * sizeof(T), alignof(T)); }

  template <typename U>
  bool operator==(const TableAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace icmpwall::inspect
