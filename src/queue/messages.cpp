// SPDX-License-Identifier: GPL-2.0-or-later
// nfnetlink_queue messages, built and parsed with libnetfilter_queue's
// libmnl helpers. Packet messages come from the kernel, so every attribute
// is length-checked (nfq_nlmsg_parse validates the fixed-size ones) before
// it is read.
#include "icmpwall/queue/messages.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "icmpwall/util/mnl_socket.h"
#include "icmpwall/util/shared_library.h"

namespace icmpwall::queue {
namespace {

// libnetfilter_queue, opened at the first use (a queue worker's bind) and
// kept: linked into the binary, it and libnfnetlink would be loaded and
// relocated at every start of every command, 0.1 ms of each.
struct Libnfq {
  decltype(&nfq_nlmsg_put) put = nullptr;
  decltype(&nfq_nlmsg_cfg_put_cmd) cfg_put_cmd = nullptr;
  decltype(&nfq_nlmsg_cfg_put_params) cfg_put_params = nullptr;
  decltype(&nfq_nlmsg_cfg_put_qmaxlen) cfg_put_qmaxlen = nullptr;
  decltype(&nfq_nlmsg_verdict_put) verdict_put = nullptr;
  decltype(&nfq_nlmsg_parse) parse = nullptr;
};

Result<Libnfq> open_libnfq() {
  TRY(const auto so, SharedLibrary::open("libnetfilter_queue.so.1"));
  Libnfq l;
  TRY(l.put, so.function<decltype(l.put)>("nfq_nlmsg_put"));
  TRY(l.cfg_put_cmd, so.function<decltype(l.cfg_put_cmd)>("nfq_nlmsg_cfg_put_cmd"));
  TRY(l.cfg_put_params, so.function<decltype(l.cfg_put_params)>("nfq_nlmsg_cfg_put_params"));
  TRY(l.cfg_put_qmaxlen, so.function<decltype(l.cfg_put_qmaxlen)>("nfq_nlmsg_cfg_put_qmaxlen"));
  TRY(l.verdict_put, so.function<decltype(l.verdict_put)>("nfq_nlmsg_verdict_put"));
  TRY(l.parse, so.function<decltype(l.parse)>("nfq_nlmsg_parse"));
  return l;
}

const Result<Libnfq>& loaded_libnfq() {
  static const Result<Libnfq> lib = open_libnfq();
  return lib;
}

// The library, where it is known to be there: a queue socket binds only
// once load_libnfq() succeeded.
const Libnfq& libnfq() {
  return *loaded_libnfq();
}

int kernel_verdict(Verdict v) {
  return v == Verdict::accept ? NF_ACCEPT : NF_DROP;
}

uint32_t be32_attr(const nlattr* a) {
  return ntohl(mnl_attr_get_u32(a));
}

}  // namespace

Result<void> load_libnfq() {
  if (const auto& lib = loaded_libnfq(); !lib) return Error{lib.error().message, ELIBACC};
  return ok();
}

size_t verdict_msg_size() {
  return MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(nfgenmsg)) +
         MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(nfqnl_msg_verdict_hdr));
}

uint32_t max_copy_range() {
  return 0xffff - MNL_ATTR_HDRLEN;
}

uint16_t queue_msg_type(uint8_t nfqnl_type) {
  return static_cast<uint16_t>((NFNL_SUBSYS_QUEUE << 8) | nfqnl_type);
}

size_t build_config(std::span<uint8_t> buf, const ConfigRequest& req) {
  const Libnfq& nfq = libnfq();
  auto* nlh = nfq.put(reinterpret_cast<char*>(buf.data()), NFQNL_MSG_CONFIG, req.queue);
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = req.seq;
  nfq.cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
  nfq.cfg_put_params(nlh, NFQNL_COPY_PACKET, static_cast<int>(req.copy_range));
  nfq.cfg_put_qmaxlen(nlh, req.max_len);
  uint32_t flags = 0;
  if (req.fail_open) flags |= NFQA_CFG_F_FAIL_OPEN;
  if (req.gso) flags |= NFQA_CFG_F_GSO;
  if (req.conntrack) flags |= NFQA_CFG_F_CONNTRACK;
  // The mask names every flag we decide, so the ones we leave off are
  // cleared rather than inherited.
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK,
                   htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK));
  return nlh->nlmsg_len;
}

