// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for the known-tool layouts (src/inspect/detect/tunnel_layouts.cpp).
#include "icmpwall/inspect/detect/tunnel_layouts.h"

#include <gtest/gtest.h>

#include "detect_packets.h"

using namespace icmpwall::inspect;
using namespace detect_test;

namespace {

// IP/ICMP echo carrying IP/TCP (an icmptunnel packet), built with scapy.
constexpr std::string_view kIcmptunnelV4 =
    "45000083000700004001ee4bc6120001c61200020800f5f942420003450000670001000040063aab0a0900025db8"
    "d8229c4001bb000000010000000150182000103e0000170303000102030405060708090a0b0c0d0e0f1011121314"
    "15161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b";
// IPv6/ICMPv6 echo with a hans client data packet ("hanc", 7, IPv6/UDP), built with scapy.
constexpr std::string_view kHansV6 =
    "6000000000693a4020010db800000000000000000000000120010db8000000000000000000000002800005971111"
    "000968616e6307600000000034114020010db800090000000000000000000220010db80099000000000000000000"
    "0114e9003500347b1d12340100000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000";

LayoutMatch match(const Bytes& p) {
  return match_tunnel_layout(p, p.size());
}

TEST(Ptunnel, DefaultMagics) {
  std::mt19937 rng(1);
  const Bytes data = random_bytes(1024, rng);
  auto m = match(ptunnel(0xD5200880, 2 | kUserFlag, data));
  EXPECT_EQ(m.layout, TunnelLayout::ptunnel);
  EXPECT_TRUE(m.default_magic);
  m = match(ptunnel(0xDEADC0DE, 0 | kUserFlag, {}, 0x0a000001, 22));
  EXPECT_EQ(m.layout, TunnelLayout::ptunnel);
  EXPECT_TRUE(m.default_magic);
}

TEST(Ptunnel, ChangedMagicRecognisedByLayout) {
  std::mt19937 rng(2);
  for (uint32_t magic : {0x11223344u, 0u, 0xffffffffu}) {
    for (uint32_t state : {0u, 1u, 2u, 3u, 4u}) {
      for (uint32_t flag : {kUserFlag, kProxyFlag}) {
        const Bytes p = ptunnel(magic, state | flag, random_bytes(state == 2 ? 700 : 0, rng));
        auto m = match(p);
        EXPECT_EQ(m.layout, TunnelLayout::ptunnel) << magic << " " << state;
        EXPECT_FALSE(m.default_magic);
      }
    }
  }
}

TEST(Ptunnel, InconsistentFieldsAreNotPtunnel) {
  Bytes p = ptunnel(0xD5200880, 2 | kUserFlag, Bytes(100, 0x55));
  EXPECT_TRUE(match_ptunnel(p, p.size()));
  // data length off by one
  EXPECT_FALSE(match_ptunnel(p, p.size() + 1));
  // no direction flag, both flags, a state past authenticate, a port past 16 bits
  EXPECT_FALSE(match_ptunnel(ptunnel(1, 2, Bytes(10, 1)), 38));
  EXPECT_FALSE(match_ptunnel(ptunnel(1, 2 | kUserFlag | kProxyFlag, Bytes(10, 1)), 38));
  EXPECT_FALSE(match_ptunnel(ptunnel(1, 5 | kUserFlag, Bytes(10, 1)), 38));
  EXPECT_FALSE(match_ptunnel(ptunnel(1, 2 | kUserFlag, Bytes(10, 1), 0, 0x10000), 38));
  // shorter than the header
  p.resize(27);
  EXPECT_FALSE(match_ptunnel(p, 27));
}

TEST(Ptunnel, TruncatedCopyChecksClaimedLength) {
  const Bytes p = ptunnel(0x01020304, 2 | kProxyFlag, Bytes(1000, 0x33));
  const Bytes cut(p.begin(), p.begin() + 100);
  EXPECT_TRUE(match_ptunnel(cut, p.size()));
  EXPECT_FALSE(match_ptunnel(cut, cut.size()));
}

TEST(Hans, ControlAndData) {
  EXPECT_EQ(match(hans("hanc", 8, {})).layout, TunnelLayout::hans);               // poll
  EXPECT_EQ(match(hans("hans", 5, {10, 1, 2, 100})).layout, TunnelLayout::hans);  // accept
  EXPECT_EQ(match(hans("hanc", 4, Bytes(20, 7))).layout, TunnelLayout::hans);     // response
  EXPECT_EQ(match(hans("hans", 7, inner_ipv4_tcp(text("GET / HTTP/1.1\r\n")))).layout,
            TunnelLayout::hans);
  // wrong type, a poll with a body, data that is not a packet
  EXPECT_FALSE(match_hans(hans("hanc", 0, {}), 5));
  EXPECT_FALSE(match_hans(hans("hanc", 8, {1, 2, 3}), 8));
  EXPECT_FALSE(match_hans(hans("hans", 7, Bytes(60, 0x99)), 65));
  EXPECT_FALSE(match_hans(text("hanx\x08"), 5));
}

TEST(Hans, FromScapy) {
  auto w = wire(from_hex(kHansV6));
  auto m = match(Bytes(w.packet.payload.begin(), w.packet.payload.end()));
  EXPECT_EQ(m.layout, TunnelLayout::hans);
}

TEST(Pingtunnel, ProtobufMessage) {
  std::mt19937 rng(3);
  const Bytes data = random_bytes(300, rng);
  auto m = match(pingtunnel("b2c0d0a4-1f4a-4c55-9f1e-0c6a6d4b7e21", 0, "10.0.0.5:22", data));
  EXPECT_EQ(m.layout, TunnelLayout::pingtunnel);
  EXPECT_TRUE(m.default_magic);
  // A ping message: no id, type PING, a changed magic.
  m = match(pingtunnel("", 1, "", random_bytes(8, rng), 0x1234));
  EXPECT_EQ(m.layout, TunnelLayout::pingtunnel);
  EXPECT_FALSE(m.default_magic);
}

TEST(Pingtunnel, BrokenFramingIsNot) {
  Bytes p = pingtunnel("abc", 0, "1.2.3.4:80", Bytes(50, 1));
  p.push_back(0);  // trailing byte: field 0
  EXPECT_FALSE(match_pingtunnel(p, p.size()));
  Bytes q = pingtunnel("abc", 0, "1.2.3.4:80", Bytes(50, 1));
  q[0] = 0x08;  // id as a varint: wrong wire type
  EXPECT_FALSE(match_pingtunnel(q, q.size()));
}

TEST(IpPacket, AtStartAndAfterAHeader) {
  auto w = wire(from_hex(kIcmptunnelV4));
  Bytes payload(w.packet.payload.begin(), w.packet.payload.end());
  auto m = match(payload);
  EXPECT_EQ(m.layout, TunnelLayout::ip_packet);
  EXPECT_EQ(m.offset, 0u);
  Bytes with_header = text("TUN1");
  with_header.insert(with_header.end(), payload.begin(), payload.end());
  m = find_ip_packet(with_header, with_header.size());
  EXPECT_TRUE(m);
  EXPECT_EQ(m.offset, 4u);
  // corrupt the inner header checksum
  payload[10] ^= 1;
  EXPECT_FALSE(find_ip_packet(payload, payload.size()));
}

TEST(IpPacket, Ipv6Inner) {
  Bytes v6(40, 0);
  v6[0] = 0x60;
  v6[5] = 24;  // payload length
  v6[6] = 17;
  v6.resize(64, 0x42);
  EXPECT_TRUE(find_ip_packet(v6, v6.size()));
  EXPECT_FALSE(find_ip_packet(v6, v6.size() + 1));
}

TEST(Layouts, RealPingsAndRandomDataMatchNothing) {
  EXPECT_FALSE(match(iputils(56, 1700000000, 1)));
  EXPECT_FALSE(match(iputils(1400, 1700000000, 1)));
  EXPECT_FALSE(match(busybox(28, 0)));
  EXPECT_FALSE(match(busybox(56, 0x01020304)));
  EXPECT_FALSE(match(macos(56, 1700000000, 1)));
  EXPECT_FALSE(match(windows()));
  std::mt19937 rng(4);
  int hits = 0;
  for (int i = 0; i < 200000; ++i) {
    hits += static_cast<bool>(match(random_bytes(8 + rng() % 120, rng)));
  }
  EXPECT_EQ(hits, 0);
}

}  // namespace
