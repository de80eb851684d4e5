// SPDX-License-Identifier: GPL-2.0-or-later
// What the redirect and forged-error validators and the engine's block
// guard need to know about this host's routing: the route the host would
// use now towards a destination, which addresses are its own, which
// networks are directly connected to an interface, whether it forwards
// (is a router), which addresses are its routers (gateways of its routes,
// IPv6 neighbours flagged as routers), and the link-layer address the
// neighbour table holds for a neighbour.
//
// RouteView is the interface; two implementations:
//
//   NetlinkRouteView  asks the kernel over rtnetlink (libmnl): one
//                     RTM_GETROUTE per destination (the kernel's own
//                     output lookup, so a nexthop learned from an earlier
//                     redirect is the current gateway), an RTM_GETADDR dump
//                     for local addresses and connected prefixes,
//                     RTM_GETNETCONF for forwarding, an RTM_GETROUTE dump
//                     for the gateways of all unicast routes and an
//                     RTM_GETNEIGH dump for the neighbour table. Answers
//                     are cached for a short time (RouteCacheOptions::ttl)
//                     and dropped as soon as the kernel announces a change
//                     (RTNLGRP_* notifications, read without blocking
//                     before each answer): a neighbour change drops the
//                     neighbour table only, any other change everything. The sockets belong to the
//                     network namespace the view was opened in. Safe to call from several threads
//                     (one mutex: validators only see redirects and errors, which are rare).
//   StaticRouteView   a table given by the caller (routes by prefix, local
//                     addresses, connected prefixes); for tests and for
//                     callers that already hold the state.
//
// Address predicates that the validators share live here too.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/util/result.h"

namespace icmpwall::inspect {

// The route the host uses towards one destination.
struct Route {
  std::optional<Address> gateway;  // first hop; none: the destination is on-link
  uint32_t oif = 0;                // output interface index
  bool on_link() const { return !gateway.has_value(); }
};

// A link-layer address (Ethernet: 6 bytes), as the neighbour table and
// NFQUEUE report it.
struct LinkAddress {
  std::array<uint8_t, 8> bytes{};
  uint8_t len = 0;
  bool operator==(const LinkAddress&) const = default;
};
// The first (at most 8) bytes of `bytes` as a link-layer address.
LinkAddress make_link_address(std::span<const uint8_t> bytes);

// A flow as connection tracking keys it, in the direction its first
// packet went: what a datagram quoted by an ICMP error was. Ports for
// TCP, UDP, UDP-Lite, SCTP, DCCP; type, code and id for ICMP queries.
struct FlowTuple {
  Address src;
  Address dst;
  uint8_t protocol = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;
  bool operator==(const FlowTuple&) const = default;
};

// An address prefix bound to an interface (a directly connected network).
struct ConnectedPrefix {
  Address network;  // any address inside the prefix; compared under `len`
  uint8_t len = 0;
  uint32_t ifindex = 0;
};

class RouteView {
 public:
  virtual ~RouteView() = default;
  // The unicast route towards `dst` (from `src` when given, for source
  // policy routing); none if there is no route, or it is not unicast
  // (local, unreachable, blackhole, ...).
  virtual std::optional<Route> route(const Address& dst, const std::optional<Address>& src) = 0;
  // True if `addr` is one of this host's addresses (or falls in a local
  // route, as an AnyIP prefix does).
  virtual bool is_local(const Address& addr) = 0;
  // True if `addr` lies in a network directly connected to interface
  // `ifindex`. IPv6 link-local addresses are on-link on every interface.
  virtual bool on_link(const Address& addr, uint32_t ifindex) = 0;
  // True if the host forwards packets of this family (a router).
  virtual bool forwarding(Family family) = 0;
  // True if `addr` is one of this host's routers: the gateway of any of
  // its unicast routes (any table, multipath nexthops included), or an
  // IPv6 neighbour flagged as a router (it sent router advertisements).
  virtual bool is_router(const Address& addr) = 0;
  // True if the prefix `network`/`len` holds one of this host's addresses
  // or one of its routers.
  virtual bool holds_local_or_router(const Address& network, uint8_t len) = 0;
  // The link-layer address the neighbour table holds for `addr` on
  // interface `ifindex`; none if there is no usable entry (none at all,
  // incomplete, failed, or without a link-layer address).
  virtual std::optional<LinkAddress> neighbour(const Address& addr, uint32_t ifindex) = 0;
  // Whether connection tracking holds an entry for `flow` (in either
  // direction); none when it cannot tell: connections are not tracked in
  // this namespace, or the flow is not of a kind it keys (RFC 5927 4).
  virtual std::optional<bool> flow_known(const FlowTuple& flow) = 0;
};

// --- address predicates ---------------------------------------------------

Address make_v4(uint32_t host_order);
// Parses a textual address (either family); none if it is not one.
std::optional<Address> parse_address(const std::string& text);
std::string to_string(const Address& a);
// `a` with every bit past the first `len` cleared (len capped at the
// family's width; the bytes past the family's width are zero).
Address masked(const Address& a, uint8_t len);
// True if the first `len` bits of `a` and `b` agree (same family).
bool prefix_contains(const Address& network, uint8_t len, const Address& a);
bool is_unspecified(const Address& a);        // 0.0.0.0 / ::
bool is_multicast(const Address& a);          // 224/4 / ff00::/8
bool is_loopback(const Address& a);           // 127/8 / ::1
bool is_link_local(const Address& a);         // 169.254/16 / fe80::/10
bool is_limited_broadcast(const Address& a);  // 255.255.255.255

// --- rtnetlink -------------------------------------------------------------

struct RouteCacheOptions {
  // How long an answer is reused without asking the kernel again. Zero:
  // every question goes to the kernel. Notifications drop the cache early.
  std::chrono::milliseconds ttl{1000};
  // Destinations remembered at most; a full cache is emptied.
  size_t max_routes = 1024;
};

class NetlinkRouteView final : public RouteView {
 public:
  // Opens the sockets in the calling thread's network namespace.
  static Result<std::unique_ptr<NetlinkRouteView>> open(RouteCacheOptions options = {});
  ~NetlinkRouteView() override;

