// SPDX-License-Identifier: GPL-2.0-or-later
// The queue mode's names: what the command line and the config accept.
#include "icmpwall/netlink/queue_mode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace icmpwall::netlink {
namespace {

TEST(QueueMode, NamesChooseTheMode) {
  EXPECT_EQ(queue_mode_named("native"), QueueMode::native);
  EXPECT_EQ(queue_mode_named("compat"), QueueMode::compat);
  EXPECT_EQ(queue_mode_named("auto"), std::nullopt);
  EXPECT_EQ(queue_mode_named("Native"), std::nullopt);
}

TEST(QueueMode, EveryModeIsNamedAndNamesItself) {
  EXPECT_THAT(queue_mode_names(), ::testing::ElementsAre("auto", "native", "compat"));
  for (auto m : {QueueMode::native, QueueMode::compat})
    EXPECT_EQ(queue_mode_named(to_string(m)), m);
}

}  // namespace
}  // namespace icmpwall::netlink
