// SPDX-License-Identifier: GPL-2.0-or-later
// Golden compile tests: every preset in policies/ compiles to exactly the
// nft text in tests/golden/<preset>.nft. After an intended change, run
// with ICMPWALL_UPDATE_GOLDEN=1 to rewrite the files, and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/compile/render.h"
#include "icmpwall/policy/parser.h"

namespace fs = std::filesystem;
using namespace icmpwall;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `policy` compiles to exactly the text of `golden` (rewritten instead
// with ICMPWALL_UPDATE_GOLDEN=1).
void expect_golden(const fs::path& policy, const fs::path& golden) {
  Diagnostics diags;
  auto parsed = policy::parse_policy_file(policy.string(), diags);
  ASSERT_TRUE(parsed) << [&] {
    std::ostringstream o;
    diags.render(o);
    return o.str();
  }();
  auto table = compile::compile(*parsed, diags);
  ASSERT_TRUE(table) << [&] {
    std::ostringstream o;
    diags.render(o);
    return o.str();
  }();
  const std::string text = compile::render_nft(*table);

  if (std::getenv("ICMPWALL_UPDATE_GOLDEN")) {
    std::ofstream(golden) << text;
    GTEST_SKIP() << "rewrote " << golden;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with ICMPWALL_UPDATE_GOLDEN=1";
  EXPECT_EQ(read(golden), text);
}

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, PresetCompilesToGoldenText) {
  const fs::path src = ICMPWALL_SOURCE_DIR;
  expect_golden(src / "policies" / (GetParam() + ".toml"),
                src / "tests" / "golden" / (GetParam() + ".nft"));
}

INSTANTIATE_TEST_SUITE_P(Presets, GoldenTest,
                         testing::Values("host", "router", "lockdown", "router-edge"));

// Policies of one feature each, in tests/golden/<name>.toml.
class FeatureGoldenTest : public GoldenTest {};

TEST_P(FeatureGoldenTest, CompilesToGoldenText) {
  const fs::path dir = fs::path(ICMPWALL_SOURCE_DIR) / "tests" / "golden";
  expect_golden(dir / (GetParam() + ".toml"), dir / (GetParam() + ".nft"));
}

INSTANTIATE_TEST_SUITE_P(Features, FeatureGoldenTest, testing::Values("max_size", "nflog"));

// Every file in policies/ has a golden file, so a new preset cannot be
// added without one.
TEST(GoldenTest, EveryPresetHasAGoldenFile) {
  const fs::path src = ICMPWALL_SOURCE_DIR;
  for (const auto& e : fs::directory_iterator(src / "policies")) {
    if (e.path().extension() != ".toml") continue;
    EXPECT_TRUE(fs::exists(src / "tests" / "golden" / (e.path().stem().string() + ".nft")))
        << e.path();
  }
}

}  // namespace
