// SPDX-License-Identifier: GPL-2.0-or-later
// The nfnetlink_queue messages: configuration and verdicts built and
// parsed back attribute by attribute; packet messages laid out the way
// the kernel sends them, parsed.
#include "icmpwall/queue/messages.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <map>
#include <vector>

namespace icmpwall::queue {
namespace {

// Top-level attributes of an nfnetlink message, by type.
std::map<uint16_t, const nlattr*> attrs_of(const nlmsghdr* nlh) {
  std::map<uint16_t, const nlattr*> out;
  const size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg));
  auto* p = reinterpret_cast<const uint8_t*>(nlh);
  auto* a = reinterpret_cast<const nlattr*>(p + off);
  int left = static_cast<int>(nlh->nlmsg_len - off);
  while (mnl_attr_ok(a, left)) {
    out[mnl_attr_get_type(a)] = a;
    left -= MNL_ALIGN(a->nla_len);
    a = reinterpret_cast<const nlattr*>(reinterpret_cast<const uint8_t*>(a) +
                                        MNL_ALIGN(a->nla_len));
  }
  return out;
}

uint16_t res_id(const nlmsghdr* nlh) {
  return ntohs(static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->res_id);
}

TEST(BuildConfig, OneAckedMessageBindsAndConfigures) {
  std::array<uint8_t, kConfigMsgCapacity> buf{};
  ConfigRequest req{.queue = 513,
                    .seq = 77,
                    .copy_range = 1500,
                    .max_len = 10000,
                    .fail_open = true,
                    .gso = true};
  const size_t len = build_config(buf, req);
  ASSERT_GT(len, 0u);
  ASSERT_LE(len, buf.size());
  auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
  EXPECT_EQ(nlh->nlmsg_len, len);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(nlh->nlmsg_seq, 77u);
  EXPECT_EQ(res_id(nlh), 513);
  EXPECT_EQ(static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->version, NFNETLINK_V0);

  auto a = attrs_of(nlh);
  ASSERT_TRUE(a.count(NFQA_CFG_CMD));
  auto* cmd = static_cast<const nfqnl_msg_config_cmd*>(mnl_attr_get_payload(a[NFQA_CFG_CMD]));
  EXPECT_EQ(cmd->command, NFQNL_CFG_CMD_BIND);

  ASSERT_TRUE(a.count(NFQA_CFG_PARAMS));
  ASSERT_GE(mnl_attr_get_payload_len(a[NFQA_CFG_PARAMS]), sizeof(nfqnl_msg_config_params));
  auto* params =
      static_cast<const nfqnl_msg_config_params*>(mnl_attr_get_payload(a[NFQA_CFG_PARAMS]));
  EXPECT_EQ(params->copy_mode, NFQNL_COPY_PACKET);
  EXPECT_EQ(ntohl(params->copy_range), 1500u);

  ASSERT_TRUE(a.count(NFQA_CFG_QUEUE_MAXLEN));
  EXPECT_EQ(ntohl(mnl_attr_get_u32(a[NFQA_CFG_QUEUE_MAXLEN])), 10000u);
  ASSERT_TRUE(a.count(NFQA_CFG_FLAGS));
  ASSERT_TRUE(a.count(NFQA_CFG_MASK));
  EXPECT_EQ(ntohl(mnl_attr_get_u32(a[NFQA_CFG_FLAGS])), NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(a[NFQA_CFG_MASK])),
            NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK);
}

TEST(BuildConfig, ConntrackAsksForEachPacketsConntrackState) {
  std::array<uint8_t, kConfigMsgCapacity> buf{};
  ConfigRequest req{.queue = 1, .seq = 1, .copy_range = 100, .max_len = 10, .conntrack = true};
  build_config(buf, req);
  auto a = attrs_of(reinterpret_cast<const nlmsghdr*>(buf.data()));
  ASSERT_TRUE(a.count(NFQA_CFG_FLAGS));
  EXPECT_EQ(ntohl(mnl_attr_get_u32(a[NFQA_CFG_FLAGS])), NFQA_CFG_F_CONNTRACK);
  req.conntrack = false;
  build_config(buf, req);
  a = attrs_of(reinterpret_cast<const nlmsghdr*>(buf.data()));
  EXPECT_EQ(ntohl(mnl_attr_get_u32(a[NFQA_CFG_FLAGS])), 0u);
  EXPECT_TRUE(ntohl(mnl_attr_get_u32(a[NFQA_CFG_MASK])) & NFQA_CFG_F_CONNTRACK)
      << "left off is cleared, not inherited";
}

