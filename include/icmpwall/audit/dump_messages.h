// SPDX-License-Identifier: GPL-2.0-or-later
// The answers of a ruleset dump, message by message, into a Ruleset.
//
// dump_ruleset() (dump.h) hands every message the kernel sends it to a
// DumpAssembler; decode_dump_messages() does the same for recorded bytes,
// with no socket, so that the decoders can be tested and fuzzed on exactly
// what a kernel sends (tests/fuzz/audit_decode_fuzz.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>

#include "icmpwall/audit/ruleset.h"
#include "icmpwall/util/result.h"

struct nlmsghdr;

namespace icmpwall::audit {

class DumpAssembler {
 public:
  explicit DumpAssembler(Ruleset& rs) : rs_(rs) {}

  // One NFT_MSG_NEW{TABLE,CHAIN,SET,SETELEM,OBJ,RULE} message each. They
  // return 0, EBADMSG when libnftnl refuses the message or it has a shape
  // libnftnl cannot parse safely (nftnl_guard.h), or EINTR when it
  // names a table, chain or set no earlier message brought (during a live
  // dump: created after its own dump, so the attempt starts over).
  int table(const nlmsghdr* nlh);
  int chain(const nlmsghdr* nlh);
  int set(const nlmsghdr* nlh);
  int set_elements(const nlmsghdr* nlh);
  int object(const nlmsghdr* nlh);
  int rule(const nlmsghdr* nlh);
  // Any of the six, by its type; others are EBADMSG.
  int message(const nlmsghdr* nlh);

 private:
  Table* find_table(uint32_t family, const char* name);
  Ruleset& rs_;
  std::map<std::pair<uint32_t, std::string>, size_t> tables_;
  std::map<std::string, std::pair<size_t, size_t>> chains_;
};

// Recorded dump answers (netlink messages back to back, as read from the
// socket; a NLMSG_DONE ends them early) into a Ruleset. Errors: EBADMSG
// for a message libnftnl refuses, a cut message or any other netlink
// control message; EINTR as above. The message's index is in the text.
Result<Ruleset> decode_dump_messages(std::span<const uint8_t> bytes);

}  // namespace icmpwall::audit
