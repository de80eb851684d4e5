// SPDX-License-Identifier: GPL-2.0-or-later
// A kernel rejection points at the policy key whose expression the kernel
// refused, not at the [[rule]] header: the extended ack's offset names the
// expression, the expression its statement, the statement its key.
//
// The rejection is real: on a kernel without nft_queue (CONFIG_NFT_QUEUE
// unset, as on the test machines), `--queue-mode native` makes the kernel
// refuse the queue expression with ENOENT and the offset of its attribute.
// Where the kernel has nft_queue the test skips.
#include <gmock/gmock.h>

#include "harness.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The queue statement comes from `action = "inspect"`: line 9, column 10.
const char* const kPolicy =
    "[hooks.output]\n"              // 1
    "default = \"allow\"\n"         // 2
    "\n"                            // 3
    "[[rule]]\n"                    // 4
    "name = \"deep\"\n"             // 5
    "types = [\"echo-request\"]\n"  // 6
    "hooks = [\"output\"]\n"        // 7
    "hop-limit = 64\n"              // 8
    "action = \"inspect\"\n";       // 9

TEST(KernelErrorPosition, RefusedExpressionNamesItsPolicyKey) {
  ICMPWALL_REQUIRE_ROOT();
  Netns ns;
  TempFile file(kPolicy, ".toml");
  auto r = icmpwall({"apply", "--netns", ns.name(), "--queue-mode", "native", file.path()});
  if (r.exit_code == 0) GTEST_SKIP() << "this kernel has nft_queue: nothing to refuse";
  EXPECT_EQ(r.exit_code, 4) << r.describe();
  EXPECT_THAT(r.err, HasSubstr(file.path() +
                               ":9:10: error: kernel rejected rule 'deep' (inspect): No such file "
                               "or directory (expression 'queue')"))
      << r.describe();
  // Not at the [[rule]] header, as before expressions knew their keys.
  EXPECT_THAT(r.err, Not(HasSubstr(file.path() + ":4:1: error")));
  // The transaction was refused whole.
  EXPECT_EQ(ns.run_checked({"nft", "list", "ruleset"}).out, "");
  // The same policy loads with the mode the probe picks.
  auto fine = icmpwall({"apply", "--netns", ns.name(), file.path()});
  EXPECT_EQ(fine.exit_code, 0) << fine.describe();
}

}  // namespace
}  // namespace icmpwall::integration
