// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/nflog_messages.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "icmpwall/util/mnl_socket.h"

namespace icmpwall::daemon {
namespace {

constexpr uint16_t kPacketType = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
constexpr uint16_t kConfigType = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;

// The payload length each fixed-size attribute must have at least.
size_t min_len(uint16_t type) {
  switch (type) {
    case NFULA_PACKET_HDR: return sizeof(nfulnl_msg_packet_hdr);
    case NFULA_TIMESTAMP: return sizeof(nfulnl_msg_packet_timestamp);
    case NFULA_MARK:
    case NFULA_IFINDEX_INDEV:
    case NFULA_IFINDEX_OUTDEV:
    case NFULA_IFINDEX_PHYSINDEV:
    case NFULA_IFINDEX_PHYSOUTDEV: return sizeof(uint32_t);
    default: return 0;
  }
}

using Attrs = std::array<const nlattr*, NFULA_MAX + 1>;

// mnl_attr_parse has checked that the attribute lies within the message.
int keep_attr(const nlattr* a, void* data) {
  const uint16_t type = mnl_attr_get_type(a);
  if (type > NFULA_MAX) return MNL_CB_OK;  // a newer kernel's: ignored
  if (mnl_attr_get_payload_len(a) < min_len(type)) return MNL_CB_ERROR;
  (*static_cast<Attrs*>(data))[type] = a;
  return MNL_CB_OK;
}

uint32_t be32(const nlattr* a) {
  uint32_t v = 0;
  std::memcpy(&v, mnl_attr_get_payload(a), sizeof v);
  return ntohl(v);
}

}  // namespace

size_t nflog_config_size() {
  return MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(nfgenmsg)) +
         MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(nfulnl_msg_config_cmd)) +
         MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(nfulnl_msg_config_mode)) +
         MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(uint32_t));
}

size_t build_nflog_config(std::span<uint8_t> buf, NflogCommand cmd, uint16_t group,
                          uint32_t copy_range, uint32_t seq) {
  std::memset(buf.data(), 0, nflog_config_size());
  auto* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = kConfigType;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(group);
  nfulnl_msg_config_cmd c{};
  c.command = cmd == NflogCommand::bind ? NFULNL_CFG_CMD_BIND : NFULNL_CFG_CMD_UNBIND;
  mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof c, &c);
  if (cmd == NflogCommand::bind) {
    nfulnl_msg_config_mode m{};
    m.copy_range = htonl(copy_range);
    m.copy_mode = NFULNL_COPY_PACKET;
    mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof m, &m);
    mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
  }
  return nlh->nlmsg_len;
}

std::optional<NflogPacket> parse_nflog_packet(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != kPacketType) return std::nullopt;
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg))) return std::nullopt;
  Attrs attr{};
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), keep_attr, &attr) != MNL_CB_OK) return std::nullopt;
  if (!attr[NFULA_PACKET_HDR]) return std::nullopt;

  NflogPacket p;
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  p.group = ntohs(nfg->res_id);
  p.family = nfg->nfgen_family;
  nfulnl_msg_packet_hdr ph{};
  std::memcpy(&ph, mnl_attr_get_payload(attr[NFULA_PACKET_HDR]), sizeof ph);
  p.hw_protocol = ntohs(ph.hw_protocol);
  p.hook = ph.hook;
  if (const nlattr* a = attr[NFULA_PREFIX]) {
    const auto* s = static_cast<const char*>(mnl_attr_get_payload(a));
    const size_t len = mnl_attr_get_payload_len(a);
    const void* nul = std::memchr(s, '\0', len);
    size_t n = nul ? static_cast<size_t>(static_cast<const char*>(nul) - s) : len;
    p.prefix = std::string(s, std::min(n, kMaxNflogPrefix));
  }
  if (attr[NFULA_IFINDEX_INDEV]) p.indev = be32(attr[NFULA_IFINDEX_INDEV]);
  if (attr[NFULA_IFINDEX_OUTDEV]) p.outdev = be32(attr[NFULA_IFINDEX_OUTDEV]);
  if (const nlattr* a = attr[NFULA_TIMESTAMP]) {
    nfulnl_msg_packet_timestamp ts{};
    std::memcpy(&ts, mnl_attr_get_payload(a), sizeof ts);
    const auto sec = static_cast<int64_t>(be64toh(ts.sec));
    const auto usec = static_cast<int64_t>(be64toh(ts.usec));
    // Only a time that converts to the system clock without overflow.
    if (sec >= 0 && sec <= kMaxNflogSeconds && usec >= 0 && usec < 1'000'000)
      p.timestamp = std::pair{sec, usec};
  }
  if (const nlattr* a = attr[NFULA_PAYLOAD])
    p.payload = {static_cast<const uint8_t*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a)};
  return p;
}

std::optional<int> parse_nflog_error(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != NLMSG_ERROR) return std::nullopt;
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) return std::nullopt;
  nlmsgerr err{};
  std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof err);
  return netlink_errno(err.error);
}

}  // namespace icmpwall::daemon
