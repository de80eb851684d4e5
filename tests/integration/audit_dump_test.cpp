// SPDX-License-Identifier: GPL-2.0-or-later
// audit::dump_ruleset against the running kernel.
//
// Each test works in a scratch namespace of its own (harness Netns). The
// ruleset is loaded with `nft -f` and iptables-nft, so what the dump must
// find is written by other programs than icmpwall: tables of five
// families, base chains at several priorities, jumps and gotos, a verdict
// map keyed by icmp type . icmp code with intervals, interval sets, named
// counters bumped by real pings, limits, ct, reject, log, xt matches and
// an NFQUEUE target. Independently of the expected expression sequences,
// every table, chain (hook, priority, policy, rule count), named set and
// counter that `nft -j list ruleset` reports must be in the dump.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.h"
#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/dump.h"
#include "icmpwall/netlink/netns.h"

namespace icmpwall::integration {
namespace {

using namespace icmpwall::audit;
using json = nlohmann::json;

Result<Ruleset> dump_in(const Netns& ns) {
  auto entered = netlink::EnterNetns::open(ns.name());
  if (!entered.ok()) return entered.error();
  return dump_ruleset();
}

std::vector<std::string> rule_texts(const Chain& c) {
  std::vector<std::string> out;
  for (const auto& r : c.rules) out.push_back(describe(r));
  return out;
}

const Chain& chain_of(const Ruleset& rs, uint32_t family, const std::string& table,
                      const std::string& chain) {
  static const Chain kNone;
  const Table* t = rs.table(family, table);
  if (!t) {
    ADD_FAILURE() << "no table " << family_name(family) << " " << table;
    return kNone;
  }
  const Chain* c = t->chain(chain);
  if (!c) ADD_FAILURE() << "no chain " << chain << " in " << table;
  return c ? *c : kNone;
}

Bytes b(std::initializer_list<int> v) {
  Bytes out;
  for (int x : v) out.push_back(static_cast<uint8_t>(x));
  return out;
}

uint32_t hook_number(const std::string& family, const std::string& hook) {
  if (family == "netdev") return hook == "ingress" ? NF_NETDEV_INGRESS : NF_NETDEV_EGRESS;
  static const std::map<std::string, uint32_t> hooks = {
      {"prerouting", NF_INET_PRE_ROUTING},   {"input", NF_INET_LOCAL_IN},
      {"forward", NF_INET_FORWARD},          {"output", NF_INET_LOCAL_OUT},
      {"postrouting", NF_INET_POST_ROUTING}, {"ingress", NF_INET_INGRESS}};
  return hooks.at(hook);
}

// Everything `nft -j list ruleset` names must be in the dump, alike.
void expect_matches_nft_listing(const Netns& ns, const Ruleset& rs) {
  auto listed = ns.run({"nft", "-j", "list", "ruleset"}, {Millis(60'000)});
  ASSERT_TRUE(listed.ok()) << listed.describe();
  json j = json::parse(listed.out);
  std::map<std::string, size_t> rules_per_chain;
  size_t tables = 0;
  for (const auto& item : j.at("nftables")) {
    if (item.contains("rule")) {
      const auto& r = item["rule"];
      ++rules_per_chain[fmt::format("{} {} {}", r["family"].get<std::string>(),
                                    r["table"].get<std::string>(), r["chain"].get<std::string>())];
    }
  }
  for (const auto& item : j.at("nftables")) {
    if (item.contains("table")) {
      const auto& t = item["table"];
      ++tables;
      bool found = false;
      for (const auto& dt : rs.tables)
        if (family_name(dt.family) == t["family"] && dt.name == t["name"]) {
          found = true;
          EXPECT_EQ(dt.handle, t["handle"].get<uint64_t>()) << dt.name;
        }
      EXPECT_TRUE(found) << "table " << t.dump();
    } else if (item.contains("chain")) {
      const auto& c = item["chain"];
      std::string family = c["family"];
      const Table* dt = nullptr;
      for (const auto& t : rs.tables)
        if (family_name(t.family) == family && t.name == c["table"]) dt = &t;
      ASSERT_NE(dt, nullptr) << c.dump();
      const Chain* dc = dt->chain(c["name"]);
      ASSERT_NE(dc, nullptr) << c.dump();
      EXPECT_EQ(dc->handle, c["handle"].get<uint64_t>());
      std::string key = fmt::format("{} {} {}", family, dt->name, dc->name);
      EXPECT_EQ(dc->rules.size(), rules_per_chain[key]) << key;
      if (c.contains("hook")) {
        ASSERT_TRUE(dc->hook) << key;
        EXPECT_EQ(dc->hook->hooknum, hook_number(family, c["hook"])) << key;
        EXPECT_EQ(dc->hook->priority, c["prio"].get<int>()) << key;
        EXPECT_EQ(dc->hook->type, c["type"].get<std::string>()) << key;
        EXPECT_EQ(dc->hook->policy, c["policy"] == "drop" ? uint32_t{NF_DROP} : uint32_t{NF_ACCEPT})
            << key;
      } else {
        EXPECT_FALSE(dc->hook) << key;
      }
    } else if (item.contains("set") || item.contains("map")) {
      const auto& s = item.contains("set") ? item["set"] : item["map"];
      const Table* dt = nullptr;
      for (const auto& t : rs.tables)
        if (family_name(t.family) == s["family"] && t.name == s["table"]) dt = &t;
      ASSERT_NE(dt, nullptr) << s.dump();
      const Set* ds = dt->set(s["name"]);
      ASSERT_NE(ds, nullptr) << s.dump();
      EXPECT_EQ(ds->handle, s["handle"].get<uint64_t>());
      EXPECT_EQ(ds->is_map(), item.contains("map")) << ds->name;
    } else if (item.contains("counter")) {
      const auto& c = item["counter"];
      const Table* dt = nullptr;
      for (const auto& t : rs.tables)
        if (family_name(t.family) == c["family"] && t.name == c["table"]) dt = &t;
      ASSERT_NE(dt, nullptr) << c.dump();
      const Object* o = dt->object(c["name"]);
      ASSERT_NE(o, nullptr) << c.dump();
      EXPECT_EQ(o->type, uint32_t{NFT_OBJECT_COUNTER});
      // The listing is read after the dump: packets the namespace sends in
      // between (its own IPv6 solicitations) can only add to the counters.
      ASSERT_TRUE(o->value("packets") && o->value("bytes")) << o->name;
      EXPECT_LE(*o->value("packets"), c["packets"].get<uint64_t>()) << o->name;
      EXPECT_LE(*o->value("bytes"), c["bytes"].get<uint64_t>()) << o->name;
    }
  }
  EXPECT_EQ(rs.tables.size(), tables);
}

constexpr const char* kRuleset = R"(
table ip filt4 {
  counter c_in { packets 0 bytes 0 }
  limit lim_slow { rate 10/minute burst 5 packets }
  quota q_day { until 1000 mbytes }
  set blocked4 { type ipv4_addr; flags interval; elements = { 198.18.7.0/24, 198.19.5.0/28 } }
  map icmp_vmap {
    type icmp_type . icmp_code : verdict; flags interval
    elements = { echo-request . 0 : accept, destination-unreachable . 0-15 : jump icmp_err }
  }
  chain input {
    type filter hook input priority -150; policy drop;
    ct state established,related accept
    ip saddr @blocked4 drop
    meta l4proto icmp counter name "c_in" icmp type . icmp code vmap @icmp_vmap
    ip protocol icmp jump icmp_chk comment "to the checks"
  }
  chain icmp_chk {
    icmp type echo-reply limit rate 5/second burst 2 packets accept
    goto icmp_err
  }
  chain icmp_err {
    icmp type destination-unreachable log prefix "icmp-err " group 2 accept
    reject
  }
}
table ip6 filt6 {
  chain input {
    type filter hook input priority 10; policy drop;
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
    ip6 saddr 2001:db8::/32 reject with icmpv6 type admin-prohibited
  }
}
table inet finet {
  counter c_ping { packets 0 bytes 0 }
  chain out {
    type filter hook output priority 100; policy accept;
    icmp type echo-request counter name "c_ping"
  }
  chain fwd_chain {
    type filter hook forward priority 0; policy drop;
    ct state invalid drop
    meta l4proto ipv6-icmp limit rate over 100/second drop
  }
}
table bridge fbr {
  chain fwd_chain {
    type filter hook forward priority -200; policy drop;
    ether type ip accept
  }
}
table netdev fnd {
  chain ingress {
    type filter hook ingress device "v0" priority -500; policy accept;
    ip protocol icmp counter
  }
}
)";

constexpr const char* kIptables =
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "-A FORWARD -p icmp --icmp-type echo-request -m limit --limit 1/s -j ACCEPT\n"
    "COMMIT\n";

class AuditDump : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    ns_ = std::make_unique<Netns>();
    ns_->ip({"link", "set", "lo", "up"});
    ns_->ip({"link", "add", "v0", "type", "veth", "peer", "name", "v1"});
    ns_->ip({"link", "set", "v0", "up"});
    ns_->ip({"link", "set", "v1", "up"});
    ns_->add_address("v0", "198.18.0.1/24");
  }
  std::unique_ptr<Netns> ns_;
};

TEST_F(AuditDump, AllFamiliesAsLoaded) {
  auto loaded = ns_->nft_load(kRuleset);
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  RunOptions restore;
  restore.input = kIptables;
  auto ipt = ns_->run({"iptables-nft-restore"}, restore);
  ASSERT_TRUE(ipt.ok()) << ipt.describe();
  auto nfq = ns_->run({"iptables-nft", "-A", "INPUT", "-p", "icmp", "-s", "198.19.9.9", "-j",
                       "NFQUEUE", "--queue-num", "3"});
  ASSERT_TRUE(nfq.ok()) << nfq.describe();
  auto pinged = ping(*ns_, "198.18.0.1");
  ASSERT_EQ(pinged.received, 3) << pinged.describe();

  auto rs = dump_in(*ns_);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  EXPECT_GT(rs->generation, 0u);

  std::set<std::pair<std::string, std::string>> tables;
  for (const auto& t : rs->tables) tables.insert({family_name(t.family), t.name});
  EXPECT_EQ(tables, (std::set<std::pair<std::string, std::string>>{{"ip", "filt4"},
                                                                   {"ip6", "filt6"},
                                                                   {"inet", "finet"},
                                                                   {"bridge", "fbr"},
                                                                   {"netdev", "fnd"},
                                                                   {"ip", "filter"}}));

  // Base chains: hook, priority, type, policy; regular chains: none.
  const Chain& in4 = chain_of(*rs, NFPROTO_IPV4, "filt4", "input");
  ASSERT_TRUE(in4.hook);
  EXPECT_EQ(in4.hook->hooknum, uint32_t{NF_INET_LOCAL_IN});
  EXPECT_EQ(in4.hook->priority, -150);
  EXPECT_EQ(in4.hook->type, "filter");
  EXPECT_EQ(in4.hook->policy, uint32_t{NF_DROP});
  EXPECT_FALSE(chain_of(*rs, NFPROTO_IPV4, "filt4", "icmp_chk").hook);
  EXPECT_FALSE(chain_of(*rs, NFPROTO_IPV4, "filt4", "icmp_err").hook);
  const Chain& in6 = chain_of(*rs, NFPROTO_IPV6, "filt6", "input");
  ASSERT_TRUE(in6.hook);
  EXPECT_EQ(in6.hook->priority, 10);
  EXPECT_EQ(in6.hook->policy, uint32_t{NF_DROP});
  const Chain& out = chain_of(*rs, NFPROTO_INET, "finet", "out");
  ASSERT_TRUE(out.hook);
  EXPECT_EQ(out.hook->hooknum, uint32_t{NF_INET_LOCAL_OUT});
  EXPECT_EQ(out.hook->priority, 100);
  EXPECT_EQ(out.hook->policy, uint32_t{NF_ACCEPT});
  const Chain& fwd = chain_of(*rs, NFPROTO_INET, "finet", "fwd_chain");
  ASSERT_TRUE(fwd.hook);
  EXPECT_EQ(fwd.hook->hooknum, uint32_t{NF_INET_FORWARD});
  EXPECT_EQ(fwd.hook->priority, 0);
  EXPECT_EQ(fwd.hook->policy, uint32_t{NF_DROP});
  const Chain& br = chain_of(*rs, NFPROTO_BRIDGE, "fbr", "fwd_chain");
  ASSERT_TRUE(br.hook);
  EXPECT_EQ(br.hook->priority, -200);
  EXPECT_EQ(br.hook->policy, uint32_t{NF_DROP});
  const Chain& nd = chain_of(*rs, NFPROTO_NETDEV, "fnd", "ingress");
  ASSERT_TRUE(nd.hook);
  EXPECT_EQ(nd.hook->hooknum, uint32_t{NF_NETDEV_INGRESS});
  EXPECT_EQ(nd.hook->priority, -500);
  EXPECT_EQ(nd.hook->devices, std::vector<std::string>{"v0"});

  // Expression sequences, in kernel order.
  EXPECT_EQ(rule_texts(in4),
            (std::vector<std::string>{
                "ct state -> r1; bitwise r1 = (r1 & 06000000) ^ 00000000; cmp neq r1 00000000; "
                "immediate accept",
                "payload nh+12 4 -> r1; lookup r1 @blocked4; immediate drop",
                "meta l4proto -> r1; cmp eq r1 01; objref type 1 c_in; payload th+0 1 -> r1; "
                "payload th+1 1 -> r9; lookup r1 @icmp_vmap -> r0",
                "payload nh+9 1 -> r1; cmp eq r1 01; immediate jump icmp_chk"}));
  ASSERT_EQ(in4.rules.size(), 4u);
  EXPECT_EQ(in4.rules[3].comment, std::string("to the checks"));
  EXPECT_FALSE(in4.rules[0].comment);
  EXPECT_EQ(in4.rules[0].index, 0u);
  EXPECT_EQ(in4.rules[3].index, 3u);
  EXPECT_EQ(in4.rules[3].position, in4.rules[2].handle);
  EXPECT_EQ(rule_texts(chain_of(*rs, NFPROTO_IPV4, "filt4", "icmp_chk")),
            (std::vector<std::string>{
                "meta l4proto -> r1; cmp eq r1 01; payload th+0 1 -> r1; cmp eq r1 00; "
                "limit 5/1s burst 2 pkts; immediate accept",
                "immediate goto icmp_err"}));
  EXPECT_EQ(rule_texts(chain_of(*rs, NFPROTO_IPV4, "filt4", "icmp_err")),
            (std::vector<std::string>{
                "meta l4proto -> r1; cmp eq r1 01; payload th+0 1 -> r1; cmp eq r1 03; "
                "log prefix \"icmp-err \" group 2; immediate accept",
                "reject type 0 code 3"}));
  EXPECT_EQ(rule_texts(in6),
            (std::vector<std::string>{
                "meta l4proto -> r1; cmp eq r1 3a; payload th+0 1 -> r1; lookup r1 @__set0; "
                "immediate accept",
                "payload nh+8 4 -> r1; cmp eq r1 20010db8; reject type 0 code 1"}));
  EXPECT_EQ(rule_texts(out),
            (std::vector<std::string>{"meta nfproto -> r1; cmp eq r1 02; meta l4proto -> r1; "
                                      "cmp eq r1 01; payload th+0 1 -> r1; cmp eq r1 08; "
                                      "objref type 1 c_ping"}));
  EXPECT_EQ(
      rule_texts(fwd),
      (std::vector<std::string>{
          "ct state -> r1; bitwise r1 = (r1 & 01000000) ^ 00000000; cmp neq r1 00000000; "
          "immediate drop",
          "meta l4proto -> r1; cmp eq r1 3a; limit 100/1s burst 5 pkts over; immediate drop"}));
  EXPECT_EQ(rule_texts(br),
            (std::vector<std::string>{"payload ll+12 2 -> r1; cmp eq r1 0800; immediate accept"}));
  EXPECT_EQ(rule_texts(nd),
            (std::vector<std::string>{"meta protocol -> r1; cmp eq r1 0800; payload nh+9 1 -> r1; "
                                      "cmp eq r1 01; counter 0/0"}));

  // iptables-nft: native where it can, xt match / target where it must.
  const Chain& ipt_fwd = chain_of(*rs, NFPROTO_IPV4, "filter", "FORWARD");
  ASSERT_TRUE(ipt_fwd.hook);
  EXPECT_EQ(ipt_fwd.hook->policy, uint32_t{NF_DROP});
  ASSERT_EQ(ipt_fwd.rules.size(), 1u);
  const auto& fx = ipt_fwd.rules[0].exprs;
  ASSERT_EQ(fx.size(), 6u) << describe(ipt_fwd.rules[0]);
  ASSERT_TRUE(std::holds_alternative<Match>(fx[2]));
  EXPECT_EQ(std::get<Match>(fx[2]).name, "icmp");
  EXPECT_EQ(std::get<Match>(fx[2]).rev, 0u);
  ASSERT_GE(std::get<Match>(fx[2]).info.size(), 1u);
  EXPECT_EQ(std::get<Match>(fx[2]).info[0], 8);  // struct ipt_icmp: type echo-request
  ASSERT_TRUE(std::holds_alternative<Limit>(fx[3]));
  EXPECT_EQ(std::get<Limit>(fx[3]).rate, 1u);
  EXPECT_EQ(std::get<Limit>(fx[3]).unit, 1u);
  const Chain& ipt_in = chain_of(*rs, NFPROTO_IPV4, "filter", "INPUT");
  ASSERT_EQ(ipt_in.rules.size(), 1u);
  const auto& tx = ipt_in.rules[0].exprs.back();
  ASSERT_TRUE(std::holds_alternative<Target>(tx)) << describe(ipt_in.rules[0]);
  EXPECT_EQ(std::get<Target>(tx).name, "NFQUEUE");
  EXPECT_EQ(std::get<Target>(tx).rev, 3u);
  ASSERT_GE(std::get<Target>(tx).info.size(), 2u);
  uint16_t queue_num = 0;
  std::memcpy(&queue_num, std::get<Target>(tx).info.data(), 2);  // xt_NFQ_info_v3.queuenum
  EXPECT_EQ(queue_num, 3);

  // Sets: interval starts and ends, the concatenated verdict map.
  const Table* t4 = rs->table(NFPROTO_IPV4, "filt4");
  ASSERT_NE(t4, nullptr);
  const Set* blocked = t4->set("blocked4");
  ASSERT_NE(blocked, nullptr);
  EXPECT_TRUE(blocked->is_interval());
  EXPECT_FALSE(blocked->is_map());
  EXPECT_EQ(blocked->key_len, 4u);
  std::set<std::pair<Bytes, uint32_t>> elems;
  for (const auto& e : blocked->elements) elems.insert({e.key, e.flags});
  for (auto want : {std::pair{b({198, 18, 7, 0}), 0u}, std::pair{b({198, 18, 8, 0}), 1u},
                    std::pair{b({198, 19, 5, 0}), 0u}, std::pair{b({198, 19, 5, 16}), 1u}})
    EXPECT_TRUE(elems.count(want)) << hex(want.first) << " flags " << want.second;

  const Set* vmap = t4->set("icmp_vmap");
  ASSERT_NE(vmap, nullptr);
  EXPECT_TRUE(vmap->is_map());
  EXPECT_TRUE(vmap->is_interval());
  EXPECT_EQ(vmap->data_type, uint32_t{NFT_DATA_VERDICT});
  EXPECT_EQ(vmap->concat, (std::vector<uint8_t>{1, 1}));
  ASSERT_EQ(vmap->elements.size(), 2u);
  std::map<Bytes, const SetElement*> by_key;
  for (const auto& e : vmap->elements) by_key[e.key] = &e;
  const SetElement* echo = by_key[b({8, 0, 0, 0, 0, 0, 0, 0})];
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->key_end, b({8, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(echo->verdict);
  EXPECT_EQ(echo->verdict->code, NF_ACCEPT);
  const SetElement* unreach = by_key[b({3, 0, 0, 0, 0, 0, 0, 0})];
  ASSERT_NE(unreach, nullptr);
  EXPECT_EQ(unreach->key_end, b({3, 0, 0, 0, 15, 0, 0, 0}));
  ASSERT_TRUE(unreach->verdict);
  EXPECT_EQ(*unreach->verdict, (Verdict{NFT_JUMP, "icmp_err"}));

  const Set* anon = rs->table(NFPROTO_IPV6, "filt6")->set("__set0");
  ASSERT_NE(anon, nullptr);
  EXPECT_TRUE(anon->is_anonymous());
  std::set<Bytes> anon_keys;
  for (const auto& e : anon->elements) anon_keys.insert(e.key);
  EXPECT_EQ(anon_keys, (std::set<Bytes>{b({135}), b({136})}));

  // Objects: the pings bumped the counters.
  const Object* c_ping = rs->table(NFPROTO_INET, "finet")->object("c_ping");
  ASSERT_NE(c_ping, nullptr);
  EXPECT_EQ(c_ping->type_name, "counter");
  EXPECT_EQ(c_ping->value("packets"), 3u);
  EXPECT_EQ(c_ping->value("bytes"), 252u);
  const Object* c_in = t4->object("c_in");
  ASSERT_NE(c_in, nullptr);
  EXPECT_GE(c_in->value("packets").value_or(0), 1u);
  const Object* lim = t4->object("lim_slow");
  ASSERT_NE(lim, nullptr);
  EXPECT_EQ(lim->type, uint32_t{NFT_OBJECT_LIMIT});
  EXPECT_EQ(lim->value("rate"), 10u);
  EXPECT_EQ(lim->value("unit"), 60u);
  EXPECT_EQ(lim->value("burst"), 5u);
  const Object* quota = t4->object("q_day");
  ASSERT_NE(quota, nullptr);
  EXPECT_EQ(quota->value("bytes"), 1000ull * 1024 * 1024);

  expect_matches_nft_listing(*ns_, *rs);
}

TEST_F(AuditDump, IcmpwallTableRoundTrips) {
  auto applied = apply_policy(*ns_, preset_path("host"));
  ASSERT_TRUE(applied.ok()) << applied.describe();
  auto pinged = ping(*ns_, "198.18.0.1");
  (void)pinged;  // only to make counters move; the policy decides what passes
  auto rs = dump_in(*ns_);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  ASSERT_FALSE(rs->tables.empty());
  size_t chains = 0, sets = 0, counters = 0;
  for (const auto& t : rs->tables) {
    chains += t.chains.size();
    sets += t.sets.size();
    for (const auto& o : t.objects) counters += o.type == NFT_OBJECT_COUNTER;
    for (const auto& c : t.chains)
      for (const auto& r : c.rules)
        for (const auto& e : r.exprs)
          EXPECT_FALSE(std::holds_alternative<Unknown>(e)) << c.name << ": " << describe(r);
  }
  EXPECT_GT(chains, 1u);
  EXPECT_GT(sets, 0u);
  EXPECT_GT(counters, 0u);
  expect_matches_nft_listing(*ns_, *rs);
}

// Not an assertion on speed: prints how long a large dump takes.
TEST_F(AuditDump, TimingLargeRuleset) {
  constexpr int kTables = 4, kRulesPerTable = 2500, kElementsPerTable = 25000;
  std::string text;
  for (int t = 0; t < kTables; ++t) {
    text += fmt::format("table ip big{} {{\n  set addrs {{ type ipv4_addr; elements = {{ ", t);
    for (int i = 0; i < kElementsPerTable; ++i)
      text += fmt::format("{}198.{}.{}.{}", i ? ", " : "", 18 + (i >> 16), (i >> 8) & 255, i & 255);
    text += " } }\n  chain input {\n    type filter hook input priority 0; policy accept;\n";
    for (int i = 0; i < kRulesPerTable; ++i)
      text += fmt::format("    ip saddr 198.19.{}.{} icmp type echo-request counter accept\n",
                          i >> 8, i & 255);
    text += "    ip saddr @addrs drop\n  }\n}\n";
  }
  RunOptions load;
  load.timeout = Millis(300'000);
  load.input = text;
  auto loaded = ns_->run({"nft", "-f", "-"}, load);
  ASSERT_TRUE(loaded.ok()) << loaded.describe();

  auto start = std::chrono::steady_clock::now();
  auto rs = dump_in(*ns_);
  auto elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  EXPECT_EQ(rs->rule_count(), size_t{kTables * (kRulesPerTable + 1)});
  EXPECT_EQ(rs->element_count(), size_t{kTables * kElementsPerTable});
  std::printf("dump_ruleset: %zu tables, %zu rules, %zu set elements in %.1f ms\n",
              rs->tables.size(), rs->rule_count(), rs->element_count(), elapsed.count());
}

}  // namespace
}  // namespace icmpwall::integration
