// SPDX-License-Identifier: GPL-2.0-or-later
// apply_table / flush_table / probe_queue_mode against the running kernel.
//
// Every test works in network namespaces of its own (iw-nl-<pid>-<n>),
// created with `ip netns add` and deleted when the test ends, whatever
// happens; nothing touches the root namespace's firewall. The reference
// for "what the kernel should hold" is nft itself: `nft -f` of
// render_nft(model) in a second namespace, compared through
// `nft -j list table` with handles removed.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "icmpwall/audit/dump.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/compile/render.h"
#include "icmpwall/netlink/apply.h"
#include "icmpwall/netlink/netns.h"
#include "icmpwall/policy/parser.h"

namespace icmpwall::netlink {
namespace {

using nft::Field;
using json = nlohmann::json;

#define REQUIRE_ROOT()                                          \
  do {                                                          \
    if (geteuid() != 0) {                                       \
      GTEST_SKIP() << "needs root: creates network namespaces"; \
    }                                                           \
  } while (0)

struct Cmd {
  int status = -1;
  std::string out;
};

Cmd run(const std::string& cmd) {
  Cmd r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = pclose(p);
  return r;
}

// A network namespace for the length of a test.
class ScopedNetns {
 public:
  ScopedNetns() {
    static std::atomic<int> counter{0};
    name_ = fmt::format("iw-nl-{}-{}", getpid(), counter++);
    auto r = run("ip netns add " + name_);
    ok_ = r.status == 0;
    if (!ok_) ADD_FAILURE() << "ip netns add " << name_ << ": " << r.out;
  }
  ~ScopedNetns() {
    if (ok_) run("ip netns del " + name_);
  }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  const std::string& name() const { return name_; }
  Cmd exec(const std::string& cmd) const {
    return run(fmt::format("ip netns exec {} {}", name_, cmd));
  }

