// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for ForgedErrorValidator (src/inspect/detect/forged_error.cpp) on packet
// bytes: errors of every judged type, in both families, quoting a datagram
// this host sent (pass) or one it cannot have sent (error-not-ours). The
// host (a StaticRouteView) owns 198.18.0.2 and 2001:db8::2.
#include "icmpwall/inspect/detect/forged_error.h"

#include <gtest/gtest.h>

#include "icmp_builder.h"

using namespace icmpwall::inspect;
using namespace icmpwall::inspect::testing;

namespace {

StaticRouteView host_routes() {
  StaticRouteView r;
  r.add_local(v4("198.18.0.2")).add_local(v6("2001:db8::2")).add_local(v6("fe80::2"));
  return r;
}

// An ICMPv4 error from a router quoting a UDP datagram src -> 198.18.9.9.
Bytes error_v4(uint8_t type, uint8_t code, const char* quoted_src, uint32_t rest = 0) {
  Bytes quote = quoted_v4(v4(quoted_src), v4("198.18.9.9"), 17, udp_header(40000, 53, 100), 108);
  return icmp4(v4("198.18.0.1"), v4("198.18.0.2"), type, code, rest, quote);
}

// An ICMPv6 error from a router quoting a UDP datagram src -> 2001:db8:9::9.
Bytes error_v6(uint8_t type, uint8_t code, const char* quoted_src, uint32_t rest = 0) {
  Bytes quote =
      quoted_v6(v6(quoted_src), v6("2001:db8:9::9"), 17, udp_header(40000, 53, 1400), 1408);
  return icmp6(v6("2001:db8::1"), v6("2001:db8::2"), type, code, rest, quote);
}

class ForgedErrorTest : public ::testing::Test {
 protected:
  Finding check(const Bytes& b, ForgedErrorConfig config = {}, const PacketContext& ctx = {}) {
    auto p = decode_packet(b);
    EXPECT_TRUE(p) << "the test packet does not decode: " << to_string(p.error);
    if (!p) return {};
    return ForgedErrorValidator(config, routes_).check(*p.value, ctx);
  }
  std::string reason(const Bytes& b, ForgedErrorConfig config = {}) {
    Finding f = check(b, config);
    return f.detected() ? f.reason : "pass";
  }
  std::string reason_in(const Bytes& b, const PacketContext& ctx) {
    Finding f = check(b, {}, ctx);
    return f.detected() ? f.reason : "pass";
  }
  StaticRouteView routes_ = host_routes();
};

TEST_F(ForgedErrorTest, V4ErrorsAboutOurDatagramsPass) {
  EXPECT_EQ(reason(error_v4(3, 3, "198.18.0.2")), "pass");               // port unreachable
  EXPECT_EQ(reason(error_v4(3, 4, "198.18.0.2", 1280)), "pass");         // fragmentation needed
  EXPECT_EQ(reason(error_v4(4, 0, "198.18.0.2")), "pass");               // source quench
  EXPECT_EQ(reason(error_v4(11, 0, "198.18.0.2")), "pass");              // time exceeded
  EXPECT_EQ(reason(error_v4(12, 0, "198.18.0.2", 0x08000000)), "pass");  // parameter problem
}

TEST_F(ForgedErrorTest, V4ErrorsAboutOthersDatagramsAreDropped) {
  for (uint8_t type : {3, 4, 11, 12}) {
    Finding f = check(error_v4(type, 0, "198.18.0.77"));
    EXPECT_EQ(f.reason, "error-not-ours") << int(type);
    EXPECT_EQ(f.outcome, Outcome::drop) << int(type);
    ASSERT_EQ(f.signals.size(), 1u);
    EXPECT_EQ(f.signals[0].name, "quoted-source-not-local");
  }
  // A blind "fragmentation needed" (RFC 5927 7): the PMTUD attack.
  EXPECT_EQ(reason(error_v4(3, 4, "198.18.0.3", 68)), "error-not-ours");
}

TEST_F(ForgedErrorTest, V6ErrorsAboutOurDatagramsPass) {
  EXPECT_EQ(reason(error_v6(1, 4, "2001:db8::2")), "pass");        // port unreachable
  EXPECT_EQ(reason(error_v6(2, 0, "2001:db8::2", 1280)), "pass");  // packet too big
  EXPECT_EQ(reason(error_v6(3, 0, "2001:db8::2")), "pass");        // time exceeded
  EXPECT_EQ(reason(error_v6(4, 0, "2001:db8::2", 6)), "pass");     // parameter problem
  EXPECT_EQ(reason(error_v6(1, 0, "fe80::2")), "pass");
}

TEST_F(ForgedErrorTest, V6ErrorsAboutOthersDatagramsAreDropped) {
  for (uint8_t type : {1, 2, 3, 4}) {
    EXPECT_EQ(reason(error_v6(type, 0, "2001:db8::77", 1280)), "error-not-ours") << int(type);
  }
  EXPECT_EQ(reason(error_v6(2, 0, "::", 1280)), "error-not-ours");
}

TEST_F(ForgedErrorTest, QuoteOfTheOtherFamilyIsNotOurs) {
  Bytes quote = quoted_v6(v6("2001:db8::2"), v6("2001:db8:9::9"), 17, udp_header(1, 2), 8);
  EXPECT_EQ(reason(icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 3, 3, 0, quote)), "error-not-ours");
}

