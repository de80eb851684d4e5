// SPDX-License-Identifier: GPL-2.0-or-later
// IPv4/IPv6 prefixes as closed intervals of 128-bit integers, merged the
// way an nftables interval set needs them: sorted, non-overlapping,
// adjacent ranges joined.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace icmpwall {

using U128 = unsigned __int128;

struct AddrRange {
  U128 first = 0;
  U128 last = 0;
};

// Address bytes (4 or 16, network order) <-> integer.
U128 addr_to_int(const uint8_t* bytes, size_t len);
void int_to_addr(U128 v, uint8_t* bytes, size_t len);

// [first, last] of prefix `bytes`/`len` in an address space of `bits` bits.
AddrRange prefix_range(const uint8_t* bytes, size_t addr_len, uint8_t prefix_len);

// Sorts and merges overlapping or adjacent ranges.
std::vector<AddrRange> merge_ranges(std::vector<AddrRange> ranges);

// If [first, last] is exactly one prefix, its length; else nothing.
std::optional<uint8_t> range_as_prefix(const AddrRange& r, size_t addr_len);

// "198.18.0.0" / "2001:db8::"
std::string format_addr(const uint8_t* bytes, size_t len);

}  // namespace icmpwall
