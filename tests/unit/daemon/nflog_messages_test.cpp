// SPDX-License-Identifier: GPL-2.0-or-later
// daemon/nflog_messages.cpp: the bind request the kernel expects, and the
// packet parser against crafted messages, hostile ones included.
#include "icmpwall/daemon/nflog_messages.h"

#include <gtest/gtest.h>

#include <climits>

#include "../inspect/icmp_builder.h"
#include "nflog_test_messages.h"

namespace icmpwall::daemon {
namespace {

using namespace testing;
using inspect::testing::icmp4;
using inspect::testing::v4;

const nlmsghdr* header(const Bytes& b) {
  return reinterpret_cast<const nlmsghdr*>(b.data());
}

Bytes echo() {
  return icmp4(v4("198.18.1.2"), v4("198.18.2.2"), 13, 0, 0, {});
}

TEST(NflogMessages, BindAsksForPacketsWithACopyRangeAndNoBatching) {
  Bytes buf(nflog_config_size());
  const size_t len = build_nflog_config(buf, NflogCommand::bind, 513, 256, 9);
  ASSERT_LE(len, buf.size());
  const nlmsghdr* nlh = header(buf);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(nlh->nlmsg_seq, 9u);
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ntohs(nfg->res_id), 513);
  const nlattr* attr[NFULA_CFG_MAX + 1] = {};
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* a, void* data) {
        if (mnl_attr_get_type(a) <= NFULA_CFG_MAX)
          static_cast<const nlattr**>(data)[mnl_attr_get_type(a)] = a;
        return MNL_CB_OK;
      },
      attr);
  ASSERT_TRUE(attr[NFULA_CFG_CMD] && attr[NFULA_CFG_MODE] && attr[NFULA_CFG_QTHRESH]);
  EXPECT_EQ(
      static_cast<const nfulnl_msg_config_cmd*>(mnl_attr_get_payload(attr[NFULA_CFG_CMD]))->command,
      NFULNL_CFG_CMD_BIND);
  const auto* mode =
      static_cast<const nfulnl_msg_config_mode*>(mnl_attr_get_payload(attr[NFULA_CFG_MODE]));
  EXPECT_EQ(mode->copy_mode, NFULNL_COPY_PACKET);
  EXPECT_EQ(ntohl(mode->copy_range), 256u);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(attr[NFULA_CFG_QTHRESH])), 1u);

  const size_t unbind = build_nflog_config(buf, NflogCommand::unbind, 513, 256, 10);
  EXPECT_LT(unbind, len);  // only the command
}

TEST(NflogMessages, PacketFieldsAreRead) {
  NflogMessageSpec s;
  s.payload = echo();
  s.indev = 7;
  const Bytes b = nflog_message(s);
  auto m = parse_nflog_packet(header(b));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group, 3);
  EXPECT_EQ(m->family, NFPROTO_IPV4);
  EXPECT_EQ(m->hook, 1);
  EXPECT_EQ(m->hw_protocol, 0x0800);
  EXPECT_EQ(m->prefix, "icmpwall no-ts ");  // without its NUL
  EXPECT_EQ(m->indev, 7u);
  EXPECT_EQ(m->outdev, 0u);
  EXPECT_FALSE(m->timestamp);
  EXPECT_EQ(Bytes(m->payload.begin(), m->payload.end()), s.payload);
}

