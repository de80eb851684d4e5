// SPDX-License-Identifier: GPL-2.0-or-later
// StaticRouteView: routing state given by the caller, answered the way the
// kernel would (longest prefix match, link-local on-link everywhere).
#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::inspect {

StaticRouteView& StaticRouteView::add_route(const Address& network, uint8_t len, Route route) {
  routes_.push_back({network, len, route});
  return *this;
}

StaticRouteView& StaticRouteView::add_local(const Address& addr) {
  locals_.push_back(addr);
  return *this;
}

StaticRouteView& StaticRouteView::add_connected(const Address& network, uint8_t len,
                                                uint32_t ifindex) {
  connected_.push_back({network, len, ifindex});
  return *this;
}

StaticRouteView& StaticRouteView::set_forwarding(Family family, bool on) {
  (family == Family::ipv4 ? forwarding_v4_ : forwarding_v6_) = on;
  return *this;
}

StaticRouteView& StaticRouteView::add_neighbour(const Address& addr, uint32_t ifindex,
                                                LinkAddress lladdr, bool router) {
  neighbours_.push_back({addr, ifindex, lladdr, router});
  return *this;
}

std::optional<Route> StaticRouteView::route(const Address& dst, const std::optional<Address>&) {
  const Entry* best = nullptr;
  for (const auto& e : routes_)
    if (prefix_contains(e.network, e.len, dst) && (!best || e.len > best->len)) best = &e;
  if (!best) return std::nullopt;
  return best->route;
}

bool StaticRouteView::is_local(const Address& addr) {
  for (const auto& a : locals_)
    if (a == addr) return true;
  return false;
}

bool StaticRouteView::on_link(const Address& addr, uint32_t ifindex) {
  if (addr.family == Family::ipv6 && is_link_local(addr)) return true;
  for (const auto& c : connected_)
    if (c.ifindex == ifindex && prefix_contains(c.network, c.len, addr)) return true;
  return false;
}

bool StaticRouteView::forwarding(Family family) {
  return family == Family::ipv4 ? forwarding_v4_ : forwarding_v6_;
}

bool StaticRouteView::is_router(const Address& addr) {
  for (const auto& e : routes_)
    if (e.route.gateway == addr) return true;
  for (const auto& n : neighbours_)
    if (n.router && n.addr == addr) return true;
  return false;
}

bool StaticRouteView::holds_local_or_router(const Address& network, uint8_t len) {
  for (const auto& a : locals_)
    if (prefix_contains(network, len, a)) return true;
  for (const auto& e : routes_)
    if (e.route.gateway && prefix_contains(network, len, *e.route.gateway)) return true;
  for (const auto& n : neighbours_)
    if (n.router && prefix_contains(network, len, n.addr)) return true;
  return false;
}

std::optional<LinkAddress> StaticRouteView::neighbour(const Address& addr, uint32_t ifindex) {
  for (const auto& n : neighbours_)
    if (n.addr == addr && n.ifindex == ifindex) return n.lladdr;
  return std::nullopt;
}

std::optional<bool> StaticRouteView::flow_known(const FlowTuple& flow) {
  if (!conntrack_) return std::nullopt;
  for (const auto& f : flows_)
    if (f == flow) return true;
  return false;
}

StaticRouteView& StaticRouteView::set_conntrack(bool on) {
  conntrack_ = on;
  return *this;
}

StaticRouteView& StaticRouteView::add_flow(const FlowTuple& flow) {
  flows_.push_back(flow);
  return *this;
}

}  // namespace icmpwall::inspect