TEST(BuildConfig, FailClosedClearsTheFlagThroughTheMask) {
  std::array<uint8_t, kConfigMsgCapacity> buf{};
  ConfigRequest req{
      .queue = 0, .seq = 1, .copy_range = 64, .max_len = 1, .fail_open = false, .gso = false};
  build_config(buf, req);
  auto a = attrs_of(reinterpret_cast<const nlmsghdr*>(buf.data()));
  EXPECT_EQ(ntohl(mnl_attr_get_u32(a[NFQA_CFG_FLAGS])), 0u);
  // The mask still names both flags: the kernel clears them instead of
  // leaving what a previous owner set.
  EXPECT_EQ(ntohl(mnl_attr_get_u32(a[NFQA_CFG_MASK])),
            NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK);
}

TEST(AppendVerdicts, SingleAndBatchMessagesBackToBack) {
  std::vector<uint8_t> out;
  std::vector<VerdictMsg> msgs{
      {5, Verdict::accept, true}, {6, Verdict::drop, false}, {9, Verdict::accept, true}};
  append_verdicts(out, 7, msgs);
  ASSERT_EQ(out.size(), 3 * verdict_msg_size());

  std::vector<const nlmsghdr*> seen;
  for_each_netlink_message(out, [&](const nlmsghdr* nlh) { seen.push_back(nlh); });
  ASSERT_EQ(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) {
    const nlmsghdr* nlh = seen[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) |
                                   (msgs[i].batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT));
    EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST);  // no ack asked
    EXPECT_EQ(res_id(nlh), 7);
    auto a = attrs_of(nlh);
    ASSERT_TRUE(a.count(NFQA_VERDICT_HDR));
    ASSERT_EQ(mnl_attr_get_payload_len(a[NFQA_VERDICT_HDR]), sizeof(nfqnl_msg_verdict_hdr));
    auto* vh = static_cast<const nfqnl_msg_verdict_hdr*>(mnl_attr_get_payload(a[NFQA_VERDICT_HDR]));
    EXPECT_EQ(ntohl(vh->id), msgs[i].id);
    EXPECT_EQ(ntohl(vh->verdict), msgs[i].verdict == Verdict::accept ? NF_ACCEPT : NF_DROP);
  }
}

TEST(AppendVerdicts, AppendsAfterWhatIsThere) {
  std::vector<uint8_t> out;
  std::vector<VerdictMsg> one{{1, Verdict::drop, false}};
  append_verdicts(out, 0, one);
  append_verdicts(out, 0, one);
  append_verdicts(out, 0, {});
  EXPECT_EQ(out.size(), 2 * verdict_msg_size());
}

// A packet message as the kernel lays it out.
class PacketBuilder {
 public:
  PacketBuilder(uint16_t queue, uint32_t id) : buf_(8192) {
    nlh_ = nfq_nlmsg_put(reinterpret_cast<char*>(buf_.data()), NFQNL_MSG_PACKET, queue);
    nfqnl_msg_packet_hdr ph{};
    ph.packet_id = htonl(id);
    ph.hw_protocol = htons(0x86dd);
    ph.hook = NF_INET_LOCAL_IN;
    mnl_attr_put(nlh_, NFQA_PACKET_HDR, sizeof ph, &ph);
  }
  PacketBuilder& u32(uint16_t type, uint32_t v) {
    mnl_attr_put_u32(nlh_, type, htonl(v));
    return *this;
  }
  PacketBuilder& hwaddr(std::vector<uint8_t> mac) {
    nfqnl_msg_packet_hw hw{};
    hw.hw_addrlen = htons(static_cast<uint16_t>(mac.size()));
    std::copy(mac.begin(), mac.end(), hw.hw_addr);
    mnl_attr_put(nlh_, NFQA_HWADDR, sizeof hw, &hw);
    return *this;
  }
  PacketBuilder& payload(const std::vector<uint8_t>& p) {
    mnl_attr_put(nlh_, NFQA_PAYLOAD, p.size(), p.data());
    return *this;
  }
  const nlmsghdr* nlh() const { return nlh_; }
  std::span<const uint8_t> bytes() const { return {buf_.data(), nlh_->nlmsg_len}; }

