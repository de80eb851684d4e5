// SPDX-License-Identifier: GPL-2.0-or-later
// evaluate(): synthetic rulesets built by hand, walked for one packet.
#include "icmpwall/audit/evaluate.h"

#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter_ipv4/ip_tables.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "icmpwall/audit/report.h"

namespace icmpwall::audit {
namespace {

using policy::Family;
using policy::Hook;

Chain base_chain(const std::string& name, int32_t priority, uint32_t policy = NF_ACCEPT,
                 uint32_t hook = NF_INET_LOCAL_IN) {
  Chain c;
  c.name = name;
  c.hook = BaseHook{hook, priority, "filter", policy, {}};
  return c;
}

Chain chain(const std::string& name) {
  Chain c;
  c.name = name;
  return c;
}

void add_rule(Chain& c, std::vector<Expr> exprs) {
  Rule r;
  r.handle = 100 + c.rules.size() + c.name.size() * 1000;
  r.index = static_cast<uint32_t>(c.rules.size());
  r.exprs = std::move(exprs);
  c.rules.push_back(std::move(r));
}

Expr verdict(int32_t code, const std::string& target = {}) {
  return Immediate{0, Verdict{code, target}, {}};
}

// "icmp type N": l4proto icmp, then th+0 == N.
std::vector<Expr> icmp_type_is(uint8_t type) {
  return {Meta{NFT_META_L4PROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {1}},
          Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 1, {}}, Cmp{1, NFT_CMP_EQ, {type}}};
}

std::vector<Expr> with(std::vector<Expr> a, std::vector<Expr> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Table table(uint32_t family, const std::string& name, std::vector<Chain> chains) {
  Table t;
  t.family = family;
  t.name = name;
  t.chains = std::move(chains);
  return t;
}

Packet echo_in() {
  Packet p;
  p.family = Family::ipv4;
  p.hook = Hook::input;
  p.type = 8;
  return p;
}

TEST(Evaluate, NoBaseChainAccepts) {
  Ruleset rs;
  EXPECT_EQ(evaluate(rs, echo_in()).outcome, Outcome::accepted);
}

TEST(Evaluate, AcceptInEarlierBaseChainThenDropInLaterOne) {
  Chain a = base_chain("in", 0);
  add_rule(a, with(icmp_type_is(8), {verdict(NF_ACCEPT)}));
  Chain b = base_chain("in", 10);
  add_rule(b, with(icmp_type_is(8), {verdict(NF_DROP)}));
  Ruleset rs;
  // the later priority comes first in the snapshot: order is by priority
  rs.tables = {table(NFPROTO_IPV6, "v6only", {base_chain("in", -50, NF_DROP)}),
               table(NFPROTO_INET, "late", {b}), table(NFPROTO_IPV4, "early", {a})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::dropped);
  EXPECT_EQ(ev.decided_by.table, "late");
  EXPECT_EQ(ev.decided_by.handle, rs.tables[1].chains[0].rules[0].handle);
  ASSERT_GE(ev.path.size(), 2u);
  EXPECT_NE(ev.path[0].find("ip early in"), std::string::npos) << ev.path[0];

  // echo-reply is not matched by either: both policies accept
  Packet reply = echo_in();
  reply.type = 0;
  EXPECT_EQ(evaluate(rs, reply).outcome, Outcome::accepted);
}

TEST(Evaluate, PriorityDecidesWhichDropWins) {
  Chain a = base_chain("in", 5);
  add_rule(a, {verdict(NF_DROP)});
  Chain b = base_chain("in", -5);
  add_rule(b, {verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "five", {a}), table(NFPROTO_INET, "minus", {b})};
  EXPECT_EQ(evaluate(rs, echo_in()).decided_by.table, "minus");
}

TEST(Evaluate, VerdictMapJump) {
  Set vmap;
  vmap.name = "types";
  vmap.flags = NFT_SET_MAP | NFT_SET_INTERVAL | NFT_SET_CONCAT;
  vmap.key_len = 8;
  vmap.concat = {1, 1};
  vmap.data_type = NFT_DATA_VERDICT;
  SetElement el;
  el.key = {8, 0, 0, 0, 0, 0, 0, 0};
  el.key_end = {8, 0, 0, 0, 255, 0, 0, 0};
  el.verdict = Verdict{NFT_JUMP, "echo"};
  vmap.elements = {el};

  Chain in = base_chain("in", 0);
  add_rule(in, {Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 1, {}},
                Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 1, 1, 9, {}}, Lookup{"types", 1, 0, 0}});
  add_rule(in, {verdict(NF_ACCEPT)});
  Chain echo = chain("echo");
  add_rule(echo, {Counter{7, 588}, verdict(NF_DROP)});
  Table t = table(NFPROTO_IPV4, "f", {in, echo});
  t.sets = {vmap};
  Ruleset rs;
  rs.tables = {t};

  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::dropped);
  EXPECT_EQ(ev.decided_by.chain, "echo");
  ASSERT_EQ(ev.counters.size(), 1u);
  EXPECT_EQ(ev.counters[0].packets, 7u);
  Packet other = echo_in();
  other.type = 13;
  auto ev2 = evaluate(rs, other);
  EXPECT_EQ(ev2.outcome, Outcome::accepted);
  EXPECT_EQ(ev2.decided_by.chain, "in");
}

// jump returns to the rule after the jump; goto returns to the caller's caller.
TEST(Evaluate, GotoVersusJumpReturn) {
  auto build = [](int32_t how) {
    Chain in = base_chain("in", 0);
    add_rule(in, {verdict(NFT_JUMP, "mid")});
    add_rule(in, {verdict(NF_ACCEPT)});
    Chain mid = chain("mid");
    add_rule(mid, {verdict(how, "leaf")});
    add_rule(mid, {verdict(NF_DROP)});
    Chain leaf = chain("leaf");
    add_rule(leaf, {verdict(NFT_RETURN)});
    Ruleset rs;
    rs.tables = {table(NFPROTO_INET, "t", {in, mid, leaf})};
    return rs;
  };
  auto jumped = evaluate(build(NFT_JUMP), echo_in());
  EXPECT_EQ(jumped.outcome, Outcome::dropped);
  EXPECT_EQ(jumped.decided_by.chain, "mid");
  auto went = evaluate(build(NFT_GOTO), echo_in());
  EXPECT_EQ(went.outcome, Outcome::accepted);
  EXPECT_EQ(went.decided_by.chain, "in");
}

