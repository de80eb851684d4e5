// SPDX-License-Identifier: GPL-2.0-or-later
// Reading the kernel's ICMP sysctls from a fake /proc/sys tree, and the
// kernel's per-interface combination rules (include/linux/inetdevice.h,
// net/ipv6): values, files not present, content that is not a number,
// files that cannot be read, and every rule both ways.
#include "icmpwall/audit/kernel_sysctl.h"

#include <gmock/gmock.h>
#include <sys/stat.h>

#include "fake_proc_sys.h"

namespace icmpwall::audit {
namespace {

using testing::FakeProcSys;
using ::testing::HasSubstr;

const ConfSysctls& iface(const KernelSysctls& k, const std::string& name) {
  for (const auto& i : k.interfaces)
    if (i.name == name) return i;
  throw std::runtime_error("no interface " + name);
}

TEST(KernelSysctlTest, ReadsGlobalsAllDefaultAndEachInterface) {
  FakeProcSys proc;
  proc.defaults();
  proc.set("net.ipv4.icmp_echo_ignore_all", "1");
  proc.interface("eth1");
  proc.interface("eth0", false);  // no IPv6 on it
  auto k = read_sysctls(proc.root());
  EXPECT_EQ(k.echo_ignore_all.number(), 1);
  EXPECT_EQ(k.echo_ignore_all.describe(), "net.ipv4.icmp_echo_ignore_all = 1");
  EXPECT_EQ(k.ratemask.number(), 6168);
  EXPECT_EQ(k.ratemask6.text, "0-1,3-127");
  EXPECT_EQ(k.ratemask6.number(), std::nullopt) << "a list, not a number";
  EXPECT_EQ(k.all.accept_redirects.number(), 0);
  EXPECT_EQ(k.all.accept_redirects.name, "net.ipv4.conf.all.accept_redirects");
  EXPECT_EQ(k.dflt.accept_ra.name, "net.ipv6.conf.default.accept_ra");
  ASSERT_EQ(k.interfaces.size(), 3u);  // by name, all and default apart
  EXPECT_EQ(k.interfaces[0].name, "eth0");
  EXPECT_EQ(k.interfaces[1].name, "eth1");
  EXPECT_EQ(k.interfaces[2].name, "lo");
  EXPECT_EQ(iface(k, "eth0").accept_redirects.number(), 1);
  EXPECT_EQ(iface(k, "eth0").accept_ra.state, Sysctl::State::absent);
  EXPECT_EQ(iface(k, "eth1").accept_ra.number(), 1);
  EXPECT_TRUE(k.problems.empty());
}

TEST(KernelSysctlTest, MissingFilesAreNotPresentAndMissingTreesEmpty) {
  FakeProcSys proc;
  proc.set("net.ipv4.icmp_echo_ignore_all", "0");
  auto k = read_sysctls(proc.root());
  EXPECT_EQ(k.echo_ignore_all.state, Sysctl::State::value);
  EXPECT_EQ(k.ratemask6.state, Sysctl::State::absent);
  EXPECT_EQ(k.ratemask6.describe(), "net.ipv6.icmp.ratemask not present");
  EXPECT_TRUE(k.interfaces.empty());
  EXPECT_TRUE(k.problems.empty()) << "a tree that does not exist is not a problem";
  auto none = read_sysctls(proc.root() + "/no-such-dir");
  EXPECT_EQ(none.echo_ignore_all.state, Sysctl::State::absent);
}

TEST(KernelSysctlTest, BadContentIsUnreadableWithItsPathNeverACrash) {
  FakeProcSys proc;
  proc.set("net.ipv4.icmp_echo_ignore_all", "yes");
  proc.set("net.ipv4.icmp_ratelimit", std::string(200, '1'));  // over the bound
  proc.set("net.ipv4.icmp_ratemask", "");                      // empty: not a number
  proc.set("net.ipv4.icmp_echo_ignore_broadcasts", "-");
  proc.set("net.ipv6.icmp.ratemask", "0-1;3");
  proc.set("net.ipv6.icmp.ratelimit", std::string("1\0"
                                                  "2",
                                                  3));
  std::filesystem::create_directories(proc.path("net/ipv6/icmp/echo_ignore_all"));  // a directory
  ASSERT_EQ(::mkfifo(proc.path("net/ipv6/icmp/echo_ignore_anycast").c_str(), 0600), 0);
  auto k = read_sysctls(proc.root());
  for (const Sysctl* s :
       {&k.echo_ignore_all, &k.ratelimit, &k.ratemask, &k.echo_ignore_broadcasts, &k.ratemask6,
        &k.ratelimit6, &k.echo_ignore_all6, &k.echo_ignore_anycast6}) {
    EXPECT_EQ(s->state, Sysctl::State::unreadable) << s->describe();
    EXPECT_THAT(s->problem, HasSubstr(proc.root() + "/net/")) << s->describe();
    EXPECT_EQ(s->number(), std::nullopt);
  }
  EXPECT_THAT(k.ratelimit.problem, HasSubstr("larger than 64 bytes"));
  EXPECT_THAT(k.echo_ignore_all.describe(),
              HasSubstr("net.ipv4.icmp_echo_ignore_all unreadable ("));
  EXPECT_THAT(k.echo_ignore_anycast6.problem, HasSubstr("FIFO"));
}

TEST(KernelSysctlTest, NegativeNumbersAndTrailingWhitespaceRead) {
  FakeProcSys proc;
  proc.set("net.ipv4.icmp_ratelimit", "-1\t");
  auto k = read_sysctls(proc.root());
  EXPECT_EQ(k.ratelimit.number(), -1);
}

// all and one interface with the given values; forwarding on the interface.
struct V4 {
  const char* all;
  const char* dev;
  const char* fwd;
};

Combined v4_redirects(V4 v) {
  FakeProcSys proc;
  proc.defaults();
  proc.interface("h0");
  proc.set("net.ipv4.conf.all.accept_redirects", v.all);
  proc.set("net.ipv4.conf.h0.accept_redirects", v.dev);
  proc.set("net.ipv4.conf.h0.forwarding", v.fwd);
  auto k = read_sysctls(proc.root());
  return v4_accept_redirects(k, iface(k, "h0"));
}

TEST(KernelSysctlTest, V4AcceptRedirectsIsEitherOnAHostBothOnAForwardingInterface) {
  // IN_DEV_RX_REDIRECTS
  EXPECT_EQ(v4_redirects({"0", "1", "0"}).on, true);
  EXPECT_EQ(v4_redirects({"1", "0", "0"}).on, true);
  EXPECT_EQ(v4_redirects({"0", "0", "0"}).on, false);
  EXPECT_EQ(v4_redirects({"0", "1", "1"}).on, false);
  EXPECT_EQ(v4_redirects({"1", "0", "1"}).on, false);
  EXPECT_EQ(v4_redirects({"1", "1", "1"}).on, true);
  auto c = v4_redirects({"0", "1", "1"});
  EXPECT_THAT(c.why, HasSubstr("net.ipv4.conf.all.accept_redirects = 0, "
                               "net.ipv4.conf.h0.accept_redirects = 1"));
  EXPECT_THAT(c.why, HasSubstr("net.ipv4.conf.h0.forwarding = 1: forwarding, both needed"));
  // forwarding unreadable: known only where both rules agree
  EXPECT_EQ(v4_redirects({"1", "1", "x"}).on, true);
  EXPECT_EQ(v4_redirects({"0", "0", "x"}).on, false);
  EXPECT_EQ(v4_redirects({"0", "1", "x"}).on, std::nullopt);
}

TEST(KernelSysctlTest, V4SecureSharedAreEitherRpFilterTheLarger) {
  FakeProcSys proc;
  proc.defaults();
  proc.interface("h0");
  proc.set("net.ipv4.conf.all.secure_redirects", "0");
  proc.set("net.ipv4.conf.h0.secure_redirects", "1");
  proc.set("net.ipv4.conf.all.shared_media", "0");
  proc.set("net.ipv4.conf.h0.shared_media", "0");
  proc.set("net.ipv4.conf.all.rp_filter", "2");
  proc.set("net.ipv4.conf.h0.rp_filter", "1");
  auto k = read_sysctls(proc.root());
  const auto& h0 = iface(k, "h0");
  EXPECT_EQ(v4_secure_redirects(k, h0).on, true);
  EXPECT_EQ(v4_shared_media(k, h0).on, false);
  std::string why;
  EXPECT_EQ(v4_rp_filter(k, h0, &why), 2);
  EXPECT_EQ(why, "net.ipv4.conf.all.rp_filter = 2, net.ipv4.conf.h0.rp_filter = 1");
  EXPECT_EQ(v4_forwarding(h0).on, false);
}

Combined v6(const char* key, const char* value, const char* fwd, bool ra) {
  FakeProcSys proc;
  proc.defaults();
  proc.interface("h0");
  proc.set(std::string("net.ipv6.conf.h0.") + key, value);
  proc.set("net.ipv6.conf.h0.forwarding", fwd);
  auto k = read_sysctls(proc.root());
  return ra ? v6_accept_ra(iface(k, "h0")) : v6_accept_redirects(iface(k, "h0"));
}

TEST(KernelSysctlTest, V6RedirectsNeverOnAForwardingInterfaceRaNeedsTwoThere) {
  EXPECT_EQ(v6("accept_redirects", "1", "0", false).on, true);
  EXPECT_EQ(v6("accept_redirects", "0", "0", false).on, false);
  EXPECT_EQ(v6("accept_redirects", "1", "1", false).on, false);
  EXPECT_EQ(v6("accept_ra", "1", "0", true).on, true);
  EXPECT_EQ(v6("accept_ra", "0", "0", true).on, false);
  EXPECT_EQ(v6("accept_ra", "1", "1", true).on, false);
  EXPECT_EQ(v6("accept_ra", "2", "1", true).on, true);
  EXPECT_THAT(v6("accept_ra", "1", "1", true).why, HasSubstr("accept_ra = 2 needed"));
}

// ignore_routes_with_linkdown: IPv4 all || IF (ip_ignore_linkdown,
// IN_DEV_ORCONF); IPv6 the interface's own (ip6_ignore_linkdown).
TEST(KernelSysctlTest, IgnoreRoutesWithLinkdownV4EitherV6TheInterfacesOwn) {
  FakeProcSys proc;
  proc.defaults();
  proc.interface("h0");
  auto read = [&](const char* all4, const char* dev4, const char* all6, const char* dev6) {
    proc.set("net.ipv4.conf.all.ignore_routes_with_linkdown", all4);
    proc.set("net.ipv4.conf.h0.ignore_routes_with_linkdown", dev4);
    proc.set("net.ipv6.conf.all.ignore_routes_with_linkdown", all6);
    proc.set("net.ipv6.conf.h0.ignore_routes_with_linkdown", dev6);
    auto k = read_sysctls(proc.root());
    return std::pair{v4_ignore_routes_with_linkdown(k, iface(k, "h0")),
                     v6_ignore_routes_with_linkdown(iface(k, "h0"))};
  };
  auto [v4, v6] = read("0", "0", "0", "0");
  EXPECT_EQ(v4.on, false);
  EXPECT_EQ(v6.on, false);
  std::tie(v4, v6) = read("1", "0", "1", "0");
  EXPECT_EQ(v4.on, true) << "all suffices for IPv4";
  EXPECT_EQ(v6.on, false) << "IPv6 reads the interface's own only";
  EXPECT_EQ(v4.why,
            "net.ipv4.conf.all.ignore_routes_with_linkdown = 1, "
            "net.ipv4.conf.h0.ignore_routes_with_linkdown = 0");
  EXPECT_EQ(v6.why, "net.ipv6.conf.h0.ignore_routes_with_linkdown = 0");
  std::tie(v4, v6) = read("0", "1", "0", "1");
  EXPECT_EQ(v4.on, true);
  EXPECT_EQ(v6.on, true);
  std::tie(v4, v6) = read("0", "x", "0", "x");
  EXPECT_EQ(v4.on, std::nullopt);
  EXPECT_EQ(v6.on, std::nullopt);
  std::tie(v4, v6) = read("1", "x", "1", "x");
  EXPECT_EQ(v4.on, true) << "all = 1 decides whatever the interface says";
}

// IPv6 forwarding of what arrives on an interface (ip6_forward):
// all.forwarding or the interface's force_forwarding, where the kernel has
// it.
TEST(KernelSysctlTest, V6ForwardingIsAllOrTheInterfacesForceForwarding) {
  FakeProcSys proc;
  proc.defaults();
  proc.interface("h0");
  auto fwd = [&] {
    auto k = read_sysctls(proc.root());
    return v6_forwarding(k, iface(k, "h0"));
  };
  EXPECT_EQ(fwd().on, false);
  EXPECT_EQ(fwd().why, "net.ipv6.conf.all.forwarding = 0, net.ipv6.conf.h0.force_forwarding = 0");
  proc.set("net.ipv6.conf.h0.force_forwarding", "1");
  EXPECT_EQ(fwd().on, true);
  proc.set("net.ipv6.conf.h0.force_forwarding", "0");
  proc.set("net.ipv6.conf.all.forwarding", "1");
  EXPECT_EQ(fwd().on, true);
  // a kernel without force_forwarding: all.forwarding alone, and said
  std::filesystem::remove(proc.path("net/ipv6/conf/h0/force_forwarding"));
  proc.set("net.ipv6.conf.all.forwarding", "0");
  EXPECT_EQ(fwd().on, false);
  EXPECT_THAT(fwd().why, HasSubstr("net.ipv6.conf.h0.force_forwarding not present (no "
                                   "per-interface forwarding on this kernel)"));
  proc.set("net.ipv6.conf.h0.force_forwarding", "x");
  EXPECT_EQ(fwd().on, std::nullopt);
}

TEST(KernelSysctlTest, NewerSettingsAreReadAndListed) {
  FakeProcSys proc;
  proc.defaults();
  proc.interface("h0");
  proc.set("net.ipv4.icmp_echo_enable_probe", "1");
  auto k = read_sysctls(proc.root());
  EXPECT_EQ(k.echo_enable_probe.number(), 1);
  EXPECT_EQ(iface(k, "h0").ignore_routes_with_linkdown.name,
            "net.ipv4.conf.h0.ignore_routes_with_linkdown");
  EXPECT_EQ(iface(k, "h0").force_forwarding6.name, "net.ipv6.conf.h0.force_forwarding");
  std::vector<std::string> names;
  for (const Sysctl* s : k.every()) names.push_back(s->name);
  for (const char* n :
       {"net.ipv4.icmp_echo_enable_probe", "net.ipv4.conf.h0.ignore_routes_with_linkdown",
        "net.ipv6.conf.h0.ignore_routes_with_linkdown", "net.ipv6.conf.all.force_forwarding"})
    EXPECT_THAT(names, ::testing::Contains(n));
  EXPECT_FALSE(k.links.read) << "a tree has no links";
}

TEST(KernelSysctlTest, V6RatemaskListsOfTypesAndRanges) {
  EXPECT_EQ(in_v6_ratemask("0-1,3-127", 1), true);
  EXPECT_EQ(in_v6_ratemask("0-1,3-127", 2), false);
  EXPECT_EQ(in_v6_ratemask("0-1,3-127", 127), true);
  EXPECT_EQ(in_v6_ratemask("0-1,3-127", 128), false);
  EXPECT_EQ(in_v6_ratemask("129", 129), true);
  EXPECT_EQ(in_v6_ratemask("", 1), false);
  EXPECT_EQ(in_v6_ratemask("3-300", 4), std::nullopt);
  EXPECT_EQ(in_v6_ratemask("a", 4), std::nullopt);
  EXPECT_EQ(in_v6_ratemask("1-", 4), std::nullopt);
}

}  // namespace
}  // namespace icmpwall::audit
