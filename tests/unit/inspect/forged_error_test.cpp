// Tests for ForgedErrorValidator (src/inspect/forged_error.cpp) on packet
// bytes: errors of every judged type, in both families, quoting a datagram
// this host sent (pass) or one it cannot have sent (error-not-ours). The
// host (a StaticRouteView) owns 198.18.0.2 and 2001:db8::2.
#include "icmpwall/inspect/forged_error.h"

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
  Finding check(const Bytes& b, ForgedErrorConfig config = {}) {
    auto p = decode_packet(b);
    EXPECT_TRUE(p) << "the test packet does not decode: " << to_string(p.error);
    if (!p) return {};
    return ForgedErrorValidator(config, routes_).check(*p.value);
  }
  std::string reason(const Bytes& b, ForgedErrorConfig config = {}) {
    Finding f = check(b, config);
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

}  // namespace
