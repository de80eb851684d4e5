// SPDX-License-Identifier: GPL-2.0-or-later
// The policy language's semantics, with packets: small policies on the
// server, crafted ICMP from the router, the observer and icmpwall's
// counters as witnesses. Precedence (a code-specific rule before a
// type-wide one, a rule with conditions before one without), conditions
// (source, iif, hop-limit), the exact burst of a rate limit and
// `over = "continue"`, and what an inspect rule does when no worker
// listens on its queue.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

class PolicySemanticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    ICMPWALL_REQUIRE_CRAFT();
    net_ = std::make_unique<Topology>();
    obs_ = std::make_unique<Observer>(net_->server, std::vector<std::string>{"input"});
  }
  void apply(const std::string& toml) {
    auto r = apply_policy_text(net_->server, toml);
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  ProbeResult probe(Probe p) {
    const Link link{&net_->router, Topology::router_server_if,
                    net_->server.mac_of(Topology::server_if)};
    return send_probe(*obs_, "input", link, p);
  }
  Counter counter(const std::string& name) { return read_counter(net_->server, name); }
  std::unique_ptr<Topology> net_;
  std::unique_ptr<Observer> obs_;
};

TEST_F(PolicySemanticsTest, CodeSpecificRuleWinsOverTypeWideRule) {
  apply(R"([hooks.input]
default = "allow"

[[rule]]
name = "unreach"
types = ["destination-unreachable"]
action = "drop"

[[rule]]
name = "frag-needed"
types = ["frag-needed"]
action = "allow"
)");
  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "3/4";
  EXPECT_TRUE(passed(probe(p), 3));
  p.types = "3/3";
  EXPECT_TRUE(dropped(probe(p), 3));
  p.types = "3/13";
  EXPECT_TRUE(dropped(probe(p), 3));
  EXPECT_EQ(counter(rule_counter("frag-needed")).packets, 3u);
  EXPECT_EQ(counter(rule_counter("unreach")).packets, 6u);
}

TEST_F(PolicySemanticsTest, RuleWithConditionsWinsOverRuleWithout) {
  apply(R"([hooks.input]
default = "allow"

[[rule]]
name = "timestamps"
types = ["timestamp-request"]
action = "drop"

[[rule]]
name = "timestamps-from-router"
types = ["timestamp-request"]
source = ["198.18.2.1"]
iif = "s0"
action = "allow"
)");
  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "13";
  EXPECT_TRUE(passed(probe(p), 13));
  p.src = "198.18.2.77";  // another source on the same link
  EXPECT_TRUE(dropped(probe(p), 13));
  EXPECT_EQ(counter(rule_counter("timestamps-from-router")).packets, 3u);
  EXPECT_EQ(counter(rule_counter("timestamps")).packets, 3u);
}

TEST_F(PolicySemanticsTest, HopLimitConditionIsExact) {
  apply(R"([hooks.input]
default = "drop"

[[rule]]
name = "echo"
types = ["echo-request"]
action = "allow"

[[rule]]
name = "ns"
types = ["neighbor-solicitation"]
family = "ipv6"
hop-limit = 255
action = "allow"
)");
  Probe p{Family::v6, "fe80::1", Addr::server_v6};
  p.types = "135";
  p.extra = {"--target", Addr::server_v6};
  EXPECT_TRUE(passed(probe(p), 135));
  p.extra = {"--target", Addr::server_v6, "--hlim", "254"};
  EXPECT_TRUE(dropped(probe(p), 135));
}

// burst = 2 at 1/minute: exactly two of five pass the limit; the rest go
// on to the default (allow) with over = "continue", counted as `.over`.
TEST_F(PolicySemanticsTest, BurstIsExactAndOverContinueFallsThrough) {
  apply(R"([hooks.input]
default = "allow"

[[rule]]
name = "slow"
types = ["timestamp-request"]
action = "rate-limit"
rate = "1/minute"
burst = 2
over = "continue"
)");
  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "13";
  p.count = 5;
  EXPECT_TRUE(passed(probe(p), 13));
  EXPECT_EQ(counter(rule_counter("slow")).packets, 2u);
  EXPECT_EQ(counter(over_counter("slow")).packets, 3u);
  EXPECT_EQ(counter("default.input").packets, 3u);
}

TEST_F(PolicySemanticsTest, BurstIsExactAndOverDropDrops) {
  apply(R"([hooks.input]
default = "allow"

[[rule]]
name = "slow"
types = ["timestamp-request"]
action = "rate-limit"
rate = "1/minute"
burst = 2
per = "source"
)");
  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "13";
  p.count = 5;
  auto r = probe(p);
  EXPECT_EQ(r[13].before, 5u);
  EXPECT_EQ(r[13].after, 2u);
  EXPECT_EQ(counter(rule_counter("slow")).packets, 2u);
  EXPECT_EQ(counter(over_counter("slow")).packets, 3u);
  // A second source has a bucket of its own.
  p.src = "198.18.2.77";
  r = probe(p);
  EXPECT_EQ(r[13].after, 2u);
}

// per = "source" with ipv4-prefix = 24: two addresses of one /24 share.
TEST_F(PolicySemanticsTest, PerSourcePrefixGroupsSources) {
  apply(R"([hooks.input]
default = "allow"

[[rule]]
name = "slow"
types = ["timestamp-request"]
action = "rate-limit"
rate = "1/minute"
burst = 2
per = "source"
ipv4-prefix = 24
)");
  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "13";
  p.count = 2;
  EXPECT_EQ(probe(p)[13].after, 2u);
  p.src = "198.18.2.77";
  EXPECT_EQ(probe(p)[13].after, 0u) << "the /24 had used its burst";
  p.src = "198.19.0.1";  // another /24
  EXPECT_EQ(probe(p)[13].after, 2u);
}

TEST_F(PolicySemanticsTest, InspectWithoutWorkerFailsOpenOrClosedAsConfigured) {
  apply(R"([hooks.input]
default = "allow"

[[rule]]
name = "open"
types = ["timestamp-request"]
action = "inspect"
queue = 7
no-worker = "accept"

[[rule]]
name = "closed"
types = ["address-mask-request"]
action = "inspect"
queue = 8
no-worker = "drop"
)");
  Probe p{Family::v4, Addr::router_s_v4, Addr::server_v4};
  p.types = "13,17";
  auto r = probe(p);
  EXPECT_TRUE(passed(r, 13));
  EXPECT_TRUE(dropped(r, 17));
  EXPECT_EQ(counter(rule_counter("open")).packets, 3u);
  EXPECT_EQ(counter(rule_counter("closed")).packets, 3u);
}

}  // namespace
}  // namespace icmpwall::integration