  std::optional<Route> route(const Address& dst, const std::optional<Address>& src) override;
  bool is_local(const Address& addr) override;
  bool on_link(const Address& addr, uint32_t ifindex) override;
  bool forwarding(Family family) override;
  bool is_router(const Address& addr) override;
  bool holds_local_or_router(const Address& network, uint8_t len) override;
  std::optional<LinkAddress> neighbour(const Address& addr, uint32_t ifindex) override;
  // Over ctnetlink (IPCTNL_MSG_CT_GET for the tuple). Whether the
  // namespace tracks connections at all is probed with a datagram this
  // view sends to itself over loopback (its entry must then exist),
  // asked again every few seconds while it is not.
  std::optional<bool> flow_known(const FlowTuple& flow) override;

  // Questions answered by the kernel (not from the cache), and cache
  // drops caused by notifications: for tests and counters.
  uint64_t kernel_queries() const;
  uint64_t invalidations() const;

 private:
  struct State;
  explicit NetlinkRouteView(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// --- a given table ---------------------------------------------------------

class StaticRouteView final : public RouteView {
 public:
  struct Entry {
    Address network;
    uint8_t len = 0;
    Route route;
  };

  // Longest prefix wins; equal lengths: the first added.
  StaticRouteView& add_route(const Address& network, uint8_t len, Route route);
  StaticRouteView& add_local(const Address& addr);
  StaticRouteView& add_connected(const Address& network, uint8_t len, uint32_t ifindex);
  StaticRouteView& set_forwarding(Family family, bool on);
  // A neighbour table entry; `router`: flagged as a router (IPv6).
  StaticRouteView& add_neighbour(const Address& addr, uint32_t ifindex, LinkAddress lladdr,
                                 bool router = false);

  std::optional<Route> route(const Address& dst, const std::optional<Address>& src) override;
  bool is_local(const Address& addr) override;
  bool on_link(const Address& addr, uint32_t ifindex) override;
  bool forwarding(Family family) override;
  bool is_router(const Address& addr) override;
  bool holds_local_or_router(const Address& network, uint8_t len) override;
  std::optional<LinkAddress> neighbour(const Address& addr, uint32_t ifindex) override;
  // none until set_conntrack(true); then known iff added.
  std::optional<bool> flow_known(const FlowTuple& flow) override;
  StaticRouteView& set_conntrack(bool on);
  StaticRouteView& add_flow(const FlowTuple& flow);

 private:
  struct Neighbour {
    Address addr;
    uint32_t ifindex = 0;
    LinkAddress lladdr;
    bool router = false;
  };

  std::vector<Entry> routes_;
  std::vector<Address> locals_;
  std::vector<ConnectedPrefix> connected_;
  std::vector<Neighbour> neighbours_;
  std::vector<FlowTuple> flows_;
  bool conntrack_ = false;
  bool forwarding_v4_ = false;
  bool forwarding_v6_ = false;
};

}  // namespace icmpwall::inspect