TEST(Evaluate, PolicyDrop) {
  Chain in = base_chain("in", 0, NF_DROP);
  add_rule(in, with(icmp_type_is(0), {verdict(NF_ACCEPT)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "t", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::dropped);
  EXPECT_EQ(ev.decided_by.handle, 0u);
  EXPECT_EQ(describe(ev.decided_by), "ip t in policy");
  // an output packet never meets the input chain
  Packet out = echo_in();
  out.hook = Hook::output;
  EXPECT_EQ(evaluate(rs, out).outcome, Outcome::accepted);
}

TEST(Evaluate, LimitIsRateLimited) {
  Chain in = base_chain("in", 0);
  add_rule(in, with(icmp_type_is(8), {Limit{20, 1, 50, NFT_LIMIT_PKTS, 0}, verdict(NF_ACCEPT)}));
  add_rule(in, with(icmp_type_is(8), {verdict(NF_DROP)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::rate_limited);
  EXPECT_EQ(ev.rate, "20/second");
  Packet reply = echo_in();
  reply.type = 0;
  EXPECT_EQ(evaluate(rs, reply).outcome, Outcome::accepted);
}

// max-size 64 loads the byte at offset 64 of the ICMP message and
// compares it with all a byte can hold: the rule matches when the message
// is longer than 64 bytes, and says so; another byte there is named by its
// offset.
TEST(Evaluate, AByteLoadPastTheHeaderIsALengthTest) {
  Chain in = base_chain("in", 0);
  add_rule(in, with(icmp_type_is(8), {Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 64, 1, 1, {}},
                                      Cmp{1, NFT_CMP_LTE, {0xff}}, verdict(NF_DROP)}));
  add_rule(in, with(icmp_type_is(8), {Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 20, 1, 1, {}},
                                      Cmp{1, NFT_CMP_EQ, {0x41}}, verdict(NF_DROP)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_EQ(ev.condition.rfind("if icmp length > 64 at inet t in #", 0), 0u) << ev.condition;
  EXPECT_NE(ev.condition.find("icmp byte 20 == 65"), std::string::npos) << ev.condition;
}

TEST(Evaluate, LimitOverDropIsRateLimited) {
  Chain in = base_chain("in", 0);
  add_rule(in, {Limit{5, 60, 0, NFT_LIMIT_PKTS, NFT_LIMIT_F_INV}, verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::rate_limited);
  EXPECT_EQ(ev.rate, "5/minute");
}

Ruleset source_set_ruleset() {
  Set s;
  s.name = "trusted";
  s.flags = NFT_SET_INTERVAL;
  s.key_len = 4;
  SetElement start, end, zero;
  zero.key = {0, 0, 0, 0};
  zero.flags = NFT_SET_ELEM_INTERVAL_END;
  start.key = {198, 18, 0, 0};
  end.key = {198, 20, 0, 0};
  end.flags = NFT_SET_ELEM_INTERVAL_END;
  s.elements = {end, start, zero};
  Chain in = base_chain("in", 0, NF_DROP);
  add_rule(in, {Payload{NFT_PAYLOAD_NETWORK_HEADER, 12, 4, 1, {}}, Lookup{"trusted", 1, {}, 0},
                verdict(NF_ACCEPT)});
  Table t = table(NFPROTO_IPV4, "t", {in});
  t.sets = {s};
  Ruleset rs;
  rs.tables = {t};
  return rs;
}

TEST(Evaluate, ConditionalOnSourceSet) {
  Ruleset rs = source_set_ruleset();
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("ip saddr in @trusted"), std::string::npos) << ev.condition;
  EXPECT_NE(ev.condition.find("accepted; otherwise dropped"), std::string::npos) << ev.condition;
  EXPECT_EQ(ev.decided_by.chain, "in");
  EXPECT_NE(ev.decided_by.handle, 0u);

  Packet inside = echo_in();
  inside.src = *parse_address(Family::ipv4, "198.19.255.255");
  EXPECT_EQ(evaluate(rs, inside).outcome, Outcome::accepted);
  Packet outside = echo_in();
  outside.src = *parse_address(Family::ipv4, "198.20.0.0");
  EXPECT_EQ(evaluate(rs, outside).outcome, Outcome::dropped);
}

TEST(Evaluate, ConditionThatDoesNotMatterFolds) {
  Chain in = base_chain("in", 0);
  add_rule(in, {Ct{NFT_CT_STATE, {}, 1, {}}, Cmp{1, NFT_CMP_NEQ, {0, 0, 0, 0}}, Counter{}});
  add_rule(in, {verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  EXPECT_EQ(evaluate(rs, echo_in()).outcome, Outcome::dropped);
}

// icmpwall's fragment rules (ip frag-off & 0x1fff != 0 / frag frag-off !=
// 0 ... accept) and its reassembly rule (ct state invalid counter) in
// front of a drop: the packet described is an ordinary unfragmented one,
// so the fragment rules do not match and the ct rule changes nothing.
TEST(Evaluate, FragmentRulesDoNotMatchAnUnfragmentedPacket) {
  Chain in = base_chain("in", 0);
  add_rule(in, {Ct{NFT_CT_STATE, {}, 1, {}},
                Bitwise{1, 1, 4, NFT_BITWISE_BOOL, {1, 0, 0, 0}, {0, 0, 0, 0}, {}},
                Cmp{1, NFT_CMP_NEQ, {0, 0, 0, 0}}, Counter{}});
  add_rule(in, {Meta{NFT_META_NFPROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {NFPROTO_IPV4}},
                Payload{NFT_PAYLOAD_NETWORK_HEADER, 6, 2, 1, {}},
                Bitwise{1, 1, 2, NFT_BITWISE_BOOL, {0x1f, 0xff}, {0, 0}, {}},
                Cmp{1, NFT_CMP_NEQ, {0, 0}}, verdict(NF_ACCEPT)});
  add_rule(in, {Meta{NFT_META_NFPROTO, 1, {}}, Cmp{1, NFT_CMP_EQ, {NFPROTO_IPV6}},
                Exthdr{NFT_EXTHDR_OP_IPV6, 44, 2, 2, 0, 1, {}},
                Bitwise{1, 1, 2, NFT_BITWISE_BOOL, {0xff, 0xf8}, {0, 0}, {}},
                Cmp{1, NFT_CMP_NEQ, {0, 0}}, verdict(NF_ACCEPT)});
  add_rule(in, {verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  for (Family f : {Family::ipv4, Family::ipv6}) {
    Packet p = echo_in();
    p.family = f;
    p.type = f == Family::ipv4 ? 8 : 128;
    auto ev = evaluate(rs, p);
    EXPECT_EQ(ev.outcome, Outcome::dropped) << ev.condition;
    EXPECT_TRUE(ev.condition.empty()) << ev.condition;
  }
  // An exthdr asked only whether the header is there reads "no".
  Chain present = base_chain("in", 0);
  add_rule(present, {Exthdr{NFT_EXTHDR_OP_IPV6, 44, 0, 1, NFT_EXTHDR_F_PRESENT, 1, {}},
                     Cmp{1, NFT_CMP_EQ, {0}}, verdict(NF_DROP)});
  Ruleset rs2;
  rs2.tables = {table(NFPROTO_INET, "t", {present})};
  Packet p6 = echo_in();
  p6.family = Family::ipv6;
  p6.type = 128;
  EXPECT_EQ(evaluate(rs2, p6).outcome, Outcome::dropped);
}

TEST(Evaluate, UnknownExpressionIsConditionalWithLocation) {
  Chain in = base_chain("in", 0);
  add_rule(in, {Unknown{"socket"}, Cmp{1, NFT_CMP_EQ, {1}}, verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("'socket'"), std::string::npos) << ev.condition;
  EXPECT_NE(ev.condition.find(describe(Location{"inet", "t", "in", in.rules[0].handle})),
            std::string::npos)
      << ev.condition;
}

TEST(Evaluate, QueueAndRejectAndXtNfqueue) {
  Chain in = base_chain("in", 0);
  add_rule(in, with(icmp_type_is(8), {Queue{3, 1, 0, {}}}));
  add_rule(in, with(icmp_type_is(13), {Reject{0, 3}}));
  add_rule(in, with(icmp_type_is(17), {Target{"NFQUEUE", 3, Bytes(8, 0)}}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  Packet p = echo_in();
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::queued);
  p.type = 13;
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::rejected);
  p.type = 17;
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::queued);
}

// The worker's accept goes on to the next base chain, as in the kernel: a
// later drop decides; without one the queueing rule does.
TEST(Evaluate, QueuedPacketsStillMeetLaterBaseChains) {
  Chain in = base_chain("in", 0);
  add_rule(in, with(icmp_type_is(8), {Queue{3, 1, 0, {}}}));
  Chain later = base_chain("later", 10);
  add_rule(later, with(icmp_type_is(8), {verdict(NF_DROP)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in}), table(NFPROTO_INET, "other", {later})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::dropped);
  EXPECT_EQ(ev.decided_by.table, "other");
  Ruleset alone;
  alone.tables = {table(NFPROTO_INET, "t", {in})};
  auto q = evaluate(alone, echo_in());
  EXPECT_EQ(q.outcome, Outcome::queued);
  EXPECT_EQ(q.decided_by.table, "t");
  EXPECT_NE(q.decided_by.handle, 0u);
}

TEST(Evaluate, InterfaceOnlyOnItsHook) {
  Chain out = base_chain("out", 0, NF_ACCEPT, NF_INET_LOCAL_OUT);
  // meta iifname "eth0" drop: output packets have no input interface
  add_rule(out, {Meta{NFT_META_IIFNAME, 1, {}}, Cmp{1, NFT_CMP_EQ, Bytes{'e', 't', 'h', '0', 0}},
                 verdict(NF_DROP)});
  Chain in = base_chain("in", 0);
  add_rule(in, {Meta{NFT_META_IIFNAME, 1, {}}, Cmp{1, NFT_CMP_EQ, Bytes{'e', 't', 'h', '0', 0}},
                verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {out, in})};
  Packet p = echo_in();
  p.hook = Hook::output;
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  p.hook = Hook::input;
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::conditional);
  p.iif = "eth0";
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::dropped);
  p.iif = "eth1";
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
}

// An xt match carrying `info` as its bytes.
template <typename T>
Match xt(const std::string& name, uint32_t rev, const T& info) {
  Match m{name, rev, Bytes(sizeof(T))};
  std::memcpy(m.info.data(), &info, sizeof(T));
  return m;
}

// ct state established,related accept: ct load, bitwise & 0x6, cmp != 0.
std::vector<Expr> ct_state_in(uint32_t mask) {
  Bytes m(4);
  std::memcpy(m.data(), &mask, 4);
  return {Ct{NFT_CT_STATE, {}, 1, {}}, Bitwise{1, 1, 4, NFT_BITWISE_BOOL, m, Bytes(4, 0), {}},
          Cmp{1, NFT_CMP_NEQ, Bytes(4, 0)}};
}

Ruleset established_then_drop() {
  Chain in = base_chain("in", 0, NF_DROP);
  add_rule(in, with(ct_state_in(2 | 4), {verdict(NF_ACCEPT)}));
  add_rule(in, with(icmp_type_is(8), {verdict(NF_ACCEPT)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  return rs;
}

TEST(Evaluate, CtStateIsAConditionNamedByItsStates) {
  Ruleset rs = established_then_drop();
  Packet p = echo_in();
  p.type = 0;  // echo-reply: only as part of a flow
  auto ev = evaluate(rs, p);
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("if ct state established,related at inet t in #"), std::string::npos)
      << ev.condition;
  EXPECT_NE(ev.condition.find(": accepted; otherwise dropped"), std::string::npos) << ev.condition;
  // echo-request passes either way: the condition folds
  EXPECT_EQ(evaluate(rs, echo_in()).outcome, Outcome::accepted);
}

TEST(Evaluate, CtStateGivenDecides) {
  Ruleset rs = established_then_drop();
  Packet p = echo_in();
  p.type = 0;
  p.ct_state = ct_state_bit("established");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  p.ct_state = ct_state_bit("related");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  p.ct_state = ct_state_bit("new");
  auto ev = evaluate(rs, p);
  EXPECT_EQ(ev.outcome, Outcome::dropped);
  EXPECT_EQ(ev.decided_by.handle, 0u);  // the policy
}

TEST(Evaluate, CtStateInAnonymousSet) {
  // ct state { established, related } accept (firewalld's form)
  Set s;
  s.name = "__set0";
  s.flags = 0x1 | 0x2;  // anonymous, constant
  s.key_len = 4;
  for (uint32_t bit : {2u, 4u}) {
    SetElement e;
    e.key.resize(4);
    std::memcpy(e.key.data(), &bit, 4);
    s.elements.push_back(e);
  }
  Chain in = base_chain("in", 0, NF_DROP);
  add_rule(in, {Ct{NFT_CT_STATE, {}, 1, {}}, Lookup{"__set0", 1, {}, 0}, verdict(NF_ACCEPT)});
  Table t = table(NFPROTO_INET, "t", {in});
  t.sets = {s};
  Ruleset rs;
  rs.tables = {t};
  Packet p = echo_in();
  auto ev = evaluate(rs, p);
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("ct state established,related"), std::string::npos) << ev.condition;
  p.ct_state = ct_state_bit("established");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  p.ct_state = ct_state_bit("new");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::dropped);
}

TEST(Evaluate, CtStatusWithoutConntrackEntryDoesNotMatch) {
  // ct status dnat accept; then drop: an invalid packet has no entry
  Bytes dnat(4);
  uint32_t bit = 0x20;
  std::memcpy(dnat.data(), &bit, 4);
  Chain in = base_chain("in", 0);
  add_rule(in,
           {Ct{NFT_CT_STATUS, {}, 1, {}}, Bitwise{1, 1, 4, NFT_BITWISE_BOOL, dnat, Bytes(4, 0), {}},
            Cmp{1, NFT_CMP_NEQ, Bytes(4, 0)}, verdict(NF_ACCEPT)});
  add_rule(in, {verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  Packet p = echo_in();
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::conditional);
  p.ct_state = ct_state_bit("invalid");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::dropped);
  p.ct_state = ct_state_bit("new");  // tracked, not NATed
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::dropped);
}

TEST(Evaluate, PreroutingDropDecidesInputAndForwardNotOutput) {
  Chain pre = base_chain("pre", -300, NF_ACCEPT, NF_INET_PRE_ROUTING);
  add_rule(pre, with(icmp_type_is(13), {verdict(NF_DROP)}));
  Chain in = base_chain("in", 0, NF_ACCEPT, NF_INET_LOCAL_IN);
  add_rule(in, with(icmp_type_is(8), {verdict(NF_DROP)}));
  Chain post = base_chain("post", 100, NF_ACCEPT, NF_INET_POST_ROUTING);
  add_rule(post, with(icmp_type_is(14), {verdict(NF_DROP)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "a", {in, post}), table(NFPROTO_INET, "b", {pre})};
  Packet p = echo_in();
  p.type = 13;
  for (Hook h : {Hook::input, Hook::forward}) {
    p.hook = h;
    auto ev = evaluate(rs, p);
    EXPECT_EQ(ev.outcome, Outcome::dropped) << policy::to_string(h);
    EXPECT_EQ(ev.decided_by.hook, "prerouting") << policy::to_string(h);
    EXPECT_EQ(ev.decided_by.table, "b");
  }
  p.hook = Hook::output;
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  // postrouting follows output and forward, not input
  p.type = 14;
  for (Hook h : {Hook::output, Hook::forward}) {
    p.hook = h;
    auto ev = evaluate(rs, p);
    EXPECT_EQ(ev.outcome, Outcome::dropped) << policy::to_string(h);
    EXPECT_EQ(ev.decided_by.hook, "postrouting");
  }
  p.hook = Hook::input;
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  // the input chain is named with its hook
  p.type = 8;
  EXPECT_EQ(evaluate(rs, p).decided_by.hook, "input");
}

TEST(Report, NamesTheHookThatDecided) {
  Chain pre = base_chain("pre", -300, NF_ACCEPT, NF_INET_PRE_ROUTING);
  add_rule(pre, with(icmp_type_is(13), {verdict(NF_DROP)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "early", {pre})};
  ReportFilter f;
  f.family = Family::ipv4;
  f.hook = Hook::input;
  f.type = 13;
  auto entries = build_report(rs, f);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(render_text(entries, false).find("inet early pre #"), std::string::npos);
  EXPECT_NE(render_text(entries, false).find(" @prerouting"), std::string::npos)
      << render_text(entries, false);
  EXPECT_NE(render_json(entries).find("\"hook\":\"prerouting\""), std::string::npos)
      << render_json(entries);
}

TEST(Evaluate, IngressChainIsConditionalOnItsDevice) {
  Chain ing = base_chain("ing", 0, NF_ACCEPT, NF_NETDEV_INGRESS);
  ing.hook->devices = {"eth0"};
  add_rule(ing, {Meta{NFT_META_PROTOCOL, 1, {}}, Cmp{1, NFT_CMP_EQ, Bytes{0x08, 0x00}},
                 Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 1, {}}, Cmp{1, NFT_CMP_EQ, {8}},
                 verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_NETDEV, "edge", {ing})};
  Packet p = echo_in();
  auto ev = evaluate(rs, p);
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("meta iifname { eth0 }"), std::string::npos) << ev.condition;
  p.iif = "eth0";
  ev = evaluate(rs, p);
  EXPECT_EQ(ev.outcome, Outcome::dropped);
  EXPECT_EQ(ev.decided_by.hook, "ingress");
  p.iif = "eth1";
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  p.hook = Hook::output;  // never passes ingress
  p.iif.clear();
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
}

TEST(Evaluate, SameConditionIsAskedOnce) {
  // iifname "lo" accept; iifname != "lo" drop: one question, two answers
  Bytes lo{'l', 'o', 0};
  Chain in = base_chain("in", 0);
  add_rule(in, {Meta{NFT_META_IIFNAME, 1, {}}, Cmp{1, NFT_CMP_EQ, lo}, verdict(NF_ACCEPT)});
  add_rule(in, {Meta{NFT_META_IIFNAME, 1, {}}, Cmp{1, NFT_CMP_NEQ, lo}, verdict(NF_DROP)});
  add_rule(in, {verdict(NF_QUEUE)});  // unreachable: one of the two always decides
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_EQ(ev.condition.find("queued"), std::string::npos) << ev.condition;
  EXPECT_NE(ev.condition.find("meta iifname == \"lo\""), std::string::npos) << ev.condition;
}

// "ip saddr == 198.18.0.N"
std::vector<Expr> saddr_is(uint8_t n) {
  return {Payload{NFT_PAYLOAD_NETWORK_HEADER, 12, 4, 1, {}}, Cmp{1, NFT_CMP_EQ, {198, 18, 0, n}}};
}

TEST(Evaluate, RulesForOtherTypesArePassedOverInEveryWorld) {
  // runs of rules for other types (which never match an echo request)
  // around the one rule that matters, before a jump and at the end of the
  // jumped chain, in every world of the case split
  Chain in = base_chain("in", 0);
  for (int i = 0; i < 40; ++i) add_rule(in, with(icmp_type_is(0), {verdict(NF_DROP)}));
  add_rule(in, with(saddr_is(1), with(icmp_type_is(8), {Counter{3, 252}, verdict(NF_DROP)})));
  for (int i = 0; i < 40; ++i) add_rule(in, with(icmp_type_is(13), {verdict(NF_DROP)}));
  add_rule(in, {verdict(NFT_JUMP, "sub")});
  add_rule(in, with(saddr_is(2), {verdict(NF_QUEUE)}));
  Chain sub = chain("sub");
  add_rule(sub, with(saddr_is(1), {Counter{}}));
  for (int i = 0; i < 40; ++i) add_rule(sub, with(icmp_type_is(0), {verdict(NF_ACCEPT)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "t", {in, sub})};
  const uint64_t drop_handle = in.rules[40].handle, queue_handle = in.rules[82].handle;

  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_EQ(ev.decided_by.handle, drop_handle);
  EXPECT_EQ(ev.condition,
            "if ip saddr == 198.18.0.1 at ip t in #" + std::to_string(drop_handle) +
                ": dropped; otherwise conditional (if ip saddr == 198.18.0.2 at ip t in #" +
                std::to_string(queue_handle) + ": queued; otherwise accepted)");
  // the world kept is the one where the first condition held
  ASSERT_EQ(ev.counters.size(), 1u);
  EXPECT_EQ(ev.counters[0].packets, 3u);
  ASSERT_FALSE(ev.path.empty());
  EXPECT_NE(ev.path[1].find("(taken as true)"), std::string::npos) << ev.path[1];

  // a reply matches the type-0 rules: the first one drops it, no condition asked
  Packet reply = echo_in();
  reply.type = 0;
  auto r = evaluate(rs, reply);
  EXPECT_EQ(r.outcome, Outcome::dropped);
  EXPECT_EQ(r.decided_by.handle, in.rules[0].handle);
}

TEST(Evaluate, ConditionsThatDoNotMatterFoldWithinTheBudgetOnly) {
  // six conditions, none deciding anything: 64 worlds, all dropped
  Chain in = base_chain("in", 0);
  for (uint8_t n = 1; n <= 6; ++n) add_rule(in, with(saddr_is(n), {Counter{}}));
  add_rule(in, {verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "t", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::dropped) << ev.condition;
  EXPECT_EQ(ev.decided_by.handle, in.rules[6].handle);
  // the world kept is the one where no condition held: no counter counted
  EXPECT_TRUE(ev.counters.empty());

  // with fewer walks than worlds the split stops at an unresolved condition
  EvaluateOptions few;
  few.max_branches = 4;
  auto cut = evaluate(rs, echo_in(), few);
  EXPECT_EQ(cut.outcome, Outcome::conditional);
  EXPECT_NE(cut.condition.find("(too many open conditions to follow)"), std::string::npos)
      << cut.condition;
  EXPECT_EQ(cut.condition.rfind("if ip saddr == 198.18.0.1 at ip t in #", 0), 0u) << cut.condition;
}

TEST(Evaluate, LoopThroughRulesThatNeverMatchEndsTheWalk) {
  Chain in = base_chain("in", 0);
  add_rule(in, {verdict(NFT_JUMP, "spin")});
  Chain spin = chain("spin");
  for (int i = 0; i < 30; ++i) add_rule(spin, with(icmp_type_is(0), {verdict(NF_ACCEPT)}));
  add_rule(spin, {verdict(NFT_GOTO, "spin")});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in, spin})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("the walk did not end"), std::string::npos) << ev.condition;
  EXPECT_EQ(ev.decided_by.chain, "spin");
}

TEST(Evaluate, XtMatchesFromIptablesNft) {
  // -m conntrack --ctstate INVALID -j DROP; -p icmp --icmp-type 8 -j ACCEPT;
  // -m addrtype --dst-type LOCAL -j RETURN (in a jumped chain); -m comment
  xt_conntrack_mtinfo3 info{};
  info.match_flags = XT_CONNTRACK_STATE;
  info.state_mask = XT_CONNTRACK_STATE_INVALID;
  Match conntrack = xt("conntrack", 3, info);
  Match echo = xt("icmp", 0, ipt_icmp{8, {0, 0xff}, 0});
  Match comment = xt("comment", 0, xt_comment_info{"ufw"});
  Chain in = base_chain("in", 0, NF_DROP);
  add_rule(in, {conntrack, verdict(NF_DROP)});
  add_rule(in, {comment, echo, verdict(NF_ACCEPT)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "filter", {in})};
  Packet p = echo_in();
  p.ct_state = ct_state_bit("new");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::accepted);
  p.ct_state = ct_state_bit("invalid");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::dropped);
  p.ct_state.reset();
  auto ev = evaluate(rs, p);
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("ct state invalid"), std::string::npos) << ev.condition;
  p.type = 0;
  p.ct_state = ct_state_bit("new");
  EXPECT_EQ(evaluate(rs, p).outcome, Outcome::dropped);
}

TEST(Evaluate, XtMatchNotJudgedIsAConditionNamingIt) {
  Chain in = base_chain("in", 0);
  add_rule(in, {Match{"string", 1, Bytes(64, 0)}, verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "filter", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("xt match string rev 1 (the audit cannot judge it)"),
            std::string::npos)
      << ev.condition;
}

TEST(Evaluate, XtLimitIsRateLimited) {
  xt_rateinfo info{};
  info.avg = XT_LIMIT_SCALE * 60 / 3;  // --limit 3/min --limit-burst 10
  info.burst = 10;
  Match limit = xt("limit", 0, info);
  Chain in = base_chain("in", 0, NF_DROP);
  add_rule(in, {limit, verdict(NF_ACCEPT)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "filter", {in})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::rate_limited);
  EXPECT_EQ(ev.rate, "3/minute");
}

TEST(FindElement, IntervalsAndCatchall) {
  Ruleset rs = source_set_ruleset();
  const Set& s = rs.tables[0].sets[0];
  EXPECT_NE(find_element(s, {198, 18, 0, 0}), nullptr);
  EXPECT_NE(find_element(s, {198, 19, 9, 9}), nullptr);
  EXPECT_EQ(find_element(s, {198, 20, 0, 0}), nullptr);
  EXPECT_EQ(find_element(s, {10, 0, 0, 1}), nullptr);
  Set h = s;
  h.flags = 0;
  SetElement any;
  any.flags = NFT_SET_ELEM_CATCHALL;
  h.elements = {SetElement{{1, 2, 3, 4}}, any};
  EXPECT_EQ(find_element(h, {1, 2, 3, 4}), &h.elements[0]);
  EXPECT_EQ(find_element(h, {1, 2, 3, 5}), &h.elements[1]);
}

TEST(Report, JsonShapeAndSingledOutCodes) {
  Chain in = base_chain("in", 0);
  // destination-unreachable code 4 (frag-needed) dropped, the rest accepted
  add_rule(in, with(icmp_type_is(3), {Payload{NFT_PAYLOAD_TRANSPORT_HEADER, 1, 1, 1, {}},
                                      Cmp{1, NFT_CMP_EQ, {4}}, Counter{2, 100}, verdict(NF_DROP)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "t", {in})};
  ReportFilter f;
  f.family = Family::ipv4;
  f.hook = Hook::input;
  f.type = 3;
  auto entries = build_report(rs, f);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].evaluation.outcome, Outcome::accepted);
  EXPECT_EQ(entries[1].packet.code, 4);
  EXPECT_EQ(entries[1].evaluation.outcome, Outcome::dropped);
  EXPECT_EQ(entries[1].packets, 2u);
  std::string json = render_json(entries);
  EXPECT_EQ(json.rfind("{\"schema\":1,\"entries\":[{\"family\":\"ipv4\",\"hook\":\"input\","
                       "\"type\":3,\"code\":0,\"type_name\":\"destination-unreachable\","
                       "\"outcome\":\"accepted\",\"rate\":null,\"condition\":null,",
                       0),
            0u)
      << json;
  EXPECT_NE(json.find("\"decided_by\":{\"family\":\"ip\",\"table\":\"t\",\"chain\":\"in\","),
            std::string::npos);
  EXPECT_NE(json.find("\"packets\":2}"), std::string::npos);
  std::string text = render_text(entries, false);
  EXPECT_EQ(text.find('\033'), std::string::npos);
  EXPECT_EQ(text.substr(0, 6), "FAMILY");
}

// ---- chain DAGs, budgets, unmodelled expressions, byte order -------------

// `layers` chains, each jumping to the next from 4 rules with distinct
// source conditions; the last one drops echo requests from one source.
Ruleset chain_dag(int layers, bool mark_before_jump = false) {
  Chain in = base_chain("in", 0);
  add_rule(in, {verdict(NFT_JUMP, "l0")});
  std::vector<Chain> chains = {in};
  for (int k = 0; k < layers; ++k) {
    Chain c = chain("l" + std::to_string(k));
    std::string next = k + 1 < layers ? "l" + std::to_string(k + 1) : "bottom";
    for (uint8_t j = 1; j <= 4; ++j) {
      std::vector<Expr> rule;
      // `meta mark set j`: the registers differ at each jump
      if (mark_before_jump) rule = {Immediate{9, {}, {j, 0, 0, 0}}, Meta{NFT_META_MARK, {}, 9}};
      rule = with(rule, {Payload{NFT_PAYLOAD_NETWORK_HEADER, 12, 4, 1, {}},
                         Cmp{1, NFT_CMP_EQ, {198, 18, static_cast<uint8_t>(k), j}},
                         verdict(NFT_JUMP, next)});
      add_rule(c, rule);
    }
    chains.push_back(c);
  }
  Chain bottom = chain("bottom");
  add_rule(bottom, with(saddr_is(99), with(icmp_type_is(8), {verdict(NF_DROP)})));
  chains.push_back(bottom);
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "dag", chains)};
  return rs;
}

