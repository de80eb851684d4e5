// SPDX-License-Identifier: GPL-2.0-or-later
// Builds the client — router — server network of topology.h.
#include "topology.h"

#include <stdexcept>
#include <utility>

namespace icmpwall::integration {
namespace {

void quiet_kernel(const Netns& ns) {
  ns.sysctl("net.ipv4.icmp_ratelimit", "0");
  ns.sysctl("net.ipv4.icmp_msgs_per_sec", "100000");
  ns.sysctl("net.ipv6.icmp.ratelimit", "0");
  ns.sysctl("net.ipv4.tcp_mtu_probing", "0");
  // Crafted packets come with sources of the test's choosing.
  ns.sysctl("net.ipv4.conf.all.rp_filter", "0");
  ns.sysctl("net.ipv4.conf.default.rp_filter", "0");
  // No duplicate address detection on the links created next, link-local
  // addresses included: nothing waits for DAD, and neighbor discovery
  // has a usable link-local source from the start.
  ns.sysctl("net.ipv6.conf.all.accept_dad", "0");
  ns.sysctl("net.ipv6.conf.default.accept_dad", "0");
}

}  // namespace

Topology::Topology() {
  for (const Netns* ns : {&client, &router, &server}) quiet_kernel(*ns);
  router.sysctl("net.ipv4.ip_forward", "1");
  router.sysctl("net.ipv6.conf.all.forwarding", "1");

  link_veth(client, client_if, router, router_client_if);
  link_veth(router, router_server_if, server, server_if);

  client.add_address(client_if, std::string(Addr::client_v4) + "/24");
  client.add_address(client_if, std::string(Addr::client2_v4) + "/24");
  client.add_address(client_if, std::string(Addr::client_v6) + "/64");
  client.add_address(client_if, std::string(Addr::client2_v6) + "/64", false);
  client.add_address(client_if, std::string(Addr::client_other64_v6) + "/64", false);
  router.add_address(router_client_if, std::string(Addr::router_c_v4) + "/24");
  router.add_address(router_client_if, std::string(Addr::router_c_v6) + "/64");
  router.add_address(router_client_if, "2001:db8:3::1/64", false);
  router.add_address(router_server_if, std::string(Addr::router_s_v4) + "/24");
  router.add_address(router_server_if, std::string(Addr::router_s_v6) + "/64");
  server.add_address(server_if, std::string(Addr::server_v4) + "/24");
  server.add_address(server_if, std::string(Addr::server_v6) + "/64");

  client.add_route("198.18.0.0/15", Addr::router_c_v4);
  client.add_route("2001:db8::/32", Addr::router_c_v6);
  server.add_route("198.18.0.0/15", Addr::router_s_v4);
  server.add_route("2001:db8::/32", Addr::router_s_v6);

  // With DAD off no address should be tentative; check, so that a kernel
  // that does DAD anyway makes the tests wait instead of flake.
  for (auto [ns, dev] : {std::pair{&client, client_if},
                         {&router, router_client_if},
                         {&router, router_server_if},
                         {&server, server_if}})
    if (!ns->wait_dad_done(dev)) throw std::runtime_error(std::string("DAD never ended on ") + dev);
}

void Topology::lower_router_server_mtu(int mtu) const {
  router.set_mtu(router_server_if, mtu);
}

}  // namespace icmpwall::integration
