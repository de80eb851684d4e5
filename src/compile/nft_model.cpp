// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/compile/nft_model.h"

#include <linux/netfilter.h>

#include <algorithm>
#include <cstring>

#include "icmpwall/util/nf_hook_names.h"

namespace icmpwall::nft {

void Rule::add(Stmt s, SourceLoc loc) {
  stmt_locs.resize(stmts.size());
  stmts.push_back(std::move(s));
  stmt_locs.push_back(std::move(loc));
}

const SourceLoc& Rule::loc_of(size_t i) const {
  return i < stmt_locs.size() && stmt_locs[i].known() ? stmt_locs[i] : origin.loc;
}

bool uses_queue(const Table& table) {
  for (const auto& c : table.chains)
    for (const auto& r : c.rules)
      for (const auto& s : r.stmts)
        if (std::holds_alternative<Queue>(s)) return true;
  return false;
}

size_t count_rules(const Table& table) {
  size_t n = 0;
  for (const auto& c : table.chains) n += c.rules.size();
  return n;
}

size_t count_elements(const Table& table) {
  size_t n = 0;
  for (const auto& s : table.sets) n += s.elements.size();
  return n;
}

NfHook nf_hook(policy::Hook h) {
  switch (h) {
    case policy::Hook::input: return NfHook::input;
    case policy::Hook::forward: return NfHook::forward;
    case policy::Hook::output: return NfHook::output;
  }
  return NfHook::input;
}

uint32_t hook_number(NfHook h) {
  switch (h) {
    case NfHook::prerouting: return NF_INET_PRE_ROUTING;
    case NfHook::input: return NF_INET_LOCAL_IN;
    case NfHook::forward: return NF_INET_FORWARD;
    case NfHook::output: return NF_INET_LOCAL_OUT;
  }
  return NF_INET_LOCAL_IN;
}

const char* to_string(NfHook h) {
  return nf_hook_name(hook_number(h));
}

std::vector<uint8_t> u8(uint8_t v) {
  return {v};
}

std::vector<uint8_t> u32_host(uint32_t v) {
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &v, 4);
  return out;
}

std::vector<uint8_t> ifname_bytes(const std::string& name) {
  std::vector<uint8_t> out(16, 0);
  std::memcpy(out.data(), name.data(), std::min<size_t>(name.size(), 15));
  return out;
}

}  // namespace icmpwall::nft
