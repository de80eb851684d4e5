// SPDX-License-Identifier: GPL-2.0-or-later
// A ruleset dump's answer messages into a Ruleset (see dump_messages.h).
#include "icmpwall/audit/dump_messages.h"

// libnftnl's headers use FILE without including <stdio.h>.
// clang-format off
#include <cstdio>
// clang-format on
#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "icmpwall/audit/decode.h"
#include "icmpwall/netlink/handles.h"
#include "icmpwall/util/netlink_datagram.h"
#include "nftnl_guard.h"

namespace icmpwall::audit {
namespace {

std::string chain_key(uint32_t family, const char* table, const char* chain) {
  return fmt::format("{}\n{}\n{}", family, table ? table : "", chain ? chain : "");
}

}  // namespace

Table* DumpAssembler::find_table(uint32_t family, const char* name) {
  auto it = tables_.find({family, name ? name : ""});
  return it == tables_.end() ? nullptr : &rs_.tables[it->second];
}

int DumpAssembler::table(const nlmsghdr* nlh) {
  auto t = netlink::make_table();
  if (!t || nftnl_table_nlmsg_parse(nlh, t.get()) < 0) return EBADMSG;
  Table decoded = decode_table(t.get());
  tables_[{decoded.family, decoded.name}] = rs_.tables.size();
  rs_.tables.push_back(std::move(decoded));
  return 0;
}

int DumpAssembler::chain(const nlmsghdr* nlh) {
  auto c = netlink::make_chain();
  if (!c || nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return EBADMSG;
  uint32_t family = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FAMILY);
  const char* table_name = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE);
  Chain decoded = decode_chain(c.get());
  Table* t = find_table(family, table_name);
  if (!t) return EINTR;  // a table created after the table dump
  chains_[chain_key(family, table_name, decoded.name.c_str())] = {
      static_cast<size_t>(t - rs_.tables.data()), t->chains.size()};
  t->chains.push_back(std::move(decoded));
  return 0;
}

int DumpAssembler::set(const nlmsghdr* nlh) {
  if (!libnftnl_can_parse(nlh)) return EBADMSG;
  auto s = netlink::make_set();
  if (!s || nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return EBADMSG;
  Set decoded = decode_set(s.get());
  Table* t = find_table(nftnl_set_get_u32(s.get(), NFTNL_SET_FAMILY),
                        nftnl_set_get_str(s.get(), NFTNL_SET_TABLE));
  if (!t) return EINTR;
  t->sets.push_back(std::move(decoded));
  return 0;
}

int DumpAssembler::set_elements(const nlmsghdr* nlh) {
  if (!libnftnl_can_parse(nlh)) return EBADMSG;
  auto s = netlink::make_set();
  if (!s || nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0) return EBADMSG;
  Table* t = find_table(nftnl_set_get_u32(s.get(), NFTNL_SET_FAMILY),
                        nftnl_set_get_str(s.get(), NFTNL_SET_TABLE));
  const char* name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
  if (!t || !name) return EINTR;
  for (Set& set : t->sets)
    if (set.name == name) {
      // decoded straight into the set: 100 000 elements are not moved twice
      nftnl_set_elem_foreach(
          s.get(),
          [](nftnl_set_elem* e, void* data) {
            static_cast<std::vector<SetElement>*>(data)->push_back(decode_set_elem(e));
            return 0;
          },
          &set.elements);
      return 0;
    }
  return EINTR;  // a set created after the set dump
}

int DumpAssembler::object(const nlmsghdr* nlh) {
  auto o = netlink::make_obj();
  if (!o || nftnl_obj_nlmsg_parse(nlh, o.get()) < 0) return EBADMSG;
  Object decoded = decode_object(o.get());
  Table* t = find_table(nftnl_obj_get_u32(o.get(), NFTNL_OBJ_FAMILY),
                        nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE));
  if (!t) return EINTR;
  t->objects.push_back(std::move(decoded));
  return 0;
}

int DumpAssembler::rule(const nlmsghdr* nlh) {
  if (!libnftnl_can_parse(nlh)) return EBADMSG;
  auto r = netlink::make_rule();
  if (!r || nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) return EBADMSG;
  Rule decoded = decode_rule(r.get());
  auto it = chains_.find(chain_key(nftnl_rule_get_u32(r.get(), NFTNL_RULE_FAMILY),
                                   nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE),
                                   nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)));
  if (it == chains_.end()) return EINTR;
  Chain& c = rs_.tables[it->second.first].chains[it->second.second];
  decoded.index = static_cast<uint32_t>(c.rules.size());
  c.rules.push_back(std::move(decoded));
  return 0;
}

int DumpAssembler::message(const nlmsghdr* nlh) {
  if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES) return EBADMSG;
  switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
    case NFT_MSG_NEWTABLE: return table(nlh);
    case NFT_MSG_NEWCHAIN: return chain(nlh);
    case NFT_MSG_NEWSET: return set(nlh);
    case NFT_MSG_NEWSETELEM: return set_elements(nlh);
    case NFT_MSG_NEWOBJ: return object(nlh);
    case NFT_MSG_NEWRULE: return rule(nlh);
    default: return EBADMSG;
  }
}

Result<Ruleset> decode_dump_messages(std::span<const uint8_t> bytes) {
  auto bad = [](std::string what, int code = EBADMSG) {
    return Error{fmt::format("recorded dump messages: {}", what), code};
  };
  if (bytes.size() > (1u << 30)) return bad("more than 1 GiB");
  // libmnl reads the headers in place: an aligned copy. libnftnl strdup()s
  // string attributes without checking for their NUL; the zeros after the
  // bytes end such a read inside the copy. The last message's padding may
  // be missing.
  std::vector<uint8_t> copy(bytes.size() + 8, 0);
  std::copy(bytes.begin(), bytes.end(), copy.begin());
  const auto padded = pad_netlink_datagram(copy, bytes.size());
  Ruleset rs;
  DumpAssembler out(rs);
  size_t index = 0;
  bool done = false;
  std::optional<Error> failed;
  const size_t walked = for_each_netlink_message(padded, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type == NLMSG_DONE) {
      done = true;
    } else if (nlh->nlmsg_type < NLMSG_MIN_TYPE) {
      failed = bad(fmt::format("message {} is netlink control message {}", index, nlh->nlmsg_type));
    } else if (int e = out.message(nlh)) {
      failed = bad(
          fmt::format("message {} (type {:#x}): {}", index, nlh->nlmsg_type, std::strerror(e)), e);
    } else {
      ++index;
    }
    return !done && !failed;
  });
  if (failed) return *failed;
  if (!done && walked < padded.size())
    return bad(fmt::format("{} bytes after message {} are no whole message", bytes.size() - walked,
                           index));
  return rs;
}

}  // namespace icmpwall::audit