TEST(Evaluate, ChainDagIsWalkedInBoundedTime) {
  // Walked path by path this is 4^14 chain entries per walk; each world now
  // walks a chain that returned once.
  for (bool mark : {false, true}) {
    Ruleset rs = chain_dag(14, mark);
    auto start = std::chrono::steady_clock::now();
    auto ev = evaluate(rs, echo_in());
    Packet reply = echo_in();
    reply.type = 0;
    auto r = evaluate(rs, reply);
    auto took = std::chrono::steady_clock::now() - start;
    // A guard against the exponential walk (minutes), not a speed figure:
    // wide enough for a sanitizer build on a loaded machine (~1 s there).
    EXPECT_LT(took, std::chrono::seconds(10)) << "mark " << mark;
    // the hidden drop is found, behind the first condition of each layer
    EXPECT_EQ(ev.outcome, Outcome::conditional);
    EXPECT_NE(ev.condition.find("if ip saddr == 198.18.13.1 at ip dag l13 #"), std::string::npos)
        << ev.condition.substr(0, 2000);
    EXPECT_NE(ev.condition.find(": dropped; otherwise"), std::string::npos);
    EXPECT_EQ(ev.condition.find("the walk did not end"), std::string::npos);
    // more conditions than the case split follows: said so, structured
    ASSERT_TRUE(ev.unknown_beyond.has_value());
    EXPECT_EQ(ev.unknown_beyond->reason, "too many open conditions to follow");
    EXPECT_EQ(r.condition.find("the walk did not end"), std::string::npos);
    EXPECT_EQ(r.condition.find("dropped"), std::string::npos) << "an echo reply is never dropped";
  }
}