 private:
  std::string name_;
  bool ok_ = false;
};

void strip_handles(json& j) {
  if (j.is_object()) {
    j.erase("handle");
    for (auto& [k, v] : j.items()) strip_handles(v);
  } else if (j.is_array()) {
    for (auto& v : j) strip_handles(v);
  }
}

// `nft -j list table inet NAME` without handles and metainfo.
json listing(const ScopedNetns& ns, const std::string& table) {
  auto r = ns.exec("nft -j list table inet " + table);
  if (r.status != 0) return json{{"error", r.out}};
  json j = json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return json{{"unparsable", r.out}};
  json out = json::array();
  for (auto& item : j["nftables"])
    if (!item.contains("metainfo")) out.push_back(item);
  strip_handles(out);
  // The kernel lists sets, maps and objects in the order they were made; an
  // apply leaves the unchanged ones in place (netlink/in_place.h), so that
  // order is not part of what a table holds. Rules keep theirs.
  std::vector<json> others, rules;
  for (auto& item : out) (item.contains("rule") ? rules : others).push_back(item);
  std::sort(others.begin(), others.end(),
            [](const json& a, const json& b) { return a.dump() < b.dump(); });
  out = json::array();
  for (auto& item : others) out.push_back(item);
  for (auto& item : rules) out.push_back(item);
  return out;
}

// Listing of a table that must exist and hold at least `min_items` objects.
json listing_of(const ScopedNetns& ns, const std::string& table, size_t min_items) {
  json j = listing(ns, table);
  EXPECT_TRUE(j.is_array()) << j.dump();
  EXPECT_GE(j.size(), min_items) << j.dump();
  return j;
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/icmpwall-nl-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return {};
  close(fd);
  std::ofstream(path) << text;
  return path;
}

// Loads render_nft(table) with `nft -f` into `ns`.
Cmd nft_load(const ScopedNetns& ns, const nft::Table& table) {
  std::string path = write_temp(compile::render_nft(table));
  auto r = ns.exec("nft -f " + path);
  unlink(path.c_str());
  return r;
}

Result<ApplyStats> apply_in(const ScopedNetns& ns, const nft::Table& table, Diagnostics& diags,
                            ApplyOptions opts = {}) {
  auto enter = EnterNetns::open(ns.name());
  if (!enter) return enter.error();
  return apply_table(table, diags, opts);
}

std::shared_ptr<const SourceFile> policy_file() {
  return std::make_shared<SourceFile>(
      "test.toml",
      "table = \"t\"\n[[rule]]\nname = \"good\"\n\n[[rule]]\nname = \"bad\"\n"
      "action = \"allow\"\n");
}

nft::Origin at(uint32_t line, std::string what) {
  return {SourceLoc{policy_file(), line, 1}, std::move(what)};
}

nft::Rule rule(std::vector<nft::Stmt> stmts, std::string what = "rule 'r' (allow)",
               uint32_t line = 2) {
  nft::Rule r;
  r.stmts = std::move(stmts);
  r.origin = at(line, std::move(what));
  return r;
}

std::vector<uint8_t> v6(uint16_t a, uint16_t b, uint16_t c, uint16_t d) {
  return {uint8_t(a >> 8),
          uint8_t(a),
          uint8_t(b >> 8),
          uint8_t(b),
          uint8_t(c >> 8),
          uint8_t(c),
          uint8_t(d >> 8),
          uint8_t(d),
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          0};
}

// A table using every statement kind except queue, and every set kind.
nft::Table every_statement(const std::string& name = "iwtest") {
  using nft::VerdictKind;
  nft::Table t;
  t.name = name;
  t.objects.push_back({nft::ObjectKind::counter, "echo-ok", {}, at(2, "rule 'echo'")});
  t.objects.push_back({nft::ObjectKind::counter, "default.input", {}, at(1, "default")});
  t.objects.push_back(
      {nft::ObjectKind::limit, "echo-ok", {{10, policy::RateUnit::second}, 5}, at(2, "limit")});

  nft::Chain base{"input", nft::BaseHook{nft::NfHook::input, 0, false}, {}, at(1, "base chain")};
  nft::Chain out{"output", nft::BaseHook{nft::NfHook::output, 10, false}, {}, at(1, "base chain")};
  nft::Chain disp{"input.v4", std::nullopt, {}, at(1, "dispatcher")};
  nft::Chain disp6{"input.v6", std::nullopt, {}, at(1, "dispatcher")};
  nft::Chain key{"input.v4.8", std::nullopt, {}, at(2, "rule 'echo'")};

  nft::Set src{"r.source.v4", nft::KeyType::ipv4_addr, false, true, false, 0, 0, {}, at(2, "src")};
  src.elements.push_back({{198, 18, 0, 0}, {198, 18, 0, 255}, {}});
  src.elements.push_back({{198, 19, 1, 1}, {198, 19, 1, 7}, {}});
  src.elements.push_back({{198, 19, 2, 9}, {}, {}});
  nft::Set src6{"r.source.v6", nft::KeyType::ipv6_addr, false, true, false, 0, 0, {},
                at(2, "src6")};
  src6.elements.push_back({v6(0x2001, 0xdb8, 0, 0), v6(0x2001, 0xdb8, 0xffff, 0xffff), {}});
  src6.elements[0].key_end.resize(8);
  src6.elements[0].key_end.resize(16, 0xff);
  nft::Set iif{"r.iif", nft::KeyType::ifname, false, false, false, 0, 0, {}, at(2, "iif")};
  iif.elements.push_back({nft::ifname_bytes("eth0"), {}, {}});
  iif.elements.push_back({nft::ifname_bytes("lo"), {}, {}});
  nft::Set dtype{"r.destination-type", nft::KeyType::fib_addrtype, false, false, false, 0, 0, {},
                 at(2, "dt")};
  dtype.elements.push_back({nft::u32_host(2), {}, {}});
  dtype.elements.push_back({nft::u32_host(5), {}, {}});
  nft::Set dyn{"r.sources.v6", nft::KeyType::ipv6_addr, false, false, true, 60000, 65535, {},
               at(2, "dyn")};
  nft::Set map{"verdicts.input.v4", nft::KeyType::icmp_type_code, true, true, false, 0, 0, {},
               at(1, "map")};
  map.elements.push_back(
      {{3, 0, 0, 0, 4, 0, 0, 0}, {}, nft::Verdict{VerdictKind::jump, "input.v4.8"}});
  map.elements.push_back({{8, 0, 0, 0, 0, 0, 0, 0},
                          {8, 0, 0, 0, 255, 0, 0, 0},
                          nft::Verdict{VerdictKind::jump, "input.v4.8"}});
  nft::Set map6{"verdicts.input.v6", nft::KeyType::icmpv6_type_code, true, true, false, 0, 0, {},
                at(1, "map6")};
  map6.elements.push_back({{128, 0, 0, 0, 0, 0, 0, 0},
                           {128, 0, 0, 0, 255, 0, 0, 0},
                           nft::Verdict{VerdictKind::accept, {}}});
  map6.elements.push_back({{135, 0, 0, 0, 0, 0, 0, 0}, {}, nft::Verdict{VerdictKind::drop, {}}});
  t.sets = {src, src6, iif, dtype, dyn, map, map6};

  base.rules.push_back(rule({nft::Match{Field::nfproto, {2}}, nft::Match{Field::l4proto, {1}},
                             nft::Verdict{VerdictKind::jump, "input.v4"}}));
  base.rules.push_back(rule({nft::Match{Field::nfproto, {10}}, nft::Match{Field::l4proto, {58}},
                             nft::Verdict{VerdictKind::jump, "input.v6"}}));
  disp.rules.push_back(
      rule({nft::VmapLookup{{Field::icmp_type, Field::icmp_code}, "verdicts.input.v4"}}));
  disp.rules.push_back(
      rule({nft::Limit{{5, policy::RateUnit::minute}, 5}, nft::Log{"icmpwall: "}}));
  disp.rules.push_back(
      rule({nft::CounterRef{"default.input"}, nft::Verdict{VerdictKind::accept, {}}}));
  disp6.rules.push_back(
      rule({nft::VmapLookup{{Field::icmpv6_type, Field::icmpv6_code}, "verdicts.input.v6"}}));
  auto r1 = rule({nft::SetMatch{Field::ip_saddr, "r.source.v4"}, nft::Match{Field::ip_ttl, {64}},
                  nft::CounterRef{"echo-ok"}, nft::Verdict{VerdictKind::accept, {}}});
  r1.comment = "echo from the lab";
  key.rules.push_back(r1);
  key.rules.push_back(
      rule({nft::SetMatch{Field::ip6_saddr, "r.source.v6"}, nft::Match{Field::ip6_hoplimit, {255}},
            nft::Verdict{VerdictKind::drop, {}}}));
  key.rules.push_back(
      rule({nft::Match{Field::iifname, nft::ifname_bytes("eth0")},
            nft::SetMatch{Field::oifname, "r.iif"}, nft::Verdict{VerdictKind::accept, {}}}));
  key.rules.push_back(rule({nft::Match{Field::fib_daddr_type, nft::u32_host(2)},
                            nft::Verdict{VerdictKind::accept, {}}}));
  key.rules.push_back(rule({nft::SetMatch{Field::fib_daddr_type, "r.destination-type"},
                            nft::Verdict{VerdictKind::accept, {}}}));
  key.rules.push_back(
      rule({nft::Match{Field::ip_daddr, {198, 18, 0, 1}}, nft::Verdict{VerdictKind::accept, {}}}));
  key.rules.push_back(rule({nft::Match{Field::ip6_daddr, v6(0x2001, 0xdb8, 0, 1)},
                            nft::Verdict{VerdictKind::return_, {}}}));
  key.rules.push_back(rule({nft::LimitRef{"echo-ok"}, nft::CounterRef{"echo-ok"},
                            nft::Verdict{VerdictKind::accept, {}}}));
  nft::DynsetLimit d{"r.sources.v6",
                     Field::ip6_saddr,
                     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0},
                     {{10, policy::RateUnit::second}, 5}};
  key.rules.push_back(rule({d, nft::CounterRef{"echo-ok"}, nft::Verdict{VerdictKind::accept, {}}}));
  key.rules.push_back(rule({nft::Match{Field::icmp_type, {8}}, nft::Match{Field::icmp_code, {0}},
                            nft::Verdict{VerdictKind::drop, {}}}));
  key.rules.push_back(rule({nft::Verdict{VerdictKind::goto_, "input.v6"}}));
  out.rules.push_back(rule({nft::Match{Field::oifname, nft::ifname_bytes("lo")},
                            nft::Verdict{VerdictKind::accept, {}}}));
  t.chains = {base, out, disp, disp6, key};
  return t;
}

// A policy built in code: rate limits, per-source limits, scopes, defaults.
policy::Policy sample_policy() {
  policy::Policy p;
  p.table = "iwpolicy";
  p.hooks.push_back({policy::Hook::input, policy::Action::drop, std::nullopt, {}});
  p.hooks.push_back({policy::Hook::forward, policy::Action::allow, std::nullopt, {}});
  auto prefix = [](policy::Family f, std::vector<uint8_t> bytes, uint8_t len) {
    policy::Prefix x;
    x.family = f;
    std::copy(bytes.begin(), bytes.end(), x.addr.begin());
    x.len = len;
    return x;
  };
  policy::Rule echo;
  echo.name = "echo";
  echo.action = policy::Action::rate_limit;
  echo.matches = {{policy::Family::ipv4, 8, std::nullopt, {}},
                  {policy::Family::ipv6, 128, std::nullopt, {}}};
  policy::RateLimit lim;
  lim.rate = {10, policy::RateUnit::second};
  lim.per_source = true;
  echo.limit = lim;
  p.rules.push_back(echo);
  policy::Rule lab;
  lab.name = "lab";
  lab.action = policy::Action::allow;
  lab.matches = {{policy::Family::ipv4, 8, std::nullopt, {}},
                 {policy::Family::ipv4, 3, 4, {}},
                 {policy::Family::ipv6, 2, std::nullopt, {}}};
  lab.scope.source = {prefix(policy::Family::ipv4, {198, 18, 0, 0}, 24),
                      prefix(policy::Family::ipv6, v6(0x2001, 0xdb8, 1, 0), 48)};
  lab.scope.iif = {"eth0", "veth1"};
  lab.scope.destination_type = {policy::AddrType::local, policy::AddrType::multicast};
  lab.log = policy::Log{"lab: ", {5, policy::RateUnit::minute}, 5, {}};
  p.rules.push_back(lab);
  policy::Rule nd;
  nd.name = "nd";
  nd.action = policy::Action::allow;
  nd.matches = {{policy::Family::ipv6, 135, std::nullopt, {}},
                {policy::Family::ipv6, 136, std::nullopt, {}}};
  nd.scope.hop_limit = 255;
  p.rules.push_back(nd);
  policy::Rule global;
  global.name = "unreach";
  global.action = policy::Action::rate_limit;
  global.matches = {{policy::Family::ipv4, 3, std::nullopt, {}}};
  policy::RateLimit g;
  g.rate = {100, policy::RateUnit::minute};
  g.burst = 20;
  global.limit = g;
  p.rules.push_back(global);
  return p;
}

TEST(NetlinkApply, MatchesNftOfRenderedText) {
  REQUIRE_ROOT();
  ScopedNetns ours, reference;
  auto table = every_statement();
  Diagnostics diags;
  auto stats = apply_in(ours, table, diags);
  ASSERT_TRUE(stats.ok()) << stats.error().message << "\n" << diags.items().size();
  EXPECT_GT(stats->messages, 20u);
  auto loaded = nft_load(reference, table);
  ASSERT_EQ(loaded.status, 0) << loaded.out << compile::render_nft(table);
  auto a = listing_of(ours, table.name, 30);
  auto b = listing_of(reference, table.name, 30);
  EXPECT_EQ(a.dump(1), b.dump(1));
  // Same text listing as well (element and rule printing use the udata).
  EXPECT_EQ(ours.exec("nft list table inet iwtest").out,
            reference.exec("nft list table inet iwtest").out);
}

TEST(NetlinkApply, CompiledPolicyMatchesNft) {
  REQUIRE_ROOT();
  ScopedNetns ours, reference;
  Diagnostics cdiags;
  auto table = compile::compile(sample_policy(), cdiags);
  ASSERT_TRUE(table.has_value());
  Diagnostics diags;
  auto stats = apply_in(ours, *table, diags);
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  auto loaded = nft_load(reference, *table);
  ASSERT_EQ(loaded.status, 0) << loaded.out;
  EXPECT_EQ(listing_of(ours, table->name, 20).dump(1),
            listing_of(reference, table->name, 20).dump(1));
}

TEST(NetlinkApply, ReapplyIsIdempotent) {
  REQUIRE_ROOT();
  ScopedNetns ns;
  auto table = every_statement();
  Diagnostics diags;
  ASSERT_TRUE(apply_in(ns, table, diags).ok());
  auto first = listing_of(ns, table.name, 30);
  ASSERT_TRUE(apply_in(ns, table, diags).ok());
  ASSERT_TRUE(apply_in(ns, table, diags).ok());
  EXPECT_EQ(listing(ns, table.name).dump(1), first.dump(1));
  // Exactly one table of that name, not stacked copies.
  auto tables = ns.exec("nft list tables");
  EXPECT_EQ(tables.out, "table inet iwtest\n");
  EXPECT_TRUE(diags.empty());
}

// Handle of each chain of table inet NAME.
std::map<std::string, uint64_t> chain_handles(const ScopedNetns& ns, const std::string& table) {
  std::map<std::string, uint64_t> out;
  auto r = ns.exec("nft -j list chains inet");
  json j = json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return out;
  for (auto& item : j["nftables"])
    if (item.contains("chain") && item["chain"]["table"] == table)
      out[item["chain"]["name"].get<std::string>()] = item["chain"]["handle"].get<uint64_t>();
  return out;
}

// ApplyOptions::replaces (the daemon's reload): base chains whose hook and
// priority stay are kept (the same kernel objects: their hooks were never
// unregistered, so no queued packet was dropped), the others are made
// anew, and the table ends exactly as a fresh apply makes it. If the live
// table is not the one `replaces` names, the whole table is replaced.
TEST(NetlinkApply, ReplaceKeepsTheBaseChainsWhoseHookStays) {
  REQUIRE_ROOT();
  ScopedNetns ns, reference;
  const auto before = every_statement();
  auto after = every_statement();
  for (auto& c : after.chains) {
    if (c.name == "output") c.base->priority = 20;  // a changed hook: re-created
    if (c.name == "input" && !c.rules.empty()) c.rules.pop_back();
  }
  Diagnostics diags;
  ASSERT_TRUE(apply_in(ns, before, diags).ok());
  const auto handles = chain_handles(ns, before.name);
  ASSERT_TRUE(handles.count("input") && handles.count("output"));

  ApplyOptions opts;
  opts.replaces = &before;
  auto replaced = apply_in(ns, after, diags, opts);
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_TRUE(diags.empty());
  ASSERT_TRUE(apply_in(reference, after, diags).ok());
  EXPECT_EQ(listing_of(ns, after.name, 20).dump(1), listing_of(reference, after.name, 20).dump(1));
  const auto now = chain_handles(ns, after.name);
  EXPECT_EQ(now.at("input"), handles.at("input")) << "the input base chain was re-created";
  EXPECT_NE(now.at("output"), handles.at("output")) << "its priority changed: a new chain";

  // Not what the live table holds (it was flushed): the whole-table replace.
  ASSERT_EQ(ns.exec("nft delete table inet " + before.name).status, 0);
  auto fallback = apply_in(ns, after, diags, opts);
  ASSERT_TRUE(fallback.ok()) << fallback.error().message;
  EXPECT_EQ(listing(ns, after.name).dump(1), listing(reference, after.name).dump(1));
}

TEST(NetlinkApply, OtherTablesAreUntouched) {
  REQUIRE_ROOT();
  ScopedNetns ns;
  std::string other = write_temp(
      "table inet other {\n\tchain input {\n\t\ttype filter hook input priority -5; policy "
      "accept;\n"
      "\t\tip saddr 198.18.5.5 counter drop\n\t}\n}\ntable ip iwtest {\n\tchain c {\n\t}\n}\n");
  ASSERT_EQ(ns.exec("nft -f " + other).status, 0);
  unlink(other.c_str());
  auto before = ns.exec("nft list table inet other").out + ns.exec("nft list table ip iwtest").out;
  Diagnostics diags;
  ASSERT_TRUE(apply_in(ns, every_statement(), diags).ok());
  EXPECT_EQ(ns.exec("nft list table inet other").out + ns.exec("nft list table ip iwtest").out,
            before);

  auto enter = EnterNetns::open(ns.name());
  ASSERT_TRUE(enter.ok());
  EXPECT_TRUE(*table_exists("iwtest"));
  auto removed = flush_table("iwtest");
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*table_exists("iwtest"));
  auto again = flush_table("iwtest");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(ns.exec("nft list table inet other").out + ns.exec("nft list table ip iwtest").out,
            before);
  EXPECT_TRUE(*table_exists("other"));
}

