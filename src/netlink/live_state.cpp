// SPDX-License-Identifier: GPL-2.0-or-later
// read_live_state: three kinds of dump of one table over one socket, each
// filtered by the kernel to table inet <table>: its counter objects
// (GETOBJ), its sets (GETSET), and the elements (GETSETELEM) of each set
// whose elements are run-time state (carries_elements). Nothing else of
// the table is read.
#include <fmt/format.h>
#include <libnftnl/object.h>
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

Result<bool> read_counters(Socket& sock, const std::string& table, LiveState& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto obj = make_obj();
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_TABLE, table.c_str());
  nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETOBJ, NFPROTO_INET, 0, 0);
  nftnl_obj_nlmsg_build_payload(nlh, obj.get());
  TRY(int code, sock.dump(nlh, kMaxLiveObjects, [&](const nlmsghdr* msg) {
    auto o = make_obj();
    if (nftnl_obj_nlmsg_parse(msg, o.get()) < 0) return EBADMSG;
    if (nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER ||
        table != nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE))
      return 0;
    out.counters[nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME)] = {
        nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_PKTS),
        nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_BYTES)};
    return 0;
  }));
  return dumped(code, "the counters of table inet " + table);
}

Result<bool> read_sets(Socket& sock, const std::string& table, LiveState& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto set = make_set();
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSET, NFPROTO_INET, 0, 0);
  nftnl_set_nlmsg_build_payload(nlh, set.get());
  TRY(int code, sock.dump(nlh, kMaxLiveObjects, [&](const nlmsghdr* msg) {
    auto s = make_set();
    if (nftnl_set_nlmsg_parse(msg, s.get()) < 0) return EBADMSG;
    const uint32_t flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS);
    if (!carries_elements(flags) || table != nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) return 0;
    LiveSet live;
    live.name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
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
  TRY(bool present, read_counters(sock, table, out));
  if (!present) return LiveState{};
  TRY(present, read_sets(sock, table, out));
  if (!present) return LiveState{};
  for (auto& s : out.sets) TRY_VOID(read_elements(sock, table, s));
  return out;
}

}  // namespace icmpwall::netlink