TEST(Evaluate, ShallowChainDagIsDecidedExactly) {
  // one layer: 5 conditions, every world followed
  Ruleset rs = chain_dag(1);
  auto ev = evaluate(rs, echo_in());
  EXPECT_FALSE(ev.unknown_beyond.has_value()) << ev.condition;
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  EXPECT_NE(ev.condition.find("dropped"), std::string::npos);
  // told the source, the DAG is decided
  Packet from = echo_in();
  from.src = {198, 18, 0, 99};
  EXPECT_EQ(evaluate(rs, from).outcome, Outcome::accepted);
}

TEST(Evaluate, ChainThatReadsItsCallersRegistersIsWalkedAgainWithOtherValues) {
  // sub compares a register its caller set: entered with 1 it returns,
  // entered with 2 it drops. Remembering "sub returned" without the
  // registers would skip the second entry.
  Chain in = base_chain("in", 0);
  add_rule(in, {Immediate{9, {}, {1, 0, 0, 0}}, verdict(NFT_JUMP, "sub")});
  add_rule(in, {Immediate{9, {}, {2, 0, 0, 0}}, verdict(NFT_JUMP, "sub")});
  Chain sub = chain("sub");
  add_rule(sub, {Cmp{9, NFT_CMP_EQ, {2, 0, 0, 0}}, verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "t", {in, sub})};
  auto ev = evaluate(rs, echo_in());
  EXPECT_EQ(ev.outcome, Outcome::dropped) << ev.condition;
  EXPECT_EQ(ev.decided_by.chain, "sub");
}

