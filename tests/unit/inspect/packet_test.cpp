// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for the packet decoder (src/inspect/decode/packet_ip.cpp, packet_icmp.cpp).
//
// Fixture packets were built with scapy and are kept as hex, so their
// checksums come from an independent implementation. Malformed variants are
// those packets with one field patched, or small IPv6 extension chains
// assembled here byte by byte.
#include "icmpwall/inspect/decode/packet.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace icmpwall::inspect;

namespace {

using Bytes = std::vector<uint8_t>;

// echo_v4
constexpr std::string_view kEchoV4 =
    "45000054000100004001ee80c6120001c61200020800b89d1234000178787878787878787878787878787878"
    "78787878787878787878787878787878787878787878787878787878787878787878787878787878";
// echo_v6
constexpr std::string_view kEchoV6 =
    "6000000000403a4020010db800000000000000000000000120010db80000000000000000000000028000e4ad"
    "1234000178787878787878787878787878787878787878787878787878787878787878787878787878787878"
    "78787878787878787878787878787878";
// echo_v4_options
constexpr std::string_view kEchoV4Options =
    "470000340002000040015699c6120001c6120002940400000101010108000a10222200027979797979797979"
    "7979797979797979";
// frag_needed_udp
constexpr std::string_view kFragNeededUdp =
    "45000038000300004001ed9dc61200fec61200020304ed0300000578450005f80007400040119fbec6120002"
    "c612090914e9003505e4ef7d";
// unreach_tcp
constexpr std::string_view kUnreachTcp =
    "45000044000400004001ed90c61200fec6120002030d923d0000000045000028000800004006e598c6120002"
    "c61209099c4001bb0000000000000000500220005cb70000";
// time_exceeded_echo
constexpr std::string_view kTimeExceededEcho =
    "45000038000500004001ed9bc61200fec61200020b005a6500000000450000540009000001012471c6120002"
    "c61209090800505142420007";
// ptb_v6
constexpr std::string_view kPtbV6 =
    "6000000000683a4020010db80000000000000000000000fe20010db8000000000000000000000002020013a6"
    "00000500600000000580113f20010db800000000000000000000000220010db8000900000000000000000009"
    "829a829b058020bf707070707070707070707070707070707070707070707070707070707070707070707070"
    "707070707070707070707070";
// redirect
constexpr std::string_view kRedirect =
    "45000038000600004001ed9ac61200fec612000205019954c61200fd450000540009000001012471c6120002"
    "c61209090800505142420007";
// v6_ext_chain
constexpr std::string_view kV6ExtChain =
    "600000000040004020010db800000000000000000000000120010db80000000000000000000000023c000104"
    "000000002c000104000000003a0000010000abcd800078795555000365656565656565656565656565656565"
    "65656565656565656565656565656565";
// v4_first_fragment
constexpr std::string_view kV4FirstFragment =
    "4500003c000a20004001ce8fc6120001c612000208005e623333000466666666666666666666666666666666"
    "66666666666666666666666666666666";
// v4_later_fragment
constexpr std::string_view kV4LaterFragment =
    "4500002c000a00054001ee9ac6120001c6120002676767676767676767676767676767676767676767676767";
// v6_later_fragment
constexpr std::string_view kV6LaterFragment =
    "6000000000202c4020010db800000000000000000000000120010db80000000000000000000000023a000028"
    "0000abcd686868686868686868686868686868686868686868686868";
// udp_v4
constexpr std::string_view kUdpV4 =
    "45000020000100004011eea4c6120001c612000200010002000caee461626364";
// time_exceeded_v6_echo
constexpr std::string_view kTimeExceededV6Echo =
    "6000000000403a4020010db80000000000000000000000fe20010db80000000000000000000000020300064c"
    "000000006000000000103a0120010db800000000000000000000000220010db8000900000000000000000009"
    "8000dfe1666600097777777777777777";
// echo_v4_odd
constexpr std::string_view kEchoV4Odd =
    "45000055000b00004001ee75c6120001c61200020800e152777700056f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f"
    "6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f";
// echo_v6_odd
constexpr std::string_view kEchoV6Odd =
    "6000000000413a4020010db800000000000000000000000120010db800000000000000000000000280000d62"
    "777700056f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f"
    "6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f";

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

Bytes set8(Bytes b, size_t off, uint8_t v) {
  b.at(off) = v;
  return b;
}

Bytes set16(Bytes b, size_t off, uint16_t v) {
  b.at(off) = static_cast<uint8_t>(v >> 8);
  b.at(off + 1) = static_cast<uint8_t>(v);
  return b;
}

// The first n bytes of an IPv4 packet, its total length saying so.
Bytes cut_v4(const Bytes& b, size_t n) {
  return set16(Bytes(b.begin(), b.begin() + n), 2, n);
}
// The first n bytes of an IPv6 packet, its payload length saying so.
Bytes cut_v6(const Bytes& b, size_t n) {
  return set16(Bytes(b.begin(), b.begin() + n), 4, n - 40);
}

Address v4(const char* text) {
  Address a{Family::ipv4, {}};
  inet_pton(AF_INET, text, a.bytes.data());
  return a;
}

Address v6(const char* text) {
  Address a{Family::ipv6, {}};
  inet_pton(AF_INET6, text, a.bytes.data());
  return a;
}

Decoded<Packet> decode(const Bytes& b) {
  return decode_packet(b);
}
Decoded<Packet> decode_cut(const Bytes& b) {
  return decode_packet(b, {.allow_truncated = true});
}

// The error a decode failed with; fails the test if it did not fail.
DecodeError error_of(const Decoded<Packet>& d) {
  EXPECT_FALSE(d) << "decoded, expected an error";
  return d.error;
}

bool within(std::span<const uint8_t> s, const Bytes& b) {
  return s.data() >= b.data() && s.data() + s.size() <= b.data() + b.size();
}

// --- IPv6 extension chains built by hand ----------------------------------

constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kEsp = 50, kAh = 51, kNoNext = 59,
                  kDestOpts = 60, kIcmpv6 = 58;

// An 8-byte-unit extension header of `len` bytes (a multiple of 8).
Bytes ext(uint8_t next, size_t len) {
  Bytes h(len, 0);
  h[0] = next;
  h[1] = static_cast<uint8_t>(len / 8 - 1);
  return h;
}

// An AH header whose length byte is `len_field` ((len_field + 2) * 4 bytes).
Bytes ah(uint8_t next, uint8_t len_field) {
  Bytes h((len_field + 2) * 4, 0);
  h[0] = next;
  h[1] = len_field;
  return h;
}

Bytes frag(uint8_t next, uint16_t offset_bytes, bool more) {
  Bytes h(8, 0);
  h[0] = next;
  uint16_t f = static_cast<uint16_t>(offset_bytes | (more ? 1 : 0));
  h[2] = static_cast<uint8_t>(f >> 8);
  h[3] = static_cast<uint8_t>(f);
  return h;
}

// An ICMPv6 echo request (checksum not computed).
Bytes echo6() {
  return {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'a', 'b', 'c', 'd'};
}

// 2001:db8::1 -> 2001:db8::2 with the given first next header and the
// extension headers and upper layer concatenated in `rest`.
Bytes v6_packet(uint8_t first_next, std::vector<Bytes> parts) {
  Bytes rest;
  for (const auto& p : parts) rest.insert(rest.end(), p.begin(), p.end());
  Bytes b =
      hex("6000000000000040"
          "20010db8000000000000000000000001"
          "20010db8000000000000000000000002");
  b[6] = first_next;
  b = set16(b, 4, static_cast<uint16_t>(rest.size()));
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

// --- Informational messages -------------------------------------------------

TEST(PacketDecodeTest, EchoRequestV4) {
  Bytes b = hex(kEchoV4);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  const Packet& p = *d.value;
  EXPECT_EQ(p.ip.family, Family::ipv4);
  EXPECT_EQ(p.ip.src, v4("198.18.0.1"));
  EXPECT_EQ(p.ip.dst, v4("198.18.0.2"));
  EXPECT_EQ(p.ip.ttl, 64);
  EXPECT_EQ(p.ip.protocol, 1);
  EXPECT_EQ(p.ip.header_len, 20u);
  EXPECT_EQ(p.ip.total_len, 84u);
  EXPECT_FALSE(p.ip.fragment);
  EXPECT_EQ(p.icmp.type, 8);
  EXPECT_EQ(p.icmp.code, 0);
  EXPECT_EQ(p.icmp.checksum, 0xb89d);
  EXPECT_EQ(p.icmp.id(), 0x1234);
  EXPECT_EQ(p.icmp.seq(), 1);
  ASSERT_EQ(p.payload.size(), 56u);
  EXPECT_EQ(p.payload.data(), b.data() + 28);
  for (uint8_t c : p.payload) EXPECT_EQ(c, 'x');
  EXPECT_FALSE(p.is_error);
  EXPECT_FALSE(p.embedded);
  EXPECT_FALSE(p.embedded_error);
  EXPECT_FALSE(p.truncated);
}

TEST(PacketDecodeTest, EchoRequestV6) {
  Bytes b = hex(kEchoV6);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  const Packet& p = *d.value;
  EXPECT_EQ(p.ip.family, Family::ipv6);
  EXPECT_EQ(p.ip.src, v6("2001:db8::1"));
  EXPECT_EQ(p.ip.dst, v6("2001:db8::2"));
  EXPECT_NE(p.ip.src, v4("32.1.13.184"));  // same leading bytes, other family
  EXPECT_EQ(p.ip.ttl, 64);
  EXPECT_EQ(p.ip.protocol, 58);
  EXPECT_EQ(p.ip.header_len, 40u);
  EXPECT_EQ(p.ip.total_len, 104u);
  EXPECT_EQ(p.icmp.type, 128);
  EXPECT_EQ(p.icmp.id(), 0x1234);
  EXPECT_EQ(p.icmp.seq(), 1);
  ASSERT_EQ(p.payload.size(), 56u);
  EXPECT_EQ(p.payload.data(), b.data() + 48);
  EXPECT_FALSE(p.is_error);
}

TEST(PacketDecodeTest, V4OptionsAreSkipped) {
  Bytes b = hex(kEchoV4Options);  // router alert + 4 NOPs: IHL 7
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_EQ(d.value->ip.header_len, 28u);
  EXPECT_EQ(d.value->icmp.type, 8);
  EXPECT_EQ(d.value->icmp.id(), 0x2222);
  ASSERT_EQ(d.value->payload.size(), 16u);
  EXPECT_EQ(d.value->payload[0], 'y');
}

TEST(PacketDecodeTest, V4OptionsAreBoundsChecked) {
  Bytes b = hex(kEchoV4Options);
  // Router alert claims 5 bytes: 4 + 4 NOPs still fits; 9 runs past the options.
  EXPECT_TRUE(decode(set8(b, 21, 8)));
  EXPECT_EQ(error_of(decode(set8(b, 21, 9))), DecodeError::bad_header_len);
  // Option lengths 0 and 1 cannot be (a multi-byte option is at least 2).
  EXPECT_EQ(error_of(decode(set8(b, 21, 0))), DecodeError::bad_header_len);
  EXPECT_EQ(error_of(decode(set8(b, 21, 1))), DecodeError::bad_header_len);
  // A kind byte as the last option byte has no room for its length.
  EXPECT_EQ(error_of(decode(set8(b, 27, 0x07))), DecodeError::bad_header_len);
  // End-of-list: whatever follows it is padding.
  EXPECT_TRUE(decode(set8(set8(b, 24, 0), 25, 0x99)));
}

TEST(PacketDecodeTest, V4FirstFragmentDecodes) {
  Bytes b = hex(kV4FirstFragment);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_TRUE(d.value->ip.fragment);
  EXPECT_EQ(d.value->ip.fragment_offset, 0);
  EXPECT_EQ(d.value->icmp.id(), 0x3333);
  EXPECT_EQ(d.value->payload.size(), 32u);
  // Only part of the message: the checksum cannot be checked.
  EXPECT_FALSE(icmp_checksum_ok(*d.value, b));
}

TEST(PacketDecodeTest, V4LaterFragmentHasNoIcmpHeader) {
  Bytes b = hex(kV4LaterFragment);  // offset 5 (40 bytes), no MF: the last one
  EXPECT_EQ(error_of(decode(b)), DecodeError::fragment);
  auto ip = decode_ip(b);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip.value->fragment);
  EXPECT_EQ(ip.value->fragment_offset, 40);
  EXPECT_EQ(ip.value->protocol, 1);
}

TEST(PacketDecodeTest, V6ExtensionChainIsWalked) {
  // hop-by-hop, destination options, fragment (first, more follow), ICMPv6.
  Bytes b = hex(kV6ExtChain);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_EQ(d.value->ip.header_len, 64u);
  EXPECT_EQ(d.value->ip.protocol, 58);
  EXPECT_TRUE(d.value->ip.fragment);
  EXPECT_EQ(d.value->ip.fragment_offset, 0);
  EXPECT_EQ(d.value->icmp.type, 128);
  EXPECT_EQ(d.value->icmp.id(), 0x5555);
  EXPECT_EQ(d.value->payload.size(), 32u);
}

TEST(PacketDecodeTest, V6LaterFragment) {
  Bytes b = hex(kV6LaterFragment);
  EXPECT_EQ(error_of(decode(b)), DecodeError::fragment);
  auto ip = decode_ip(b);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip.value->fragment_offset, 40);
  EXPECT_EQ(ip.value->header_len, 48u);
  EXPECT_EQ(ip.value->protocol, 58);  // what the first fragment started with
  // A later fragment whose fragmentable part starts with another extension
  // header is still a fragment, not "not ICMP".
  Bytes other = v6_packet(kFragment, {frag(kDestOpts, 8, false), Bytes(16, 0)});
  EXPECT_EQ(error_of(decode(other)), DecodeError::fragment);
}

