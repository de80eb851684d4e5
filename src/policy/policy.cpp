// SPDX-License-Identifier: GPL-2.0-or-later
// Names of the policy tree's enumerations, spelled as the policy language
// spells them, so that what icmpwall prints can be pasted back into a policy.
#include "icmpwall/policy/policy.h"

namespace icmpwall::policy {

const char* to_string(Family f) {
  switch (f) {
    case Family::ipv4: return "ipv4";
    case Family::ipv6: return "ipv6";
  }
  return "?";
}

const char* to_string(Hook h) {
  switch (h) {
    case Hook::input: return "input";
    case Hook::forward: return "forward";
    case Hook::output: return "output";
  }
  return "?";
}

const char* to_string(Action a) {
  switch (a) {
    case Action::allow: return "allow";
    case Action::drop: return "drop";
    case Action::rate_limit: return "rate-limit";
    case Action::inspect: return "inspect";
  }
  return "?";
}

const char* to_string(AddrType t) {
  switch (t) {
    case AddrType::unicast: return "unicast";
    case AddrType::local: return "local";
    case AddrType::broadcast: return "broadcast";
    case AddrType::anycast: return "anycast";
    case AddrType::multicast: return "multicast";
  }
  return "?";
}

const char* to_string(Fragments f) {
  switch (f) {
    case Fragments::reassemble: return "reassemble";
    case Fragments::follow: return "follow";
    case Fragments::drop: return "drop";
  }
  return "?";
}

const char* to_string(RateUnit u) {
  switch (u) {
    case RateUnit::second: return "second";
    case RateUnit::minute: return "minute";
    case RateUnit::hour: return "hour";
    case RateUnit::day: return "day";
  }
  return "?";
}

}  // namespace icmpwall::policy