TEST(Evaluate, StepBudgetGivesAnAnswerMarkedUnknownBeyond) {
  Ruleset rs = chain_dag(3);
  EvaluateOptions few;
  few.max_steps = 5;
  auto ev = evaluate(rs, echo_in(), few);
  EXPECT_EQ(ev.outcome, Outcome::conditional);
  ASSERT_TRUE(ev.unknown_beyond.has_value());
  EXPECT_NE(ev.unknown_beyond->reason.find("step budget"), std::string::npos);
  EXPECT_FALSE(ev.unknown_beyond->where.chain.empty());
  EXPECT_NE(ev.condition.find("unknown beyond here"), std::string::npos) << ev.condition;

  ReportEntry e;
  e.packet = echo_in();
  e.type_name = "echo-request";
  e.evaluation = ev;
  std::string json = render_json({e});
  EXPECT_NE(json.find("\"unknown_beyond\":{\"reason\":\"the audit's step budget"),
            std::string::npos)
      << json;
  EXPECT_NE(render_explain(e).find("unknown beyond ip dag "), std::string::npos);
}

TEST(Evaluate, TimeBudgetSpentMarksEveryOutcomeUnknown) {
  Ruleset rs = chain_dag(3);
  EvaluateOptions late;
  late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  ReportFilter f;
  f.family = Family::ipv4;
  f.hook = Hook::input;
  auto entries = build_report(rs, f, late);
  ASSERT_FALSE(entries.empty());
  for (const auto& e : entries) {
    ASSERT_TRUE(e.evaluation.unknown_beyond.has_value()) << e.type_name;
    EXPECT_EQ(e.evaluation.unknown_beyond->reason, "the audit's time budget ran out");
    EXPECT_EQ(e.evaluation.outcome, Outcome::conditional);
  }
  // with the default options nothing is cut and the JSON has no such key
  auto fine = build_report(chain_dag(1), f);
  EXPECT_EQ(render_json(fine).find("unknown_beyond"), std::string::npos);
}