TEST(NetlinkApply, FailedApplyLeavesPreviousTableAndNamesTheRule) {
  REQUIRE_ROOT();
  ScopedNetns ns;
  auto good = every_statement();
  Diagnostics diags;
  ASSERT_TRUE(apply_in(ns, good, diags).ok());
  auto before = listing_of(ns, good.name, 30);

  auto bad = every_statement();
  bad.chains.back().rules.push_back(
      rule({nft::Verdict{nft::VerdictKind::jump, "no-such-chain"}}, "rule 'bad' (allow)", 6));
  bad.objects.push_back({nft::ObjectKind::counter, "fresh", {}, at(1, "fresh")});
  Diagnostics bad_diags;
  auto res = apply_in(ns, bad, bad_diags);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ENOENT);
  ASSERT_EQ(bad_diags.items().size(), 1u) << bad_diags.items().size();
  const auto& d = bad_diags.items()[0];
  EXPECT_EQ(d.loc.line, 6u);
  EXPECT_THAT(d.message, ::testing::StartsWith(
                             "kernel rejected rule 'bad' (allow): No such file or directory"));
  EXPECT_EQ(listing(ns, good.name).dump(1), before.dump(1));  // nothing changed
}

TEST(NetlinkApply, JumpLoopIsRejectedAtTheRule) {
  REQUIRE_ROOT();
  ScopedNetns ns;
  auto table = every_statement();
  // input.v4 -(vmap)-> input.v4.8, whose last rule jumps back to input.v4:
  // the kernel answers the rule that closes the loop with EMLINK.
  table.chains[4].rules.push_back(
      rule({nft::Verdict{nft::VerdictKind::jump, "input.v4"}}, "rule 'bad' (allow)", 6));
  Diagnostics diags;
  auto res = apply_in(ns, table, diags);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, EMLINK);
  ASSERT_FALSE(diags.items().empty());
  EXPECT_EQ(diags.items()[0].loc.line, 6u);
  EXPECT_THAT(diags.items()[0].message, ::testing::HasSubstr("rule 'bad' (allow)"));
  auto enter = EnterNetns::open(ns.name());
  EXPECT_FALSE(*table_exists(table.name));
}