TEST(PacketDecodeTest, V6AtomicFragmentIsNotAFragment) {
  auto d = decode(v6_packet(kFragment, {frag(kIcmpv6, 0, false), echo6()}));
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_FALSE(d.value->ip.fragment);
  EXPECT_EQ(d.value->ip.header_len, 48u);
}

TEST(PacketDecodeTest, V6RoutingAndAh) {
  // AH length is in 4-byte units plus 2: length byte 4 -> 24 bytes.
  auto d = decode(v6_packet(kRouting, {ext(kAh, 24), ah(kIcmpv6, 4), echo6()}));
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_EQ(d.value->ip.header_len, 40u + 24 + 24);
  EXPECT_EQ(d.value->icmp.id(), 0x1234);
  // Read as 8-byte units the AH would end elsewhere: the ICMP header must
  // come from exactly 24 bytes on.
  EXPECT_EQ(d.value->payload.size(), 4u);
}

TEST(PacketDecodeTest, V6ChainEnds) {
  auto esp = decode(v6_packet(kDestOpts, {ext(kEsp, 8), Bytes(16, 0xee)}));
  EXPECT_EQ(error_of(esp), DecodeError::not_icmp);
  auto esp_ip = decode_ip(v6_packet(kDestOpts, {ext(kEsp, 8), Bytes(16, 0xee)}));
  ASSERT_TRUE(esp_ip);
  EXPECT_EQ(esp_ip.value->protocol, kEsp);
  EXPECT_EQ(esp_ip.value->header_len, 48u);
  EXPECT_EQ(error_of(decode(v6_packet(kNoNext, {}))), DecodeError::not_icmp);
  EXPECT_EQ(error_of(decode(v6_packet(17, {Bytes(8, 0)}))), DecodeError::not_icmp);
}

