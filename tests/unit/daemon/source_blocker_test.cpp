// SPDX-License-Identifier: GPL-2.0-or-later
// daemon/source_blocker.h write_event: the events stream is shared by the
// engine's detection events and the blocker's block events, written from
// several threads; every line comes out whole.
#include "icmpwall/daemon/source_blocker.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace icmpwall::daemon {
namespace {

TEST(SourceBlockerTest, LinesFromManyThreadsComeOutWhole) {
  std::ostringstream out;
  SourceBlocker blocker("icmpwall", out);
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&blocker, t] {
      // Long lines, so that a write split by another thread's would show.
      for (int i = 0; i < kLines; ++i)
        blocker.write_event("{\"thread\":" + std::to_string(t) + ",\"line\":" + std::to_string(i) +
                            ",\"pad\":\"" + std::string(200, 'a' + t) + "\"}");
    });
  for (auto& th : threads) th.join();

  std::istringstream in(out.str());
  std::set<std::string> seen;
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const int t = line.at(10) - '0';
    ASSERT_TRUE(t >= 0 && t < kThreads) << line;
    const std::string pad(200, static_cast<char>('a' + t));
    EXPECT_NE(line.find("\"pad\":\"" + pad + "\"}"), std::string::npos) << line;
    EXPECT_EQ(line.size(), line.find(pad) + pad.size() + 2) << line;
    EXPECT_TRUE(seen.insert(line).second) << "twice: " << line;
  }
  EXPECT_EQ(lines, kThreads * kLines);
}

}  // namespace
}  // namespace icmpwall::daemon