TEST(Evaluate, UnmodelledExpressionsAreListedWithTheirPlace) {
  Chain in = base_chain("in", 0);
  add_rule(in, with(icmp_type_is(8), {Unknown{"osf"}, verdict(NF_DROP)}));
  add_rule(in, {Match{"string", 1, Bytes(64, 0)}, verdict(NF_DROP)});
  add_rule(in, with(icmp_type_is(0), {Unknown{"synproxy"}, verdict(NF_DROP)}));  // not met
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "filter", {in})};
  auto ev = evaluate(rs, echo_in());
  ASSERT_EQ(ev.unmodelled.size(), 2u);
  EXPECT_EQ(ev.unmodelled[0].expression, "expression 'osf'");
  EXPECT_EQ(ev.unmodelled[0].where.handle, in.rules[0].handle);
  EXPECT_EQ(ev.unmodelled[1].expression, "xt match string rev 1");
  EXPECT_EQ(ev.unmodelled[1].where.handle, in.rules[1].handle);

  ReportEntry e;
  e.packet = echo_in();
  e.type_name = "echo-request";
  e.evaluation = ev;
  std::string json = render_json({e});
  EXPECT_NE(json.find("\"unmodelled\":[{\"expression\":\"expression 'osf'\",\"at\":{"
                      "\"family\":\"ip\",\"table\":\"filter\",\"chain\":\"in\",\"handle\":" +
                      std::to_string(in.rules[0].handle)),
            std::string::npos)
      << json;
  EXPECT_NE(render_text({e}, false).find("unmodelled: xt match string rev 1 at ip filter in #"),
            std::string::npos);
  // a ruleset without them: no such key
  Ruleset plain;
  plain.tables = {table(NFPROTO_IPV4, "filter", {base_chain("in", 0)})};
  EXPECT_EQ(render_json({report_entry(plain, echo_in())}).find("unmodelled"), std::string::npos);
}