TEST_F(ForgedErrorTest, UndecodableQuotePasses) {
  // Nothing to match a socket with; the kernel ignores it. Conservative.
  Bytes b = icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 3, 4, 1280, Bytes(12, 0x45));
  auto p = decode_packet(b);
  ASSERT_TRUE(p);
  ASSERT_FALSE(p.value->embedded);
  EXPECT_EQ(reason(b), "pass");
}

TEST_F(ForgedErrorTest, ErrorAboutAnErrorIsDropped) {
  Bytes inner_error = echo_header(3, 0, 0);  // a quoted destination unreachable header
  Bytes quote = quoted_v4(v4("198.18.0.2"), v4("198.18.9.9"), 1, inner_error, 36);
  Bytes b = icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 11, 0, 0, quote);
  Finding f = check(b);
  EXPECT_EQ(f.reason, "error-not-ours");
  ASSERT_EQ(f.signals.size(), 1u);
  EXPECT_EQ(f.signals[0].name, "quoted-icmp-error");
  ForgedErrorConfig lax;
  lax.drop_quoted_errors = false;
  EXPECT_EQ(reason(b, lax), "pass");

  Bytes quote6 = quoted_v6(v6("2001:db8::2"), v6("2001:db8:9::9"), 58, echo_header(1, 0, 0), 48);
  EXPECT_EQ(reason(icmp6(v6("2001:db8::1"), v6("2001:db8::2"), 1, 0, 0, quote6)), "error-not-ours");
}

TEST_F(ForgedErrorTest, ErrorAboutOurEchoPasses) {
  Bytes quote = quoted_v4(v4("198.18.0.2"), v4("198.18.9.9"), 1, echo_header(8, 7, 1), 64);
  EXPECT_EQ(reason(icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 11, 0, 0, quote)), "pass");
  Bytes quote6 = quoted_v6(v6("2001:db8::2"), v6("2001:db8:9::9"), 58, echo_header(128, 7, 1), 64);
  EXPECT_EQ(reason(icmp6(v6("2001:db8::1"), v6("2001:db8::2"), 3, 0, 0, quote6)), "pass");
}

TEST_F(ForgedErrorTest, OtherTypesAreNotJudged) {
  // A redirect quoting someone else's datagram is the redirect validator's.
  Bytes redirect = icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 5, 1, 0xc6120003,
                         quoted_v4(v4("198.18.0.77"), v4("198.18.9.9"), 17, udp_header(1, 2), 8));
  auto p = decode_packet(redirect);
  ASSERT_TRUE(p);
  EXPECT_FALSE(ForgedErrorValidator::applies(*p.value));
  EXPECT_EQ(reason(redirect), "pass");
  EXPECT_EQ(reason(icmp4(v4("198.18.0.77"), v4("198.18.0.2"), 8, 0, 0x00010001, {})), "pass");
  EXPECT_EQ(reason(icmp6(v6("2001:db8::77"), v6("2001:db8::2"), 128, 0, 0x00010001, {})), "pass");
}

