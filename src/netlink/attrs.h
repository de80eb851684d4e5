// SPDX-License-Identifier: GPL-2.0-or-later
// Walking netlink attributes from C++ (libmnl's iteration macros rely on
// C's implicit void* conversions).
#pragma once

#include <libmnl/libmnl.h>

#include <cstddef>

namespace icmpwall::netlink {

// Calls f(const nlattr*) for each well-formed attribute in [data, data+len).
template <typename F>
void for_each_attr(const void* data, size_t len, F&& f) {
  const auto* attr = static_cast<const nlattr*>(data);
  int left = static_cast<int>(len);
  while (mnl_attr_ok(attr, left)) {
    f(attr);
    left -= static_cast<int>(MNL_ALIGN(attr->nla_len));
    attr = mnl_attr_next(attr);
  }
}

// The attributes of a message, after `offset` bytes of payload header.
template <typename F>
void for_each_attr(const nlmsghdr* nlh, size_t offset, F&& f) {
  const auto* start = static_cast<const char*>(mnl_nlmsg_get_payload_offset(nlh, offset));
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  if (tail > start) for_each_attr(start, static_cast<size_t>(tail - start), f);
}

// The attributes nested in `attr`.
template <typename F>
void for_each_nested(const nlattr* attr, F&& f) {
  for_each_attr(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr), f);
}

}  // namespace icmpwall::netlink
