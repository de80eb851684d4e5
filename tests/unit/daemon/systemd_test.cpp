// SPDX-License-Identifier: GPL-2.0-or-later
// The systemd glue that needs no systemd: the reload notification's
// format, the watchdog interval from the environment, plain log lines.
#include "icmpwall/daemon/systemd.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <regex>
#include <sstream>

namespace icmpwall::daemon {
namespace {

TEST(Systemd, ReloadingCarriesTheMonotonicClock) {
  EXPECT_TRUE(std::regex_match(reloading_state(), std::regex("RELOADING=1\nMONOTONIC_USEC=[0-9]+")))
      << reloading_state();
}

TEST(Systemd, WatchdogIntervalFromTheEnvironment) {
  unsetenv("WATCHDOG_PID");
  setenv("WATCHDOG_USEC", "200000", 1);
  auto w = watchdog_interval();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->count(), 200000);
  unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(watchdog_interval());
  setenv("WATCHDOG_USEC", "nonsense", 1);
  EXPECT_FALSE(watchdog_interval());
  unsetenv("WATCHDOG_USEC");
}

TEST(Systemd, WatchdogOnlyForThePidItNames) {
  setenv("WATCHDOG_USEC", "200000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_TRUE(watchdog_interval());
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_FALSE(watchdog_interval());
  unsetenv("WATCHDOG_PID");
  unsetenv("WATCHDOG_USEC");
}

TEST(Systemd, PlainLinesOffTheJournal) {
  unsetenv("JOURNAL_STREAM");
  std::ostringstream out;
  Log log(out);
  EXPECT_FALSE(log.journal());
  log.info("serving x", {{"ICMPWALL_EVENT", "ready"}});
  log.error("bad");
  EXPECT_EQ(out.str(), "icmpwall daemon: serving x\nicmpwall daemon: bad\n");
}

TEST(Systemd, AJournalStreamThatIsNotStderrIsIgnored) {
  setenv("JOURNAL_STREAM", "1:1", 1);
  std::ostringstream out;
  EXPECT_FALSE(Log(out).journal());
  unsetenv("JOURNAL_STREAM");
}

}  // namespace
}  // namespace icmpwall::daemon