template <class T>
Bytes host_bytes(T v) {
  Bytes b(sizeof v);
  std::memcpy(b.data(), &v, sizeof v);
  return b;
}

// The condition a lone `load; cmp == value` rule raises.
std::string condition_of(Expr load, Bytes value) {
  Chain in = base_chain("in", 0);
  add_rule(in, {load, Cmp{1, NFT_CMP_EQ, value}, verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  return evaluate(rs, echo_in()).condition;
}

TEST(Evaluate, HostOrderFieldsShowTheirValue) {
  EXPECT_NE(condition_of(Meta{NFT_META_MARK, 1, {}}, host_bytes<uint32_t>(1))
                .find("if meta mark == 0x00000001 at"),
            std::string::npos);
  EXPECT_NE(
      condition_of(Ct{NFT_CT_ZONE, {}, 1, {}}, host_bytes<uint16_t>(5)).find("if ct zone == 5 at"),
      std::string::npos);
  EXPECT_NE(condition_of(Ct{NFT_CT_MARK, {}, 1, {}}, host_bytes<uint32_t>(0x10))
                .find("if ct mark == 0x00000010 at"),
            std::string::npos);
  EXPECT_NE(condition_of(Meta{NFT_META_PRIORITY, 1, {}}, host_bytes<uint32_t>(0x10002))
                .find("if meta priority == 1:2 at"),
            std::string::npos);
  EXPECT_NE(condition_of(Meta{NFT_META_SKUID, 1, {}}, host_bytes<uint32_t>(1000))
                .find("if meta skuid == 1000 at"),
            std::string::npos);
  // big-endian fields keep their bytes: meta protocol, addresses
  EXPECT_NE(condition_of(Meta{NFT_META_PRANDOM, 1, {}}, Bytes{0, 0, 0, 7})
                .find("if meta random == 0x00000007 at"),
            std::string::npos);
  // a mask in the field's byte order too: meta mark & 0xff00 == 0x100
  Chain in = base_chain("in", 0);
  add_rule(in, {Meta{NFT_META_MARK, 1, {}},
                Bitwise{1, 1, 4, NFT_BITWISE_BOOL, host_bytes<uint32_t>(0xff00), Bytes(4, 0), {}},
                Cmp{1, NFT_CMP_EQ, host_bytes<uint32_t>(0x100)}, verdict(NF_DROP)});
  Ruleset rs;
  rs.tables = {table(NFPROTO_INET, "t", {in})};
  EXPECT_NE(evaluate(rs, echo_in()).condition.find("if meta mark & 0x0000ff00 == 0x00000100 at"),
            std::string::npos)
      << evaluate(rs, echo_in()).condition;
}

TEST(Evaluate, EveryMetaKeyHasItsName) {
  for (uint32_t key : {uint32_t{NFT_META_PRIORITY}, uint32_t{NFT_META_SECMARK},
                       uint32_t{NFT_META_CGROUP}, uint32_t{NFT_META_SDIFNAME}}) {
    std::string c = condition_of(Meta{key, 1, {}}, host_bytes<uint32_t>(1));
    EXPECT_EQ(c.find("meta key"), std::string::npos) << c;
  }
  EXPECT_NE(
      condition_of(Meta{NFT_META_PRIORITY, 1, {}}, host_bytes<uint32_t>(1)).find("meta priority"),
      std::string::npos);
}

TEST(Report, JsonStaysValidWithBytesThatAreNotUtf8) {
  // a chain name with 0xff (as a comment or name may hold): in the path
  Chain in = base_chain(std::string("in\xff\xfe"), 0);
  add_rule(in, with(icmp_type_is(8), {verdict(NF_DROP)}));
  Ruleset rs;
  rs.tables = {table(NFPROTO_IPV4, "t", {in})};
  auto entry = report_entry(rs, echo_in());
  std::string json = render_json({entry});
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json;
  EXPECT_EQ(parsed["entries"][0]["decided_by"]["chain"], "in\xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace icmpwall::audit