TEST(PacketDecodeTest, V6ChainIsBounded) {
  std::vector<Bytes> parts(kMaxExtHeaders, ext(kDestOpts, 8));
  parts.back()[0] = kIcmpv6;
  parts.push_back(echo6());
  auto longest = decode(v6_packet(kDestOpts, parts));
  ASSERT_TRUE(longest) << to_string(longest.error);
  EXPECT_EQ(longest.value->ip.header_len, 40u + 8 * kMaxExtHeaders);

  parts.back() = ext(kIcmpv6, 8);  // one more header
  parts.back()[0] = kIcmpv6;
  parts[kMaxExtHeaders - 1][0] = kDestOpts;
  parts.push_back(echo6());
  EXPECT_EQ(error_of(decode(v6_packet(kDestOpts, parts))), DecodeError::ext_header_loop);
}

TEST(PacketDecodeTest, V6HopByHopOnlyFirst) {
  EXPECT_TRUE(decode(v6_packet(kHopByHop, {ext(kIcmpv6, 8), echo6()})));
  EXPECT_EQ(error_of(decode(v6_packet(kDestOpts, {ext(kHopByHop, 8), ext(kIcmpv6, 8), echo6()}))),
            DecodeError::ext_header_loop);
}

TEST(PacketDecodeTest, V6ExtensionLengthsAreChecked) {
  // A destination options header claiming 16 bytes with 8 left in the payload.
  Bytes overrun = v6_packet(kDestOpts, {ext(kIcmpv6, 8)});
  overrun[41] = 1;
  EXPECT_EQ(error_of(decode(overrun)), DecodeError::bad_total_len);
  // An extension header cut after its first byte.
  EXPECT_EQ(error_of(decode(v6_packet(kDestOpts, {Bytes{kIcmpv6}}))), DecodeError::bad_total_len);
  // The same header in a quote whose payload length is honest: the quote is cut.
  auto cut = decode_ip(Bytes(overrun.begin(), overrun.begin() + 44));
  EXPECT_EQ(cut.error, DecodeError::bad_total_len);
  Bytes honest = v6_packet(kDestOpts, {ext(kIcmpv6, 16), echo6()});
  auto quoted = decode_ip(Bytes(honest.begin(), honest.begin() + 50));
  EXPECT_FALSE(quoted);
  EXPECT_EQ(quoted.error, DecodeError::truncated);
}

