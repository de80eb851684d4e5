// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/netlink_datagram.h"

#include <linux/netlink.h>

#include <cstring>

namespace icmpwall {

static_assert(kNetlinkAlign == NLMSG_ALIGNTO);

size_t whole_netlink_message(std::span<const uint8_t> rest) {
  nlmsghdr hdr;
  if (rest.size() < sizeof hdr) return 0;
  std::memcpy(&hdr, rest.data(), sizeof hdr);
  const size_t len = hdr.nlmsg_len;
  const size_t padded = (len + kNetlinkAlign - 1) & ~(kNetlinkAlign - 1);
  if (len < sizeof hdr || padded > rest.size()) return 0;
  return padded;
}

}  // namespace icmpwall
