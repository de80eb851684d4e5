// Adding elements with a timeout to a set of a loaded table, in one
// transaction: how the inspection worker blocks a source in the kernel so
// that its later packets die there without reaching userspace.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "icmpwall/util/result.h"

namespace icmpwall::netlink {

struct TimedElement {
  std::vector<uint8_t> key;  // e.g. 4 or 16 address bytes, network order
  std::chrono::milliseconds timeout{0};  // 0: the set's default timeout
};

// Adds `elements` to set <set> of table inet <table>. An element already
// present is not an error (its timeout is left as it was).
Result<void> add_timed_elements(const std::string& table, const std::string& set,
                                const std::vector<TimedElement>& elements);

}  // namespace icmpwall::netlink
