// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkRouteView: the kernel's routing state over rtnetlink, cached
// briefly. See routes.h for what it answers.
//
// Two netlink sockets, both created in the caller's network namespace:
//
//   query   request/response: RTM_GETROUTE for one destination (the same
//           lookup `ip route get` does, so route exceptions such as a
//           nexthop learned from a redirect are part of the answer),
//           RTM_GETADDR dumps, RTM_GETNETCONF for forwarding, RTM_GETROUTE
//           dumps (the gateways of every unicast route) and RTM_GETNEIGH
//           dumps (the neighbour table: link-layer addresses, router
//           flags; asked only when a block is decided). A receive
//           timeout bounds every exchange, so a lost answer costs one
//           packet's verdict, never a stuck worker.
//   events  subscribed to route, address, netconf and neighbour changes
//           of both families, non-blocking. Before answering from the
//           cache, whatever arrived there is read; a neighbour
//           notification drops the neighbour table, any other (or an
//           overflow, which may have hidden one) empties the whole cache.
//
// Route exceptions created by redirects or PMTU are not announced by the
// kernel, so cached routes also expire after RouteCacheOptions::ttl.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/mnl_socket.h"
#include "icmpwall/util/netlink_datagram.h"
#include "routes_conntrack.h"

namespace icmpwall::inspect {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kBufferSize = 32768;
constexpr int kTimeoutMs = 1000;

int af_of(Family f) {
  return f == Family::ipv4 ? AF_INET : AF_INET6;
}
size_t len_of(Family f) {
  return f == Family::ipv4 ? 4 : 16;
}

std::optional<Address> address_from(int af, const void* data, size_t len) {
  Address a;
  if (af == AF_INET && len >= 4) {
    a.family = Family::ipv4;
    std::memcpy(a.bytes.data(), data, 4);
  } else if (af == AF_INET6 && len >= 16) {
    a.family = Family::ipv6;
    std::memcpy(a.bytes.data(), data, 16);
  } else {
    return std::nullopt;
  }
  return a;
}

// What one RTM_GETROUTE said about a destination.
struct Lookup {
  uint8_t type = RTN_UNSPEC;  // RTN_UNICAST, RTN_LOCAL, ...; RTN_UNSPEC: no route
  Route route;
};

struct AddrEntry {
  Address local;    // this host's address
  Address network;  // the connected prefix (the peer's for point-to-point)
  uint8_t len = 0;
  uint32_t ifindex = 0;
};

// Collects the attributes of a message into tb[0..Max] (unknown types skipped).
template <int Max>
int attr_cb(const nlattr* attr, void* data) {
  auto* tb = static_cast<const nlattr**>(data);
  if (mnl_attr_type_valid(attr, Max) < 0) return MNL_CB_OK;
  tb[mnl_attr_get_type(attr)] = attr;
  return MNL_CB_OK;
}

std::optional<Address> gateway_of(int family, const nlattr* const* tb);

int on_route(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<Lookup*>(data);
  if (nlh->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  const nlattr* tb[RTA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*rtm), attr_cb<RTA_MAX>, tb);
  out->type = rtm->rtm_type;
  if (tb[RTA_OIF]) out->route.oif = mnl_attr_get_u32(tb[RTA_OIF]);
  out->route.gateway = gateway_of(rtm->rtm_family, tb);
  return MNL_CB_OK;
}

// The gateway a route (or one nexthop of it) names: RTA_GATEWAY, or
// RTA_VIA for a nexthop of the other family (RFC 5549).
std::optional<Address> gateway_of(int family, const nlattr* const* tb) {
  if (tb[RTA_GATEWAY])
    return address_from(family, mnl_attr_get_payload(tb[RTA_GATEWAY]),
                        mnl_attr_get_payload_len(tb[RTA_GATEWAY]));
  if (tb[RTA_VIA] && mnl_attr_get_payload_len(tb[RTA_VIA]) >= sizeof(rtvia)) {
    const auto* via = static_cast<const rtvia*>(mnl_attr_get_payload(tb[RTA_VIA]));
    return address_from(via->rtvia_family, via->rtvia_addr,
                        mnl_attr_get_payload_len(tb[RTA_VIA]) - sizeof(rtvia));
  }
  return std::nullopt;
}

// Every gateway of the unicast routes of a dump (multipath nexthops too).
int on_route_dump(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::vector<Address>*>(data);
  if (nlh->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_type != RTN_UNICAST) return MNL_CB_OK;
  const nlattr* tb[RTA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*rtm), attr_cb<RTA_MAX>, tb);
  if (auto gw = gateway_of(rtm->rtm_family, tb)) out->push_back(*gw);
  if (!tb[RTA_MULTIPATH]) return MNL_CB_OK;
  const auto* base = static_cast<const uint8_t*>(mnl_attr_get_payload(tb[RTA_MULTIPATH]));
  size_t left = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);
  size_t off = 0;
  while (left - off >= sizeof(rtnexthop)) {
    const auto* nh = reinterpret_cast<const rtnexthop*>(base + off);
    if (nh->rtnh_len < sizeof(rtnexthop) || nh->rtnh_len > left - off) break;
    const nlattr* ntb[RTA_MAX + 1] = {};
    mnl_attr_parse_payload(base + off + RTNH_LENGTH(0), nh->rtnh_len - RTNH_LENGTH(0),
                           attr_cb<RTA_MAX>, ntb);
    if (auto gw = gateway_of(rtm->rtm_family, ntb)) out->push_back(*gw);
    off += RTNH_ALIGN(nh->rtnh_len);
    if (off > left) break;
  }
  return MNL_CB_OK;
}

