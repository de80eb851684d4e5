// SPDX-License-Identifier: GPL-2.0-or-later
// Forged redirects against a real victim: without validation the kernel
// takes some of them and the victim's route changes; with icmpwall's
// RedirectValidator deciding through NFQUEUE, the forged ones are dropped
// and the route stays, while a redirect from the true gateway still
// changes it.
//
// Three scratch namespaces (netns.h), on one Ethernet segment (a bridge in
// the gateway's namespace), no routes out of them:
//
//   victim vv0 198.18.0.2/24 2001:db8::2/64        (accept_redirects = 1)
//   gw     br0 198.18.0.1/24 2001:db8::1/64 fe80::1
//   other  ov0 198.18.0.3/24 2001:db8::3/64 fe80::3 (the attacker)
//
// The victim reaches 198.18.9.0/24 via 198.18.0.1 and 2001:db8:9::/64 via
// fe80::1; each step of a test redirects its own destination in those
// networks, so steps do not disturb one another. Redirects are Ethernet
// frames crafted with scapy (inside the quoted datagram: an echo reply
// from the victim, which the kernel acts on without a socket).
//
// What the kernel (Linux 6.x) does on its own, checked step by step:
//   - a redirect whose source is not the gateway: ignored, both families;
//   - IPv4, source spoofed to be the gateway, naming a new gateway that is
//     not on the victim's network (the attacker answers ARP for it):
//     taken (shared_media=1, the default, only wants a unicast address
//     with a reachable neighbour);
//   - IPv6, source spoofed to be the gateway, quoting a datagram the
//     victim never sent: taken;
//   - both families, source spoofed to be the gateway (IPv6: its fe80::
//     address, hop limit 255), every field valid (a new gateway on the
//     victim's network, a datagram the victim did send), but sent from the
//     attacker's MAC: taken.
// icmpwall drops all of them (the last because the frame's link-layer
// source is not the gateway's neighbour entry); the true gateway's
// redirect passes.
//
// The validator runs in a queue worker bound in the victim's namespace,
// with NetlinkRouteView opened there (EnterNetns), exactly as the daemon
// would run it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "harness.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/inspect/detect/redirect.h"
#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/netlink/netns.h"
#include "icmpwall/queue/worker.h"

namespace icmpwall::integration {
namespace {

using inspect::Finding;
using inspect::NetlinkRouteView;
using inspect::RedirectConfig;
using inspect::RedirectValidator;

const Millis kIpTimeout{5000};
constexpr uint16_t kQueue = 7;

// The victim's policy: redirects on input go to the queue (the icmpwall
// binary picks nft's queue or its compat fallback, whichever the kernel
// has); without a worker they are dropped.
constexpr const char* kPolicy = R"([hooks.input]
default = "allow"

[[rule]]
name = "inspect-redirects"
types = ["redirect"]
action = "inspect"
queue = {}
no-worker = "drop"
)";

// Sends `count` redirects as Ethernet frames. Arguments are key=value:
// family (4|6), iface, dmac, src, dst, gw (IPv4 new gateway / IPv6
// target), isrc, idst (the quoted datagram), rdst (IPv6 destination
// field), tmac (IPv6 target link-layer address), count, gap (seconds).
constexpr const char* kSender = R"PY(
import sys, time
from scapy.all import Ether, IP, ICMP, IPv6, sendp, raw, conf
from scapy.layers.inet6 import (ICMPv6ND_Redirect, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptRedirectedHdr, ICMPv6EchoReply)
conf.verb = 0
a = dict(x.split("=", 1) for x in sys.argv[1:])
if a["family"] == "4":
    inner = IP(src=a["isrc"], dst=a["idst"], proto=1) / ICMP(type=0, id=0x4242, seq=1)
    p = IP(src=a["src"], dst=a["dst"]) / ICMP(type=5, code=1, gw=a["gw"]) / raw(inner)[:28]
else:
    inner = IPv6(src=a["isrc"], dst=a["idst"], nh=58) / ICMPv6EchoReply(id=0x4242, seq=1)
    p = (IPv6(src=a["src"], dst=a["dst"], hlim=255) /
         ICMPv6ND_Redirect(tgt=a["gw"], dst=a["rdst"]) /
         ICMPv6NDOptDstLLAddr(lladdr=a["tmac"]) / ICMPv6NDOptRedirectedHdr(pkt=raw(inner)))
for i in range(int(a.get("count", "1"))):
    if i:
        time.sleep(float(a.get("gap", "0.2")))
    sendp(Ether(dst=a["dmac"]) / p, iface=a["iface"])
)PY";

