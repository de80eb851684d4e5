// SPDX-License-Identifier: GPL-2.0-or-later
// encode_rule: each statement kind against the expressions
// `nft --debug=netlink` prints for the same statement in an inet table
// (nftables 1.0.6), in the spirit of nftables' tests/py *.payload files.
//
// Note on names: libnftnl sends some string attributes (objref names)
// without a terminating NUL, and its own parser then reads past names
// whose length is a multiple of 4. The kernel copes; the expectations
// below simply avoid such names where they parse back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "parse_back.h"

namespace icmpwall::netlink {
namespace {

using nft::Field;
using testing::rule_text;

std::string encode(std::vector<nft::Stmt> stmts, const std::string& comment = {},
                   QueueMode mode = QueueMode::native) {
  nft::Rule r;
  r.stmts = std::move(stmts);
  r.comment = comment;
  SetIds ids{{"r.source.v4", 1}, {"r.source.v6", 2},  {"r.iif", 3},
             {"r.dtype", 4},     {"r.sources.v6", 5}, {"verdicts.input.v4", 6}};
  auto rule = encode_rule("icmpwall", "c", r, ids, EncodeOptions{mode});
  if (!rule) return "error: " + rule.error().message;
  return rule_text(rule->get());
}

nft::Verdict accept() {
  return {nft::VerdictKind::accept, {}};
}

TEST(EncodeRule, BaseChainDispatch) {
  // meta nfproto ipv4 meta l4proto icmp jump input.v4: explicit, no extra deps
  EXPECT_EQ(encode({nft::Match{Field::nfproto, {2}}, nft::Match{Field::l4proto, {1}},
                    nft::Verdict{nft::VerdictKind::jump, "input.v4"}}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000001 ]\n"
            "  [ immediate reg 0 jump -> input.v4 ]\n");
}

TEST(EncodeRule, IcmpTypeCodeVmap) {
  EXPECT_EQ(encode({nft::VmapLookup{{Field::icmp_type, Field::icmp_code}, "verdicts.input.v4"}}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000001 ]\n"
            "  [ payload load 1b @ transport header + 0 => reg 1 ]\n"
            "  [ payload load 1b @ transport header + 1 => reg 9 ]\n"
            "  [ lookup reg 1 set verdicts.input.v4 dreg 0 ]\n");
}

TEST(EncodeRule, Icmpv6TypeCodeVmap) {
  EXPECT_EQ(
      encode({nft::VmapLookup{{Field::icmpv6_type, Field::icmpv6_code}, "verdicts.input.v4"}}),
      "inet icmpwall c\n"
      "  [ meta load nfproto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x0000000a ]\n"
      "  [ meta load l4proto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x0000003a ]\n"
      "  [ payload load 1b @ transport header + 0 => reg 1 ]\n"
      "  [ payload load 1b @ transport header + 1 => reg 9 ]\n"
      "  [ lookup reg 1 set verdicts.input.v4 dreg 0 ]\n");
}

TEST(EncodeRule, SourceSetTtlCounterComment) {
  // ip saddr @r.source.v4 ip ttl 64 counter name "echo-ok" accept comment "hello"
  EXPECT_EQ(encode({nft::SetMatch{Field::ip_saddr, "r.source.v4"}, nft::Match{Field::ip_ttl, {64}},
                    nft::CounterRef{"echo-ok"}, accept()},
                   "hello"),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
            "  [ lookup reg 1 set r.source.v4 ]\n"
            "  [ payload load 1b @ network header + 8 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000040 ]\n"
            "  [ objref type 1 name echo-ok ]\n"
            "  [ immediate reg 0 accept ]\n"
            "  userdata = { \\x00\\x06hello\\x00 }\n");
}

TEST(EncodeRule, Ip6SourceSetHoplimitDrop) {
  EXPECT_EQ(
      encode({nft::SetMatch{Field::ip6_saddr, "r.source.v6"},
              nft::Match{Field::ip6_hoplimit, {255}}, nft::Verdict{nft::VerdictKind::drop, {}}}),
      "inet icmpwall c\n"
      "  [ meta load nfproto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x0000000a ]\n"
      "  [ payload load 16b @ network header + 8 => reg 1 ]\n"
      "  [ lookup reg 1 set r.source.v6 ]\n"
      "  [ payload load 1b @ network header + 7 => reg 1 ]\n"
      "  [ cmp eq reg 1 0x000000ff ]\n"
      "  [ immediate reg 0 drop ]\n");
}

TEST(EncodeRule, InterfaceNames) {
  // iifname "eth0" oifname @r.iif accept
  EXPECT_EQ(encode({nft::Match{Field::iifname, nft::ifname_bytes("eth0")},
                    nft::SetMatch{Field::oifname, "r.iif"}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load iifname => reg 1 ]\n"
            "  [ cmp eq reg 1 0x30687465 0x00000000 0x00000000 0x00000000 ]\n"
            "  [ meta load oifname => reg 1 ]\n"
            "  [ lookup reg 1 set r.iif ]\n"
            "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, FibAddrType) {
  EXPECT_EQ(encode({nft::Match{Field::fib_daddr_type, nft::u32_host(2)}, accept()}),
            "inet icmpwall c\n"
            "  [ fib daddr type => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ immediate reg 0 accept ]\n");
  EXPECT_EQ(encode({nft::SetMatch{Field::fib_daddr_type, "r.dtype"}, accept()}),
            "inet icmpwall c\n"
            "  [ fib daddr type => reg 1 ]\n"
            "  [ lookup reg 1 set r.dtype ]\n"
            "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, Addresses) {
  EXPECT_EQ(encode({nft::Match{Field::ip_daddr, {198, 18, 0, 1}}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x010012c6 ]\n"
            "  [ immediate reg 0 accept ]\n");
  std::vector<uint8_t> a6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(encode({nft::Match{Field::ip6_daddr, a6}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x0000000a ]\n"
            "  [ payload load 16b @ network header + 24 => reg 1 ]\n"
            "  [ cmp eq reg 1 0xb80d0120 0x00000000 0x00000000 0x01000000 ]\n"
            "  [ immediate reg 0 accept ]\n");
}

// The expressions below are what `nft --debug=netlink` printed for
// `ip saddr 198.18.0.0/15`, `ip saddr 198.18.0.1`, `ip6 saddr
// 2001:db8::/64`, `ip6 saddr fe80::/10` and `ip saddr 10.0.0.0/8` (nftables
// 1.0.6): whole-byte prefixes load only their bytes; others are masked.
TEST(EncodeRule, PrefixMatches) {
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip_saddr, {198, 18, 0, 0}, 15}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
            "  [ bitwise reg 1 = ( reg 1 & 0x0000feff ) ^ 0x00000000 ]\n"
            "  [ cmp eq reg 1 0x000012c6 ]\n"
            "  [ immediate reg 0 accept ]\n");
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip_saddr, {198, 18, 0, 1}, 32}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x010012c6 ]\n"
            "  [ immediate reg 0 accept ]\n");
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip_saddr, {10, 0, 0, 0}, 8}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 1b @ network header + 12 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x0000000a ]\n"
            "  [ immediate reg 0 accept ]\n");
  std::vector<uint8_t> db8 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip6_saddr, db8, 64}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x0000000a ]\n"
            "  [ payload load 8b @ network header + 8 => reg 1 ]\n"
            "  [ cmp eq reg 1 0xb80d0120 0x00000000 ]\n"
            "  [ immediate reg 0 accept ]\n");
  std::vector<uint8_t> fe80 = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip6_saddr, fe80, 10}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x0000000a ]\n"
            "  [ payload load 16b @ network header + 8 => reg 1 ]\n"
            "  [ bitwise reg 1 = ( reg 1 & 0x0000c0ff 0x00000000 0x00000000 0x00000000 ) ^ "
            "0x00000000 0x00000000 0x00000000 0x00000000 ]\n"
            "  [ cmp eq reg 1 0x000080fe 0x00000000 0x00000000 0x00000000 ]\n"
            "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, BadPrefixMatchesAreRejected) {
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip_saddr, {198, 18, 0, 0}, 0}, accept()}),
            "error: ip saddr prefix of 4 bytes and length 0");
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip_saddr, {198, 18, 0, 0}, 33}, accept()}),
            "error: ip saddr prefix of 4 bytes and length 33");
  EXPECT_EQ(encode({nft::PrefixMatch{Field::ip6_saddr, {198, 18, 0, 0}, 16}, accept()}),
            "error: ip6 saddr prefix of 4 bytes and length 16");
  EXPECT_EQ(encode({nft::PrefixMatch{Field::iifname, std::vector<uint8_t>(16), 8}, accept()}),
            "error: iifname prefix of 16 bytes and length 8");
}

