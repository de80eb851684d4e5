// SPDX-License-Identifier: GPL-2.0-or-later
// Tests for RedirectValidator (src/inspect/detect/redirect.cpp) on packet bytes:
// one valid ICMPv4 and one valid ICMPv6 redirect (builder_test.cpp checks
// the builder against scapy), and for every rule a variant that breaks
// only that rule. The host's routes come from a StaticRouteView:
//
//   ifindex 2: 198.18.0.2/24, 2001:db8::2/64, fe80::2 — gateway 198.18.0.1 /
//              fe80::1 for 198.18.9.0/24 and 2001:db8:9::/64
//   ifindex 3: 198.18.1.2/24, 2001:db8:1::2/64 (another link)
#include "icmpwall/inspect/detect/redirect.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "icmp_builder.h"

using namespace icmpwall::inspect;
using namespace icmpwall::inspect::testing;

namespace {

constexpr uint32_t kLink = 2;
constexpr uint32_t kOtherLink = 3;

StaticRouteView host_routes() {
  StaticRouteView r;
  r.add_route(v4("198.18.0.0"), 24, Route{std::nullopt, kLink})
      .add_route(v4("198.18.1.0"), 24, Route{std::nullopt, kOtherLink})
      .add_route(v4("198.18.9.0"), 24, Route{v4("198.18.0.1"), kLink})
      .add_local(v4("198.18.0.2"))
      .add_local(v4("198.18.1.2"))
      .add_connected(v4("198.18.0.0"), 24, kLink)
      .add_connected(v4("198.18.1.0"), 24, kOtherLink);
  r.add_route(v6("2001:db8::"), 64, Route{std::nullopt, kLink})
      .add_route(v6("2001:db8:1::"), 64, Route{std::nullopt, kOtherLink})
      .add_route(v6("2001:db8:9::"), 64, Route{v6("fe80::1"), kLink})
      .add_local(v6("2001:db8::2"))
      .add_local(v6("fe80::2"))
      .add_local(v6("2001:db8:1::2"))
      .add_connected(v6("2001:db8::"), 64, kLink)
      .add_connected(v6("2001:db8:1::"), 64, kOtherLink);
  return r;
}

// --- IPv4 -------------------------------------------------------------------

struct V4Redirect {
  const char* src = "198.18.0.1";        // who sends it
  uint8_t code = 1;                      // host redirect
  const char* gateway = "198.18.0.3";    // the new gateway (rest)
  const char* inner_src = "198.18.0.2";  // the quoted datagram ...
  const char* inner_dst = "198.18.9.9";
  size_t quote_len = 28;  // bytes of it quoted

  Bytes bytes() const {
    Bytes inner = quoted_v4(v4(inner_src), v4(inner_dst), 1, echo_header(0, 0x1234, 1), 64);
    inner.resize(quote_len);
    Address gw = v4(gateway);
    uint32_t rest = (uint32_t{gw.bytes[0]} << 24) | (uint32_t{gw.bytes[1]} << 16) |
                    (uint32_t{gw.bytes[2]} << 8) | gw.bytes[3];
    return icmp4(v4(src), v4("198.18.0.2"), 5, code, rest, inner);
  }
};

class RedirectTest : public ::testing::Test {
 protected:
  Finding check(const Bytes& b, uint32_t iif = 0, RedirectConfig config = {}) {
    auto p = decode_packet(b);
    EXPECT_TRUE(p) << "the test packet does not decode: " << to_string(p.error);
    if (!p) return {};
    RedirectValidator validator(config, routes_);
    return validator.check(*p.value, PacketContext{.iif = iif});
  }
  std::string reason(const Bytes& b, uint32_t iif = 0, RedirectConfig config = {}) {
    Finding f = check(b, iif, config);
    return f.detected() ? f.reason : "pass";
  }