// A timestamp is taken only when the system clock can hold it: a huge
// one (found by the fuzzer) overflowed converting seconds to nanoseconds.
TEST(NflogMessages, OnlySaneTimestampsAreTaken) {
  NflogMessageSpec s;
  s.timestamp = {1'764'979'200, 999'999};
  auto m = parse_nflog_packet(header(nflog_message(s)));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->timestamp, s.timestamp);
  for (std::pair<int64_t, int64_t> bad : {std::pair<int64_t, int64_t>{23'644'748'475'219'968, 0},
                                          {kMaxNflogSeconds + 1, 0},
                                          {70'484'455'936, 123'456},
                                          {-1, 0},
                                          {1'764'979'200, 1'000'000},
                                          {1'764'979'200, -1},
                                          {INT64_MIN, INT64_MIN}}) {
    s.timestamp = bad;
    m = parse_nflog_packet(header(nflog_message(s)));
    ASSERT_TRUE(m) << bad.first;
    EXPECT_FALSE(m->timestamp) << bad.first << " " << bad.second;
  }
}

TEST(NflogMessages, MissingPrefixAndPayloadAreAbsentNotErrors) {
  NflogMessageSpec s;
  s.prefix.reset();
  auto m = parse_nflog_packet(header(nflog_message(s)));
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->prefix);
  EXPECT_TRUE(m->payload.empty());
}

TEST(NflogMessages, PrefixWithoutNulIsCutAtItsLimit) {
  NflogMessageSpec s;
  s.prefix.reset();
  Bytes b = nflog_message(s);
  // A 300-byte prefix attribute with no NUL at all.
  auto* nlh = reinterpret_cast<nlmsghdr*>(b.data());
  b.resize(b.size() + 512);
  nlh = reinterpret_cast<nlmsghdr*>(b.data());
  const std::string big(300, 'x');
  mnl_attr_put(nlh, NFULA_PREFIX, big.size(), big.data());
  auto m = parse_nflog_packet(nlh);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->prefix, std::string(kMaxNflogPrefix, 'x'));
}

TEST(NflogMessages, HostileMessagesAreRefusedOrIgnored) {
  NflogMessageSpec s;
  s.payload = echo();
  const Bytes good = nflog_message(s);

  // No packet header: refused.
  NflogMessageSpec no_hdr = s;
  no_hdr.packet_hdr = false;
  EXPECT_FALSE(parse_nflog_packet(header(nflog_message(no_hdr))));

  // Another message type.
  Bytes other = good;
  reinterpret_cast<nlmsghdr*>(other.data())->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8);
  EXPECT_FALSE(parse_nflog_packet(header(other)));

  // Too short for its nfgenmsg.
  Bytes tiny = good;
  reinterpret_cast<nlmsghdr*>(tiny.data())->nlmsg_len = sizeof(nlmsghdr) + 2;
  EXPECT_FALSE(parse_nflog_packet(header(tiny)));

  // A packet header attribute shorter than the struct: refused.
  Bytes short_hdr = good;
  auto* a =
      reinterpret_cast<nlattr*>(short_hdr.data() + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg)));
  ASSERT_EQ(a->nla_type, NFULA_PACKET_HDR);
  a->nla_len = MNL_ATTR_HDRLEN + 1;
  EXPECT_FALSE(parse_nflog_packet(header(short_hdr)));

  // The message cut inside its payload attribute (its length runs past
  // the end): what fits is read, the cut attribute is not.
  Bytes cut = good;
  reinterpret_cast<nlmsghdr*>(cut.data())->nlmsg_len = static_cast<uint32_t>(good.size() - 10);
  auto m = parse_nflog_packet(header(cut));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->payload.empty());

  // The packet header claiming a huge length: the walk stops there, and
  // without a packet header the message is refused.
  Bytes huge = good;
  a = reinterpret_cast<nlattr*>(huge.data() + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg)));
  a->nla_len = 0xffff;
  EXPECT_FALSE(parse_nflog_packet(header(huge)));

  // An interface index attribute of 2 bytes: refused, never read past.
  NflogMessageSpec bare = s;
  bare.indev = 0;
  Bytes short_if = nflog_message(bare);
  short_if.resize(short_if.size() + 64);
  auto* nlh = reinterpret_cast<nlmsghdr*>(short_if.data());
  const uint16_t two = 1;
  mnl_attr_put(nlh, NFULA_IFINDEX_INDEV, sizeof two, &two);
  EXPECT_FALSE(parse_nflog_packet(nlh));
}

TEST(NflogMessages, ErrorsAndAcks) {
  Bytes b(MNL_SOCKET_BUFFER_SIZE);
  auto* nlh = mnl_nlmsg_put_header(b.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = -EBUSY;
  EXPECT_EQ(parse_nflog_error(nlh), EBUSY);
  err->error = 0;
  EXPECT_EQ(parse_nflog_error(nlh), 0);
  // Values the kernel never sends (INT_MIN has no negation) are EPROTO.
  for (int bad : {INT_MIN, -4096, 1, INT_MAX}) {
    err->error = bad;
    EXPECT_EQ(parse_nflog_error(nlh), EPROTO) << bad;
  }
  nlh->nlmsg_len = sizeof(nlmsghdr) + 2;
  EXPECT_FALSE(parse_nflog_error(nlh));
}

}  // namespace
}  // namespace icmpwall::daemon
