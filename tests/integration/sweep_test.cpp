// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall daemon` on the router of client — router — server, inspecting
// forwarded echo requests: a ping sweep from the client over the server's
// /24 (nmap -sn -PE, and a shell-style ping loop over 64 addresses) is
// detected as "sweep" and its source is blocked in the kernel (an element
// of inspect.blocked.v4), so a later ping from that source to the server
// fails while another client address still gets through. A host pinged
// again and again is not a sweep.
#include <gmock/gmock.h>
#include <signal.h>

#include <sstream>

#include "daemon_process.h"
#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    net_ = std::make_unique<Topology>();
    policy_ = std::make_unique<TempFile>(kForwardEchoInspectPolicy, ".toml");
    // Both client addresses reach the server before icmpwall runs.
    ASSERT_EQ(ping(net_->client, Addr::server_v4, from(Addr::client_v4)).received, 3);
    ASSERT_EQ(ping(net_->client, Addr::server_v4, from(Addr::client2_v4)).received, 3);
  }

  static Argv from(const std::string& src) {
    return {"-c", "3", "-i", "0.2", "-W", "1", "-I", src};
  }

  // A {"event":"block",...} line for `address` that the kernel took.
  static bool has_block_event(const std::string& events, const std::string& address) {
    std::istringstream s(events);
    for (std::string line; std::getline(s, line);)
      if (line.find(R"("event":"block")") != std::string::npos &&
          line.find(R"("address":")" + address + "\"") != std::string::npos &&
          line.find(R"("ok":true)") != std::string::npos)
        return true;
    return false;
  }

  std::string blocked_v4() const {
    return net_->router.run({"nft", "list", "set", "inet", "icmpwall", "inspect.blocked.v4"}).out;
  }

  // The sweep was seen, the client blocked, and only the client.
  void expect_client_blocked(Daemon& daemon) {
    EXPECT_THAT(daemon.out(), HasSubstr(R"("reason":"sweep")"));
    EXPECT_TRUE(has_block_event(daemon.out(), Addr::client_v4)) << daemon.out();
    const std::string blocked = blocked_v4();
    EXPECT_THAT(blocked, HasSubstr(Addr::client_v4));
    EXPECT_THAT(blocked, Not(HasSubstr(Addr::client2_v4)));
    auto swept = ping(net_->client, Addr::server_v4, from(Addr::client_v4));
    EXPECT_EQ(swept.received, 0) << "the sweeping source still reaches the server\n"
                                 << swept.describe();
    auto other = ping(net_->client, Addr::server_v4, from(Addr::client2_v4));
    EXPECT_EQ(other.received, 3) << other.describe();
    // The blocked source's packets die in the kernel, before the queue.
    EXPECT_GT(read_counter(net_->router, "inspect.blocked").packets, 0u);
  }

  std::unique_ptr<Topology> net_;
  std::unique_ptr<TempFile> policy_;
};

TEST_F(SweepTest, NmapPingSweepIsDetectedAndItsSourceBlocked) {
  if (!have_tool("/usr/bin/nmap")) GTEST_SKIP() << "needs nmap (Debian: nmap)";
  Daemon daemon(net_->router, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  // ICMP echo only, no reverse DNS, bounded rate, one try per host.
  auto scan =
      net_->client.run({"nmap", "-sn", "-PE", "-n", "--max-rate", "200", "--max-retries", "0", "-S",
                        Addr::client_v4, "-e", Topology::client_if, "198.18.2.0/24"},
                       {Millis(60'000)});
  ASSERT_TRUE(scan.ok()) << scan.describe();
  expect_client_blocked(daemon);

  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_THAT(daemon.out(), HasSubstr(R"("event":"stopped")"));
}

TEST_F(SweepTest, PingLoopOver64AddressesIsDetectedAndItsSourceBlocked) {
  Daemon daemon(net_->router, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  // for i in 1..64: ping -c 1 198.18.2.$i (only .1 and .2 answer).
  auto loop =
      net_->client.run({"sh", "-c",
                        std::string("i=1; while [ $i -le 64 ]; do ping -n -q -c 1 -W 0.2 -I ") +
                            Addr::client_v4 + " 198.18.2.$i >/dev/null 2>&1; i=$((i + 1)); done"},
                       {Millis(60'000)});
  ASSERT_TRUE(loop.ok()) << loop.describe();
  expect_client_blocked(daemon);
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

TEST_F(SweepTest, PingingOneHostManyTimesIsNotASweep) {
  Daemon daemon(net_->router, policy_->path());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();

  auto p = ping(net_->client, Addr::server_v4,
                {"-c", "100", "-i", "0.05", "-W", "1", "-I", Addr::client_v4}, Millis(60'000));
  EXPECT_EQ(p.received, 100) << p.describe();
  EXPECT_THAT(blocked_v4(), Not(HasSubstr(Addr::client_v4)));
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_THAT(daemon.out(), Not(HasSubstr(R"("reason":"sweep")")));
  EXPECT_THAT(daemon.out(), Not(HasSubstr(R"("event":"block")")));
  EXPECT_THAT(daemon.out(), HasSubstr(R"("event":"stopped")"));
}

}  // namespace
}  // namespace icmpwall::integration
