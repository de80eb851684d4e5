// SPDX-License-Identifier: GPL-2.0-or-later
// nfnetlink_log packet messages as the kernel sends them, built for the
// NFLOG tests, with each part open to being made hostile.
#pragma once

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace icmpwall::daemon::testing {

using Bytes = std::vector<uint8_t>;

struct NflogMessageSpec {
  uint16_t group = 3;
  uint8_t family = NFPROTO_IPV4;
  uint8_t hook = 1;  // NF_INET_LOCAL_IN
  std::optional<std::string> prefix = std::string("icmpwall no-ts ");
  uint32_t indev = 1;
  Bytes payload;
  bool packet_hdr = true;
  std::optional<std::pair<int64_t, int64_t>> timestamp;  // seconds, microseconds
};

// One NFULNL_MSG_PACKET (the prefix with its NUL, as the kernel puts it).
inline Bytes nflog_message(const NflogMessageSpec& s) {
  Bytes buf(MNL_SOCKET_BUFFER_SIZE + s.payload.size());
  auto* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = s.family;
  nfg->res_id = htons(s.group);
  if (s.packet_hdr) {
    nfulnl_msg_packet_hdr ph{};
    ph.hw_protocol = htons(s.family == NFPROTO_IPV6 ? 0x86dd : 0x0800);
    ph.hook = s.hook;
    mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof ph, &ph);
  }
  if (s.timestamp) {
    nfulnl_msg_packet_timestamp ts{htobe64(static_cast<uint64_t>(s.timestamp->first)),
                                   htobe64(static_cast<uint64_t>(s.timestamp->second))};
    mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof ts, &ts);
  }
  if (s.prefix) mnl_attr_put_strz(nlh, NFULA_PREFIX, s.prefix->c_str());
  if (s.indev) mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(s.indev));
  mnl_attr_put(nlh, NFULA_PAYLOAD, s.payload.size(), s.payload.data());
  buf.resize(nlh->nlmsg_len);
  return buf;
}

}  // namespace icmpwall::daemon::testing
