// SPDX-License-Identifier: GPL-2.0-or-later
// The integration harness in one include: scratch namespaces and the
// client — router — server topology (netns.h, topology.h), commands with
// hard timeouts (command.h), counters and the observer table (counters.h),
// real traffic (traffic.h), and here the parts that know about icmpwall:
// where the binary, the presets and the packet crafter are, and how to run
// them.
//
// Every test that needs root starts with ICMPWALL_REQUIRE_ROOT(); tests
// that craft packets with ICMPWALL_REQUIRE_CRAFT() (a python3 with scapy).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "command.h"
#include "counters.h"
#include "netns.h"
#include "probe.h"
#include "topology.h"
#include "traffic.h"

namespace icmpwall::integration {

std::string source_dir();
std::string icmpwall_binary();
// policies/<name>.toml in the source tree.
std::string preset_path(const std::string& name);

// `icmpwall args...` with a hard timeout.
CommandResult icmpwall(const Argv& args, Millis timeout = Millis(30'000));
// `icmpwall apply --netns NS policy`.
CommandResult apply_policy(const Netns& ns, const std::string& policy_path);
// `toml` written to a temporary .toml file (removed afterwards), applied.
CommandResult apply_policy_text(const Netns& ns, const std::string& toml);
// `icmpwall flush --netns NS`.
CommandResult flush_policy(const Netns& ns);

// Policies several suites share:
// input echo requests inspected through queue 7, accepted while no worker
// listens (the blocked-source sets without a daemon);
extern const char* const kQueue7InspectPolicy;
// forwarded echo requests inspected (a router's sweep detection).
extern const char* const kForwardEchoInspectPolicy;

// The python3 that has scapy (Debian's /usr/bin/python3 first); empty if
// there is none.
const std::string& python_with_scapy();
// tools/craft.py inside `from`, with `args`.
CommandResult craft(const Netns& from, const Argv& args, Millis timeout = Millis(30'000));

}  // namespace icmpwall::integration

#define ICMPWALL_REQUIRE_ROOT()                                                          \
  do {                                                                                   \
    if (!::icmpwall::integration::is_root())                                             \
      GTEST_SKIP() << "needs root (network namespaces, nft); run the integration tests " \
                      "as root";                                                         \
  } while (0)

#define ICMPWALL_REQUIRE_CRAFT()                                                        \
  do {                                                                                  \
    if (::icmpwall::integration::python_with_scapy().empty())                           \
      GTEST_SKIP() << "needs python3 with scapy (Debian: python3-scapy) to craft ICMP"; \
  } while (0)