// --- Each error ----------------------------------------------------------------

TEST(PacketDecodeTest, Truncated) {
  Bytes b = hex(kEchoV4);
  EXPECT_EQ(error_of(decode({})), DecodeError::truncated);
  EXPECT_EQ(error_of(decode(Bytes(b.begin(), b.begin() + 19))), DecodeError::truncated);
  Bytes b6 = hex(kEchoV6);
  EXPECT_EQ(error_of(decode(Bytes(b6.begin(), b6.begin() + 39))), DecodeError::truncated);
  // The IP header says the packet ends inside the ICMP header.
  EXPECT_EQ(error_of(decode(cut_v4(b, 27))), DecodeError::truncated);
  EXPECT_EQ(error_of(decode(cut_v4(b, 20))), DecodeError::truncated);
  EXPECT_EQ(error_of(decode(cut_v6(b6, 47))), DecodeError::truncated);
  EXPECT_TRUE(decode(cut_v4(b, 28)));
  EXPECT_TRUE(decode(cut_v6(b6, 48)));
}

TEST(PacketDecodeTest, BadVersion) {
  Bytes b = hex(kEchoV4);
  EXPECT_EQ(error_of(decode(set8(b, 0, 0x55))), DecodeError::bad_version);
  EXPECT_EQ(error_of(decode(set8(b, 0, 0x05))), DecodeError::bad_version);
  EXPECT_EQ(error_of(decode(Bytes{0xf0})), DecodeError::bad_version);
  // IPv6's version with an IPv4 header behind it: read as IPv6, it fails there.
  EXPECT_FALSE(decode(set8(b, 0, 0x65)));
}

TEST(PacketDecodeTest, BadHeaderLen) {
  Bytes b = hex(kEchoV4);
  EXPECT_EQ(error_of(decode(set8(b, 0, 0x40))), DecodeError::bad_header_len);  // zero
  EXPECT_EQ(error_of(decode(set8(b, 0, 0x44))), DecodeError::bad_header_len);  // too small
  // Too big: 60 bytes of header claimed in a 24-byte packet.
  EXPECT_EQ(error_of(decode(set8(cut_v4(b, 24), 0, 0x4f))), DecodeError::bad_header_len);
  // Too big but within the packet: the ICMP header is read as options and fails.
  EXPECT_FALSE(decode(set8(b, 0, 0x46)));
}