TEST(NetlinkApply, HundredThousandIntervalElements) {
  REQUIRE_ROOT();
  ScopedNetns ours, reference;
  nft::Table t;
  t.name = "iwbig";
  nft::Set s{"many", nft::KeyType::ipv6_addr, false, true, false, 0, 0, {}, at(1, "many")};
  for (uint32_t i = 0; i < 100000; ++i) {
    uint32_t n = 2 * i;  // gaps keep the ranges apart
    auto lo = v6(0x2001, 0xdb8, uint16_t(n >> 16), uint16_t(n));
    auto hi = lo;
    hi.resize(8);
    hi.resize(16, 0xff);  // a /64
    s.elements.push_back({lo, hi, {}});
  }
  t.sets.push_back(s);
  nft::Chain c{"input", nft::BaseHook{nft::NfHook::input, 0, false}, {}, at(1, "base")};
  c.rules.push_back(
      rule({nft::SetMatch{Field::ip6_saddr, "many"}, nft::Verdict{nft::VerdictKind::drop, {}}}));
  t.chains.push_back(c);

  Diagnostics diags;
  auto t0 = std::chrono::steady_clock::now();
  auto stats = apply_in(ours, t, diags);
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  auto loaded = nft_load(reference, t);
  auto t2 = std::chrono::steady_clock::now();
  ASSERT_EQ(loaded.status, 0) << loaded.out.substr(0, 2000);
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::fprintf(
      stderr,
      "100000 interval elements: apply_table %lld ms (%zu messages, %zu bytes), nft -f %lld ms\n",
      static_cast<long long>(ms(t1 - t0)), stats->messages, stats->bytes,
      static_cast<long long>(ms(t2 - t1)));
  RecordProperty("apply_ms", static_cast<int>(ms(t1 - t0)));
  RecordProperty("nft_ms", static_cast<int>(ms(t2 - t1)));
  auto a = ours.exec("nft list set inet iwbig many");
  auto b = reference.exec("nft list set inet iwbig many");
  EXPECT_EQ(a.status, 0);
  EXPECT_GT(a.out.size(), 100000u * 20);
  EXPECT_TRUE(a.out == b.out) << "listings differ";
}

