// SPDX-License-Identifier: GPL-2.0-or-later
// One load: the config file, command-line overrides on top, the policy
// parsed, linted (strict as configured) and compiled.
#include "icmpwall/daemon/load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace icmpwall::daemon {
namespace {

using ::testing::HasSubstr;

class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("icmpwall-load-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }

  std::optional<Loaded> load_it(const LoadRequest& r) {
    Diagnostics diags;
    auto l = load(r, diags);
    std::ostringstream out;
    diags.render(out);
    rendered_ = out.str();
    return l;
  }

  std::filesystem::path dir_;
  std::string rendered_;
};

constexpr const char* kPolicy = R"([hooks.input]
default = "allow"

[[rule]]
name = "echo"
types = ["echo-request"]
hooks = ["input"]
action = "inspect"
queue = 3
)";

TEST_F(LoadTest, ConfigFileWithRelativePolicy) {
  write("p.toml", kPolicy);
  auto cfg = write("icmpwall.toml", "policy = \"p.toml\"\ncopy_range = 256\n");
  auto l = load_it({.config_path = cfg});
  ASSERT_TRUE(l) << rendered_;
  EXPECT_EQ(l->config.policy, (dir_ / "p.toml").string());
  EXPECT_EQ(l->config.copy_range, 256u);
  EXPECT_EQ(l->config.stats_socket, kDefaultStatsSocket);
  EXPECT_EQ(l->policy.rules.size(), 1u);
  EXPECT_EQ(l->table.name, "icmpwall");
}

TEST_F(LoadTest, CommandLineOverridesTheConfig) {
  write("p.toml", kPolicy);
  auto other = write("other.toml", kPolicy);
  auto cfg = write("icmpwall.toml", "policy = \"p.toml\"\ncopy_range = 256\non_stop = \"keep\"\n");
  auto l = load_it({.config_path = cfg,
                    .policy_path = other,
                    .queue_mode = netlink::QueueMode::compat,
                    .copy_range = 512,
                    .flush_on_exit = true,
                    .stats_socket = ""});
  ASSERT_TRUE(l) << rendered_;
  EXPECT_EQ(l->config.policy, other);
  EXPECT_EQ(l->config.copy_range, 512u);
  EXPECT_EQ(l->config.queue_mode, netlink::QueueMode::compat);
  EXPECT_EQ(l->config.on_stop, OnStop::flush);
  EXPECT_TRUE(l->config.stats_socket.empty());
}

TEST_F(LoadTest, PolicyAloneHasNoStatsSocket) {
  auto p = write("p.toml", kPolicy);
  auto l = load_it({.policy_path = p});
  ASSERT_TRUE(l) << rendered_;
  EXPECT_TRUE(l->config.stats_socket.empty());
  EXPECT_EQ(l->config.on_stop, OnStop::keep);
}

TEST_F(LoadTest, PolicyErrorsCarryTheirPosition) {
  auto p = write("p.toml",
                 "[hooks.input]\ndefault = \"allow\"\n\n[[rule]]\nname = \"x\"\n"
                 "types = [\"echo-requets\"]\naction = \"drop\"\n");
  EXPECT_FALSE(load_it({.policy_path = p}));
  EXPECT_THAT(rendered_, HasSubstr(p + ":6:"));
}

TEST_F(LoadTest, BadConfigStopsBeforeThePolicy) {
  auto cfg = write("icmpwall.toml", "policy = \"missing.toml\"\nstrictt = true\n");
  EXPECT_FALSE(load_it({.config_path = cfg}));
  EXPECT_THAT(rendered_, HasSubstr("did you mean 'strict'?"));
  EXPECT_THAT(rendered_, ::testing::Not(HasSubstr("missing.toml")));
}

// Dropping every ICMP type on input breaks path MTU discovery: a warning.
TEST_F(LoadTest, StrictRefusesAPolicyWithWarnings) {
  auto p = write("p.toml", "[icmpwall]\nempty = true\n[hooks.input]\ndefault = \"drop\"\n");
  ASSERT_TRUE(load_it({.policy_path = p})) << rendered_;
  EXPECT_THAT(rendered_, HasSubstr("warning"));
  EXPECT_FALSE(load_it({.policy_path = p, .strict = true}));
  auto cfg = write("icmpwall.toml", "policy = \"p.toml\"\nstrict = true\n");
  EXPECT_FALSE(load_it({.config_path = cfg}));
  EXPECT_THAT(rendered_, HasSubstr("error"));
}

// A warning of the parser's (a type named twice) next to a parse error
// (an unknown action): strict makes both errors, for `icmpwall check` and
// the daemon alike.
TEST_F(LoadTest, StrictPromotesTheParsersWarningsWhenParsingFails) {
  auto p = write("p.toml",
                 "[hooks.input]\ndefault = \"allow\"\n\n[[rule]]\nname = \"x\"\n"
                 "types = [\"echo-request\", \"echo-request\"]\nhooks = [\"input\"]\n"
                 "action = \"dropp\"\n");
  Diagnostics lax;
  EXPECT_FALSE(compile_policy_file(p, false, lax));
  EXPECT_EQ(lax.count(Severity::warning), 1u);
  EXPECT_EQ(lax.count(Severity::error), 1u);
  Diagnostics strict;
  EXPECT_FALSE(compile_policy_file(p, true, strict));
  EXPECT_EQ(strict.count(Severity::warning), 0u);
  EXPECT_EQ(strict.count(Severity::error), 2u);
  EXPECT_FALSE(load_it({.policy_path = p, .strict = true}));
  EXPECT_THAT(rendered_, ::testing::Not(HasSubstr("warning")));
}

TEST_F(LoadTest, MissingPolicyFile) {
  EXPECT_FALSE(load_it({.policy_path = (dir_ / "nope.toml").string()}));
  EXPECT_THAT(rendered_, HasSubstr("cannot read policy file"));
}

}  // namespace
}  // namespace icmpwall::daemon