TEST(PacketDecodeTest, BadTotalLenV4) {
  Bytes b = hex(kEchoV4);                                                    // 84 bytes
  EXPECT_EQ(error_of(decode(set16(b, 2, 85))), DecodeError::bad_total_len);  // too big
  EXPECT_EQ(error_of(decode(set16(b, 2, 0xffff))), DecodeError::bad_total_len);
  EXPECT_EQ(error_of(decode(set16(b, 2, 83))), DecodeError::bad_total_len);  // too small
  EXPECT_EQ(error_of(decode(set16(b, 2, 19))), DecodeError::bad_total_len);  // < header
  EXPECT_EQ(error_of(decode(set16(b, 2, 0))), DecodeError::bad_total_len);   // zero
  // decode_ip does not hold a quote to its total length, but to its own header.
  EXPECT_TRUE(decode_ip(set16(b, 2, 0xffff)));
  EXPECT_EQ(decode_ip(set16(b, 2, 19)).error, DecodeError::bad_total_len);
  EXPECT_FALSE(decode_ip(set16(b, 2, 0)));
}

TEST(PacketDecodeTest, BadTotalLenV6) {
  Bytes b = hex(kEchoV6);  // payload length 64
  EXPECT_EQ(error_of(decode(set16(b, 4, 65))), DecodeError::bad_total_len);
  EXPECT_EQ(error_of(decode(set16(b, 4, 63))), DecodeError::bad_total_len);
  EXPECT_EQ(error_of(decode(set16(b, 4, 0))), DecodeError::bad_total_len);
  // Zero with an extension header (a jumbogram's hop-by-hop, or a lie).
  Bytes hbh = v6_packet(kHopByHop, {ext(kIcmpv6, 8), echo6()});
  EXPECT_EQ(error_of(decode(set16(hbh, 4, 0))), DecodeError::bad_total_len);
  EXPECT_EQ(decode_ip(set16(hbh, 4, 0)).error, DecodeError::bad_total_len);
}

TEST(PacketDecodeTest, NotIcmp) {
  EXPECT_EQ(error_of(decode(hex(kUdpV4))), DecodeError::not_icmp);
  // ICMPv6 over IPv4 and ICMP over IPv6 are not ICMP of the packet's family.
  EXPECT_EQ(error_of(decode(set8(hex(kEchoV4), 9, 58))), DecodeError::not_icmp);
  EXPECT_EQ(error_of(decode(set8(hex(kEchoV6), 6, 1))), DecodeError::not_icmp);
}

TEST(PacketDecodeTest, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (auto e : {DecodeError::truncated, DecodeError::bad_version, DecodeError::bad_header_len,
                 DecodeError::bad_total_len, DecodeError::not_icmp, DecodeError::fragment,
                 DecodeError::ext_header_loop}) {
    EXPECT_FALSE(to_string(e).empty());
    names.insert(to_string(e));
  }
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(to_string(DecodeError::fragment), "non-first fragment");
}

// --- Copy range (allow_truncated) -------------------------------------------

TEST(PacketDecodeTest, CopyRangeCutsThePayload) {
  Bytes b = hex(kEchoV4);
  Bytes first40(b.begin(), b.begin() + 40);  // total length still says 84
  EXPECT_EQ(error_of(decode(first40)), DecodeError::bad_total_len);
  auto d = decode_cut(first40);
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_TRUE(d.value->truncated);
  EXPECT_EQ(d.value->ip.total_len, 84u);
  EXPECT_EQ(d.value->payload.size(), 12u);
  EXPECT_FALSE(icmp_checksum_ok(*d.value, first40));
  // The ICMP header itself must be there.
  EXPECT_EQ(error_of(decode_cut(Bytes(b.begin(), b.begin() + 27))), DecodeError::truncated);
  // Whole packets decode the same with or without the option.
  auto whole = decode_cut(b);
  ASSERT_TRUE(whole);
  EXPECT_FALSE(whole.value->truncated);
  // More bytes than the total length are never accepted.
  Bytes padded = b;
  padded.push_back(0);
  EXPECT_EQ(error_of(decode_cut(padded)), DecodeError::bad_total_len);
}

TEST(PacketDecodeTest, CopyRangeOnAnErrorCutsTheQuote) {
  Bytes b = hex(kUnreachTcp);  // quote: IPv4 20 + TCP 20
  auto d = decode_cut(Bytes(b.begin(), b.begin() + 52));
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_TRUE(d.value->truncated);
  ASSERT_TRUE(d.value->embedded);
  EXPECT_EQ(d.value->embedded->l4.size(), 4u);
  EXPECT_EQ(d.value->embedded->src_port, 40000);
  EXPECT_EQ(d.value->embedded->dst_port, 443);
}

// --- Errors and their quotes ------------------------------------------------------