TEST(NetlinkApply, QueueProbeAndCompatTarget) {
  REQUIRE_ROOT();
  ScopedNetns ns;
  auto enter = EnterNetns::open(ns.name());
  ASSERT_TRUE(enter.ok());
  auto before = audit::dump_ruleset();
  ASSERT_TRUE(before.ok()) << before.error().message;
  auto mode = probe_queue_mode();
  ASSERT_TRUE(mode.ok()) << mode.error().message;
  // The probe leaves nothing behind, and commits nothing: the ruleset's
  // generation (one more per commit) has not moved.
  EXPECT_EQ(run("nft list tables").out, "");
  auto after = audit::dump_ruleset();
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->generation, before->generation);
  auto config = run("zcat /proc/config.gz 2>/dev/null | grep -c '^CONFIG_NFT_QUEUE=[ym]'");
  if (config.out.rfind("0", 0) == 0) {
    EXPECT_EQ(*mode, QueueMode::compat);
  }

  nft::Table t;
  t.name = "iwqueue";
  t.objects.push_back({nft::ObjectKind::counter, "inspect", {}, at(1, "c")});
  nft::Chain c{"output", nft::BaseHook{nft::NfHook::output, 0, false}, {}, at(1, "base")};
  c.rules.push_back(rule({nft::Match{Field::nfproto, {2}}, nft::Match{Field::l4proto, {1}},
                          nft::CounterRef{"inspect"}, nft::Queue{7, 1, false, false}},
                         "rule 'deep' (inspect)", 7));
  t.chains.push_back(c);

  if (*mode == QueueMode::compat) {
    // Forced native on this kernel: rejected at the rule, nothing applied.
    Diagnostics diags;
    auto res = apply_table(t, diags, ApplyOptions{QueueMode::native});
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().code, ENOENT);
    ASSERT_FALSE(diags.items().empty());
    EXPECT_EQ(diags.items()[0].loc.line, 7u);
    EXPECT_THAT(diags.items()[0].message, ::testing::HasSubstr("rule 'deep' (inspect)"));
    // The extended ack's offset names the expression the kernel refused.
    EXPECT_THAT(diags.items()[0].message, ::testing::HasSubstr("(expression 'queue')"));
    EXPECT_THAT(diags.items()[0].hint, ::testing::HasSubstr("compat"));
    EXPECT_FALSE(*table_exists("iwqueue"));
  }

  Diagnostics diags;
  auto stats = apply_table(t, diags);  // probes again
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->queue_mode, *mode);
  auto j = listing(ns, "iwqueue").dump();
  if (*mode == QueueMode::compat) {
    EXPECT_THAT(j, ::testing::HasSubstr(R"("xt":{"name":"NFQUEUE","type":"target"})"));
    // No listener and no bypass: locally generated ICMP is queued and lost.
    ns.exec("ip link set lo up");
    ns.exec("ip addr add 198.18.0.1/32 dev lo");
    EXPECT_NE(ns.exec("ping -c 1 -W 1 198.18.0.1").status, 0);
    ASSERT_TRUE(*flush_table("iwqueue"));
    EXPECT_EQ(ns.exec("ping -c 1 -W 1 198.18.0.1").status, 0);
  } else {
    EXPECT_THAT(j, ::testing::HasSubstr("\"queue\""));
  }
}

