// SPDX-License-Identifier: GPL-2.0-or-later
// The audit's kernel part against a real kernel: the sysctls are read in
// the namespace audited (the reading thread's), and the effective outcome
// the audit reports is what real traffic meets.
//
//   peer p0 198.18.61.1/24 2001:db8:61::1/64 —— h0 198.18.61.2/24 2001:db8:61::2/64 host
//
// Echo: the host preset applied, then net.ipv4.icmp_echo_ignore_all = 1
// (net.ipv6.icmp.echo_ignore_all = 1): the audit names the sysctl and says
// the echo is ignored, the preset's rule still counts the requests, and
// ping gets no reply; with the sysctl at 0 it does.
//
// Redirects (IPv4, no ruleset: the firewall accepts them): the host routes
// 198.18.69.0/24 via 198.18.61.1, the peer (the gateway) sends a redirect
// to 198.18.61.3 (its second address) as an Ethernet frame. Whether the
// kernel took it is read from `ip route get` once the host's IcmpInRedirects
// counter says the redirect has been received (the kernel decides as it
// counts it): with accept_redirects 0 everywhere it is ignored; with
// all = 0 and h0 = 1 it is taken on a host (either suffices) but not once
// h0 forwards (both needed); without shared_media, secure_redirects takes it
// only to the gateway of a route it has. Each time the audit says the same.
// PROBE (RFC 8335): an extended echo request about h0 from the peer is
// answered (an extended echo reply, received by the sender) only with
// net.ipv4.icmp_echo_enable_probe = 1 (both families), and not while the
// family's echo_ignore_all is on, as the audit says.
//
// All sysctls are set inside the test's namespaces, never the root one.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <tuple>

#include "harness.h"
#include "icmpwall/audit/kernel_sysctl.h"
#include "icmpwall/netlink/netns.h"

namespace icmpwall::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

const Millis kTimeout{5000};

// A counter of `ns`'s /proc/net/snmp: `name` of the `section` ("Icmp",
// "IcmpMsg"); none where the section does not list it.
std::optional<long> snmp(const Netns& ns, const std::string& section, const std::string& name) {
  auto r = ns.run({"cat", "/proc/net/snmp"}, {kTimeout});
  std::istringstream lines(r.out);
  std::string names, values;
  while (std::getline(lines, names))
    if (names.rfind(section + ": ", 0) == 0 && std::getline(lines, values)) break;
  std::istringstream n(names), v(values);
  std::string key, value;
  while (n >> key && v >> value)
    if (key == name) return std::stol(value);
  return std::nullopt;
}

// A redirect from `src` (the current gateway) to `dst` naming `gw`, for
// destination `to`: quoting an echo reply `dst` sent, which the kernel acts
// on without a socket. argv: iface dmac src dst gw to.
constexpr const char* kRedirect = R"PY(
import sys
from scapy.all import Ether, IP, ICMP, sendp, raw, conf
conf.verb = 0
iface, dmac, src, dst, gw, to = sys.argv[1:7]
inner = IP(src=dst, dst=to, proto=1) / ICMP(type=0, id=0x4242, seq=1)
sendp(Ether(dst=dmac) / IP(src=src, dst=dst) / ICMP(type=5, code=1, gw=gw) / raw(inner)[:28],
      iface=iface)
)PY";

// An RFC 8335 extended echo request (L bit set) asking about the interface
// named `name`, over a raw socket; then, for at most a second, the
// extended echo reply from `dst`: prints "reply" or "no reply". argv: 4|6
// dst name.
constexpr const char* kProbe = R"PY(
import socket, struct, sys, time
fam, dst, name = sys.argv[1:4]
obj = name.encode() + b"\0" * (-len(name) % 4)
ext = bytes([0x20, 0, 0, 0]) + struct.pack("!HBB", 4 + len(obj), 3, 1) + obj
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
if fam == "4":
    msg = struct.pack("!BBHHH", 42, 0, 0, 0x4242, 0x0101) + ext
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    at, want = 20, 43  # the IPv4 header comes with it
else:  # the kernel fills in the ICMPv6 checksum
    msg = struct.pack("!BBHHH", 160, 0, 0, 0x4242, 0x0101) + ext
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    at, want = 0, 161
s.sendto(msg, (dst, 0))
end = time.monotonic() + 1
while (left := end - time.monotonic()) > 0:
    s.settimeout(left)
    try:
        data, src = s.recvfrom(4096)
    except socket.timeout:
        break
    if src[0] == dst and len(data) > at and data[at] == want:
        print("reply")
        sys.exit(0)
