// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for the packet builder the validator tests use (icmp_builder.h):
// its output equals, byte for byte, packets built with scapy, so the
// lengths and checksums the validator tests rely on come from an
// independent implementation.
#include <gtest/gtest.h>

#include "icmp_builder.h"
#include "icmpwall/inspect/decode/packet.h"

using namespace icmpwall::inspect;
using namespace icmpwall::inspect::testing;

namespace {

// IP(src="198.18.0.1", dst="198.18.0.2")/ICMP(type=5, code=1, gw="198.18.0.3")/
//   raw(IP(src="198.18.0.2", dst="198.18.9.9", proto=1, len=84)/
//       ICMP(type=0, id=0x1234, seq=1, chksum=0))[:28]
constexpr const char* kScapyRedirectV4 =
    "45000038000100004001ee9cc6120001c6120002050122b4c612000345000054000100004001e578c6120002"
    "c61209090000000012340001";

// IPv6(src="fe80::1", dst="2001:db8::2", hlim=255)/
//   ICMPv6ND_Redirect(tgt="fe80::3", dst="2001:db8:9::9")/
//   ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:03")/
//   ICMPv6NDOptRedirectedHdr(pkt=raw(IPv6(src="2001:db8::2", dst="2001:db8:9::9", nh=58,
//       plen=64)/ICMPv6EchoRequest(id=0x1234, seq=1, cksum=0))[:48])
constexpr const char* kScapyRedirectV6 =
    "6000000000683afffe80000000000000000000000000000120010db800000000000000000000000289008d89"
    "00000000fe80000000000000000000000000000320010db80009000000000000000000090201020000000003"
    "04070000000000006000000000403a4020010db800000000000000000000000220010db80009000000000000"
    "000000098000000012340001";

TEST(IcmpBuilderTest, RedirectV4MatchesScapy) {
  Bytes inner = quoted_v4(v4("198.18.0.2"), v4("198.18.9.9"), 1, echo_header(0, 0x1234, 1), 64);
  Bytes b = icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 5, 1, 0xc6120003, inner);
  EXPECT_EQ(to_hex(b), kScapyRedirectV4);
  auto p = decode_packet(b);
  ASSERT_TRUE(p);
  EXPECT_TRUE(icmp_checksum_ok(*p.value, b));
}

TEST(IcmpBuilderTest, RedirectV6MatchesScapy) {
  Bytes inner =
      quoted_v6(v6("2001:db8::2"), v6("2001:db8:9::9"), 58, echo_header(128, 0x1234, 1), 64);
  Bytes options = tlla_option({2, 0, 0, 0, 0, 3});
  append(options, redirected_header_option(inner));
  Bytes b = icmp6(v6("fe80::1"), v6("2001:db8::2"), 137, 0, 0,
                  redirect_v6_body(v6("fe80::3"), v6("2001:db8:9::9"), options), 255);
  EXPECT_EQ(to_hex(b), kScapyRedirectV6);
  auto p = decode_packet(b);
  ASSERT_TRUE(p);
  EXPECT_TRUE(icmp_checksum_ok(*p.value, b));
}

}  // namespace
