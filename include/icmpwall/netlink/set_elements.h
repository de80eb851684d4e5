// SPDX-License-Identifier: GPL-2.0-or-later
// Adding elements with a timeout to a set of a loaded table, in one
// transaction: how the inspection worker blocks a source in the kernel so
// that its later packets die there without reaching userspace.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "icmpwall/netlink/handles.h"
#include "icmpwall/netlink/set_element.h"
#include "icmpwall/util/result.h"

namespace icmpwall::netlink {

struct TimedElement {
  std::vector<uint8_t> key;              // e.g. 4 or 16 address bytes, network order
  std::chrono::milliseconds timeout{0};  // 0: the set's default timeout
  // The time left of `timeout` (an element carried over from a previous
  // table, kept_state.h); 0: all of it.
  std::chrono::milliseconds expiration{0};
  // Interval sets: the first key past the range [key, key_end), sent as an
  // interval-end element. Empty: no end element (a plain set, or a range
  // that reaches the top of the key space).
  std::vector<uint8_t> key_end;
};

// The prefix `address`/`length` (address bytes in network order, length
// capped at their width) as one interval element [start, end): start is
// the address with the bits past `length` cleared, key_end the first
// address past the prefix (empty when the prefix reaches the top).
TimedElement prefix_element(std::span<const uint8_t> address, unsigned length,
                            std::chrono::milliseconds timeout);

// `element` as the kernel's elements, each handed to `emit`: the start
// with its timeout (and expiration), then, for a range, its interval-end
// element.
void for_each_element(const TimedElement& element,
                      const std::function<void(const ElementAttrs&)>& emit);

// Adds `elements` to set <set> of table inet <table>. An element already
// present is not an error: older kernels leave its timeout as it was,
// newer ones (6.18 does) set the new one. In an interval
// set the timeout rides on the range's start element; the kernel removes
// the interval-end element together with it.
Result<void> add_timed_elements(const std::string& table, const std::string& set,
                                const std::vector<TimedElement>& elements);

// Removes `elements` (their timeouts are ignored) from set <set> of table
// inet <table>, in one transaction: an element that is not there
// (ENOENT) fails the whole call and removes nothing.
Result<void> delete_elements(const std::string& table, const std::string& set,
                             const std::vector<TimedElement>& elements);

}  // namespace icmpwall::netlink