print("no reply")
)PY";

class AuditKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ICMPWALL_REQUIRE_ROOT();
    peer_ = std::make_unique<Netns>();
    host_ = std::make_unique<Netns>();
    link_veth(*peer_, "p0", *host_, "h0");
    for (auto [ns, dev, n] : {std::tuple{peer_.get(), "p0", 1}, {host_.get(), "h0", 2}})
      for (const auto& cidr :
           {fmt::format("198.18.61.{}/24", n), fmt::format("2001:db8:61::{}/64", n)})
        ns->add_address(dev, cidr);
  }

  // `icmpwall audit --netns HOST args...`: its result.
  CommandResult audit(const Argv& extra) const {
    Argv args = {"audit", "--netns", host_->name()};
    args.insert(args.end(), extra.begin(), extra.end());
    return icmpwall(args);
  }
  // The JSON entry of `family` `hook` `type` (code 0) of `audit --json`.
  json entry(const std::string& family, const std::string& hook, const std::string& type) const {
    auto r = audit({"--json", "--family", family, "--hook", hook, "--type", type});
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    auto j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("entries")) return json();
    for (const auto& e : j["entries"])
      if (e["code"] == 0) return e;
    return json();
  }

  std::unique_ptr<Netns> peer_, host_;
};

// /proc/sys/net is the namespace of the thread that reads it: a thread in
// the host namespace and one in the root namespace read at the same time
// and each sees its own.
TEST_F(AuditKernelTest, ProcSysIsTheReadingThreadsNamespace) {
  const auto root = audit::read_sysctls();
  auto root_limit = root.ratelimit.number();
  ASSERT_TRUE(root_limit) << root.ratelimit.describe();
  // stored in jiffies: a whole number of seconds reads back as written
  const std::string mine = *root_limit == 2000 ? "3000" : "2000";
  host_->sysctl("net.ipv4.icmp_ratelimit", mine);
  host_->sysctl("net.ipv4.conf.h0.rp_filter", "2");

  audit::KernelSysctls inside, outside;
  std::string error;
  std::thread t([&] {
    auto ns = netlink::EnterNetns::open(host_->name());
    if (!ns) {
      error = ns.error().message;
      return;
    }
    inside = audit::read_sysctls();
  });
  std::thread u([&] { outside = audit::read_sysctls(); });
  t.join();
  u.join();
  ASSERT_EQ(error, "");
  EXPECT_EQ(inside.ratelimit.text, mine);
  EXPECT_EQ(outside.ratelimit.number(), root_limit);
  std::vector<std::string> names;
  for (const auto& i : inside.interfaces) names.push_back(i.name);
  EXPECT_EQ(names, (std::vector<std::string>{"h0", "lo"}));
  ASSERT_EQ(inside.interfaces.size(), 2u);
  EXPECT_EQ(inside.interfaces[0].rp_filter.text, "2");
  for (const auto& i : outside.interfaces) EXPECT_NE(i.name, "h0");
  EXPECT_TRUE(inside.problems.empty());
}

// host preset + echo_ignore_all: the audit and ping agree, per family.
class AuditKernelEchoTest : public AuditKernelTest,
                            public ::testing::WithParamInterface<const char*> {};