// --- smuggling ----------------------------------------------------------------

// A port unreachable quoting a whole UDP datagram (header and `data`
// bytes) from `quoted_src`, followed by `appended` bytes.
Bytes unreachable_v4(const char* quoted_src, size_t data, size_t appended) {
  Bytes l4 = udp_header(40000, 53, static_cast<uint16_t>(data));
  l4.resize(l4.size() + data, 0x61);
  Bytes quote =
      quoted_v4(v4(quoted_src), v4("198.18.9.9"), 17, l4, static_cast<uint16_t>(l4.size()));
  quote.resize(quote.size() + appended, 0x42);
  return icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 3, 3, 0, quote);
}
Bytes unreachable_v6(const char* quoted_src, size_t data, size_t appended) {
  Bytes l4 = udp_header(40000, 53, static_cast<uint16_t>(data));
  l4.resize(l4.size() + data, 0x61);
  Bytes quote =
      quoted_v6(v6(quoted_src), v6("2001:db8:9::9"), 17, l4, static_cast<uint16_t>(l4.size()));
  quote.resize(quote.size() + appended, 0x42);
  return icmp6(v6("2001:db8::1"), v6("2001:db8::2"), 1, 4, 0, quote);
}

TEST_F(ForgedErrorTest, DataAppendedAfterTheQuotedDatagramIsSmuggling) {
  EXPECT_EQ(reason(unreachable_v4("198.18.0.2", 10, 0)), "pass");
  EXPECT_EQ(reason(unreachable_v6("2001:db8::2", 10, 0)), "pass");
  for (const Bytes& b :
       {unreachable_v4("198.18.0.2", 10, 1), unreachable_v6("2001:db8::2", 10, 1),
        unreachable_v4("198.18.0.2", 0, 200), unreachable_v6("2001:db8::2", 0, 600)}) {
    Finding f = check(b);
    EXPECT_EQ(f.reason, "error-smuggling");
    EXPECT_EQ(f.outcome, Outcome::drop);
    ASSERT_EQ(f.signals.size(), 1u);
    EXPECT_EQ(f.signals[0].name, "appended");
    EXPECT_EQ(f.block_for.count(), 0) << "errors never block";
  }
  // Also on the forward hook, and whoever the quote names.
  PacketContext forward;
  forward.hook = 2;
  EXPECT_EQ(reason_in(unreachable_v4("198.18.0.77", 0, 40), forward), "error-smuggling");
  EXPECT_EQ(reason_in(unreachable_v6("2001:db8::77", 0, 40), forward), "error-smuggling");
}

TEST_F(ForgedErrorTest, ErrorsLongerThanTheRfcsAllowAreSmuggling) {
  // 20 + 8 + 548 = 576 bytes: the most an ICMPv4 error may be.
  EXPECT_EQ(reason(unreachable_v4("198.18.0.2", 548 - 28, 0)), "pass");
  Finding f = check(unreachable_v4("198.18.0.2", 549 - 28, 0));
  EXPECT_EQ(f.reason, "error-smuggling");
  ASSERT_EQ(f.signals.size(), 1u);
  EXPECT_EQ(f.signals[0].name, "length");
  // 40 + 8 + 1232 = 1280 bytes for ICMPv6.
  EXPECT_EQ(reason(unreachable_v6("2001:db8::2", 1232 - 48, 0)), "pass");
  EXPECT_EQ(reason(unreachable_v6("2001:db8::2", 1233 - 48, 0)), "error-smuggling");
}

TEST_F(ForgedErrorTest, Rfc4884PaddingAndExtensionsAreNotSmuggling) {
  // Time exceeded with a length attribute of 32 words: the 28-byte
  // datagram padded to 128 bytes, then an extension structure.
  Bytes quote = quoted_v4(v4("198.18.0.2"), v4("198.18.9.9"), 17, udp_header(33434, 33435), 8);
  quote.resize(128, 0);
  Bytes with_ext = quote;
  with_ext.insert(with_ext.end(), {0x20, 0, 0, 0, 0, 8, 1, 1, 0, 0, 0, 0});
  EXPECT_EQ(reason(icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 11, 0, 32u << 16, with_ext)), "pass");
  // Something else after the padded quote is smuggling.
  Bytes other = quote;
  other.resize(other.size() + 40, 0x42);
  EXPECT_EQ(reason(icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 11, 0, 32u << 16, other)),
            "error-smuggling");
  // A datagram area larger than the padded quote hides data in it.
  Bytes big = quote;
  big.resize(256, 0x42);
  EXPECT_EQ(reason(icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 11, 0, 64u << 16, big)),
            "error-smuggling");
}

