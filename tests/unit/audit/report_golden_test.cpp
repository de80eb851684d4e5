// SPDX-License-Identifier: GPL-2.0-or-later
// Golden audit reports: every preset in policies/, as apply would load it
// (encoded in each queue mode, decoded again), audited alone: the text
// table, the JSON and the explanation of an echo request are exactly the
// files in tests/golden/audit/. After an intended change, run with
// ICMPWALL_UPDATE_GOLDEN=1 to rewrite them, and review the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "icmpwall/audit/drift.h"
#include "icmpwall/audit/report.h"
#include "icmpwall/compile/compiler.h"
#include "icmpwall/policy/parser.h"

namespace fs = std::filesystem;

namespace icmpwall::audit {
namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_golden(const fs::path& golden, const std::string& text) {
  if (std::getenv("ICMPWALL_UPDATE_GOLDEN")) {
    std::ofstream(golden) << text;
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with ICMPWALL_UPDATE_GOLDEN=1";
  EXPECT_EQ(read(golden), text) << golden;
}

class AuditGoldenTest : public testing::TestWithParam<std::tuple<std::string, netlink::QueueMode>> {
};

TEST_P(AuditGoldenTest, PresetAuditsToGoldenOutput) {
  const auto& [preset, mode] = GetParam();
  const fs::path src = ICMPWALL_SOURCE_DIR;
  Diagnostics diags;
  auto parsed = policy::parse_policy_file((src / "policies" / (preset + ".toml")).string(), diags);
  ASSERT_TRUE(parsed);
  auto compiled = compile::compile(*parsed, diags);
  ASSERT_TRUE(compiled);
  auto table = expected_table(*compiled, mode);
  ASSERT_TRUE(table.ok()) << table.error().message;
  Ruleset rs;
  rs.tables.push_back(*table);

  auto entries = build_report(rs);
  const std::string stem = preset + (mode == netlink::QueueMode::native ? ".native" : ".compat");
  const fs::path dir = src / "tests" / "golden" / "audit";
  expect_golden(dir / (stem + ".txt"), render_text(entries, false));
  expect_golden(dir / (stem + ".json"), render_json(entries));
  Packet echo;
  echo.family = policy::Family::ipv6;
  echo.hook = policy::Hook::input;
  echo.type = 128;
  expect_golden(dir / (stem + ".explain"), render_explain(report_entry(rs, echo)));
  if (std::getenv("ICMPWALL_UPDATE_GOLDEN")) GTEST_SKIP() << "rewrote " << stem;
}

INSTANTIATE_TEST_SUITE_P(
    Presets, AuditGoldenTest,
    testing::Combine(testing::Values("host", "router", "lockdown", "router-edge"),
                     testing::Values(netlink::QueueMode::native, netlink::QueueMode::compat)),
    [](const auto& info) {
      std::string name = std::get<0>(info.param);  // a test name has no '-'
      std::replace(name.begin(), name.end(), '-', '_');
      return name + (std::get<1>(info.param) == netlink::QueueMode::native ? "_native" : "_compat");
    });

}  // namespace
}  // namespace icmpwall::audit