TEST_P(AuditKernelEchoTest, EchoIgnoreAllIsWhatPingMeets) {
  const bool v4 = std::string(GetParam()) == "ipv4";
  const std::string sysctl = v4 ? "net.ipv4.icmp_echo_ignore_all" : "net.ipv6.icmp.echo_ignore_all";
  const std::string dst = v4 ? "198.18.61.2" : "2001:db8:61::2";
  auto applied = apply_policy(*host_, preset_path("host"));
  ASSERT_TRUE(applied.ok()) << applied.describe();

  // 0: no kernel effect, ping answered
  auto e = entry(GetParam(), "input", "echo-request");
  ASSERT_TRUE(e.contains("kernel")) << e.dump();
  EXPECT_EQ(e["kernel"]["effective"], nullptr) << e.dump();
  auto p = ping(*peer_, dst);
  EXPECT_EQ(p.received, 3) << p.describe();

  // 1: ignored, and the audit says so
  host_->sysctl(sysctl, "1");
  auto text = audit({"--type", "echo-request", "--family", GetParam()});
  ASSERT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_THAT(text.out,
              HasSubstr("kernel: " + std::string(GetParam()) + " input echo-request (type " +
                        (v4 ? "8" : "128") + " code 0): queued by inet icmpwall "));
  EXPECT_THAT(text.out, HasSubstr("; ignored by the kernel: " + sysctl + " = 1\n"));
  e = entry(GetParam(), "input", "echo-request");
  EXPECT_EQ(e["outcome"], "queued") << "the ruleset's own outcome is unchanged";
  EXPECT_EQ(e["kernel"]["effective"], "ignored") << e.dump();
  EXPECT_EQ(e["kernel"]["decided_by"][0], sysctl + " = 1");
  auto explain =
      audit({"--explain", "--family", GetParam(), "--hook", "input", "--type", "echo-request"});
  EXPECT_THAT(explain.out, HasSubstr("kernel:\n  effective: ignored\n")) << explain.describe();

  // ... and real traffic: the firewall passes the requests, the kernel
  // answers none
  auto before = read_counters(*host_, "icmpwall");
  p = ping(*peer_, dst);
  EXPECT_EQ(p.transmitted, 3) << p.describe();
  EXPECT_EQ(p.received, 0) << p.describe();
  auto d = counter_deltas(before, read_counters(*host_, "icmpwall"));
  EXPECT_EQ(d[rule_counter("echo-request")], 3u) << "the firewall let them in";

  // the other family is not touched
  const std::string other = v4 ? "2001:db8:61::2" : "198.18.61.2";
  EXPECT_EQ(ping(*peer_, other).received, 3);
}

INSTANTIATE_TEST_SUITE_P(Families, AuditKernelEchoTest, ::testing::Values("ipv4", "ipv6"));

// PROBE: the audit and the host's extended echo replies agree, per family.
class AuditKernelProbeTest : public AuditKernelTest,
                             public ::testing::WithParamInterface<const char*> {
 protected:
  bool v4() const { return std::string(GetParam()) == "ipv4"; }
  std::string host_addr() const { return v4() ? "198.18.61.2" : "2001:db8:61::2"; }
  // Whether the host answers an extended echo request about h0.
  bool answers_probe() const {
    auto r =
        peer_->run({"python3", probe_.path(), v4() ? "4" : "6", host_addr(), "h0"}, {kTimeout});
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_THAT(r.out, ::testing::AnyOf(HasSubstr("no reply"), HasSubstr("reply")));
    return r.out == "reply\n";
  }
  TempFile probe_{kProbe, ".py"};
};

TEST_P(AuditKernelProbeTest, EchoEnableProbeIsWhatAnExtendedEchoMeets) {
  const std::string type = "extended-echo-request";
  // the kernel's default: 0, ignored
  auto e = entry(GetParam(), "input", type);
  ASSERT_TRUE(e.contains("kernel")) << e.dump();
  EXPECT_EQ(e["kernel"]["effective"], "ignored") << e.dump();
  EXPECT_EQ(e["kernel"]["decided_by"][0], "net.ipv4.icmp_echo_enable_probe = 0");
  auto text = audit({"--family", GetParam(), "--hook", "input", "--type", type});
  EXPECT_THAT(text.out, HasSubstr(fmt::format("kernel: {} input extended-echo-request (type {} "
                                              "code 0): accepted (no rule); ignored by the "
                                              "kernel: net.ipv4.icmp_echo_enable_probe = 0\n",
                                              GetParam(), v4() ? 42 : 160)))
      << text.describe();
  EXPECT_FALSE(answers_probe());

  // 1: answered, and the audit says what the answer tells
  host_->sysctl("net.ipv4.icmp_echo_enable_probe", "1");
  e = entry(GetParam(), "input", type);
  EXPECT_EQ(e["kernel"]["effective"], nullptr) << e.dump();
  EXPECT_THAT(e["kernel"]["notes"].dump(),
              HasSubstr("answered by the kernel (net.ipv4.icmp_echo_enable_probe = 1)"));
  EXPECT_TRUE(answers_probe());

  // the echo setting of the family comes first
  host_->sysctl(v4() ? "net.ipv4.icmp_echo_ignore_all" : "net.ipv6.icmp.echo_ignore_all", "1");
  e = entry(GetParam(), "input", type);
  EXPECT_EQ(e["kernel"]["effective"], "ignored") << e.dump();
  EXPECT_THAT(e["kernel"]["text"].get<std::string>(), HasSubstr("echo_ignore_all = 1"));
  EXPECT_FALSE(answers_probe());
}