void append_verdicts(std::vector<uint8_t>& out, uint16_t queue, std::span<const VerdictMsg> msgs) {
  const Libnfq& nfq = libnfq();
  const size_t each = verdict_msg_size();
  size_t at = out.size();
  out.resize(at + each * msgs.size());
  for (const auto& m : msgs) {
    auto* nlh = nfq.put(reinterpret_cast<char*>(out.data() + at),
                        m.batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT, queue);
    nfq.verdict_put(nlh, static_cast<int>(m.id), kernel_verdict(m.verdict));
    at += nlh->nlmsg_len;
  }
  out.resize(at);
}

std::optional<PacketMessage> parse_packet(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != queue_msg_type(NFQNL_MSG_PACKET)) return std::nullopt;
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg))) return std::nullopt;
  std::array<nlattr*, NFQA_MAX + 1> attr{};
  if (libnfq().parse(nlh, attr.data()) < 0) return std::nullopt;
  if (!attr[NFQA_PACKET_HDR] ||
      mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(nfqnl_msg_packet_hdr))
    return std::nullopt;

  PacketMessage m;
  auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  m.info.queue = ntohs(nfg->res_id);
  auto* ph = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
  m.info.packet_id = ntohl(ph->packet_id);
  m.info.hw_protocol = ntohs(ph->hw_protocol);
  m.info.hook = ph->hook;
  if (attr[NFQA_MARK]) m.info.mark = be32_attr(attr[NFQA_MARK]);
  if (attr[NFQA_IFINDEX_INDEV]) m.info.indev = be32_attr(attr[NFQA_IFINDEX_INDEV]);
  if (attr[NFQA_IFINDEX_OUTDEV]) m.info.outdev = be32_attr(attr[NFQA_IFINDEX_OUTDEV]);
  if (attr[NFQA_HWADDR] &&
      mnl_attr_get_payload_len(attr[NFQA_HWADDR]) >= sizeof(nfqnl_msg_packet_hw)) {
    auto* hw = static_cast<const nfqnl_msg_packet_hw*>(mnl_attr_get_payload(attr[NFQA_HWADDR]));
    const size_t len = std::min<size_t>(ntohs(hw->hw_addrlen), m.info.hwaddr.size());
    std::memcpy(m.info.hwaddr.data(), hw->hw_addr, len);
    m.info.hwaddr_len = static_cast<uint8_t>(len);
  }
  // Present only when the queue asked for conntrack (NFQA_CFG_F_CONNTRACK)
  // and the packet has an entry; the kernel puts it as a big-endian u32.
  if (attr[NFQA_CT_INFO] && mnl_attr_get_payload_len(attr[NFQA_CT_INFO]) >= sizeof(uint32_t))
    m.info.ct_info = be32_attr(attr[NFQA_CT_INFO]);
  if (attr[NFQA_SKB_INFO]) m.info.gso = (be32_attr(attr[NFQA_SKB_INFO]) & NFQA_SKB_GSO) != 0;
  if (attr[NFQA_PAYLOAD]) {
    m.payload = {static_cast<const uint8_t*>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
                 mnl_attr_get_payload_len(attr[NFQA_PAYLOAD])};
  }
  m.info.copied_len = static_cast<uint32_t>(m.payload.size());
  // The kernel adds NFQA_CAP_LEN only when it copied less than the packet.
  m.info.packet_len = attr[NFQA_CAP_LEN] ? be32_attr(attr[NFQA_CAP_LEN]) : m.info.copied_len;
  if (m.info.packet_len < m.info.copied_len) m.info.packet_len = m.info.copied_len;
  m.info.truncated = m.info.copied_len < m.info.packet_len;
  return m;
}

std::optional<int> parse_error(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != NLMSG_ERROR) return std::nullopt;
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) return std::nullopt;
  auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  return netlink_errno(err->error);
}

}  // namespace icmpwall::queue
