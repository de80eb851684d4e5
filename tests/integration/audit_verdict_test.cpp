// SPDX-License-Identifier: GPL-2.0-or-later
// audit::evaluate against the live kernel, and against real traffic.
//
// A scratch namespace runs icmpwall's host preset (applied by the binary);
// the audit of its dumped ruleset must give the outcomes the preset is
// written to have. A second table, `inet other` at priority 10 with its own
// input chain, then drops echo-request: the audit must say so and name
// that table. Both times a ping from a second namespace checks the
// echo-request verdict against what the kernel really does, and the
// `icmpwall audit` command line must report the same in its JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "icmpwall/audit/dump.h"
#include "icmpwall/audit/evaluate.h"
#include "icmpwall/audit/report.h"
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

Packet v4_input(uint8_t type) {
  Packet p;
  p.family = policy::Family::ipv4;
  p.hook = policy::Hook::input;
  p.type = type;
  return p;
}

class AuditVerdictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    peer_ = std::make_unique<Netns>();
    host_ = std::make_unique<Netns>();
    link_veth(*peer_, "p0", *host_, "h0");
    peer_->add_address("p0", "198.18.77.1/24");
    host_->add_address("h0", "198.18.77.2/24");
    auto r = apply_policy(*host_, preset_path("host"));
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  // `icmpwall audit --json ...` in the host namespace, parsed.
  json audit_json(const Argv& extra) {
    Argv args = {"audit", "--netns", host_->name(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = icmpwall(args);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return json::parse(r.out);
  }
  std::unique_ptr<Netns> peer_, host_;
};

TEST_F(AuditVerdictTest, HostPresetOutcomes) {
  auto rs = dump_in(*host_);
  ASSERT_TRUE(rs.ok()) << rs.error().message;

  // echo requests: limited per source, then queued for inspection
  auto echo = evaluate(*rs, v4_input(8));
  EXPECT_EQ(echo.outcome, Outcome::queued) << echo.condition;
  EXPECT_EQ(echo.decided_by.table, "icmpwall");
  EXPECT_EQ(echo.decided_by.chain, "input.v4.8");
  EXPECT_TRUE(std::any_of(echo.notes.begin(), echo.notes.end(), [](const std::string& n) {
    return n.find("limit 20/second") != std::string::npos;
  })) << "the limit before the queue is not on the path";

  auto redirect = evaluate(*rs, v4_input(5));
  EXPECT_EQ(redirect.outcome, Outcome::dropped);
  EXPECT_EQ(redirect.decided_by.chain, "input.v4.5");
  for (uint8_t t : {13, 14}) {
    auto ts = evaluate(*rs, v4_input(t));
    EXPECT_EQ(ts.outcome, Outcome::dropped) << int(t);
  }
  auto reply = evaluate(*rs, v4_input(0));
  EXPECT_EQ(reply.outcome, Outcome::queued);  // inspected (reply-only exfiltration)
  EXPECT_EQ(reply.decided_by.chain, "input.v4.0");
  // an unnamed type falls to the default
  auto unknown = evaluate(*rs, v4_input(200));
  EXPECT_EQ(unknown.outcome, Outcome::dropped);
  EXPECT_EQ(unknown.decided_by.chain, "input.v4");
  // ND is accepted only at hop limit 255
  Packet ns;
  ns.family = policy::Family::ipv6;
  ns.type = 135;
  EXPECT_EQ(evaluate(*rs, ns).outcome, Outcome::conditional);
  ns.hop_limit = 255;
  EXPECT_EQ(evaluate(*rs, ns).outcome, Outcome::accepted);
  ns.hop_limit = 64;
  EXPECT_EQ(evaluate(*rs, ns).outcome, Outcome::dropped);

  // reality: the echo requests get answered
  auto p = ping(*peer_, "198.18.77.2");
  EXPECT_EQ(p.received, 3) << p.describe();

  // the command line says the same, and the counter saw the pings
  json j = audit_json({"--family", "ipv4", "--hook", "input", "--type", "echo-request"});
  EXPECT_EQ(j["schema"], 1);
  ASSERT_EQ(j["entries"].size(), 1u) << j.dump();
  const auto& e = j["entries"][0];
  EXPECT_EQ(e["outcome"], "queued");
  EXPECT_EQ(e["decided_by"]["chain"], "input.v4.8");
  EXPECT_GE(e["packets"].get<uint64_t>(), 3u) << e.dump();

  json all = audit_json({});
  size_t v4_input_rows = 0;
  for (const auto& x : all["entries"])
    if (x["family"] == "ipv4" && x["hook"] == "input" && x["type"] == 5) {
      EXPECT_EQ(x["outcome"], "dropped") << x.dump();
      ++v4_input_rows;
    }
  EXPECT_GE(v4_input_rows, 1u);
}

TEST_F(AuditVerdictTest, LaterTableDropWins) {
  auto loaded = host_->nft_load(R"(
table inet other {
  chain input {
    type filter hook input priority 10; policy accept;
    icmp type echo-request counter drop
  }
}
)");
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto rs = dump_in(*host_);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  auto echo = evaluate(*rs, v4_input(8));
  EXPECT_EQ(echo.outcome, Outcome::dropped);
  EXPECT_EQ(echo.decided_by.family, "inet");
  EXPECT_EQ(echo.decided_by.table, "other");
  EXPECT_EQ(echo.decided_by.chain, "input");
  // icmpwall's chain came first on the path
  ASSERT_FALSE(echo.path.empty());
  EXPECT_NE(echo.path.front().find("icmpwall"), std::string::npos) << echo.path.front();
  // echo-reply is untouched by the other table (icmpwall queues it)
  EXPECT_EQ(evaluate(*rs, v4_input(0)).outcome, Outcome::queued);

  // reality: nothing comes back
  auto p = ping(*peer_, "198.18.77.2");
  EXPECT_EQ(p.received, 0) << p.describe();

  auto r = icmpwall({"audit", "--netns", host_->name(), "--explain", "--family", "ipv4", "--hook",
                     "input", "--type", "echo-request", "--src", "198.18.77.1"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("dropped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inet other input #"), std::string::npos) << r.out;
}

TEST_F(AuditVerdictTest, MissingNamespaceIsAKernelError) {
  auto r = icmpwall({"audit", "--netns", "icmpwall-no-such-ns"});
  EXPECT_EQ(r.exit_code, 4) << r.describe();
}

}  // namespace
}  // namespace icmpwall::integration