INSTANTIATE_TEST_SUITE_P(Families, AuditKernelProbeTest, ::testing::Values("ipv4", "ipv6"));

// `audit --policy`: the kernel contradicting the policy is a warning, not
// drift.
TEST_F(AuditKernelTest, PolicyAuditWarnsWithoutDrift) {
  auto applied = apply_policy(*host_, preset_path("host"));
  ASSERT_TRUE(applied.ok()) << applied.describe();
  auto r = audit({"--policy", preset_path("host")});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_THAT(r.out, Not(HasSubstr("warning:")));
  host_->sysctl("net.ipv4.icmp_echo_ignore_all", "1");
  r = audit({"--policy", preset_path("host")});
  EXPECT_EQ(r.exit_code, 0) << "a warning is not drift: " << r.describe();
  EXPECT_THAT(r.out, HasSubstr("warning: the policy lets ipv4 echo-request in (queued by inet "
                               "icmpwall "));
  EXPECT_THAT(r.out, HasSubstr("but ignored by the kernel: net.ipv4.icmp_echo_ignore_all = 1\n"));
  EXPECT_THAT(r.out, HasSubstr("no drift"));
  auto j = json::parse(audit({"--policy", preset_path("host"), "--json"}).out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["drift"], false);
  ASSERT_EQ(j["warnings"].size(), 1u) << j.dump();
  EXPECT_THAT(j["warnings"][0].get<std::string>(), HasSubstr("net.ipv4.icmp_echo_ignore_all"));
}