  StaticRouteView routes_ = host_routes();
};

TEST_F(RedirectTest, V4FromGatewayPasses) {
  Finding f = check(V4Redirect{}.bytes(), kLink);
  EXPECT_FALSE(f.detected()) << f.reason;
  EXPECT_EQ(f.outcome, Outcome::pass);
}

TEST_F(RedirectTest, V4EveryDefinedCodePasses) {
  for (uint8_t code = 0; code <= 3; ++code) {
    V4Redirect r;
    r.code = code;
    EXPECT_EQ(reason(r.bytes()), "pass") << int(code);
  }
}

TEST_F(RedirectTest, V4UndefinedCode) {
  for (uint8_t code : {4, 7, 8, 255}) {
    V4Redirect r;
    r.code = code;
    EXPECT_EQ(reason(r.bytes()), "redirect-code") << int(code);
  }
}

TEST_F(RedirectTest, RefusedByPolicy) {
  RedirectConfig no;
  no.accept = false;
  Finding f = check(V4Redirect{}.bytes(), kLink, no);
  EXPECT_EQ(f.reason, "redirect-refused");
  EXPECT_EQ(f.outcome, Outcome::drop);
}

TEST_F(RedirectTest, V4OnRouter) {
  routes_.set_forwarding(Family::ipv6, true);
  EXPECT_EQ(reason(V4Redirect{}.bytes()), "pass");  // forwarding IPv6 only
  routes_.set_forwarding(Family::ipv4, true);
  EXPECT_EQ(reason(V4Redirect{}.bytes()), "redirect-on-router");
}

TEST_F(RedirectTest, V4QuoteMissingOrCut) {
  V4Redirect r;
  r.quote_len = 12;  // not even an IPv4 header
  EXPECT_EQ(reason(r.bytes()), "redirect-no-datagram");
  r.quote_len = 0;
  EXPECT_EQ(reason(r.bytes()), "redirect-no-datagram");
  r.quote_len = 20;  // the header alone is enough to judge
  EXPECT_EQ(reason(r.bytes()), "pass");
}

TEST_F(RedirectTest, V4QuotedDatagramNotOurs) {
  V4Redirect r;
  r.inner_src = "198.18.0.77";
  EXPECT_EQ(reason(r.bytes()), "redirect-datagram-not-ours");
  r.inner_src = "198.18.1.2";  // our address on the other link is ours
  EXPECT_EQ(reason(r.bytes()), "pass");
}

TEST_F(RedirectTest, V4NoRoute) {
  V4Redirect r;
  r.inner_dst = "198.18.200.9";
  EXPECT_EQ(reason(r.bytes()), "redirect-no-route");
}

TEST_F(RedirectTest, V4NotFromGateway) {
  V4Redirect r;
  r.src = "198.18.0.3";  // another host on the link names itself
  Finding f = check(r.bytes());
  EXPECT_EQ(f.reason, "redirect-not-from-gateway");
  EXPECT_EQ(f.outcome, Outcome::drop);
}

TEST_F(RedirectTest, V4NotFromGatewayBlocksWhenConfigured) {
  V4Redirect r;
  r.src = "198.18.0.3";
  RedirectConfig c;
  c.block_for = std::chrono::seconds(60);
  Finding f = check(r.bytes(), 0, c);
  EXPECT_EQ(f.outcome, Outcome::block);
  EXPECT_EQ(f.block_for, std::chrono::seconds(60));
  // The other rules only drop: their source may be the real gateway.
  r = V4Redirect{};
  r.gateway = "198.18.5.5";
  f = check(r.bytes(), 0, c);
  EXPECT_EQ(f.reason, "redirect-gateway-not-on-link");
  EXPECT_EQ(f.outcome, Outcome::drop);
}

TEST_F(RedirectTest, V4DestinationOnLinkHasNoGateway) {
  V4Redirect r;
  r.inner_dst = "198.18.0.50";  // on our link: nobody may redirect it
  EXPECT_EQ(reason(r.bytes()), "redirect-not-from-gateway");
}

TEST_F(RedirectTest, V4WrongInterface) {
  EXPECT_EQ(reason(V4Redirect{}.bytes(), kOtherLink), "redirect-wrong-interface");
  EXPECT_EQ(reason(V4Redirect{}.bytes(), kLink), "pass");
  EXPECT_EQ(reason(V4Redirect{}.bytes(), 0), "pass");  // unknown: not checked
}

TEST_F(RedirectTest, V4InvalidNewGateway) {
  for (const char* gw : {"0.0.0.0", "224.0.0.1", "255.255.255.255", "127.0.0.1", "198.18.0.2"}) {
    V4Redirect r;
    r.gateway = gw;
    EXPECT_EQ(reason(r.bytes()), "redirect-gateway-invalid") << gw;
  }
}

TEST_F(RedirectTest, V4NewGatewayNotOnLink) {
  V4Redirect r;
  r.gateway = "198.18.5.5";  // behind a router
  EXPECT_EQ(reason(r.bytes()), "redirect-gateway-not-on-link");
  r.gateway = "198.18.1.3";  // connected, but to the other interface
  EXPECT_EQ(reason(r.bytes()), "redirect-gateway-not-on-link");
  r.gateway = "198.18.0.254";
  EXPECT_EQ(reason(r.bytes()), "pass");
}

TEST_F(RedirectTest, NotARedirect) {
  Bytes echo = icmp4(v4("198.18.0.9"), v4("198.18.0.2"), 8, 0, 0x12340001, Bytes(8, 0x61));
  auto p = decode_packet(echo);
  ASSERT_TRUE(p);
  EXPECT_FALSE(RedirectValidator::applies(*p.value));
  RedirectConfig no;
  no.accept = false;
  EXPECT_EQ(reason(echo, 0, no), "pass");
}

// --- IPv6 -------------------------------------------------------------------

struct V6Redirect {
  const char* src = "fe80::1";
  const char* dst = "2001:db8::2";
  uint8_t hop_limit = 255;
  uint8_t code = 0;
  const char* target = "fe80::3";
  const char* destination = "2001:db8:9::9";
  bool tlla = true;
  bool redirected_header = true;
  const char* inner_src = "2001:db8::2";
  const char* inner_dst = nullptr;  // default: the destination
  Bytes extra_options;              // appended after the others