// Judges what the victim's input hook queues: redirects only (the nft
// rule), each with RedirectValidator; remembers each finding's reason.
class RedirectInspector final : public queue::Inspector {
 public:
  explicit RedirectInspector(std::shared_ptr<NetlinkRouteView> routes)
      : routes_(std::move(routes)), validator_(RedirectConfig{}, *routes_) {}

  queue::Verdict inspect(std::span<const uint8_t> bytes, const queue::PacketInfo& info) override {
    auto p = inspect::decode_packet(bytes, inspect::DecodeOptions{.allow_truncated = true});
    std::string reason = "malformed";
    queue::Verdict verdict = queue::Verdict::drop;
    if (p) {
      inspect::PacketContext ctx{.iif = info.indev, .hook = info.hook};
      ctx.hwaddr = info.hwaddr;
      ctx.hwaddr_len = info.hwaddr_len;
      Finding f = validator_.check(*p.value, ctx);
      reason = f.detected() ? f.reason : "pass";
      verdict = f.detected() ? queue::Verdict::drop : queue::Verdict::accept;
    }
    std::lock_guard lock(mu_);
    reasons_.push_back(reason);
    return verdict;
  }

  std::vector<std::string> reasons() const {
    std::lock_guard lock(mu_);
    return reasons_;
  }

 private:
  std::shared_ptr<NetlinkRouteView> routes_;
  RedirectValidator validator_;
  mutable std::mutex mu_;
  std::vector<std::string> reasons_;
};

class RedirectForgeryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: creates network namespaces, a bridge and veth pairs, binds "
                      "NFQUEUE";
    if (python_with_scapy().empty())
      GTEST_SKIP() << "needs python3 with scapy (Debian: python3-scapy) to forge redirects";
    victim_ = std::make_unique<Netns>();
    gw_ = std::make_unique<Netns>();
    other_ = std::make_unique<Netns>();
    sender_ = std::make_unique<TempFile>(kSender, ".py");

    gw_->add_bridge("br0");
    link_veth_to_bridge(*victim_, "vv0", *gw_, "gv", "br0");
    link_veth_to_bridge(*other_, "ov0", *gw_, "go", "br0");
    gw_->add_address("br0", "198.18.0.1/24");
    gw_->add_address("br0", "fe80::1/64");
    gw_->add_address("br0", "2001:db8::1/64");
    victim_->add_address("vv0", "198.18.0.2/24");
    victim_->add_address("vv0", "2001:db8::2/64");
    other_->add_address("ov0", "198.18.0.3/24");
    other_->add_address("ov0", "fe80::3/64");
    other_->add_address("ov0", "2001:db8::3/64");
    // The attacker also answers ARP for an address off the victim's network.
    other_->add_address("ov0", "198.18.5.5/32");
    for (const char* key :
         {"net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.vv0.accept_redirects",
          "net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.vv0.accept_redirects"})
      victim_->sysctl(key, "1");
    victim_->add_route("198.18.9.0/24", "198.18.0.1");
    victim_->add_route("2001:db8:9::/64", "fe80::1", "vv0");
    victim_mac_ = victim_->mac_of("vv0");
    other_mac_ = other_->mac_of("ov0");
    // The segment works (and the victim knows its neighbours).
    for (const char* dst : {"198.18.0.1", "198.18.0.3", "2001:db8::1", "2001:db8::3", "fe80::1"}) {
      auto r =
          victim_->run({"ping", "-n", "-c", "1", "-W", "2", "-I", "vv0", dst}, {Millis(10'000)});
      ASSERT_TRUE(r.ok()) << r.describe();
    }
  }

  // Redirect(s) crafted in `from`, sent on `iface` to the victim's MAC.
  void send(const Netns& from, const std::string& iface, const Argv& args) {
    Argv argv{python_with_scapy(), sender_->path(), "iface=" + iface, "dmac=" + victim_mac_,
              "tmac=" + other_mac_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = from.run(argv, {Millis(30'000)});
    ASSERT_TRUE(r.ok()) << r.describe();
  }

  // The first hop the victim uses now towards `dst` ("" if on-link/none).
  std::string first_hop(const std::string& dst) const {
    auto r = victim_->run({"ip", "-j", "route", "get", dst}, {kIpTimeout});
    if (!r.ok()) return "error: " + r.describe();
    auto j = nlohmann::json::parse(r.out);
    return j.at(0).value("gateway", "");
  }

  bool first_hop_becomes(const std::string& dst, const std::string& hop) const {
    return poll_until([&] { return first_hop(dst) == hop; }, Millis(3000), Millis(50));
  }

  // Redirects reaching the victim go to a queue worker running the
  // validator against the victim's own routes.
  void enable_validation() {
    TempFile policy(fmt::format(kPolicy, kQueue), ".toml");
    auto r = run({ICMPWALL_BINARY, "apply", "--netns", victim_->name(), policy.path()},
                 {Millis(30'000)});
    ASSERT_TRUE(r.ok()) << r.describe();

    auto inside = netlink::EnterNetns::open(victim_->name());
    ASSERT_TRUE(inside) << inside.error().message;
    auto routes = NetlinkRouteView::open();
    ASSERT_TRUE(routes) << routes.error().message;
    inspector_ = std::make_shared<RedirectInspector>(std::move(routes.value()));

    queue::QueueConfig c;
    c.queue = kQueue;
    c.netns = victim_->name();
    auto w = queue::Worker::start(c, inspector_);
    ASSERT_TRUE(w) << w.error().message;
    worker_ = std::make_unique<queue::Worker>(std::move(w.value()));
  }

  // Waits until the worker has judged `n` packets in all.
  bool judged(size_t n) const {
    return poll_until([&] { return inspector_->reasons().size() >= n; }, Millis(5000), Millis(10));
  }

  std::unique_ptr<Netns> victim_, gw_, other_;
  std::unique_ptr<TempFile> sender_;
  std::string victim_mac_, other_mac_;
  std::shared_ptr<RedirectInspector> inspector_;
  std::unique_ptr<queue::Worker> worker_;  // declared last: stops first
};

using Reasons = std::vector<std::string>;

TEST_F(RedirectForgeryTest, V4ForgedRedirectsLeaveTheRouteUnchanged) {
  const std::string gw = "198.18.0.1";
  auto v4 = [](const std::string& src, const std::string& new_gw, const std::string& dst,
               int count = 1) {
    return Argv{"family=4",
                "src=" + src,
                "dst=198.18.0.2",
                "gw=" + new_gw,
                "isrc=198.18.0.2",
                "idst=" + dst,
                "count=" + std::to_string(count),
                "gap=0.3"};
  };

  // Without validation.
  ASSERT_EQ(first_hop("198.18.9.10"), gw);
  send(*other_, "ov0", v4("198.18.0.3", "198.18.0.3", "198.18.9.10"));
  // The kernel ignores a redirect whose source is not the gateway ...
  EXPECT_FALSE(first_hop_becomes("198.18.9.10", "198.18.0.3"))
      << "the kernel took a redirect from a host that is not the gateway";
  // ... but takes one spoofed as the gateway's that names a gateway off
  // the victim's network: the attack this test must be able to see.
  send(*other_, "ov0", v4(gw, "198.18.5.5", "198.18.9.11", 3));
  EXPECT_TRUE(first_hop_becomes("198.18.9.11", "198.18.5.5"))
      << "unvalidated, the forged redirect should have changed the route: " +
             first_hop("198.18.9.11");
  send(*gw_, "br0", v4(gw, "198.18.0.3", "198.18.9.12"));
  EXPECT_TRUE(first_hop_becomes("198.18.9.12", "198.18.0.3")) << first_hop("198.18.9.12");
  // The same redirect, valid in every field, from the attacker's MAC.
  send(*other_, "ov0", v4(gw, "198.18.0.3", "198.18.9.13"));
  EXPECT_TRUE(first_hop_becomes("198.18.9.13", "198.18.0.3")) << first_hop("198.18.9.13");

  // With validation.
  enable_validation();
  if (HasFatalFailure()) return;
  send(*other_, "ov0", v4("198.18.0.3", "198.18.0.3", "198.18.9.20"));
  send(*other_, "ov0", v4(gw, "198.18.5.5", "198.18.9.21", 3));
  ASSERT_TRUE(judged(4)) << inspector_->reasons().size();
  EXPECT_EQ(first_hop("198.18.9.20"), gw);
  EXPECT_EQ(first_hop("198.18.9.21"), gw);
  send(*other_, "ov0", v4(gw, "198.18.0.3", "198.18.9.23"));
  ASSERT_TRUE(judged(5));
  EXPECT_EQ(first_hop("198.18.9.23"), gw);
  send(*gw_, "br0", v4(gw, "198.18.0.3", "198.18.9.22"));
  ASSERT_TRUE(judged(6));
  EXPECT_TRUE(first_hop_becomes("198.18.9.22", "198.18.0.3")) << first_hop("198.18.9.22");
  EXPECT_EQ(inspector_->reasons(),
            (Reasons{"redirect-not-from-gateway", "redirect-link-layer-mismatch",
                     "redirect-link-layer-mismatch", "redirect-link-layer-mismatch",
                     "redirect-link-layer-mismatch", "pass"}));
  // The earlier, forged routes stay where the forgery had put them: the
  // validator judges them against the route the victim uses now.
  EXPECT_EQ(first_hop("198.18.9.11"), "198.18.5.5");
}

TEST_F(RedirectForgeryTest, V6ForgedRedirectsLeaveTheRouteUnchanged) {
  const std::string gw = "fe80::1";
  auto v6 = [](const std::string& src, const std::string& dst, const std::string& quoted_src) {
    return Argv{"family=6",    "src=" + src,         "dst=2001:db8::2", "gw=fe80::3",
                "rdst=" + dst, "isrc=" + quoted_src, "idst=" + dst};
  };

  // Without validation.
  ASSERT_EQ(first_hop("2001:db8:9::10"), gw);
  send(*other_, "ov0", v6("fe80::3", "2001:db8:9::10", "2001:db8::2"));
  EXPECT_FALSE(first_hop_becomes("2001:db8:9::10", "fe80::3"))
      << "the kernel took a redirect from a host that is not the first-hop router";
  // Spoofed as the router, quoting a datagram the victim never sent.
  send(*other_, "ov0", v6(gw, "2001:db8:9::11", "2001:db8::77"));
  EXPECT_TRUE(first_hop_becomes("2001:db8:9::11", "fe80::3"))
      << "unvalidated, the forged redirect should have changed the route: " +
             first_hop("2001:db8:9::11");
  send(*gw_, "br0", v6(gw, "2001:db8:9::12", "2001:db8::2"));
  EXPECT_TRUE(first_hop_becomes("2001:db8:9::12", "fe80::3")) << first_hop("2001:db8:9::12");
  // Spoofed as the router's fe80::1 with hop limit 255, quoting a datagram
  // the victim did send, from the attacker's MAC.
  send(*other_, "ov0", v6(gw, "2001:db8:9::13", "2001:db8::2"));
  EXPECT_TRUE(first_hop_becomes("2001:db8:9::13", "fe80::3")) << first_hop("2001:db8:9::13");

  // With validation.
  enable_validation();
  if (HasFatalFailure()) return;
  send(*other_, "ov0", v6("fe80::3", "2001:db8:9::20", "2001:db8::2"));
  send(*other_, "ov0", v6(gw, "2001:db8:9::21", "2001:db8::77"));
  ASSERT_TRUE(judged(2)) << inspector_->reasons().size();
  EXPECT_EQ(first_hop("2001:db8:9::20"), gw);
  EXPECT_EQ(first_hop("2001:db8:9::21"), gw);
  send(*other_, "ov0", v6(gw, "2001:db8:9::23", "2001:db8::2"));
  ASSERT_TRUE(judged(3));
  EXPECT_EQ(first_hop("2001:db8:9::23"), gw);
  send(*gw_, "br0", v6(gw, "2001:db8:9::22", "2001:db8::2"));
  ASSERT_TRUE(judged(4));
  EXPECT_TRUE(first_hop_becomes("2001:db8:9::22", "fe80::3")) << first_hop("2001:db8:9::22");
  EXPECT_EQ(inspector_->reasons(),
            (Reasons{"redirect-not-from-gateway", "redirect-datagram-not-ours",
                     "redirect-link-layer-mismatch", "pass"}));
}

}  // namespace
}  // namespace icmpwall::integration