TEST(PacketDecodeTest, FragNeededWithUdp) {
  Bytes b = hex(kFragNeededUdp);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  const Packet& p = *d.value;
  EXPECT_EQ(p.icmp.type, 3);
  EXPECT_EQ(p.icmp.code, 4);
  EXPECT_EQ(p.icmp.rest & 0xffff, 1400u);  // next-hop MTU
  EXPECT_TRUE(p.is_error);
  ASSERT_TRUE(p.embedded) << to_string(*p.embedded_error);
  const Embedded& e = *p.embedded;
  EXPECT_EQ(e.ip.family, Family::ipv4);
  EXPECT_EQ(e.ip.src, v4("198.18.0.2"));
  EXPECT_EQ(e.ip.dst, v4("198.18.9.9"));
  EXPECT_EQ(e.ip.protocol, 17);
  EXPECT_EQ(e.ip.header_len, 20u);
  EXPECT_EQ(e.ip.total_len, 1528u);  // the original datagram, longer than the quote
  EXPECT_FALSE(e.ip.fragment);       // DF only
  EXPECT_EQ(e.l4.size(), 8u);
  EXPECT_EQ(e.l4.data(), b.data() + 48);
  EXPECT_EQ(e.src_port, 5353);
  EXPECT_EQ(e.dst_port, 53);
  EXPECT_FALSE(e.icmp);
  EXPECT_FALSE(e.query_id);
  EXPECT_TRUE(icmp_checksum_ok(p, b));
}

TEST(PacketDecodeTest, UnreachableWithTcp) {
  Bytes b = hex(kUnreachTcp);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  ASSERT_TRUE(d.value->embedded);
  const Embedded& e = *d.value->embedded;
  EXPECT_EQ(e.ip.protocol, 6);
  EXPECT_EQ(e.l4.size(), 20u);
  EXPECT_EQ(e.src_port, 40000);
  EXPECT_EQ(e.dst_port, 443);
  EXPECT_TRUE(icmp_checksum_ok(*d.value, b));
}

TEST(PacketDecodeTest, TimeExceededWithEcho) {
  Bytes b = hex(kTimeExceededEcho);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_EQ(d.value->icmp.type, 11);
  EXPECT_TRUE(d.value->is_error);
  ASSERT_TRUE(d.value->embedded);
  const Embedded& e = *d.value->embedded;
  EXPECT_EQ(e.ip.ttl, 1);
  EXPECT_EQ(e.ip.protocol, 1);
  EXPECT_EQ(e.ip.total_len, 84u);
  ASSERT_TRUE(e.icmp);
  EXPECT_EQ(e.icmp->type, 8);
  EXPECT_EQ(e.icmp->seq(), 7);
  EXPECT_EQ(e.query_id, 0x4242);
  EXPECT_FALSE(e.src_port);
  EXPECT_TRUE(icmp_checksum_ok(*d.value, b));
}

TEST(PacketDecodeTest, QuotedErrorHasNoIdentifier) {
  // Time exceeded quoting a port unreachable (which no host should send).
  Bytes b = set8(hex(kTimeExceededEcho), 48, 3);
  auto d = decode(b);
  ASSERT_TRUE(d && d.value->embedded && d.value->embedded->icmp);
  EXPECT_EQ(d.value->embedded->icmp->type, 3);
  EXPECT_FALSE(d.value->embedded->query_id);
}

TEST(PacketDecodeTest, TimeExceededV6WithEcho) {
  Bytes b = hex(kTimeExceededV6Echo);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_TRUE(d.value->is_error);
  ASSERT_TRUE(d.value->embedded);
  EXPECT_EQ(d.value->embedded->ip.family, Family::ipv6);
  EXPECT_EQ(d.value->embedded->ip.ttl, 1);
  EXPECT_EQ(d.value->embedded->query_id, 0x6666);
  EXPECT_TRUE(icmp_checksum_ok(*d.value, b));
}

TEST(PacketDecodeTest, PacketTooBigV6) {
  Bytes b = hex(kPtbV6);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  const Packet& p = *d.value;
  EXPECT_EQ(p.icmp.type, 2);
  EXPECT_EQ(p.icmp.rest, 1280u);  // MTU
  EXPECT_TRUE(p.is_error);
  ASSERT_TRUE(p.embedded);
  const Embedded& e = *p.embedded;
  EXPECT_EQ(e.ip.family, Family::ipv6);
  EXPECT_EQ(e.ip.src, v6("2001:db8::2"));
  EXPECT_EQ(e.ip.dst, v6("2001:db8:9::9"));
  EXPECT_EQ(e.ip.protocol, 17);
  EXPECT_EQ(e.ip.total_len, 40u + 8 + 1400);
  EXPECT_EQ(e.l4.size(), 96u - 40);
  EXPECT_EQ(e.src_port, 33434);
  EXPECT_EQ(e.dst_port, 33435);
  EXPECT_TRUE(icmp_checksum_ok(p, b));
}

TEST(PacketDecodeTest, RedirectGatewayInRest) {
  Bytes b = hex(kRedirect);
  auto d = decode(b);
  ASSERT_TRUE(d) << to_string(d.error);
  EXPECT_EQ(d.value->icmp.type, 5);
  EXPECT_EQ(d.value->icmp.code, 1);
  EXPECT_EQ(d.value->icmp.rest, 0xc61200fdu);  // 198.18.0.253
  EXPECT_TRUE(d.value->is_error);
  ASSERT_TRUE(d.value->embedded);
  EXPECT_EQ(d.value->embedded->query_id, 0x4242);
}

