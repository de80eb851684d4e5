// SPDX-License-Identifier: GPL-2.0-or-later
// read_live_state: dumps of one table over one socket, each filtered by
// the kernel to table inet <table>: its objects (GETOBJ: the counters'
// values, every object's definition), its rules (GETRULE: which rules
// update which set, part of a set's definition), its sets (GETSET), its
// chains (GETCHAIN), and the elements (GETSETELEM) of each set whose
// elements are run-time state (carries_elements).
#include <fmt/format.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "icmpwall/netlink/handles.h"
#include "icmpwall/netlink/kept_state.h"
#include "icmpwall/netlink/socket.h"

namespace icmpwall::netlink {
namespace {

// A dump of `what` ended with the kernel's `code`: ENOENT means the table
// (or set) is gone, which leaves nothing to keep.
Result<bool> dumped(int code, const std::string& what) {
  if (code == 0) return true;
  if (code == ENOENT) return false;
  return Error{fmt::format("reading {}: {}", what, std::strerror(code)), code};
}

Result<bool> read_objects(Socket& sock, const std::string& table, LiveState& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto obj = make_obj();
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_TABLE, table.c_str());
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETOBJ, NFPROTO_INET, 0, 0);
  nftnl_obj_nlmsg_build_payload(nlh, obj.get());
  TRY(int code, sock.dump(nlh, kMaxLiveObjects, [&](const nlmsghdr* msg) {
    auto o = make_obj();
    if (nftnl_obj_nlmsg_parse(msg, o.get()) < 0) return EBADMSG;
    if (table != nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE)) return 0;
    const uint32_t type = nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE);
    const std::string name = nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME);
    out.layout.objects.push_back({name, type, object_definition(o.get())});
    if (type == NFT_OBJECT_COUNTER)
      out.counters[name] = {nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_PKTS),
                            nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_BYTES)};
    return 0;
  }));
  return dumped(code, "the objects of table inet " + table);
}

Result<bool> read_rules(Socket& sock, const std::string& table, SetUpdates& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto rule = make_rule();
  nftnl_rule_set_str(rule.get(), NFTNL_RULE_TABLE, table.c_str());
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETRULE, NFPROTO_INET, 0, 0);
  nftnl_rule_nlmsg_build_payload(nlh, rule.get());
  TRY(int code, sock.dump(nlh, kMaxLiveObjects, [&](const nlmsghdr* msg) {
    auto r = make_rule();
    if (nftnl_rule_nlmsg_parse(msg, r.get()) < 0) return EBADMSG;
    if (table == nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE)) note_updates(r.get(), out);
    return 0;
  }));
  return dumped(code, "the rules of table inet " + table);
}

Result<bool> read_sets(Socket& sock, const std::string& table, const SetUpdates& updates,
                       LiveState& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto set = make_set();
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSET, NFPROTO_INET, 0, 0);
  nftnl_set_nlmsg_build_payload(nlh, set.get());
  TRY(int code, sock.dump(nlh, kMaxLiveObjects, [&](const nlmsghdr* msg) {
    auto s = make_set();
    if (nftnl_set_nlmsg_parse(msg, s.get()) < 0) return EBADMSG;
    const uint32_t flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS);
    if (table != nftnl_set_get_str(s.get(), NFTNL_SET_TABLE) || (flags & NFT_SET_ANONYMOUS))
      return 0;
    const std::string name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
    out.layout.sets[name] = set_definition(s.get(), updates);
    if (!carries_elements(flags)) return 0;
    LiveSet live;
    live.name = name;
    live.flags = flags;
    live.key_type = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE);
    live.key_len = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN);
    if (nftnl_set_is_set(s.get(), NFTNL_SET_TIMEOUT))
      live.timeout_ms = nftnl_set_get_u64(s.get(), NFTNL_SET_TIMEOUT);
    out.sets.push_back(std::move(live));
    return 0;
  }));
  return dumped(code, "the sets of table inet " + table);
}

Result<bool> read_chains(Socket& sock, const std::string& table, LiveLayout& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto chain = make_chain();
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, table.c_str());
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETCHAIN, NFPROTO_INET, 0, 0);
  nftnl_chain_nlmsg_build_payload(nlh, chain.get());
  TRY(int code, sock.dump(nlh, kMaxLiveObjects, [&](const nlmsghdr* msg) {
    auto c = make_chain();
    if (nftnl_chain_nlmsg_parse(msg, c.get()) < 0) return EBADMSG;
    if (table != nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE)) return 0;
    LiveChain live{nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME)};
    if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_HOOKNUM)) {
      live.base = true;
      live.hook = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM);
      live.priority = nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_TYPE))
        live.type = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE);
    }
    out.chains.push_back(std::move(live));
    return 0;
  }));
  return dumped(code, "the chains of table inet " + table);
}

Result<bool> read_elements(Socket& sock, const std::string& table, LiveSet& live) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto set = make_set();
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(set.get(), NFTNL_SET_NAME, live.name.c_str());
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSETELEM, NFPROTO_INET, 0, 0);
  nftnl_set_elems_nlmsg_build_payload(nlh, set.get());
  TRY(int code, sock.dump(nlh, kMaxLiveElements, [&](const nlmsghdr* msg) {
    auto s = make_set();
    if (nftnl_set_elems_nlmsg_parse(msg, s.get()) < 0) return EBADMSG;
    using IterPtr = std::unique_ptr<nftnl_set_elems_iter, Free<nftnl_set_elems_iter_destroy>>;
    IterPtr it(nftnl_set_elems_iter_create(s.get()));
    if (!it) return ENOMEM;
    for (auto* e = nftnl_set_elems_iter_next(it.get()); e;
         e = nftnl_set_elems_iter_next(it.get())) {
      if (live.elements.size() >= kMaxLiveElements) return E2BIG;
      live.elements.push_back(live_element(e));
    }
    return 0;
  }));
  return dumped(code, fmt::format("the elements of set {} of table inet {}", live.name, table));
}

}  // namespace

LiveElement live_element(nftnl_set_elem* e) {
  LiveElement out;
  uint32_t len = 0;
  const auto* key = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
  if (key) out.key.assign(key, key + len);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
    out.flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
    out.timeout_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
    out.expiration_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
  return out;
}

Result<LiveState> read_live_state(const std::string& table) {
  LiveState out;
  TRY(auto sock, Socket::open());
  // ENOENT from any dump: the table is gone (or was never there).
  TRY(bool present, read_objects(sock, table, out));
  if (!present) return LiveState{};
  SetUpdates updates;
  TRY(present, read_rules(sock, table, updates));
  if (!present) return LiveState{};
  TRY(present, read_sets(sock, table, updates, out));
  if (!present) return LiveState{};
  TRY(present, read_chains(sock, table, out.layout));
  if (!present) return LiveState{};
  out.layout.present = true;
  for (auto& s : out.sets) TRY_VOID(read_elements(sock, table, s));
  return out;
}

}  // namespace icmpwall::netlink