 private:
  std::vector<uint8_t> buf_;
  nlmsghdr* nlh_;
};

TEST(ParsePacket, MetadataAndPayload) {
  std::vector<uint8_t> pkt{0x60, 0, 0, 0, 0, 8, 58, 64, 1, 2, 3};
  PacketBuilder b(3, 4242);
  b.u32(NFQA_MARK, 0xbeef).u32(NFQA_IFINDEX_INDEV, 5).u32(NFQA_IFINDEX_OUTDEV, 9).payload(pkt);
  auto m = parse_packet(b.nlh());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info.queue, 3);
  EXPECT_EQ(m->info.packet_id, 4242u);
  EXPECT_EQ(m->info.hw_protocol, 0x86dd);
  EXPECT_EQ(m->info.hook, NF_INET_LOCAL_IN);
  EXPECT_EQ(m->info.mark, 0xbeefu);
  EXPECT_EQ(m->info.indev, 5u);
  EXPECT_EQ(m->info.outdev, 9u);
  EXPECT_EQ(m->info.copied_len, pkt.size());
  EXPECT_EQ(m->info.packet_len, pkt.size());
  EXPECT_FALSE(m->info.truncated);
  EXPECT_FALSE(m->info.gso);
  EXPECT_EQ(m->info.hwaddr_len, 0u) << "none reported";
  EXPECT_FALSE(m->info.ct_info) << "no conntrack entry reported";
  EXPECT_FALSE(m->info.ct_reported) << "the reader's to say, not the message's";
  EXPECT_EQ(std::vector<uint8_t>(m->payload.begin(), m->payload.end()), pkt);
}

TEST(ParsePacket, LinkLayerSourceAndConntrackState) {
  std::vector<uint8_t> pkt{0x60, 0, 0, 0, 0, 8, 58, 64};
  for (uint32_t ctinfo : {0u, 1u, 2u, 3u, 4u, 7u}) {
    PacketBuilder b(0, 5);
    b.hwaddr({0x02, 0x11, 0x22, 0x33, 0x44, 0x55}).u32(NFQA_CT_INFO, ctinfo).payload(pkt);
    auto m = parse_packet(b.nlh());
    ASSERT_TRUE(m);
    ASSERT_EQ(m->info.hwaddr_len, 6u);
    EXPECT_EQ(m->info.hwaddr[0], 0x02);
    EXPECT_EQ(m->info.hwaddr[5], 0x55);
    EXPECT_EQ(m->info.hwaddr[6], 0) << "only what was reported";
    ASSERT_TRUE(m->info.ct_info);
    EXPECT_EQ(*m->info.ct_info, ctinfo);
  }
  // A link-layer address length past the attribute's 8 bytes is capped.
  PacketBuilder b(0, 6);
  nfqnl_msg_packet_hw hw{};
  hw.hw_addrlen = htons(200);
  mnl_attr_put(const_cast<nlmsghdr*>(b.nlh()), NFQA_HWADDR, sizeof hw, &hw);
  auto m = parse_packet(b.nlh());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info.hwaddr_len, 8u);
}

TEST(ParsePacket, ShortLinkLayerAndConntrackAttributesAreRefused) {
  PacketBuilder b(0, 7);
  uint16_t two_bytes = 0;
  mnl_attr_put(const_cast<nlmsghdr*>(b.nlh()), NFQA_HWADDR, sizeof two_bytes, &two_bytes);
  // Refused whole (the library validates the size) or the attribute
  // ignored: either way no link-layer address is read from it.
  auto m = parse_packet(b.nlh());
  EXPECT_TRUE(!m || m->info.hwaddr_len == 0);
  PacketBuilder c(0, 8);
  mnl_attr_put(const_cast<nlmsghdr*>(c.nlh()), NFQA_CT_INFO, sizeof two_bytes, &two_bytes);
  m = parse_packet(c.nlh());
  EXPECT_TRUE(!m || !m->info.ct_info);
}

