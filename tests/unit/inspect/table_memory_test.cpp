// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/inspect/detect/table_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace icmpwall::inspect {
namespace {

// The kernel's transparent huge page mode: "always", "madvise" or "never".
std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(f, line);
  const auto open = line.find('['), close = line.find(']');
  return open == std::string::npos || close == std::string::npos
             ? ""
             : line.substr(open + 1, close - open - 1);
}

// The THPeligible flag of the mapping that holds `p`, from smaps.
std::optional<bool> thp_eligible(const void* p) {
  const auto at = reinterpret_cast<uintptr_t>(p);
  std::ifstream f("/proc/self/smaps");
  std::string line;
  bool in_mapping = false;
  while (std::getline(f, line)) {
    unsigned long start = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> start >> dash >> end && dash == '-' && line.find(' ') < line.size())
      in_mapping = start <= at && at < end;
    else if (in_mapping && line.rfind("THPeligible:", 0) == 0)
      return std::stoi(line.substr(12)) != 0;
  }
  return std::nullopt;
}

TEST(TableMemory, LargeTablesAreHugePageAlignedMappingsCountedUntilReleased) {
  const size_t before = table_memory::mapped_bytes();
  const size_t bytes = 3 * table_memory::kHugePage + 100;
  void* p = table_memory::acquire(bytes, 64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % table_memory::kHugePage, 0u);
  EXPECT_EQ(table_memory::mapped_bytes(), before + 4 * table_memory::kHugePage);
  std::memset(p, 0xab, bytes);  // all of it is there and writable
  EXPECT_EQ(static_cast<uint8_t*>(p)[bytes - 1], 0xab);
  const std::string mode = thp_mode();
  if (mode == "always" || mode == "madvise") {
    const auto eligible = thp_eligible(p);
    ASSERT_TRUE(eligible.has_value()) << "no smaps entry holds the table";
    EXPECT_TRUE(*eligible) << "the table is not eligible for huge pages (mode " << mode << ")";
  }
  table_memory::release(p, bytes, 64);
  EXPECT_EQ(table_memory::mapped_bytes(), before);
}

TEST(TableMemory, SmallTablesComeFromTheHeapAligned) {
  const size_t before = table_memory::mapped_bytes();
  void* p = table_memory::acquire(table_memory::kMinBytes - 1, 64);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  EXPECT_EQ(table_memory::mapped_bytes(), before);
  table_memory::release(p, table_memory::kMinBytes - 1, 64);
}

TEST(TableMemory, VectorsOfTablesAllocateAndFree) {
  const size_t before = table_memory::mapped_bytes();
  {
    std::vector<uint32_t, TableAllocator<uint32_t>> buckets(1 << 18, 7u);  // 1 MiB
    EXPECT_EQ(buckets.back(), 7u);
    EXPECT_EQ(table_memory::mapped_bytes(), before + table_memory::kHugePage);
  }
  EXPECT_EQ(table_memory::mapped_bytes(), before);
}

TEST(TableMemory, ImpossibleSizesThrowBadAlloc) {
  TableAllocator<uint64_t> a;
  EXPECT_THROW(a.allocate(SIZE_MAX / 4), std::bad_alloc);
  EXPECT_THROW(table_memory::acquire(SIZE_MAX - 10, 8), std::bad_alloc);
}

}  // namespace
}  // namespace icmpwall::inspect
