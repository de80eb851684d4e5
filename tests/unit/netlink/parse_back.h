// SPDX-License-Identifier: GPL-2.0-or-later
// Test helpers: serialize what the encoder built into netlink messages and
// parse them back with libnftnl, printing them the way
// `nft --debug=netlink` does, so expectations read like nftables'
// tests/py *.payload files.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <string>
#include <vector>

#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/handles.h"

namespace icmpwall::netlink::testing {

inline std::string trim_lines(std::string s) {
  // nftnl prints a trailing space after the rule header and no final newline.
  std::string out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(start, end - start);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) out += line + "\n";
    start = end + 1;
  }
  return out;
}

// A rule message parsed back and printed as "[ expr ]" lines.
inline std::string rule_text(const nlmsghdr* nlh) {
  RulePtr r = make_rule();
  if (nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) return "<unparsable rule>";
  std::vector<char> buf(1 << 16);
  nftnl_rule_snprintf(buf.data(), buf.size(), r.get(), NFTNL_OUTPUT_DEFAULT, 0);
  return trim_lines(buf.data());
}

// Serializes one nftnl_rule, then parses it back.
inline std::string rule_text(nftnl_rule* rule) {
  std::vector<char> buf(1 << 16);
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE, 1);
  nftnl_rule_nlmsg_build_payload(nlh, rule);
  return rule_text(nlh);
}

// Parses a NEWSETELEM message into a set. libnftnl numbers the element
// nests 1, 2, 3... when it builds them (as nft sends them; the kernel
// ignores the nest type) but its parser accepts only NFTA_LIST_ELEM, the
// type the kernel uses in dumps; so parse a copy with the types reset.
inline int parse_elements(const nlmsghdr* nlh, nftnl_set* s) {
  std::vector<uint8_t> copy(reinterpret_cast<const uint8_t*>(nlh),
                            reinterpret_cast<const uint8_t*>(nlh) + nlh->nlmsg_len);
  auto* msg = reinterpret_cast<nlmsghdr*>(copy.data());
  auto* attr = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(msg, sizeof(nfgenmsg)));
  int left = static_cast<int>(static_cast<char*>(mnl_nlmsg_get_payload_tail(msg)) -
                              reinterpret_cast<char*>(attr));
  for (; mnl_attr_ok(attr, left); left -= MNL_ALIGN(attr->nla_len), attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    auto* el = static_cast<nlattr*>(mnl_attr_get_payload(attr));
    int inner = static_cast<int>(mnl_attr_get_payload_len(attr));
    for (; mnl_attr_ok(el, inner); inner -= MNL_ALIGN(el->nla_len), el = mnl_attr_next(el))
      el->nla_type = static_cast<uint16_t>((el->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM);
  }
  return nftnl_set_elems_nlmsg_parse(msg, s);
}

// One set element message parsed back, printed like nft's debug output.
inline std::string elements_text(const nlmsghdr* nlh) {
  SetPtr s = make_set();
  if (parse_elements(nlh, s.get()) < 0) return "<unparsable elements>";
  std::vector<char> buf(1 << 20);
  nftnl_set_snprintf(buf.data(), buf.size(), s.get(), NFTNL_OUTPUT_DEFAULT, 0);
  return trim_lines(buf.data());
}

inline SetPtr parse_set(const nlmsghdr* nlh) {
  SetPtr s = make_set();
  if (nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return nullptr;
  return s;
}

// The nf_tables message type of a batch message (0 for batch begin/end).
inline uint16_t msg_type(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) return 0;
  return nlh->nlmsg_type & 0xff;
}

inline std::vector<const nlmsghdr*> of_type(const Batch& b, uint16_t type) {
  std::vector<const nlmsghdr*> out;
  for (const auto* m : b.messages())
    if (msg_type(m) == type) out.push_back(m);
  return out;
}

}  // namespace icmpwall::netlink::testing