// --- flows this host never had ---------------------------------------------

FlowTuple udp_flow(const char* src, const char* dst) {
  FlowTuple t;
  t.src = std::string(src).find(':') == std::string::npos ? v4(src) : v6(src);
  t.dst = std::string(dst).find(':') == std::string::npos ? v4(dst) : v6(dst);
  t.protocol = 17;
  t.src_port = 40000;
  t.dst_port = 53;
  return t;
}

TEST_F(ForgedErrorTest, WithoutConntrackNothingIsConcludedAboutFlows) {
  EXPECT_EQ(reason(error_v4(3, 3, "198.18.0.2")), "pass");
  EXPECT_EQ(reason(error_v6(1, 4, "2001:db8::2")), "pass");
}

TEST_F(ForgedErrorTest, AnErrorAboutAFlowConntrackDoesNotHoldIsDropped) {
  routes_.set_conntrack(true);
  for (const Bytes& b : {error_v4(3, 3, "198.18.0.2"), error_v6(1, 4, "2001:db8::2")}) {
    Finding f = check(b);
    EXPECT_EQ(f.reason, "error-no-flow");
    EXPECT_EQ(f.outcome, Outcome::drop);
    EXPECT_EQ(f.block_for.count(), 0);
  }
  routes_.add_flow(udp_flow("198.18.0.2", "198.18.9.9"));
  routes_.add_flow(udp_flow("2001:db8::2", "2001:db8:9::9"));
  EXPECT_EQ(reason(error_v4(3, 3, "198.18.0.2")), "pass");
  EXPECT_EQ(reason(error_v6(1, 4, "2001:db8::2")), "pass");
  // An echo of ours: keyed by type, code and id.
  Bytes quote = quoted_v4(v4("198.18.0.2"), v4("198.18.9.9"), 1, echo_header(8, 7, 1), 64);
  Bytes b = icmp4(v4("198.18.0.1"), v4("198.18.0.2"), 11, 0, 0, quote);
  EXPECT_EQ(reason(b), "error-no-flow");
  FlowTuple echo;
  echo.src = v4("198.18.0.2");
  echo.dst = v4("198.18.9.9");
  echo.protocol = 1;
  echo.icmp_type = 8;
  echo.icmp_id = 7;
  routes_.add_flow(echo);
  EXPECT_EQ(reason(b), "pass");
}

TEST_F(ForgedErrorTest, TheKernelsConntrackStateDecidesWhenItIsReported) {
  PacketContext none, related, forward;
  none.hook = related.hook = 1;  // NF_INET_LOCAL_IN
  none.ct = Conntrack::none;
  related.ct = Conntrack::related;
  forward.hook = 2;
  forward.ct = Conntrack::none;
  for (const Bytes& b : {error_v4(3, 3, "198.18.0.2"), error_v6(1, 4, "2001:db8::2")}) {
    EXPECT_EQ(reason_in(b, none), "error-no-flow");
    EXPECT_EQ(reason_in(b, related), "pass");
    EXPECT_EQ(reason_in(b, forward), "pass") << "a router passes errors on for others";
  }
  // On the forward hook the quote need not be ours either, nor on output
  // (an error this host sends quotes someone else's datagram).
  EXPECT_EQ(reason_in(error_v4(3, 3, "198.18.0.77"), forward), "pass");
  PacketContext output;
  output.hook = 3;  // NF_INET_LOCAL_OUT
  EXPECT_EQ(reason_in(error_v6(1, 4, "2001:db8::77"), output), "pass");
  // Related, but quoting someone else's datagram: still not ours.
  EXPECT_EQ(reason_in(error_v4(3, 3, "198.18.0.77"), related), "error-not-ours");
}

}  // namespace
