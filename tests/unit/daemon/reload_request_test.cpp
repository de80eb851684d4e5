// SPDX-License-Identifier: GPL-2.0-or-later
// `icmpwall reload`'s reading of the stats document, and its refusals that
// need no second process: nothing at the path, a listener that never
// answers, one that is not a daemon, one that is this process. (A real
// daemon, and a listener in another process: tests/integration.)
#include "icmpwall/daemon/reload_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "icmpwall/daemon/stats_server.h"
#include "icmpwall/util/fd.h"

namespace icmpwall::daemon {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string socket_path() {
  return "/tmp/icmpwall-reload-unit-" + std::to_string(getpid()) + ".sock";
}

TEST(ParseReloadState, ADaemonsDocument) {
  auto s = parse_reload_state(
      R"({"reloads":3,"reload_failures":2,"reloading":true,"last_reload_error":"p.toml:6:10: error: x",)"
      R"("policy":"/etc/icmpwall/p.toml","table":"icmpwall","schema":1})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->ended(), 5u);
  EXPECT_TRUE(s->reloading);
  EXPECT_EQ(s->error, "p.toml:6:10: error: x");
  EXPECT_EQ(s->policy, "/etc/icmpwall/p.toml");
  EXPECT_EQ(s->table, "icmpwall");
}

TEST(ParseReloadState, AnOlderDaemonsDocumentIsIdleWithoutAnError) {
  auto s = parse_reload_state(R"({"reloads":0,"reload_failures":0})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->reloading);
  EXPECT_FALSE(s->error);
}

TEST(ParseReloadState, WhatIsNotADaemonsDocument) {
  for (const char* doc :
       {"", "not json", "[1,2]", R"("reloads")", R"({"reloads":1})",
        R"({"reloads":-1,"reload_failures":0})", R"({"reloads":"1","reload_failures":0})",
        R"({"reloads":1.5,"reload_failures":0})",
        R"({"error":"the daemon could not render its statistics"})"}) {
    auto s = parse_reload_state(doc);
    EXPECT_FALSE(s) << doc;
    if (!s) {
      EXPECT_THAT(s.error().message, HasSubstr("not an icmpwall daemon's stats document"));
    }
  }
}

TEST(RequestReload, NothingAtThePath) {
  auto r = request_reload({"/nonexistent-dir/s.sock", std::nullopt, 5s});
  EXPECT_EQ(r.outcome, ReloadOutcome::no_daemon);
  EXPECT_THAT(r.message, HasSubstr("/nonexistent-dir/s.sock"));
  EXPECT_THAT(r.message, HasSubstr("No such file or directory"));
}

// A listener that accepts nothing: the kernel completes each connection
// into the backlog and no answer ever comes. Only the timeout ends it.
TEST(RequestReload, AListenerThatNeverAnswersTimesOut) {
  const auto path = socket_path();
  ::unlink(path.c_str());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd.get(), 4), 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = request_reload({path, std::nullopt, 300ms});
  const auto took = std::chrono::steady_clock::now() - start;
  ::unlink(path.c_str());
  EXPECT_EQ(r.outcome, ReloadOutcome::timed_out);
  EXPECT_THAT(r.message, HasSubstr("no answer from " + path + " within 300 ms"));
  EXPECT_LT(took, 5s);
}

TEST(RequestReload, AListenerThatIsNotADaemon) {
  const auto path = socket_path();
  auto server = StatsServer::start(path, [] { return std::string(R"({"hello":"world"})"); });
  ASSERT_TRUE(server) << server.error().message;
  auto r = request_reload({path, std::nullopt, 5s});
  EXPECT_EQ(r.outcome, ReloadOutcome::no_daemon);
  EXPECT_THAT(r.message, HasSubstr("not an icmpwall daemon's stats document"));
}

// A daemon's document, served by this process: signalling the "daemon"
// would signal the caller. Refused (SIGHUP would have ended this test).
TEST(RequestReload, NeverSignalsItself) {
  const auto path = socket_path();
  auto server = StatsServer::start(
      path, [] { return std::string(R"({"reloads":0,"reload_failures":0,"reloading":false})"); });
  ASSERT_TRUE(server) << server.error().message;
  for (std::optional<pid_t> expected : {std::optional<pid_t>(), std::optional(::getpid())}) {
    auto r = request_reload({path, expected, 5s});
    EXPECT_EQ(r.outcome, ReloadOutcome::no_daemon);
    EXPECT_EQ(r.pid, ::getpid());
    EXPECT_THAT(r.message, HasSubstr("served by this very process; nothing was signalled"));
  }
}

// A reload that runs and never ends (as far as the document says): the
// command waits for it to end before it signals, within the timeout, and
// so never signals.
TEST(RequestReload, AReloadThatNeverEndsTimesOutBeforeAnySignal) {
  const auto path = socket_path();
  auto server = StatsServer::start(
      path, [] { return std::string(R"({"reloads":0,"reload_failures":0,"reloading":true})"); });
  ASSERT_TRUE(server) << server.error().message;
  auto r = request_reload({path, std::nullopt, 300ms});
  EXPECT_EQ(r.outcome, ReloadOutcome::timed_out);
  EXPECT_THAT(r.message, HasSubstr("a reload that was running did not end"));
}

}  // namespace
}  // namespace icmpwall::daemon