TEST(PacketDecodeTest, TruncatedQuotes) {
  Bytes b = hex(kFragNeededUdp);  // 28 bytes of ICMP header + 28 bytes of quote
  // The quoted IP header only: no ports.
  auto header_only = decode(cut_v4(b, 48));
  ASSERT_TRUE(header_only && header_only.value->embedded);
  EXPECT_TRUE(header_only.value->embedded->l4.empty());
  EXPECT_FALSE(header_only.value->embedded->src_port);
  // Two bytes of UDP: still no ports.
  auto two = decode(cut_v4(b, 50));
  ASSERT_TRUE(two && two.value->embedded);
  EXPECT_EQ(two.value->embedded->l4.size(), 2u);
  EXPECT_FALSE(two.value->embedded->src_port);
  // Four bytes: both ports.
  auto four = decode(cut_v4(b, 52));
  ASSERT_TRUE(four && four.value->embedded);
  EXPECT_EQ(four.value->embedded->dst_port, 53);
  // Half an IP header: the error decodes, its quote does not.
  auto half = decode(cut_v4(b, 38));
  ASSERT_TRUE(half);
  EXPECT_TRUE(half.value->is_error);
  EXPECT_FALSE(half.value->embedded);
  EXPECT_EQ(half.value->embedded_error, DecodeError::truncated);
  // No quote at all.
  auto none = decode(cut_v4(b, 28));
  ASSERT_TRUE(none);
  EXPECT_EQ(none.value->embedded_error, DecodeError::truncated);
  // Echo quoted with 4 of its 8 header bytes: no ICMP header, no id.
  auto echo = decode(cut_v4(hex(kTimeExceededEcho), 52));
  ASSERT_TRUE(echo && echo.value->embedded);
  EXPECT_FALSE(echo.value->embedded->icmp);
  EXPECT_FALSE(echo.value->embedded->query_id);
  // An IPv6 quote cut inside its header.
  auto v6cut = decode(cut_v6(hex(kPtbV6), 48 + 30));
  ASSERT_TRUE(v6cut);
  EXPECT_EQ(v6cut.value->embedded_error, DecodeError::truncated);
}

TEST(PacketDecodeTest, QuoteLengthFieldsLying) {
  Bytes b = hex(kFragNeededUdp);  // the quote starts at 28
  auto inner = [&](Bytes x) {
    auto d = decode(x);
    EXPECT_TRUE(d) << "the outer packet must still decode";
    return d ? *d.value : Packet{};
  };
  // Inner total length smaller than its header, zero, and just right.
  EXPECT_EQ(inner(set16(b, 30, 19)).embedded_error, DecodeError::bad_total_len);
  EXPECT_EQ(inner(set16(b, 30, 0)).embedded_error, DecodeError::bad_total_len);
  auto exact = inner(set16(b, 30, 28));
  ASSERT_TRUE(exact.embedded);
  EXPECT_EQ(exact.embedded->l4.size(), 8u);
  // Inner total length shorter than the quote: l4 ends where the datagram did.
  auto shorter = inner(set16(b, 30, 24));
  ASSERT_TRUE(shorter.embedded);
  EXPECT_EQ(shorter.embedded->l4.size(), 4u);
  EXPECT_EQ(shorter.embedded->dst_port, 53);
  // Inner IHL too big for the quote, too small, zero.
  EXPECT_EQ(inner(set8(b, 28, 0x4f)).embedded_error, DecodeError::bad_header_len);
  EXPECT_EQ(inner(set8(b, 28, 0x44)).embedded_error, DecodeError::bad_header_len);
  EXPECT_EQ(inner(set8(b, 28, 0x40)).embedded_error, DecodeError::bad_header_len);
  // Not an IP header at all.
  EXPECT_EQ(inner(set8(b, 28, 0x75)).embedded_error, DecodeError::bad_version);
  // A quoted later fragment: its payload has no ports.
  auto later = inner(set16(b, 34, 0x0010));
  ASSERT_TRUE(later.embedded);
  EXPECT_EQ(later.embedded->ip.fragment_offset, 128);
  EXPECT_FALSE(later.embedded->src_port);
  // IPv6 quote whose payload length is smaller than its extension chain.
  Bytes q6 = v6_packet(kDestOpts, {ext(17, 8), Bytes(8, 0)});
  Bytes ptb = hex(kPtbV6);
  Bytes outer(ptb.begin(), ptb.begin() + 48);
  outer.insert(outer.end(), q6.begin(), q6.end());
  outer = set16(outer, 4, static_cast<uint16_t>(outer.size() - 40));
  auto ok6 = inner(outer);
  ASSERT_TRUE(ok6.embedded);
  EXPECT_EQ(ok6.embedded->ip.header_len, 48u);
  EXPECT_EQ(ok6.embedded->l4.size(), 8u);
  EXPECT_EQ(inner(set16(outer, 48 + 4, 4)).embedded_error, DecodeError::bad_total_len);
}