TEST(ParsePacket, CapLenMarksATruncatedCopy) {
  std::vector<uint8_t> pkt(64, 0xab);
  PacketBuilder b(0, 1);
  b.payload(pkt).u32(NFQA_CAP_LEN, 1400).u32(NFQA_SKB_INFO, NFQA_SKB_GSO);
  auto m = parse_packet(b.nlh());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info.copied_len, 64u);
  EXPECT_EQ(m->info.packet_len, 1400u);
  EXPECT_TRUE(m->info.truncated);
  EXPECT_TRUE(m->info.gso);
}

TEST(ParsePacket, NoPayloadIsAnEmptySpan) {
  PacketBuilder b(0, 2);
  auto m = parse_packet(b.nlh());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->payload.empty());
  EXPECT_FALSE(m->info.truncated);
}

TEST(ParsePacket, RejectsOtherTypesAndMissingHeader) {
  std::vector<uint8_t> buf(256);
  auto* nlh = nfq_nlmsg_put(reinterpret_cast<char*>(buf.data()), NFQNL_MSG_PACKET, 0);
  mnl_attr_put_u32(nlh, NFQA_MARK, htonl(1));
  EXPECT_FALSE(parse_packet(nlh)) << "no packet header: no id to answer";

  std::vector<uint8_t> v;
  std::vector<VerdictMsg> one{{1, Verdict::accept, false}};
  append_verdicts(v, 0, one);
  EXPECT_FALSE(parse_packet(reinterpret_cast<const nlmsghdr*>(v.data())));
}

TEST(ParsePacket, RejectsAShortPacketHeaderAndBadAttributeLengths) {
  std::vector<uint8_t> buf(256);
  auto* nlh = nfq_nlmsg_put(reinterpret_cast<char*>(buf.data()), NFQNL_MSG_PACKET, 0);
  uint32_t short_hdr = 0;
  mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof short_hdr, &short_hdr);
  EXPECT_FALSE(parse_packet(nlh));

  PacketBuilder b(0, 3);
  uint16_t two_bytes = 0;
  // A mark must be 4 bytes.
  mnl_attr_put(const_cast<nlmsghdr*>(b.nlh()), NFQA_MARK, sizeof two_bytes, &two_bytes);
  EXPECT_FALSE(parse_packet(b.nlh()));
}

TEST(ParseError, AckAndErrno) {
  std::vector<uint8_t> buf(256);
  auto* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = 0;
  EXPECT_EQ(parse_error(nlh), 0);
  err->error = -ENOENT;
  EXPECT_EQ(parse_error(nlh), ENOENT);
  err->error = INT_MIN;
  EXPECT_EQ(parse_error(nlh), EPROTO);
  nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
  EXPECT_FALSE(parse_error(nlh));
  PacketBuilder b(0, 1);
  EXPECT_FALSE(parse_error(b.nlh()));
}

// An NLMSG_ERROR answer carrying `code` (0: an ack).
std::vector<uint8_t> error_answer(int code) {
  std::vector<uint8_t> buf(MNL_NLMSG_HDRLEN + sizeof(nlmsgerr));
  auto* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = code;
  return buf;
}

void append(std::vector<uint8_t>& d, std::span<const uint8_t> bytes) {
  d.insert(d.end(), bytes.begin(), bytes.end());
}

struct Read {
  std::vector<uint32_t> ids;
  DatagramTally tally;
};

Read read(std::span<const uint8_t> datagram) {
  Read r;
  read_datagram(datagram, r.tally, [&](PacketMessage& m) { r.ids.push_back(m.info.packet_id); });
  return r;
}