struct NeighEntry {
  Address addr;
  uint32_t ifindex = 0;
  std::optional<LinkAddress> lladdr;  // none: incomplete, failed or without one
  bool router = false;                // NTF_ROUTER
};

int on_neigh(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::vector<NeighEntry>*>(data);
  if (nlh->nlmsg_type != RTM_NEWNEIGH) return MNL_CB_OK;
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6) return MNL_CB_OK;
  const nlattr* tb[NDA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*ndm), attr_cb<NDA_MAX>, tb);
  if (!tb[NDA_DST]) return MNL_CB_OK;
  auto addr = address_from(ndm->ndm_family, mnl_attr_get_payload(tb[NDA_DST]),
                           mnl_attr_get_payload_len(tb[NDA_DST]));
  if (!addr) return MNL_CB_OK;
  NeighEntry e{*addr, static_cast<uint32_t>(ndm->ndm_ifindex), std::nullopt,
               (ndm->ndm_flags & NTF_ROUTER) != 0};
  const bool usable =
      !(ndm->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NOARP)) && ndm->ndm_state != NUD_NONE;
  if (usable && tb[NDA_LLADDR]) {
    LinkAddress ll;
    const size_t n = std::min<size_t>(mnl_attr_get_payload_len(tb[NDA_LLADDR]), ll.bytes.size());
    std::memcpy(ll.bytes.data(), mnl_attr_get_payload(tb[NDA_LLADDR]), n);
    ll.len = static_cast<uint8_t>(n);
    if (n > 0) e.lladdr = ll;
  }
  out->push_back(e);
  return MNL_CB_OK;
}

int on_addr(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::vector<AddrEntry>*>(data);
  if (nlh->nlmsg_type != RTM_NEWADDR) return MNL_CB_OK;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  const nlattr* tb[IFA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*ifa), attr_cb<IFA_MAX>, tb);
  const nlattr* local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  const nlattr* network = tb[IFA_ADDRESS] ? tb[IFA_ADDRESS] : tb[IFA_LOCAL];
  if (!local) return MNL_CB_OK;
  auto l =
      address_from(ifa->ifa_family, mnl_attr_get_payload(local), mnl_attr_get_payload_len(local));
  auto n = address_from(ifa->ifa_family, mnl_attr_get_payload(network),
                        mnl_attr_get_payload_len(network));
  if (l && n) out->push_back({*l, *n, ifa->ifa_prefixlen, ifa->ifa_index});
  return MNL_CB_OK;
}