// RFC 4884: a length attribute of 128 bytes or more bounds the quote.
TEST(PacketDecodeTest, Rfc4884LengthBoundsTheQuote) {
  Bytes b = hex(kTimeExceededEcho);
  Bytes quote(b.begin() + 28, b.end());
  quote = set16(quote, 2, 1500);  // the original datagram was long
  quote.resize(128, 0);           // padded to 128 bytes
  Bytes extension = {0x20, 0, 0, 0, 0, 8, 1, 1};
  Bytes pkt(b.begin(), b.begin() + 28);
  pkt.insert(pkt.end(), quote.begin(), quote.end());
  pkt.insert(pkt.end(), extension.begin(), extension.end());
  pkt = set16(pkt, 2, static_cast<uint16_t>(pkt.size()));

  auto l4_size = [](const Bytes& x) {
    auto d = decode(x);
    return d && d.value->embedded ? d.value->embedded->l4.size() : size_t{0};
  };
  EXPECT_EQ(l4_size(pkt), 136u - 20);                // no length attribute
  EXPECT_EQ(l4_size(set8(pkt, 25, 32)), 128u - 20);  // 32 words
  EXPECT_EQ(l4_size(set8(pkt, 25, 31)), 136u - 20);  // under 128 bytes: ignored
  EXPECT_EQ(l4_size(set8(pkt, 25, 35)), 136u - 20);  // past the message: ignored
}

// --- Checksums ---------------------------------------------------------------

TEST(PacketChecksumTest, GoodChecksumsVerify) {
  for (auto fixture : {kEchoV4, kEchoV6, kEchoV4Odd, kEchoV6Odd, kEchoV4Options, kFragNeededUdp,
                       kPtbV6, kRedirect, kTimeExceededV6Echo}) {
    Bytes b = hex(fixture);
    auto d = decode(b);
    ASSERT_TRUE(d) << to_string(d.error);
    EXPECT_TRUE(icmp_checksum_ok(*d.value, b)) << fixture.substr(0, 40);
  }
}

TEST(PacketChecksumTest, BadChecksumsFail) {
  auto verify = [](const Bytes& b) {
    auto d = decode(b);
    EXPECT_TRUE(d);
    return d && icmp_checksum_ok(*d.value, b);
  };
  for (auto [fixture, icmp_at] :
       {std::pair{kEchoV4, size_t{20}}, std::pair{kEchoV6, size_t{40}},
        std::pair{kEchoV4Odd, size_t{20}}, std::pair{kEchoV6Odd, size_t{40}}}) {
    Bytes b = hex(fixture);
    ASSERT_TRUE(verify(b));
    EXPECT_FALSE(verify(set8(b, b.size() - 1, b.back() ^ 1)));          // last (odd) byte
    EXPECT_FALSE(verify(set8(b, icmp_at + 2, b[icmp_at + 2] ^ 0x80)));  // the checksum
    EXPECT_FALSE(verify(set8(b, icmp_at + 4, b[icmp_at + 4] + 1)));     // the identifier
  }
  // The pseudo-header covers IPv6 addresses; IPv4's ICMP checksum does not.
  Bytes b6 = hex(kEchoV6);
  EXPECT_FALSE(verify(set8(b6, 39, 3)));
  EXPECT_FALSE(verify(set8(b6, 23, 3)));
  Bytes b4 = hex(kEchoV4);
  EXPECT_TRUE(verify(set8(b4, 19, 3)));
}

TEST(PacketChecksumTest, OnlyTheDecodedBufferVerifies) {
  Bytes b = hex(kEchoV4);
  auto d = decode(b);
  ASSERT_TRUE(d);
  EXPECT_FALSE(icmp_checksum_ok(*d.value, Bytes(b.begin(), b.end() - 1)));
  EXPECT_FALSE(icmp_checksum_ok(*d.value, hex(kEchoV4Odd)));
  EXPECT_FALSE(icmp_checksum_ok(Packet{}, {}));
}

// --- Every prefix ---------------------------------------------------------------

// Each prefix of each fixture: strictly, only the whole packet decodes; with
// allow_truncated, every prefix that holds the headers does, and its spans
// stay inside the prefix.
TEST(PacketDecodeTest, EveryPrefix) {
  for (auto fixture : {kEchoV4, kEchoV6, kEchoV4Options, kFragNeededUdp, kUnreachTcp,
                       kTimeExceededEcho, kPtbV6, kRedirect, kV6ExtChain, kTimeExceededV6Echo}) {
    Bytes whole = hex(fixture);
    auto full = decode(whole);
    ASSERT_TRUE(full);
    size_t headers = full.value->ip.header_len + 8;
    for (size_t n = 0; n < whole.size(); ++n) {
      Bytes prefix(whole.begin(), whole.begin() + n);
      EXPECT_FALSE(decode(prefix)) << n;
      auto d = decode_cut(prefix);
      EXPECT_EQ(bool(d), n >= headers) << n;
      if (!d) continue;
      EXPECT_TRUE(d.value->truncated);
      EXPECT_TRUE(within(d.value->payload, prefix));
      if (d.value->embedded) {
        EXPECT_TRUE(within(d.value->embedded->l4, prefix));
      }
    }
  }
}

}  // namespace
