// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/netlink_datagram.h"

#include <linux/netlink.h>

#include <algorithm>
#include <cstring>

namespace icmpwall {

static_assert(kNetlinkAlign == NLMSG_ALIGNTO);

namespace {

size_t rounded(size_t n) {
  return (n + kNetlinkAlign - 1) & ~(kNetlinkAlign - 1);
}

}  // namespace

size_t whole_netlink_message(std::span<const uint8_t> rest) {
  nlmsghdr hdr;
  if (rest.size() < sizeof hdr) return 0;
  std::memcpy(&hdr, rest.data(), sizeof hdr);
  const size_t len = hdr.nlmsg_len;
  const size_t padded = rounded(len);
  if (len < sizeof hdr || padded > rest.size()) return 0;
  return padded;
}

std::span<const uint8_t> pad_netlink_datagram(std::span<uint8_t> buffer, size_t received) {
  received = std::min(received, buffer.size());
  const size_t padded = rounded(received);
  if (padded > buffer.size()) return buffer.first(received);
  std::fill(buffer.begin() + received, buffer.begin() + padded, 0);
  return buffer.first(padded);
}

}  // namespace icmpwall