TEST(NetlinkNetns, EntersAndLeaves) {
  REQUIRE_ROOT();
  ScopedNetns ns;
  auto self = run("readlink /proc/self/ns/net").out;
  std::string inside;
  {
    auto enter = EnterNetns::open(ns.name());
    ASSERT_TRUE(enter.ok());
    char buf[128] = {};
    ASSERT_GT(readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1), 0);
    inside = buf;
  }
  char buf[128] = {};
  ASSERT_GT(readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1), 0);
  EXPECT_NE(inside, std::string(buf));
  EXPECT_EQ(std::string(buf) + "\n", self);
  EXPECT_FALSE(EnterNetns::open("iw-nl-does-not-exist").ok());
  EXPECT_FALSE(EnterNetns::open("../etc").ok());
}

// The presets are what users load first: for each, the --dry-run text
// loaded by `nft -f` and the netlink batch must give the same ruleset.
class PresetRenderVsEncode : public testing::TestWithParam<std::string> {};

// Where the kernel lacks the native queue expression, `nft -f` cannot load
// a `queue` statement (apply falls back to the xt NFQUEUE target, which nft
// syntax cannot express): both sides then get an accept in its place, and
// everything else of the preset is still compared. Each queue encoding has
// its own tests (unit: QueueNative, QueueCompat...; QueueWorkerTest).
void without_queues_unless_native(nft::Table& table) {
  auto mode = probe_queue_mode();
  if (mode.ok() && *mode == QueueMode::native) return;
  for (auto& c : table.chains)
    for (auto& r : c.rules)
      for (auto& st : r.stmts)
        if (std::holds_alternative<nft::Queue>(st)) st = nft::Verdict{nft::VerdictKind::accept, {}};
}

TEST_P(PresetRenderVsEncode, DryRunTextAndNetlinkBatchAgree) {
  REQUIRE_ROOT();
  const std::string path = std::string(ICMPWALL_SOURCE_DIR) + "/policies/" + GetParam() + ".toml";
  Diagnostics pdiags;
  auto parsed = policy::parse_policy_file(path, pdiags);
  ASSERT_TRUE(parsed.has_value());
  auto table = compile::compile(*parsed, pdiags);
  ASSERT_TRUE(table.has_value());
  without_queues_unless_native(*table);
  ScopedNetns ours, reference;
  Diagnostics diags;
  auto stats = apply_in(ours, *table, diags);
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  auto loaded = nft_load(reference, *table);
  ASSERT_EQ(loaded.status, 0) << loaded.out;
  EXPECT_EQ(listing_of(ours, table->name, 40).dump(1),
            listing_of(reference, table->name, 40).dump(1));
  const std::string list = "nft list table inet " + table->name;
  EXPECT_EQ(ours.exec(list).out, reference.exec(list).out);
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetRenderVsEncode,
                         testing::Values("host", "router", "lockdown", "router-edge"));

}  // namespace
}  // namespace icmpwall::netlink