class AuditKernelRedirectTest : public AuditKernelTest {
 protected:
  void SetUp() override {
    AuditKernelTest::SetUp();
    if (IsSkipped()) return;
    ICMPWALL_REQUIRE_CRAFT();
    sender_ = std::make_unique<TempFile>(kRedirect, ".py");
    peer_->add_address("p0", "198.18.61.3/24");  // the better gateway
    host_->add_route("198.18.69.0/24", "198.18.61.1");
    host_mac_ = host_->mac_of("h0");
    // the new gateway's neighbour entry is valid: the kernel then takes a
    // redirect at once
    for (const char* dst : {"198.18.61.1", "198.18.61.3"}) {
      auto r = host_->run({"ping", "-n", "-c", "1", "-W", "2", dst}, {Millis(10'000)});
      ASSERT_TRUE(r.ok()) << r.describe();
    }
    for (const char* key :
         {"net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.h0.accept_redirects"})
      host_->sysctl(key, "0");
  }

  // The host's IcmpInRedirects.
  long in_redirects() const { return snmp(*host_, "Icmp", "InRedirects").value_or(-1); }

  // Sends the gateway's redirect for `to` and waits until the host has
  // received it; then the first hop the host uses towards `to`.
  std::string redirect(const std::string& to) {
    const long before = in_redirects();
    auto r = peer_->run({python_with_scapy(), sender_->path(), "p0", host_mac_, "198.18.61.1",
                         "198.18.61.2", "198.18.61.3", to},
                        {Millis(30'000)});
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(poll_until([&] { return in_redirects() > before; }, kTimeout))
        << "the redirect never arrived";
    auto route = host_->run({"ip", "-j", "route", "get", to}, {kTimeout});
    auto j = json::parse(route.out, nullptr, false);
    if (j.is_discarded() || j.empty()) return "error: " + route.describe();
    return j.at(0).value("gateway", "");
  }

  json redirect_entry() const { return entry("ipv4", "input", "redirect")["kernel"]; }

  std::unique_ptr<TempFile> sender_;
  std::string host_mac_;
};

TEST_F(AuditKernelRedirectTest, AcceptRedirectsPerInterfaceIsWhatTheRouteCacheMeets) {
  // 0 everywhere: ignored
  auto k = redirect_entry();
  EXPECT_EQ(k["effective"], "ignored") << k.dump();
  EXPECT_EQ(k["interfaces"]["taken"].size(), 0u) << k.dump();
  auto text = audit({"--family", "ipv4", "--hook", "input", "--type", "redirect"});
  EXPECT_THAT(text.out, HasSubstr("kernel: ipv4 input redirect (type 5 code 0): accepted (no "
                                  "rule); ignored by the kernel on every interface; h0: "
                                  "net.ipv4.conf.all.accept_redirects = 0, "
                                  "net.ipv4.conf.h0.accept_redirects = 0"))
      << text.describe();
  EXPECT_EQ(redirect("198.18.69.10"), "198.18.61.1") << "taken with accept_redirects = 0";

  // h0 = 1, all = 0, a host: either suffices
  host_->sysctl("net.ipv4.conf.h0.accept_redirects", "1");
  k = redirect_entry();
  EXPECT_EQ(k["effective"], nullptr) << k.dump();
  ASSERT_EQ(k["interfaces"]["taken"].size(), 1u) << k.dump();
  EXPECT_THAT(k["interfaces"]["taken"][0].get<std::string>(),
              HasSubstr("h0 (from the destination's current gateway, to any unicast gateway"));
  EXPECT_EQ(redirect("198.18.69.11"), "198.18.61.3") << "not taken with h0.accept_redirects = 1";

  // h0 forwards: all && h0 needed
  host_->sysctl("net.ipv4.conf.h0.forwarding", "1");
  k = redirect_entry();
  EXPECT_EQ(k["effective"], "ignored") << k.dump();
  EXPECT_THAT(k["text"].get<std::string>(), HasSubstr("forwarding, both needed"));
  EXPECT_EQ(redirect("198.18.69.12"), "198.18.61.1") << "taken on a forwarding interface";
}

TEST_F(AuditKernelRedirectTest, SecureRedirectsOnlyToAKnownGatewayWithoutSharedMedia) {
  host_->sysctl("net.ipv4.conf.h0.accept_redirects", "1");
  for (const char* key : {"net.ipv4.conf.all.shared_media", "net.ipv4.conf.h0.shared_media"})
    host_->sysctl(key, "0");
  auto k = redirect_entry();
  ASSERT_EQ(k["interfaces"]["taken"].size(), 1u) << k.dump();
  EXPECT_THAT(k["interfaces"]["taken"][0].get<std::string>(),
              HasSubstr("to a gateway on h0's network that is already a gateway of a route "
                        "on h0: secure_redirects"));
  // 198.18.61.3 is no route's gateway: not taken
  EXPECT_EQ(redirect("198.18.69.20"), "198.18.61.1");
  // once it is (ip_fib_check_default: any route's gateway on h0)
  host_->add_route("198.18.68.0/24", "198.18.61.3");
  EXPECT_EQ(redirect("198.18.69.21"), "198.18.61.3");
  // secure_redirects off: any gateway on h0's network
  host_->ip({"route", "del", "198.18.68.0/24"});
  for (const char* key :
       {"net.ipv4.conf.all.secure_redirects", "net.ipv4.conf.h0.secure_redirects"})
    host_->sysctl(key, "0");
  k = redirect_entry();
  EXPECT_THAT(k["interfaces"]["taken"][0].get<std::string>(),
              HasSubstr("to a gateway on h0's network)"));
  EXPECT_EQ(redirect("198.18.69.22"), "198.18.61.3");
}

}  // namespace
}  // namespace icmpwall::integration