TEST(ReadDatagram, PacketsInOrderAnswersAndMalformedCounted) {
  PacketBuilder p1(0, 1), p2(0, 2);
  std::vector<uint8_t> headerless(256);  // no packet header: no id to answer
  headerless.resize(
      nfq_nlmsg_put(reinterpret_cast<char*>(headerless.data()), NFQNL_MSG_PACKET, 0)->nlmsg_len);
  std::vector<uint8_t> d;
  append(d, p1.bytes());
  append(d, error_answer(0));
  append(d, error_answer(-ENOENT));
  append(d, headerless);
  append(d, p2.bytes());
  const Read r = read(d);
  EXPECT_EQ(r.ids, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(r.tally.error_answers, 1u);
  EXPECT_EQ(r.tally.malformed, 1u);
}

TEST(ReadDatagram, BytesAfterTheLastWholeMessageAreMalformed) {
  PacketBuilder p1(0, 1), p2(0, 2);
  std::vector<uint8_t> d;
  append(d, p1.bytes());
  append(d, p2.bytes());
  EXPECT_EQ(read(d).ids, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(read(d).tally.malformed, 0u);
  d.resize(d.size() - 3);
  const Read r = read(d);
  EXPECT_EQ(r.ids, (std::vector<uint32_t>{1}));
  EXPECT_EQ(r.tally.malformed, 1u);
}

// The kernel sets nlmsg_len to the end of the payload, unrounded, and
// sends no padding after the last message: the reader pads the datagram in
// its slot.
TEST(ReadDatagram, AnUnpaddedKernelPacketIsReadOncePadded) {
  PacketBuilder p1(0, 1), p2(0, 2);
  p2.payload({0x45, 0, 0, 5, 0});
  std::vector<uint8_t> slot;
  append(slot, p1.bytes());
  append(slot, p2.bytes());
  const size_t received = slot.size() - 3;
  reinterpret_cast<nlmsghdr*>(slot.data() + p1.bytes().size())->nlmsg_len -= 3;
  EXPECT_EQ(read(std::span(slot).first(received)).ids, (std::vector<uint32_t>{1}));

  std::vector<uint8_t> payload;
  DatagramTally tally;
  read_datagram(pad_netlink_datagram(slot, received), tally,
                [&](PacketMessage& m) { payload.assign(m.payload.begin(), m.payload.end()); });
  EXPECT_EQ(payload, (std::vector<uint8_t>{0x45, 0, 0, 5, 0}));
  EXPECT_EQ(tally.malformed, 0u);
}

// The last message says 3 bytes less than its attributes take and its
// padding is missing: libmnl would read the attributes up to the rounded
// length, 3 bytes past the datagram's end.
TEST(ReadDatagram, AnUnalignedLastMessagePassingTheEndIsNotParsed) {
  PacketBuilder p1(0, 1), p2(0, 2);
  p2.payload({0x45, 0, 0, 28, 0, 0, 0, 0});
  ASSERT_EQ(p2.bytes().size() % 4, 0u);
  std::vector<uint8_t> d;
  append(d, p1.bytes());
  append(d, p2.bytes());
  d.resize(d.size() - 3);
  reinterpret_cast<nlmsghdr*>(d.data() + p1.bytes().size())->nlmsg_len -= 3;
  const Read r = read(d);
  EXPECT_EQ(r.ids, (std::vector<uint32_t>{1}));
  EXPECT_EQ(r.tally.malformed, 1u);
}

// mnl_nlmsg_ok takes these for negative lengths, and steps by 0 over
// 0xffffffff (rounded up, it wraps to 0).
TEST(ReadDatagram, LengthsOf2GiBAndMoreAreNotParsed) {
  for (uint32_t len : {0x80000000u, 0xffffffffu}) {
    SCOPED_TRACE(len);
    PacketBuilder p1(0, 1), p2(0, 2);
    std::vector<uint8_t> d;
    append(d, p1.bytes());
    append(d, p2.bytes());
    reinterpret_cast<nlmsghdr*>(d.data() + p1.bytes().size())->nlmsg_len = len;
    const Read r = read(d);
    EXPECT_EQ(r.ids, (std::vector<uint32_t>{1}));
    EXPECT_EQ(r.tally.malformed, 1u);
  }
}

TEST(Limits, CopyRangeAndVerdictSize) {
  EXPECT_EQ(max_copy_range(), 0xffffu - 4);
  EXPECT_EQ(verdict_msg_size(), 32u);
}

}  // namespace
}  // namespace icmpwall::queue