TEST(EncodeRule, AddressPairIsNotMerged) {
  // nft 1.0.6 keeps `ip saddr A ip daddr B` as two 4-byte loads.
  EXPECT_EQ(encode({nft::Match{Field::ip_saddr, {198, 18, 0, 1}},
                    nft::Match{Field::ip_daddr, {198, 18, 0, 2}}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x010012c6 ]\n"
            "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x020012c6 ]\n"
            "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, TypeAndCodeMergeIntoOneLoad) {
  // icmp type 8 icmp code 0 accept
  EXPECT_EQ(
      encode({nft::Match{Field::icmp_type, {8}}, nft::Match{Field::icmp_code, {0}}, accept()}),
      "inet icmpwall c\n"
      "  [ meta load nfproto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x00000002 ]\n"
      "  [ meta load l4proto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x00000001 ]\n"
      "  [ payload load 2b @ transport header + 0 => reg 1 ]\n"
      "  [ cmp eq reg 1 0x00000008 ]\n"
      "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, ExplicitL4protoSatisfiesIcmpDependency) {
  // meta l4proto icmp icmp type 8 accept
  EXPECT_EQ(encode({nft::Match{Field::l4proto, {1}}, nft::Match{Field::icmp_type, {8}}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000001 ]\n"
            "  [ payload load 1b @ transport header + 0 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000008 ]\n"
            "  [ immediate reg 0 accept ]\n");
  // icmp type 8 ip saddr X: the icmp dependency already fixed nfproto
  EXPECT_EQ(encode({nft::Match{Field::icmp_type, {8}}, nft::Match{Field::ip_saddr, {198, 18, 0, 1}},
                    accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000001 ]\n"
            "  [ payload load 1b @ transport header + 0 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000008 ]\n"
            "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x010012c6 ]\n"
            "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, ConflictingProtocolsAreRejected) {
  auto text = encode({nft::Match{Field::ip_daddr, {198, 18, 0, 1}},
                      nft::Match{Field::ip6_hoplimit, {255}}, accept()});
  EXPECT_THAT(text, ::testing::HasSubstr("conflicting protocols"));
  EXPECT_THAT(encode({nft::Match{Field::icmp_type, {8}}, nft::Match{Field::icmpv6_code, {0}}}),
              ::testing::HasSubstr("conflicting protocols"));
}

TEST(EncodeRule, WrongValueLengthIsRejected) {
  EXPECT_THAT(encode({nft::Match{Field::ip_saddr, {198, 18, 0}}}), ::testing::StartsWith("error:"));
}

TEST(EncodeRule, NamedLimitAndCounter) {
  EXPECT_EQ(encode({nft::LimitRef{"echo-ok"}, nft::CounterRef{"echo-ok"}, accept()}),
            "inet icmpwall c\n"
            "  [ objref type 4 name echo-ok ]\n"
            "  [ objref type 1 name echo-ok ]\n"
            "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, InlineLimitAndLog) {
  // limit rate 5/minute burst 5 packets log prefix "x: "
  EXPECT_EQ(encode({nft::Limit{{5, policy::RateUnit::minute}, 5}, nft::Log{"x: "}}),
            "inet icmpwall c\n"
            "  [ limit rate 5/minute burst 5 type packets flags 0x0 ]\n"
            "  [ log prefix x:  ]\n");
}

TEST(EncodeRule, NflogGroupLog) {
  // limit rate 5/minute burst 5 packets log prefix "icmpwall r " group 7
  EXPECT_EQ(encode({nft::Limit{{5, policy::RateUnit::minute}, 5}, nft::Log{"icmpwall r ", 7}}),
            "inet icmpwall c\n"
            "  [ limit rate 5/minute burst 5 type packets flags 0x0 ]\n"
            "  [ log prefix icmpwall r  group 7 snaplen 0 qthreshold 0 ]\n");
  // Group 0 is a group too (nft's `log group 0`), not the kernel log.
  EXPECT_NE(encode({nft::Log{"x", 0}}), encode({nft::Log{"x"}}));
}

TEST(EncodeRule, PerSourceLimitIsBitwiseThenDynset) {
  // update @r.sources.v6 { ip6 saddr & ffff:ffff:ffff:ffff:: limit rate 10/second burst 5 packets }
  nft::DynsetLimit d;
  d.set = "r.sources.v6";
  d.key = Field::ip6_saddr;
  d.mask = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
  d.limit = {{10, policy::RateUnit::second}, 5};
  EXPECT_EQ(encode({d, nft::CounterRef{"echo-ok"}, accept()}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x0000000a ]\n"
            "  [ payload load 16b @ network header + 8 => reg 1 ]\n"
            "  [ bitwise reg 1 = ( reg 1 & 0xffffffff 0xffffffff 0x00000000 0x00000000 ) ^ "
            "0x00000000 0x00000000 0x00000000 0x00000000 ]\n"
            "  [ dynset update reg_key 1 set r.sources.v6 expr [ limit rate 10/second burst 5 type "
            "packets flags 0x0 ] ]\n"
            "  [ objref type 1 name echo-ok ]\n"
            "  [ immediate reg 0 accept ]\n");
}

TEST(EncodeRule, PerSourceLimitWithoutMask) {
  nft::DynsetLimit d{"r.sources.v6", Field::ip_saddr, {}, {{3, policy::RateUnit::second}, 2}};
  EXPECT_EQ(encode({d}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
            "  [ dynset update reg_key 1 set r.sources.v6 expr [ limit rate 3/second burst 2 type "
            "packets flags 0x0 ] ]\n");
}

TEST(EncodeRule, PerSourceLimitBeforeTheQueue) {
  // update @r.sources.v6 { ip6 saddr & ffff:ffff:ffff:ffff:: limit rate 10/second burst 20 packets
  // }
  //   counter name "rx" queue num 3 bypass   (rate-limit, then inspect)
  nft::DynsetLimit d;
  d.set = "r.sources.v6";
  d.key = Field::ip6_saddr;
  d.mask = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
  d.limit = {{10, policy::RateUnit::second}, 20};
  EXPECT_EQ(
      encode({d, nft::CounterRef{"rx"}, nft::Queue{3, 1, true, false}}),
      "inet icmpwall c\n"
      "  [ meta load nfproto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x0000000a ]\n"
      "  [ payload load 16b @ network header + 8 => reg 1 ]\n"
      "  [ bitwise reg 1 = ( reg 1 & 0xffffffff 0xffffffff 0x00000000 0x00000000 ) ^ "
      "0x00000000 0x00000000 0x00000000 0x00000000 ]\n"
      "  [ dynset update reg_key 1 set r.sources.v6 expr [ limit rate 10/second burst 20 type "
      "packets flags 0x0 ] ]\n"
      "  [ objref type 1 name rx ]\n"
      "  [ queue num 3 bypass ]\n");
}

// As `nft --debug=netlink` prints `ip frag-off & 0x1fff != 0 counter
// name "fragments.input" accept` and `frag frag-off != 0 ...` in an inet table.
TEST(EncodeRule, NonFirstFragments) {
  EXPECT_EQ(
      encode({nft::NonFirstFragment{policy::Family::ipv4}, nft::CounterRef{"frags"}, accept()}),
      "inet icmpwall c\n"
      "  [ meta load nfproto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x00000002 ]\n"
      "  [ payload load 2b @ network header + 6 => reg 1 ]\n"
      "  [ bitwise reg 1 = ( reg 1 & 0x0000ff1f ) ^ 0x00000000 ]\n"
      "  [ cmp neq reg 1 0x00000000 ]\n"
      "  [ objref type 1 name frags ]\n"
      "  [ immediate reg 0 accept ]\n");
  EXPECT_EQ(
      encode({nft::NonFirstFragment{policy::Family::ipv6}, nft::CounterRef{"frags"}, accept()}),
      "inet icmpwall c\n"
      "  [ meta load nfproto => reg 1 ]\n"
      "  [ cmp eq reg 1 0x0000000a ]\n"
      "  [ exthdr load ipv6 2b @ 44 + 2 => reg 1 ]\n"
      "  [ bitwise reg 1 = ( reg 1 & 0x0000f8ff ) ^ 0x00000000 ]\n"
      "  [ cmp neq reg 1 0x00000000 ]\n"
      "  [ objref type 1 name frags ]\n"
      "  [ immediate reg 0 accept ]\n");
}

// As `nft --debug=netlink` prints `@th,800,8 <= 0xff counter name "big" drop`.
TEST(EncodeRule, LongerThan) {
  EXPECT_EQ(encode({nft::LongerThan{100}, nft::CounterRef{"big"},
                    nft::Verdict{nft::VerdictKind::drop, {}}}),
            "inet icmpwall c\n"
            "  [ payload load 1b @ transport header + 100 => reg 1 ]\n"
            "  [ cmp lte reg 1 0x000000ff ]\n"
            "  [ objref type 1 name big ]\n"
            "  [ immediate reg 0 drop ]\n");
}

// icmp type echo-request notrack
TEST(EncodeRule, Notrack) {
  EXPECT_EQ(encode({nft::Match{nft::Field::icmp_type, nft::u8(8)}, nft::Notrack{}}),
            "inet icmpwall c\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000001 ]\n"
            "  [ payload load 1b @ transport header + 0 => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000008 ]\n"
            "  [ notrack ]\n");
}

// ct state invalid counter name "ct"
TEST(EncodeRule, CtStateInvalid) {
  EXPECT_EQ(encode({nft::CtState{nft::kCtInvalid}, nft::CounterRef{"ctinv"}}),
            "inet icmpwall c\n"
            "  [ ct load state => reg 1 ]\n"
            "  [ bitwise reg 1 = ( reg 1 & 0x00000001 ) ^ 0x00000000 ]\n"
            "  [ cmp neq reg 1 0x00000000 ]\n"
            "  [ objref type 1 name ctinv ]\n");
}

TEST(EncodeRule, Verdicts) {
  EXPECT_EQ(encode({nft::Verdict{nft::VerdictKind::return_, {}}}),
            "inet icmpwall c\n  [ immediate reg 0 return ]\n");
  EXPECT_EQ(encode({nft::Verdict{nft::VerdictKind::goto_, "input.v4"}}),
            "inet icmpwall c\n  [ immediate reg 0 goto -> input.v4 ]\n");
  EXPECT_THAT(encode({nft::Verdict{nft::VerdictKind::jump, ""}}), ::testing::StartsWith("error:"));
}

TEST(EncodeRule, QueueNative) {
  EXPECT_EQ(encode({nft::Queue{3, 1, true, false}}), "inet icmpwall c\n  [ queue num 3 bypass ]\n");
  EXPECT_EQ(encode({nft::Queue{1, 4, true, true}}),
            "inet icmpwall c\n  [ queue num 1-4 bypass fanout ]\n");
  EXPECT_EQ(encode({nft::Queue{0, 1, false, false}}), "inet icmpwall c\n  [ queue num 0 ]\n");
}

TEST(EncodeRule, QueueCompatIsXtNfqueueRevision3) {
  EXPECT_EQ(encode({nft::Queue{3, 1, true, false}}, {}, QueueMode::compat),
            "inet icmpwall c\n  [ target name NFQUEUE rev 3 ]\n");
}

TEST(EncodeRule, QueueOutOfRangeIsRejected) {
  EXPECT_THAT(encode({nft::Queue{65535, 2, true, true}}), ::testing::StartsWith("error:"));
}

}  // namespace
}  // namespace icmpwall::netlink