  Bytes options() const {
    Bytes o;
    if (tlla) append(o, tlla_option({2, 0, 0, 0, 0, 3}));
    if (redirected_header) {
      Bytes inner = quoted_v6(v6(inner_src), v6(inner_dst ? inner_dst : destination), 58,
                              echo_header(128, 0x1234, 1), 64);
      append(o, redirected_header_option(inner));
    }
    append(o, extra_options);
    return o;
  }
  Bytes bytes() const {
    return icmp6(v6(src), v6(dst), 137, code, 0,
                 redirect_v6_body(v6(target), v6(destination), options()), hop_limit);
  }
};

TEST_F(RedirectTest, V6FromFirstHopRouterPasses) {
  Finding f = check(V6Redirect{}.bytes(), kLink);
  EXPECT_FALSE(f.detected()) << f.reason;
}

TEST_F(RedirectTest, V6DestinationOnLinkPasses) {
  V6Redirect r;
  r.target = r.destination;  // "the destination is a neighbor"
  EXPECT_EQ(reason(r.bytes(), kLink), "pass");
}

TEST_F(RedirectTest, V6ToLinkLocalAddressPasses) {
  V6Redirect r;
  r.dst = "fe80::2";
  EXPECT_EQ(reason(r.bytes(), kLink), "pass");
}

TEST_F(RedirectTest, V6RefusedAndRouter) {
  RedirectConfig no;
  no.accept = false;
  EXPECT_EQ(reason(V6Redirect{}.bytes(), 0, no), "redirect-refused");
  routes_.set_forwarding(Family::ipv4, true);
  EXPECT_EQ(reason(V6Redirect{}.bytes()), "pass");
  routes_.set_forwarding(Family::ipv6, true);
  EXPECT_EQ(reason(V6Redirect{}.bytes()), "redirect-on-router");
}

TEST_F(RedirectTest, V6HopLimit) {
  for (uint8_t hl : {254, 64, 1}) {
    V6Redirect r;
    r.hop_limit = hl;
    Finding f = check(r.bytes());
    EXPECT_EQ(f.reason, "redirect-hop-limit") << int(hl);
    ASSERT_EQ(f.signals.size(), 1u);
    EXPECT_EQ(f.signals[0].value, hl);
    EXPECT_EQ(f.signals[0].threshold, 255);
  }
}

TEST_F(RedirectTest, V6SourceNotLinkLocal) {
  V6Redirect r;
  r.src = "2001:db8::1";
  EXPECT_EQ(reason(r.bytes()), "redirect-source-not-link-local");
}

TEST_F(RedirectTest, V6Code) {
  V6Redirect r;
  r.code = 1;
  EXPECT_EQ(reason(r.bytes()), "redirect-code");
}

TEST_F(RedirectTest, V6TooShort) {
  // Only the target: ICMP length 24.
  Bytes body;
  append_addr(body, v6("fe80::3"));
  EXPECT_EQ(reason(icmp6(v6("fe80::1"), v6("2001:db8::2"), 137, 0, 0, body, 255)),
            "redirect-too-short");
  // 39 bytes.
  body = redirect_v6_body(v6("fe80::3"), v6("2001:db8:9::9"), {});
  body.pop_back();
  EXPECT_EQ(reason(icmp6(v6("fe80::1"), v6("2001:db8::2"), 137, 0, 0, body, 255)),
            "redirect-too-short");
}

TEST_F(RedirectTest, V6MinimalMessageWithoutOptions) {
  V6Redirect r;
  r.tlla = false;
  r.redirected_header = false;
  Bytes b = r.bytes();
  EXPECT_EQ(b.size(), 40u + 40u);
  EXPECT_EQ(reason(b), "redirect-no-datagram");
  RedirectConfig lax;
  lax.require_datagram = false;
  EXPECT_EQ(reason(b, kLink, lax), "pass");
}

TEST_F(RedirectTest, V6DestinationMulticast) {
  V6Redirect r;
  r.destination = "ff02::1";
  r.target = "ff02::1";
  EXPECT_EQ(reason(r.bytes()), "redirect-destination-multicast");
}

TEST_F(RedirectTest, V6Target) {
  V6Redirect r;
  r.target = "2001:db8::3";  // global, and not the destination
  EXPECT_EQ(reason(r.bytes()), "redirect-bad-target");
  r.target = "ff02::2";
  EXPECT_EQ(reason(r.bytes()), "redirect-bad-target");
  r.target = "2001:db8:9::9";  // global but equal to the destination: on-link
  EXPECT_EQ(reason(r.bytes()), "pass");
}

TEST_F(RedirectTest, V6OptionOfLengthZero) {
  V6Redirect r;
  r.extra_options = {1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(reason(r.bytes()), "redirect-bad-option");
  // First in the list, before the good ones.
  r.extra_options.clear();
  Bytes b = r.bytes();
  Bytes zero_first = b;
  zero_first[40 + 40 + 1] = 0;  // the target link-layer option's length
  EXPECT_EQ(reason(zero_first), "redirect-bad-option");
}

TEST_F(RedirectTest, V6OptionRunningPastTheMessage) {
  V6Redirect r;
  r.extra_options = {1, 2, 0, 0, 0, 0, 0, 0};  // claims 16 bytes, 8 present
  EXPECT_EQ(reason(r.bytes()), "redirect-bad-option");
  r.extra_options = {1};  // a lone type byte
  EXPECT_EQ(reason(r.bytes()), "redirect-bad-option");
}

TEST_F(RedirectTest, V6RepeatedOptions) {
  V6Redirect r;
  r.extra_options = tlla_option({2, 0, 0, 0, 0, 4});
  EXPECT_EQ(reason(r.bytes()), "redirect-bad-option");
  r.extra_options = redirected_header_option(Bytes(48, 0));
  EXPECT_EQ(reason(r.bytes()), "redirect-bad-option");
}

TEST_F(RedirectTest, V6UnknownOptionIsIgnored) {
  V6Redirect r;
  r.extra_options = {1, 1, 2, 0, 0, 0, 0, 9};  // source link-layer: not for redirects
  EXPECT_EQ(reason(r.bytes()), "pass");
  r.extra_options = {200, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(reason(r.bytes()), "pass");
}

TEST_F(RedirectTest, V6NoRedirectedHeader) {
  V6Redirect r;
  r.redirected_header = false;
  EXPECT_EQ(reason(r.bytes()), "redirect-no-datagram");
  // A redirected header whose datagram is not IPv6.
  r.extra_options = redirected_header_option(
      quoted_v4(v4("198.18.0.2"), v4("198.18.9.9"), 1, echo_header(8, 1, 1), 64));
  EXPECT_EQ(reason(r.bytes()), "redirect-no-datagram");
}

TEST_F(RedirectTest, V6QuotedDatagramNotOurs) {
  V6Redirect r;
  r.inner_src = "2001:db8::77";
  EXPECT_EQ(reason(r.bytes()), "redirect-datagram-not-ours");
}

TEST_F(RedirectTest, V6QuotedDatagramToAnotherDestination) {
  V6Redirect r;
  r.inner_dst = "2001:db8:9::10";
  EXPECT_EQ(reason(r.bytes()), "redirect-datagram-mismatch");
}

TEST_F(RedirectTest, V6NoRoute) {
  V6Redirect r;
  r.destination = "2001:db8:77::1";
  EXPECT_EQ(reason(r.bytes()), "redirect-no-route");
}

TEST_F(RedirectTest, V6NotFromFirstHopRouter) {
  V6Redirect r;
  r.src = "fe80::3";
  Finding f = check(r.bytes());
  EXPECT_EQ(f.reason, "redirect-not-from-gateway");
  // The destination is on-link: no router may redirect it.
  r = V6Redirect{};
  r.destination = "2001:db8::50";
  EXPECT_EQ(reason(r.bytes()), "redirect-not-from-gateway");
}

TEST_F(RedirectTest, V6WrongInterface) {
  EXPECT_EQ(reason(V6Redirect{}.bytes(), kOtherLink), "redirect-wrong-interface");
}

TEST_F(RedirectTest, V6CutByTheCopyRangeIsJudgedOnWhatIsThere) {
  Bytes b = V6Redirect{}.bytes();
  // Cut inside the redirected header's datagram, after its IPv6 header.
  Bytes cut(b.begin(), b.begin() + 40 + 40 + 8 + 8 + 44);
  auto p = decode_packet(cut, DecodeOptions{.allow_truncated = true});
  ASSERT_TRUE(p);
  ASSERT_TRUE(p.value->truncated);
  RedirectValidator validator({}, routes_);
  Finding f = validator.check(*p.value, PacketContext{.iif = kLink});
  EXPECT_FALSE(f.detected()) << f.reason;
  // A forged source is still seen in a cut packet.
  V6Redirect forged;
  forged.src = "fe80::3";
  b = forged.bytes();
  cut.assign(b.begin(), b.begin() + 40 + 40 + 8 + 8 + 44);
  p = decode_packet(cut, DecodeOptions{.allow_truncated = true});
  ASSERT_TRUE(p);
  EXPECT_EQ(validator.check(*p.value, PacketContext{.iif = kLink}).reason,
            "redirect-not-from-gateway");
}

// --- the link-layer source -------------------------------------------------

const LinkAddress kGatewayMac{{2, 0, 0, 0, 0, 1}, 6};
const LinkAddress kOtherMac{{2, 0, 0, 0, 0, 3}, 6};

PacketContext from_mac(const LinkAddress& mac, uint32_t iif = kLink) {
  PacketContext ctx;
  ctx.iif = iif;
  std::copy_n(mac.bytes.begin(), mac.len, ctx.hwaddr.begin());
  ctx.hwaddr_len = mac.len;
  return ctx;
}

TEST_F(RedirectTest, TheGatewaysOwnLinkLayerSourcePasses) {
  routes_.add_neighbour(v4("198.18.0.1"), kLink, kGatewayMac)
      .add_neighbour(v6("fe80::1"), kLink, kGatewayMac);
  for (const Bytes& b : {V4Redirect{}.bytes(), V6Redirect{}.bytes()}) {
    auto p = decode_packet(b);
    ASSERT_TRUE(p);
    Finding f = RedirectValidator({}, routes_).check(*p.value, from_mac(kGatewayMac));
    EXPECT_FALSE(f.detected()) << f.reason;
  }
}

TEST_F(RedirectTest, TheGatewaysAddressFromAnotherHostsFrameIsDropped) {
  routes_.add_neighbour(v4("198.18.0.1"), kLink, kGatewayMac)
      .add_neighbour(v6("fe80::1"), kLink, kGatewayMac);
  for (const Bytes& b : {V4Redirect{}.bytes(), V6Redirect{}.bytes()}) {
    auto p = decode_packet(b);
    ASSERT_TRUE(p);
    Finding f = RedirectValidator({}, routes_).check(*p.value, from_mac(kOtherMac));
    EXPECT_EQ(f.reason, "redirect-link-layer-mismatch");
    EXPECT_EQ(f.outcome, Outcome::drop);
    ASSERT_EQ(f.signals.size(), 1u);
    EXPECT_EQ(f.signals[0].name, "link-layer-source");
  }
}

TEST_F(RedirectTest, NoNeighbourEntryForTheGatewayIsDropped) {
  for (const Bytes& b : {V4Redirect{}.bytes(), V6Redirect{}.bytes()}) {
    auto p = decode_packet(b);
    ASSERT_TRUE(p);
    Finding f = RedirectValidator({}, routes_).check(*p.value, from_mac(kGatewayMac));
    EXPECT_EQ(f.reason, "redirect-link-layer-mismatch");
    ASSERT_EQ(f.signals.size(), 1u);
    EXPECT_EQ(f.signals[0].name, "no-neighbour-entry");
    // No link-layer source reported (a device without one): not judged.
    EXPECT_FALSE(
        RedirectValidator({}, routes_).check(*p.value, PacketContext{.iif = kLink}).detected());
  }
}

}  // namespace