int on_netconf(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::optional<bool>*>(data);
  if (nlh->nlmsg_type != RTM_NEWNETCONF) return MNL_CB_OK;
  const nlattr* tb[NETCONFA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(netconfmsg), attr_cb<NETCONFA_MAX>, tb);
  if (tb[NETCONFA_FORWARDING]) *out = mnl_attr_get_u32(tb[NETCONFA_FORWARDING]) != 0;
  return MNL_CB_OK;
}

}  // namespace

struct NetlinkRouteView::State {
  RouteCacheOptions options;
  std::mutex mu;
  MnlSocket query;
  MnlSocket events;
  uint32_t portid = 0;
  uint32_t seq = 0;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kBufferSize);

  struct CachedLookup {
    Lookup lookup;
    SteadyClock::time_point at;
  };
  std::map<std::pair<Address, std::optional<Address>>, CachedLookup> lookups;
  std::vector<AddrEntry> addrs;
  std::optional<SteadyClock::time_point> addrs_at;
  std::optional<bool> forwarding[2];
  std::optional<SteadyClock::time_point> forwarding_at[2];
  std::vector<Address> gateways;
  std::optional<SteadyClock::time_point> gateways_at;
  std::vector<NeighEntry> neighbours;
  std::optional<SteadyClock::time_point> neighbours_at;
  uint64_t kernel_queries = 0;
  uint64_t invalidations = 0;
  std::unique_ptr<ConntrackLookup> conntrack;  // null: ctnetlink unavailable

  bool fresh(SteadyClock::time_point at) const { return SteadyClock::now() - at < options.ttl; }

  void invalidate() {
    lookups.clear();
    addrs_at.reset();
    forwarding_at[0].reset();
    forwarding_at[1].reset();
    gateways_at.reset();
    neighbours_at.reset();
    ++invalidations;
  }

  // Reads every pending notification: a neighbour change drops the
  // neighbour table, anything else the whole cache.
  void drain_events() {
    bool changed = false;
    while (true) {
      ssize_t n = recv(events.fd(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) {
        for_each_netlink_message({buf.data(), static_cast<size_t>(n)}, [&](const nlmsghdr* nlh) {
          if (nlh->nlmsg_type == RTM_NEWNEIGH || nlh->nlmsg_type == RTM_DELNEIGH)
            neighbours_at.reset();
          else
            changed = true;
        });
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == ENOBUFS) {  // overflowed: something may have been missed
        changed = true;
        continue;
      }
      break;  // EAGAIN: nothing more
    }
    if (changed) invalidate();
  }

  // Sends one request and runs `cb` over the answer (all parts of a dump).
  // Returns the kernel's error for a refused request.
  Result<void> exchange(nlmsghdr* nlh, mnl_cb_t cb, void* data, bool dump) {
    ++kernel_queries;
    nlh->nlmsg_seq = ++seq;
    if (mnl_socket_sendto(query.get(), nlh, nlh->nlmsg_len) < 0)
      return errno_error("rtnetlink request");
    while (true) {
      ssize_t n = mnl_socket_recvfrom(query.get(), buf.data(), buf.size());
      if (n < 0) return errno_error("rtnetlink answer");
      // libmnl's loop, for the kernel's answer (util/netlink_datagram.h).
      int r = mnl_cb_run(buf.data(), n, nlh->nlmsg_seq, portid, cb, data);
      if (r < 0) {
        if (errno == EPROTO) continue;  // an answer to an earlier, timed-out request
        return errno_error("rtnetlink answer");
      }
      if (r == MNL_CB_STOP || !dump) return ok();
    }
  }

  Lookup lookup(const Address& dst, const std::optional<Address>& src) {
    auto key = std::make_pair(dst, src);
    auto it = lookups.find(key);
    if (it != lookups.end() && fresh(it->second.at)) return it->second.lookup;

    std::vector<uint8_t> req(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(req.data());
    nlh->nlmsg_type = RTM_GETROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<uint8_t>(af_of(dst.family));
    rtm->rtm_dst_len = static_cast<uint8_t>(len_of(dst.family) * 8);
    rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
    mnl_attr_put(nlh, RTA_DST, len_of(dst.family), dst.bytes.data());
    if (src && src->family == dst.family) {
      rtm->rtm_src_len = rtm->rtm_dst_len;
      mnl_attr_put(nlh, RTA_SRC, len_of(src->family), src->bytes.data());
    }
    Lookup answer;
    if (!exchange(nlh, on_route, &answer, false)) answer = Lookup{};  // no route
    if (lookups.size() >= options.max_routes) lookups.clear();
    lookups[key] = {answer, SteadyClock::now()};
    return answer;
  }

  const std::vector<AddrEntry>& addresses() {
    if (addrs_at && fresh(*addrs_at)) return addrs;
    std::vector<uint8_t> req(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(req.data());
    nlh->nlmsg_type = RTM_GETADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_UNSPEC;
    std::vector<AddrEntry> fresh_addrs;
    if (exchange(nlh, on_addr, &fresh_addrs, true)) {
      addrs = std::move(fresh_addrs);
      addrs_at = SteadyClock::now();
    }
    return addrs;  // on failure: the last good dump, asked again next time
  }

  // Sends a dump request of `type` (all families) and collects its parts.
  template <typename Entry, typename Header>
  bool dump(uint16_t type, mnl_cb_t cb, std::vector<Entry>& out) {
    std::vector<uint8_t> req(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(req.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    mnl_nlmsg_put_extra_header(nlh, sizeof(Header));  // zeroed: AF_UNSPEC, no filter
    return static_cast<bool>(exchange(nlh, cb, &out, true));
  }

  const std::vector<Address>& gateway_list() {
    if (gateways_at && fresh(*gateways_at)) return gateways;
    std::vector<Address> fresh_list;
    if (dump<Address, rtmsg>(RTM_GETROUTE, on_route_dump, fresh_list)) {
      gateways = std::move(fresh_list);
      gateways_at = SteadyClock::now();
    }
    return gateways;  // on failure: the last good dump
  }

  const std::vector<NeighEntry>& neighbour_table() {
    if (neighbours_at && fresh(*neighbours_at)) return neighbours;
    std::vector<NeighEntry> fresh_list;
    if (dump<NeighEntry, ndmsg>(RTM_GETNEIGH, on_neigh, fresh_list)) {
      neighbours = std::move(fresh_list);
      neighbours_at = SteadyClock::now();
    }
    return neighbours;
  }

  bool router(const Address& addr) {
    for (const auto& g : gateway_list())
      if (g == addr) return true;
    for (const auto& n : neighbour_table())
      if (n.router && n.addr == addr) return true;
    return false;
  }

  bool forwards(Family family) {
    const int i = family == Family::ipv4 ? 0 : 1;
    if (forwarding_at[i] && fresh(*forwarding_at[i])) return forwarding[i].value_or(false);
    std::vector<uint8_t> req(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(req.data());
    nlh->nlmsg_type = RTM_GETNETCONF;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    auto* ncm = static_cast<netconfmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(netconfmsg)));
    ncm->ncm_family = static_cast<uint8_t>(af_of(family));
    mnl_attr_put_u32(nlh, NETCONFA_IFINDEX, static_cast<uint32_t>(NETCONFA_IFINDEX_ALL));
    std::optional<bool> answer;
    if (exchange(nlh, on_netconf, &answer, false) && answer) {
      forwarding[i] = answer;
      forwarding_at[i] = SteadyClock::now();
    }
    return forwarding[i].value_or(false);
  }
};

Result<std::unique_ptr<NetlinkRouteView>> NetlinkRouteView::open(RouteCacheOptions options) {
  auto state = std::make_unique<State>();
  state->options = options;
  MnlSocketOptions query;
  query.what = "the rtnetlink socket";
  query.receive_timeout_ms = kTimeoutMs;
  TRY(state->query, MnlSocket::open(NETLINK_ROUTE, query));
  state->portid = state->query.portid();

  MnlSocketOptions events;
  events.what = "the rtnetlink event socket";
  events.nonblocking = true;
  events.groups = {RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,  RTNLGRP_IPV4_ROUTE,
                   RTNLGRP_IPV6_ROUTE,  RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF,
                   RTNLGRP_NEIGH};
  TRY(state->events, MnlSocket::open(NETLINK_ROUTE, events));
  // Without ctnetlink (no permission, no support) flows are not known.
  if (auto ct = ConntrackLookup::open()) state->conntrack = std::move(*ct);
  return std::unique_ptr<NetlinkRouteView>(new NetlinkRouteView(std::move(state)));
}

NetlinkRouteView::NetlinkRouteView(std::unique_ptr<State> state) : state_(std::move(state)) {}
NetlinkRouteView::~NetlinkRouteView() = default;

std::optional<Route> NetlinkRouteView::route(const Address& dst,
                                             const std::optional<Address>& src) {
  std::lock_guard lock(state_->mu);
  state_->drain_events();
  Lookup l = state_->lookup(dst, src);
  if (l.type != RTN_UNICAST) return std::nullopt;
  return l.route;
}

bool NetlinkRouteView::is_local(const Address& addr) {
  std::lock_guard lock(state_->mu);
  state_->drain_events();
  for (const auto& a : state_->addresses())
    if (a.local == addr) return true;
  // A local route covering it (AnyIP: `ip route add local PREFIX dev lo`).
  return state_->lookup(addr, std::nullopt).type == RTN_LOCAL;
}

bool NetlinkRouteView::on_link(const Address& addr, uint32_t ifindex) {
  if (addr.family == Family::ipv6 && is_link_local(addr)) return true;
  std::lock_guard lock(state_->mu);
  state_->drain_events();
  for (const auto& a : state_->addresses())
    if (a.ifindex == ifindex && prefix_contains(a.network, a.len, addr)) return true;
  return false;
}

bool NetlinkRouteView::forwarding(Family family) {
  std::lock_guard lock(state_->mu);
  state_->drain_events();
  return state_->forwards(family);
}

bool NetlinkRouteView::is_router(const Address& addr) {
  std::lock_guard lock(state_->mu);
  state_->drain_events();
  return state_->router(addr);
}

bool NetlinkRouteView::holds_local_or_router(const Address& network, uint8_t len) {
  std::lock_guard lock(state_->mu);
  state_->drain_events();
  for (const auto& a : state_->addresses())
    if (prefix_contains(network, len, a.local)) return true;
  for (const auto& g : state_->gateway_list())
    if (prefix_contains(network, len, g)) return true;
  for (const auto& n : state_->neighbour_table())
    if (n.router && prefix_contains(network, len, n.addr)) return true;
  return false;
}

std::optional<LinkAddress> NetlinkRouteView::neighbour(const Address& addr, uint32_t ifindex) {
  std::lock_guard lock(state_->mu);
  state_->drain_events();
  for (const auto& n : state_->neighbour_table())
    if (n.addr == addr && n.ifindex == ifindex) return n.lladdr;
  return std::nullopt;
}

std::optional<bool> NetlinkRouteView::flow_known(const FlowTuple& flow) {
  std::lock_guard lock(state_->mu);
  if (!state_->conntrack) return std::nullopt;
  return state_->conntrack->knows(flow);
}

uint64_t NetlinkRouteView::kernel_queries() const {
  std::lock_guard lock(state_->mu);
  return state_->kernel_queries;
}

uint64_t NetlinkRouteView::invalidations() const {
  std::lock_guard lock(state_->mu);
  return state_->invalidations;
}

}  // namespace icmpwall::inspect
