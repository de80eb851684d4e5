// SPDX-License-Identifier: GPL-2.0-or-later
// Requests in flight together are not lost to conntrack while the daemon
// holds them.
//
// With fragments = "reassemble" the kernel tracks connections. Conntrack
// creates a query flow's entry (echo requests of one identifier) when the
// first request arrives and inserts it when that request leaves the last
// hook; a second request of the flow that arrives while the first waits in
// the queue for its verdict gets an entry of its own, which clashes with
// the first's on insertion, and the kernel drops it (insert_failed in
// /proc/net/stat/nf_conntrack). Every client that starts with a burst
// lost replies that way through the presets: mtr, `ping -l`, flood pings.
// The presets exempt ICMP queries from tracking (prerouting.notrack,
// output.notrack), so nothing clashes.
//
// Client — router — server with router.toml and host.toml and their
// daemons, as shipped. Each round is a new ping flow (a new identifier)
// opening with 8 requests at once: every request gets its reply, and no
// namespace counts a failed insertion.
#include <gmock/gmock.h>

#include <sstream>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

// Failed conntrack insertions of the namespace, summed over CPUs
// (/proc/net/stat/nf_conntrack, column insert_failed, hexadecimal).
uint64_t insert_failed(const Netns& ns) {
  auto r = ns.run({"cat", "/proc/net/stat/nf_conntrack"});
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  std::istringstream header(line);
  std::vector<std::string> names;
  for (std::string n; header >> n;) names.push_back(n);
  const auto col = std::find(names.begin(), names.end(), "insert_failed") - names.begin();
  uint64_t sum = 0;
  while (std::getline(in, line)) {
    std::istringstream values(line);
    std::string v;
    for (long i = 0; i <= col && values >> v; ++i) {
    }
    if (!v.empty()) sum += std::stoull(v, nullptr, 16);
  }
  return sum;
}

class ConntrackClashTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    router_ = std::make_unique<Daemon>(net_->router, preset_path("router"));
    ASSERT_TRUE(router_->wait_ready()) << router_->err();
    server_ = std::make_unique<Daemon>(net_->server, preset_path("host"));
    ASSERT_TRUE(server_->wait_ready()) << server_->err();
  }
  void TearDown() override {
    if (router_) {
      EXPECT_EQ(router_->stop(), 0) << router_->err();
    }
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->err();
    }
  }

  std::unique_ptr<Topology> net_;
  std::unique_ptr<Daemon> router_, server_;
};

TEST_P(ConntrackClashTest, BurstsOfRequestsAllGetTheirReplies) {
  const bool v4 = GetParam() == Family::v4;
  const char* server = v4 ? Addr::server_v4 : Addr::server_v6;
  for (int round = 0; round < 4; ++round) {
    // -l 8: eight requests at once, then one every 50 ms (within the
    // presets' per-source rate limits).
    auto p = parse_ping(net_->client.run(
        {"ping", v4 ? "-4" : "-6", "-n", "-l", "8", "-c", "16", "-i", "0.05", "-W", "2", server},
        {Millis(30'000)}));
    EXPECT_EQ(p.received, 16) << "round " << round << ": " << p.describe();
  }
  EXPECT_EQ(insert_failed(net_->router), 0u);
  EXPECT_EQ(insert_failed(net_->server), 0u);
  EXPECT_THAT(router_->out(), ::testing::Not(::testing::HasSubstr(R"("event":"detection")")));
  EXPECT_THAT(server_->out(), ::testing::Not(::testing::HasSubstr(R"("event":"detection")")));
}

INSTANTIATE_TEST_SUITE_P(Families, ConntrackClashTest, ::testing::Values(Family::v4, Family::v6),
                         [](const auto& info) { return info.param == Family::v4 ? "v4" : "v6"; });

}  // namespace
}  // namespace icmpwall::integration
