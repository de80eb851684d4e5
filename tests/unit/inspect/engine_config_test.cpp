// SPDX-License-Identifier: GPL-2.0-or-later
// inspect/engine_config.h: a policy without [inspect.*] gives the
// detectors' defaults; every knob lands in its own field and no other; the
// knob table's documented defaults are the structs' defaults; a router
// refuses redirects unless told otherwise; values the detectors reject give
// an error naming the key.
#include "icmpwall/inspect/engine_config.h"

#include <gtest/gtest.h>

#include <string>

#include "icmpwall/policy/parser.h"

namespace icmpwall::inspect {
namespace {

using namespace std::chrono_literals;
using policy::KnobKind;
using policy::KnobValue;

constexpr char kInspectRule[] = "[[rule]]\ntype = \"echo-request\"\naction = \"inspect\"\n";

policy::Policy parse(const std::string& text) {
  Diagnostics diags;
  auto p = policy::parse_policy_text("p.toml", text, diags);
  std::string shown;
  for (const auto& d : diags.items()) shown += render(d);
  EXPECT_TRUE(p) << shown;
  return p ? *p : policy::Policy{};
}

EngineConfig config_of(const std::string& text) {
  auto c = engine_config(parse(text));
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : EngineConfig{};
}

// A valid value other than the default, as a policy writes it.
std::string other_value(const policy::Knob& k) {
  switch (k.kind) {
    case KnobKind::integer:
    case KnobKind::seconds:
      return std::to_string(k.default_value.integer == static_cast<int64_t>(k.max)
                                ? k.default_value.integer - 1
                                : k.default_value.integer + 1);
    case KnobKind::number: {
      double v = k.default_value.number + 0.5 <= k.max ? k.default_value.number + 0.5
                                                       : k.default_value.number / 2;
      return policy::format_value(k, {.number = v});
    }
    case KnobKind::boolean: return k.default_value.flag ? "false" : "true";
    case KnobKind::choice:
      return "\"" + std::string(k.choices[k.default_value.choice == 0 ? 1 : 0]) + "\"";
    case KnobKind::prefixes: return R"(["198.18.0.0/15", "2001:db8::/32"])";
  }
  return "";
}

// A policy with an inspect rule and `key = value` in the knob's section.
std::string with_knob(const policy::Knob& k, const std::string& value) {
  // [inspect] itself must come before any [inspect.x] header
  return std::string(kInspectRule) + policy::section_header(k.section) + "\n" + std::string(k.key) +
         " = " + value + "\n";
}

TEST(EngineConfigTest, DefaultsWhenThePolicySaysNothing) {
  EngineConfig c = config_of(kInspectRule);
  const EngineConfig d;
  EXPECT_EQ(c.tunnel.max_echo_payload, d.tunnel.max_echo_payload);
  EXPECT_EQ(c.tunnel.entropy_bits, d.tunnel.entropy_bits);
  EXPECT_EQ(c.tunnel.drop_score, d.tunnel.drop_score);
  EXPECT_EQ(c.tunnel.block_score, d.tunnel.block_score);
  EXPECT_EQ(c.tunnel.block_for, d.tunnel.block_for);
  EXPECT_EQ(c.tunnel.enforce, Enforce::block);
  EXPECT_EQ(c.tunnel.max_flows, d.tunnel.max_flows);
  EXPECT_EQ(c.tunnel.weights.ip_packet, d.tunnel.weights.ip_packet);
  EXPECT_EQ(c.sweep.window, d.sweep.window);
  EXPECT_EQ(c.sweep.max_destinations, d.sweep.max_destinations);
  EXPECT_EQ(c.sweep.enforce, Enforce::block);
  EXPECT_TRUE(c.redirect.accept);  // a host
  EXPECT_EQ(c.redirect.require_datagram, d.redirect.require_datagram);
  EXPECT_EQ(c.redirect.block_for, d.redirect.block_for);
  EXPECT_EQ(c.forged_error.drop_quoted_errors, d.forged_error.drop_quoted_errors);
  EXPECT_EQ(c.block.ipv4_prefix, 32);  // one address
  EXPECT_EQ(c.block.ipv6_prefix, 64);  // one holder's /64
  // And every knob.
  for (const auto& k : policy::inspect_knobs()) {
    auto v = knob_value(c, k.section, k.key);
    ASSERT_TRUE(v) << k.section << "." << k.key;
    EXPECT_EQ(*v, *knob_value(d, k.section, k.key)) << k.section << "." << k.key;
  }
}

// The defaults the README shows (from the knob table) are the structs'.
TEST(EngineConfigTest, DocumentedDefaultsAreTheStructDefaults) {
  const EngineConfig d;
  for (const auto& k : policy::inspect_knobs()) {
    auto v = knob_value(d, k.section, k.key);
    ASSERT_TRUE(v) << "no field for [inspect." << k.section << "] " << k.key;
    EXPECT_EQ(*v, k.default_value)
        << "[inspect." << k.section << "] " << k.key << ": documented "
        << policy::format_value(k, k.default_value) << ", struct " << policy::format_value(k, *v);
  }
}

// Each knob, set alone to another value, changes its own field and no other.
TEST(EngineConfigTest, EachKnobLandsInItsOwnField) {
  const EngineConfig d = config_of(kInspectRule);
  for (const auto& k : policy::inspect_knobs()) {
    const std::string value = other_value(k);
    SCOPED_TRACE(std::string(k.section) + "." + std::string(k.key) + " = " + value);
    EngineConfig c = config_of(with_knob(k, value));
    for (const auto& other : policy::inspect_knobs()) {
      auto got = knob_value(c, other.section, other.key);
      auto def = knob_value(d, other.section, other.key);
      ASSERT_TRUE(got && def);
      if (&other == &k)
        EXPECT_NE(*got, *def) << "the field did not change";
      else
        EXPECT_EQ(*got, *def) << other.section << "." << other.key << " changed too";
    }
  }
}

// The fields themselves, named one by one (the getters could be wrong too).
TEST(EngineConfigTest, EveryKeyReachesTheStructField) {
  EngineConfig c = config_of(std::string(kInspectRule) + R"(
[inspect.tunnel]
max-echo-payload = 1000
entropy-min-payload = 40
entropy-bits = 6.5
text-min-ratio = 0.8
text-min-payload = 8
variation-changes = 5
rate-window = 11
max-packets-per-second = 30
volume-window = 12
max-bytes-per-second = 8192
drop-score = 5
block-score = 15
score-half-life = 90
block-for = 300
enforce = "drop"
max-flows = 1024
protected-share = 0.5
max-pending-requests = 2048
flow-idle-timeout = 180
reply-timeout = 20

[inspect.tunnel.weights]
size = 1.5
entropy = 3.5
text = 2.5
shell = 4.5
reply-mismatch = 3.25
variation = 2.25
rate = 0
volume = 2.75
query-size = 4.25
ip-packet = 13
ptunnel = 14
hans = 15
pingtunnel = 16

[inspect.sweep]
window = 40
max-destinations = 100
sequence-run = 20
sequence-max-gap = 4
ipv4-prefix = 24
ipv6-prefix = 56
max-sources = 4096
protected-share = 0.125
block-for = 900
enforce = "log"

[inspect.redirect]
accept = false
require-datagram = false
block-for = 120

[inspect.errors]
drop-quoted-errors = false
)");
  const auto& t = c.tunnel;
  EXPECT_EQ(t.max_echo_payload, 1000u);
  EXPECT_EQ(t.entropy_min_payload, 40u);
  EXPECT_DOUBLE_EQ(t.entropy_bits, 6.5);
  EXPECT_DOUBLE_EQ(t.text_min_ratio, 0.8);
  EXPECT_EQ(t.text_min_payload, 8u);
  EXPECT_EQ(t.variation_changes, 5u);
  EXPECT_EQ(t.rate_window, 11s);
  EXPECT_DOUBLE_EQ(t.max_packets_per_second, 30);
  EXPECT_EQ(t.volume_window, 12s);
  EXPECT_DOUBLE_EQ(t.max_bytes_per_second, 8192);
  EXPECT_DOUBLE_EQ(t.drop_score, 5);
  EXPECT_DOUBLE_EQ(t.block_score, 15);
  EXPECT_EQ(t.score_half_life, 90s);
  EXPECT_EQ(t.block_for, 300s);
  EXPECT_EQ(t.enforce, Enforce::drop);
  EXPECT_EQ(t.max_flows, 1024u);
  EXPECT_DOUBLE_EQ(t.protected_share, 0.5);
  EXPECT_EQ(t.max_pending_requests, 2048u);
  EXPECT_EQ(t.flow_idle_timeout, 180s);
  EXPECT_EQ(t.reply_timeout, 20s);
  const auto& w = t.weights;
  EXPECT_DOUBLE_EQ(w.size, 1.5);
  EXPECT_DOUBLE_EQ(w.entropy, 3.5);
  EXPECT_DOUBLE_EQ(w.text, 2.5);
  EXPECT_DOUBLE_EQ(w.shell, 4.5);
  EXPECT_DOUBLE_EQ(w.reply_mismatch, 3.25);
  EXPECT_DOUBLE_EQ(w.variation, 2.25);
  EXPECT_DOUBLE_EQ(w.rate, 0);
  EXPECT_DOUBLE_EQ(w.volume, 2.75);
  EXPECT_DOUBLE_EQ(w.query_size, 4.25);
  EXPECT_DOUBLE_EQ(w.ip_packet, 13);
  EXPECT_DOUBLE_EQ(w.ptunnel, 14);
  EXPECT_DOUBLE_EQ(w.hans, 15);
  EXPECT_DOUBLE_EQ(w.pingtunnel, 16);
  const auto& s = c.sweep;
  EXPECT_EQ(s.window, 40s);
  EXPECT_EQ(s.max_destinations, 100u);
  EXPECT_EQ(s.sequence_run, 20u);
  EXPECT_EQ(s.sequence_max_gap, 4u);
  EXPECT_EQ(s.ipv4_prefix, 24);
  EXPECT_EQ(s.ipv6_prefix, 56);
  EXPECT_EQ(s.max_sources, 4096u);
  EXPECT_DOUBLE_EQ(s.protected_share, 0.125);
  EXPECT_EQ(s.block_for, 900s);
  EXPECT_EQ(s.enforce, Enforce::log);
  EXPECT_FALSE(c.redirect.accept);
  EXPECT_FALSE(c.redirect.require_datagram);
  EXPECT_EQ(c.redirect.block_for, 120s);
  EXPECT_FALSE(c.forged_error.drop_quoted_errors);
}

// [inspect] enforce caps every detector; [inspect.block] names who is
// never blocked and what a sender must prove.
TEST(EngineConfigTest, PolicyWideEnforceNeverBlockAndVerify) {
  EngineConfig d = config_of(kInspectRule);
  EXPECT_FALSE(d.enforce);  // no cap: each detector's own
  EXPECT_TRUE(d.block.never_block.empty());
  EXPECT_EQ(d.block.verify, BlockConfig::Verify::link);
  EngineConfig c = config_of(std::string(kInspectRule) + R"(
[inspect]
enforce = "log"

[inspect.block]
never-block = ["198.18.7.0/24", "2001:db8:7::/48", "198.18.9.9"]
verify = "route"
)");
  ASSERT_TRUE(c.enforce);
  EXPECT_EQ(*c.enforce, Enforce::log);
  EXPECT_EQ(c.tunnel.enforce,
            Enforce::block);  // the detectors keep theirs; the engine applies the cap
  ASSERT_EQ(c.block.never_block.size(), 3u);
  EXPECT_EQ(c.block.never_block[0].network.family, policy::Family::ipv4);
  EXPECT_EQ(c.block.never_block[0].network.bytes[2], 7);
  EXPECT_EQ(c.block.never_block[0].len, 24);
  EXPECT_EQ(c.block.never_block[1].network.family, policy::Family::ipv6);
  EXPECT_EQ(c.block.never_block[1].network.bytes[5], 7);
  EXPECT_EQ(c.block.never_block[1].len, 48);
  EXPECT_EQ(c.block.never_block[2].len, 32);
  EXPECT_EQ(c.block.verify, BlockConfig::Verify::route);
  EXPECT_EQ(*config_of(std::string(kInspectRule) + "[inspect]\nenforce = \"drop\"\n").enforce,
            Enforce::drop);
  EXPECT_EQ(*config_of(std::string(kInspectRule) + "[inspect]\nenforce = \"block\"\n").enforce,
            Enforce::block);
}

TEST(EngineConfigTest, EnforceChoicesMapToTheirLevels) {
  EXPECT_EQ(
      config_of(std::string(kInspectRule) + "[inspect.tunnel]\nenforce = \"log\"\n").tunnel.enforce,
      Enforce::log);
  EXPECT_EQ(config_of(std::string(kInspectRule) + "[inspect.tunnel]\nenforce = \"drop\"\n")
                .tunnel.enforce,
            Enforce::drop);
  EXPECT_EQ(
      config_of(std::string(kInspectRule) + "[inspect.sweep]\nenforce = \"drop\"\n").sweep.enforce,
      Enforce::drop);
}

// fragments = "reassemble" makes the namespace track connections.
TEST(EngineConfigTest, ConntrackIffThePolicyReassembles) {
  EXPECT_FALSE(config_of(kInspectRule).conntrack);
  EXPECT_FALSE(
      config_of(std::string("[icmpwall]\nfragments = \"follow\"\n") + kInspectRule).conntrack);
  EXPECT_FALSE(
      config_of(std::string("[icmpwall]\nfragments = \"drop\"\n") + kInspectRule).conntrack);
  EXPECT_TRUE(
      config_of(std::string("[icmpwall]\nfragments = \"reassemble\"\n") + kInspectRule).conntrack);
}

TEST(EngineConfigTest, RouterRefusesRedirectsUnlessThePolicySaysOtherwise) {
  const std::string router = std::string("[icmpwall]\nrole = \"router\"\n") + kInspectRule;
  EXPECT_FALSE(config_of(router).redirect.accept);
  EXPECT_TRUE(config_of(router + "[inspect.redirect]\naccept = true\n").redirect.accept);
  EXPECT_TRUE(config_of(kInspectRule).redirect.accept);
  EXPECT_FALSE(config_of(std::string(kInspectRule) + "[inspect.redirect]\naccept = false\n")
                   .redirect.accept);
}

// Values the parser would refuse, put into a Policy by hand: the detectors'
// validate() catches them, and the error names the policy key.
TEST(EngineConfigTest, InvalidValuesGiveAnErrorNamingTheKey) {
  policy::Policy p = parse(std::string(kInspectRule) + "[inspect.tunnel]\nvariation-changes = 4\n");
  ASSERT_EQ(p.inspect.values.size(), 1u);
  p.inspect.values[0].value.integer = 0;
  auto c = engine_config(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "p.toml:5:21: [inspect.tunnel] variation-changes must be 1 to 8");

  policy::Policy q;
  policy::InspectSetting window;
  window.knob = policy::find_knob("sweep", "window");
  ASSERT_TRUE(window.knob);
  window.value.integer = 1;
  q.inspect.values.push_back(window);
  auto d = engine_config(q);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "[inspect.sweep] window must be at least 2 seconds");
}

}  // namespace
}  // namespace icmpwall::inspect
