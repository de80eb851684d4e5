// SPDX-License-Identifier: GPL-2.0-or-later
// max-size on a rule, with packets: iputils ping of both families from the
// client, under and over the cap; crafted IPv4 echo requests whose IP
// header carries 40 bytes of options, the ICMP message just at and just
// past the cap (the length is measured from the ICMP header, whatever the
// IP header's length). The observer on the server's input hook and the
// rule's counters witness each verdict.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

constexpr char kPolicy[] = R"([hooks.input]
default = "allow"

[[rule]]
name = "ping"
types = ["echo-request"]
max-size = 64
action = "allow"
)";

class MaxSizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    auto r = apply_policy_text(net_->server, kPolicy);
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  Counter counter(const std::string& name) { return read_counter(net_->server, name); }
  std::unique_ptr<Topology> net_;
};

// ping -s 56: an ICMP message of 64 bytes (8 of header) passes; -s 57 is
// one byte over and is dropped and counted.
TEST_F(MaxSizeTest, PingAtTheCapPassesOneByteMoreIsDropped) {
  for (const char* dst : {Addr::server_v4, Addr::server_v6}) {
    SCOPED_TRACE(dst);
    const Counter oversize0 = counter("rule.ping.oversize");
    const Counter allowed0 = counter(rule_counter("ping"));
    auto small = ping(net_->client, dst, {"-c", "3", "-i", "0.2", "-W", "1", "-s", "56"});
    EXPECT_EQ(small.received, 3) << small.describe();
    auto big = ping(net_->client, dst, {"-c", "3", "-i", "0.2", "-W", "1", "-s", "57"});
    EXPECT_EQ(big.transmitted, 3) << big.describe();
    EXPECT_EQ(big.received, 0) << big.describe();
    EXPECT_EQ(counter("rule.ping.oversize").packets - oversize0.packets, 3u);
    EXPECT_EQ(counter("rule.ping.oversize").bytes - oversize0.bytes,
              3u * (std::string(dst) == Addr::server_v4 ? 20 + 65 : 40 + 65));
    EXPECT_EQ(counter(rule_counter("ping")).packets - allowed0.packets, 3u);
  }
}

// The audit names the cap as the length it is, in both families, and the
// outcome on either side of it.
TEST_F(MaxSizeTest, AuditReadsTheCapAsALength) {
  for (const char* family : {"ipv4", "ipv6"}) {
    SCOPED_TRACE(family);
    auto audit = icmpwall({"audit", "--netns", net_->server.name(), "--family", family, "--hook",
                           "input", "--type", "echo-request"});
    ASSERT_TRUE(audit.ok()) << audit.describe();
    EXPECT_THAT(audit.out, ::testing::HasSubstr("if icmp length > 64 at inet icmpwall input."))
        << audit.out;
    EXPECT_THAT(audit.out, ::testing::HasSubstr(": dropped; otherwise accepted")) << audit.out;
  }
}

// 40 bytes of IP options make the IP header 60 bytes: a 64-byte message
// passes (a cap measured as the packet's length minus a 20-byte header
// would drop it), a 72-byte one is dropped.
TEST_F(MaxSizeTest, Ipv4OptionsDoNotCountTowardsTheMessage) {
  ICMPWALL_REQUIRE_CRAFT();
  Observer obs(net_->server, {"input"});
  const Link link{&net_->router, Topology::router_server_if,
                  net_->server.mac_of(Topology::server_if)};
  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "8";
  p.extra = {"--ip-options", "40", "--payload", "56"};
  EXPECT_TRUE(passed(send_probe(obs, "input", link, p), 8));
  EXPECT_EQ(counter("rule.ping.oversize").packets, 0u);
  p.extra = {"--ip-options", "40", "--payload", "64"};
  EXPECT_TRUE(dropped(send_probe(obs, "input", link, p), 8));
  EXPECT_EQ(counter("rule.ping.oversize").packets, 3u);
}

}  // namespace
}  // namespace icmpwall::integration
