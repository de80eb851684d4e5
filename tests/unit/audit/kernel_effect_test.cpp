// SPDX-License-Identifier: GPL-2.0-or-later
// How the kernel's sysctls change what the ruleset decides, on a fake
// /proc/sys tree: echo ignored, redirects and router advertisements taken
// per interface, nothing forwarded, the send rate limits of the messages
// the kernel sends, no effect on what the ruleset drops; the report's text,
// JSON and explanation with the kernel part; and the warnings of
// `audit --policy`.
#include "icmpwall/audit/kernel_effect.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <linux/netfilter.h>

#include <nlohmann/json.hpp>

#include "fake_proc_sys.h"
#include "icmpwall/audit/report.h"

namespace icmpwall::audit {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeProcSys;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Packet packet(policy::Family f, policy::Hook h, uint8_t type, uint8_t code = 0) {
  Packet p;
  p.family = f;
  p.hook = h;
  p.type = type;
  p.code = code;
  return p;
}

const auto v4 = policy::Family::ipv4;
const auto v6 = policy::Family::ipv6;
const auto in = policy::Hook::input;
const auto fwd = policy::Hook::forward;
const auto out = policy::Hook::output;

Evaluation accepted() {
  return {};
}

Evaluation dropped() {
  Evaluation e;
  e.outcome = Outcome::dropped;
  return e;
}

class KernelEffectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proc_.defaults();
    proc_.interface("h0");
  }
  KernelEffect effect(const Packet& p, const Evaluation& e = accepted()) {
    return kernel_effect(p, e, state());
  }
  // The tree and the links set in links_.
  KernelSysctls state() const {
    auto k = read_sysctls(proc_.root());
    k.links = links_;
    return k;
  }
  FakeProcSys proc_;
  Links links_;
};

TEST_F(KernelEffectTest, EchoIgnoredByEchoIgnoreAllBothFamilies) {
  EXPECT_EQ(effect(packet(v4, in, 8)).effective, "");
  proc_.set("net.ipv4.icmp_echo_ignore_all", "1");
  auto fx = effect(packet(v4, in, 8));
  EXPECT_EQ(fx.effective, "ignored");
  EXPECT_EQ(fx.text, "ignored by the kernel: net.ipv4.icmp_echo_ignore_all = 1");
  EXPECT_THAT(fx.decided_by, ElementsAre("net.ipv4.icmp_echo_ignore_all = 1"));
  EXPECT_THAT(fx.notes, ElementsAre("to a broadcast or multicast address: ignored by the kernel "
                                    "(net.ipv4.icmp_echo_ignore_broadcasts = 1)"));
  // what the ruleset drops never reaches the kernel's echo code
  EXPECT_EQ(effect(packet(v4, in, 8), dropped()).effective, "");
  EXPECT_TRUE(effect(packet(v4, in, 8), dropped()).notes.empty());
  // only the echo request on input
  EXPECT_EQ(effect(packet(v4, out, 8)).effective, "");
  EXPECT_EQ(effect(packet(v4, in, 0)).effective, "");

  EXPECT_EQ(effect(packet(v6, in, 128)).effective, "");
  proc_.set("net.ipv6.icmp.echo_ignore_all", "1");
  std::filesystem::remove(proc_.path("net/ipv6/icmp/echo_ignore_anycast"));
  fx = effect(packet(v6, in, 128));
  EXPECT_EQ(fx.effective, "ignored");
  EXPECT_EQ(fx.text, "ignored by the kernel: net.ipv6.icmp.echo_ignore_all = 1");
  EXPECT_THAT(fx.notes, ElementsAre(HasSubstr("to a multicast address: answered"),
                                    "to an anycast address: net.ipv6.icmp.echo_ignore_anycast "
                                    "not present (this kernel has no such setting)"));
}

TEST_F(KernelEffectTest, UnreadableEchoSettingIsSaidNotGuessed) {
  proc_.set("net.ipv4.icmp_echo_ignore_all", "x");
  auto fx = effect(packet(v4, in, 8));
  EXPECT_EQ(fx.effective, "");
  EXPECT_THAT(fx.notes, Contains(HasSubstr("whether the kernel answers is unknown")));
}

TEST_F(KernelEffectTest, V4RedirectsSayWhichInterfacesTakeThem) {
  proc_.interface("h1");
  // a host: all = 0 but each interface 1, so both take them
  auto fx = effect(packet(v4, in, 5));
  EXPECT_EQ(fx.effective, "");
  EXPECT_EQ(fx.text, "");
  EXPECT_EQ(fx.accepted_on.size(), 2u);
  EXPECT_THAT(fx.accepted_on[0], HasSubstr("h0 (from the destination's current gateway, to any "
                                           "unicast gateway: shared_media)"));
  // h1 stops taking them: only h0
  proc_.set("net.ipv4.conf.h1.accept_redirects", "0");
  fx = effect(packet(v4, in, 5));
  EXPECT_EQ(fx.effective, "");
  EXPECT_THAT(fx.text, HasSubstr("taken by the kernel only on h0 ("));
  EXPECT_THAT(fx.text, HasSubstr("; ignored on h1: net.ipv4.conf.all.accept_redirects = 0, "
                                 "net.ipv4.conf.h1.accept_redirects = 0"));
  // h0 forwards: all && h0 needed, all is 0
  proc_.set("net.ipv4.conf.h0.forwarding", "1");
  fx = effect(packet(v4, in, 5));
  EXPECT_EQ(fx.effective, "ignored");
  EXPECT_THAT(fx.text, HasSubstr("ignored by the kernel on every interface; h0: "));
  EXPECT_THAT(fx.text, HasSubstr("forwarding, both needed"));
  EXPECT_TRUE(fx.accepted_on.empty());
  EXPECT_EQ(fx.ignored_on.size(), 2u);
  // the loopback is not an interface redirects arrive on
  for (const auto& i : fx.ignored_on) EXPECT_THAT(i, Not(HasSubstr("lo:")));
}

TEST_F(KernelEffectTest, V4RedirectTermsFollowSharedMediaThenSecureRedirects) {
  proc_.set("net.ipv4.conf.all.shared_media", "0");
  proc_.set("net.ipv4.conf.h0.shared_media", "0");
  auto fx = effect(packet(v4, in, 5));
  ASSERT_EQ(fx.accepted_on.size(), 1u);
  EXPECT_THAT(fx.accepted_on[0], HasSubstr("to a gateway on h0's network that is already a "
                                           "gateway of a route on h0: secure_redirects"));
  proc_.set("net.ipv4.conf.all.secure_redirects", "0");
  proc_.set("net.ipv4.conf.h0.secure_redirects", "0");
  fx = effect(packet(v4, in, 5));
  ASSERT_EQ(fx.accepted_on.size(), 1u);
  EXPECT_THAT(fx.accepted_on[0], HasSubstr("to a gateway on h0's network)"));
}

TEST_F(KernelEffectTest, V6RedirectsAndRouterAdvertisementsPerInterface) {
  EXPECT_EQ(effect(packet(v6, in, 137)).effective, "");
  EXPECT_EQ(effect(packet(v6, in, 134)).effective, "");
  proc_.set("net.ipv6.conf.h0.forwarding", "1");
  auto fx = effect(packet(v6, in, 137));
  EXPECT_EQ(fx.effective, "ignored");
  EXPECT_THAT(fx.text, HasSubstr("net.ipv6.conf.h0.forwarding = 1"));
  fx = effect(packet(v6, in, 134));
  EXPECT_EQ(fx.effective, "ignored");
  EXPECT_THAT(fx.text, HasSubstr("accept_ra = 2 needed"));
  proc_.set("net.ipv6.conf.h0.accept_ra", "2");
  EXPECT_EQ(effect(packet(v6, in, 134)).effective, "");
}

TEST_F(KernelEffectTest, ForwardHookOnlyWhereTheKernelForwards) {
  auto fx = effect(packet(v4, fwd, 8));
  EXPECT_EQ(fx.effective, "not-forwarded");
  EXPECT_THAT(fx.text, HasSubstr("no interface forwards; net.ipv4.conf.h0.forwarding = 0"));
  proc_.interface("h1");
  proc_.set("net.ipv4.conf.h1.forwarding", "1");
  fx = effect(packet(v4, fwd, 8));
  EXPECT_EQ(fx.effective, "");
  EXPECT_THAT(fx.notes, ElementsAre("forwarded only when received on h1"));

  fx = effect(packet(v6, fwd, 128));
  EXPECT_EQ(fx.effective, "not-forwarded");
  EXPECT_EQ(fx.text,
            "not forwarded by the kernel: net.ipv6.conf.all.forwarding = 0, and no interface's "
            "force_forwarding is on");
  proc_.set("net.ipv6.conf.all.forwarding", "1");
  EXPECT_EQ(effect(packet(v6, fwd, 128)).effective, "");
}

// IPv6 per-interface forwarding (force_forwarding): forwarded what arrives
// on that interface only; a kernel without it says so.
TEST_F(KernelEffectTest, V6ForceForwardingForwardsFromThatInterfaceOnly) {
  proc_.interface("h1");
  proc_.set("net.ipv6.conf.h1.force_forwarding", "1");
  auto fx = effect(packet(v6, fwd, 128));
  EXPECT_EQ(fx.effective, "");
  EXPECT_THAT(fx.notes, Contains("forwarded only when received on h1 (force_forwarding; "
                                 "net.ipv6.conf.all.forwarding = 0)"));
  proc_.set("net.ipv6.conf.h0.force_forwarding", "1");
  EXPECT_THAT(effect(packet(v6, fwd, 128)).notes, Not(Contains(HasSubstr("forwarded only"))));
  for (const char* dev : {"all", "default", "h0", "h1", "lo"})
    std::filesystem::remove(proc_.path(fmt::format("net/ipv6/conf/{}/force_forwarding", dev)));
  fx = effect(packet(v6, fwd, 128));
  EXPECT_EQ(fx.effective, "not-forwarded");
  EXPECT_EQ(fx.text,
            "not forwarded by the kernel: net.ipv6.conf.all.forwarding = 0 (this kernel has no "
            "per-interface force_forwarding)");
}

// RFC 8335 PROBE: ignored unless net.ipv4.icmp_echo_enable_probe (both
// families), after the echo settings; a kernel without it never answers.
TEST_F(KernelEffectTest, ExtendedEchoAnsweredOnlyWithEnableProbe) {
  for (auto [f, type, ignore_all] :
       {std::tuple{v4, uint8_t{42}, "net.ipv4.icmp_echo_ignore_all"},
        std::tuple{v6, uint8_t{160}, "net.ipv6.icmp.echo_ignore_all"}}) {
    SCOPED_TRACE(type);
    proc_.set("net.ipv4.icmp_echo_enable_probe", "0");
    auto fx = effect(packet(f, in, type));
    EXPECT_EQ(fx.effective, "ignored");
    EXPECT_EQ(fx.text, "ignored by the kernel: net.ipv4.icmp_echo_enable_probe = 0");
    EXPECT_THAT(fx.decided_by, ElementsAre("net.ipv4.icmp_echo_enable_probe = 0"));
    EXPECT_EQ(effect(packet(f, in, type), dropped()).effective, "");

    proc_.set("net.ipv4.icmp_echo_enable_probe", "1");
    fx = effect(packet(f, in, type));
    EXPECT_EQ(fx.effective, "");
    EXPECT_THAT(fx.notes, Contains(HasSubstr("answered by the kernel "
                                             "(net.ipv4.icmp_echo_enable_probe = 1) with an "
                                             "extended echo reply that says whether the "
                                             "interface the request names")));
    // the echo setting comes first
    proc_.set(ignore_all, "1");
    fx = effect(packet(f, in, type));
    EXPECT_EQ(fx.effective, "ignored");
    EXPECT_EQ(fx.text, std::string("ignored by the kernel: ") + ignore_all + " = 1");
    proc_.set(ignore_all, "0");

    std::filesystem::remove(proc_.path("net/ipv4/icmp_echo_enable_probe"));
    fx = effect(packet(f, in, type));
    EXPECT_EQ(fx.effective, "ignored");
    EXPECT_EQ(fx.text,
              "ignored by the kernel: net.ipv4.icmp_echo_enable_probe not present (this kernel "
              "does not answer RFC 8335 PROBE)");
    proc_.set("net.ipv4.icmp_echo_enable_probe", "on");
    fx = effect(packet(f, in, type));
    EXPECT_EQ(fx.effective, "");
    EXPECT_THAT(fx.notes, Contains(HasSubstr("whether the kernel answers is unknown")));
  }
  // only the request on input
  EXPECT_EQ(effect(packet(v4, out, 42)).effective, "");
  EXPECT_EQ(effect(packet(v4, in, 43)).effective, "");
}

// Routes through a link that is up without a carrier: skipped where
// ignore_routes_with_linkdown is on (IPv4: all or the interface; IPv6: the
// interface), still used otherwise; said on the forward and output hooks.
TEST_F(KernelEffectTest, RoutesThroughALinkThatIsDown) {
  proc_.interface("h1");
  links_.read = true;
  links_.links = {{"lo", true, true, "unknown"},
                  {"h0", true, false, "lowerlayerdown"},
                  {"h1", true, true, "up"}};
  auto routes = linkdown_routes(state());
  ASSERT_EQ(routes.size(), 2u) << "h0 in each family; h1 has its carrier";
  EXPECT_EQ(routes[0].interface, "h0");
  EXPECT_EQ(routes[0].family, v4);
  EXPECT_EQ(routes[0].skipped, false);
  EXPECT_EQ(routes[0].text,
            "ipv4 routes through h0 are still used though its link is down (up, no carrier "
            "(operstate lowerlayerdown); net.ipv4.conf.all.ignore_routes_with_linkdown = 0, "
            "net.ipv4.conf.h0.ignore_routes_with_linkdown = 0): what they carry is lost, "
            "forwarded ICMP and the kernel's own replies and errors included");
  EXPECT_EQ(routes[1].family, v6);

  proc_.set("net.ipv4.conf.all.ignore_routes_with_linkdown", "1");
  proc_.set("net.ipv6.conf.h0.ignore_routes_with_linkdown", "1");
  routes = linkdown_routes(state());
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].skipped, true);
  EXPECT_EQ(routes[0].why,
            "net.ipv4.conf.all.ignore_routes_with_linkdown = 1, "
            "net.ipv4.conf.h0.ignore_routes_with_linkdown = 0");
  EXPECT_THAT(routes[0].text,
              HasSubstr("ipv4 routes through h0 are skipped: its link is down (up, no carrier "
                        "(operstate lowerlayerdown)) and net.ipv4.conf.all."));
  EXPECT_THAT(routes[0].text, HasSubstr("(either suffices); forwarded ICMP and the kernel's own "
                                        "replies and errors take another route, and where none "
                                        "is left a forwarded packet is answered with "
                                        "destination-unreachable"));
  EXPECT_EQ(routes[1].skipped, true);
  EXPECT_EQ(routes[1].why, "net.ipv6.conf.h0.ignore_routes_with_linkdown = 1");

  // notes: forward and output, per family; never input
  proc_.set("net.ipv4.conf.h1.forwarding", "1");
  EXPECT_THAT(effect(packet(v4, fwd, 8)).notes, Contains(routes[0].text));
  EXPECT_THAT(effect(packet(v4, out, 0)).notes, Contains(routes[0].text));
  EXPECT_THAT(effect(packet(v6, out, 129)).notes, Contains(routes[1].text));
  EXPECT_THAT(effect(packet(v6, out, 129)).notes, Not(Contains(routes[0].text)));
  EXPECT_THAT(effect(packet(v4, in, 8)).notes, Not(Contains(HasSubstr("routes through"))));
  EXPECT_TRUE(effect(packet(v4, out, 0), dropped()).notes.empty());

  // set down: its routes are gone, nothing to skip
  links_.links[1].up = false;
  EXPECT_TRUE(linkdown_routes(state()).empty());
  // links not read: nothing said per link; a failed read is said
  links_ = Links{};
  EXPECT_TRUE(linkdown_routes(state()).empty());
  EXPECT_THAT(effect(packet(v4, out, 0)).notes, Not(Contains(HasSubstr("links"))));
  links_.problem = "reading the links: no answer within a second";
  EXPECT_THAT(effect(packet(v4, out, 0)).notes,
              Contains("the links' state could not be read (reading the links: no answer within "
                       "a second): routes through a link that is down are not said"));
}

// The extended echo reply the kernel sends (161), not the request (160),
// is the one net.ipv6.icmp.ratemask can limit.
TEST_F(KernelEffectTest, V6ExtendedEchoReplyIsWhatTheKernelSends) {
  proc_.set("net.ipv6.icmp.ratemask", "160-161");
  EXPECT_THAT(effect(packet(v6, out, 161)).send_limit, HasSubstr("type 161 in"));
  EXPECT_EQ(effect(packet(v6, out, 160)).send_limit, "") << "the kernel sends no request";
}

TEST_F(KernelEffectTest, SendLimitsOfWhatTheKernelSends) {
  // 6168 = types 3, 4, 11, 12
  auto fx = effect(packet(v4, out, 3));
  EXPECT_EQ(fx.effective, "");
  EXPECT_THAT(fx.send_limit, HasSubstr("at most one per 1000 ms per destination "
                                       "(net.ipv4.icmp_ratelimit = 1000; type 3 in "
                                       "net.ipv4.icmp_ratemask = 6168), fragmentation-needed "
                                       "excepted, and 1000 messages per second in all"));
  EXPECT_EQ(effect(packet(v4, out, 3, 4)).send_limit, "") << "PMTUD is never limited";
  EXPECT_EQ(effect(packet(v4, out, 0)).send_limit, "") << "echo reply not in the mask";
  EXPECT_EQ(effect(packet(v4, out, 8)).send_limit, "") << "the kernel sends no echo request";
  EXPECT_THAT(effect(packet(v4, out, 11)).send_limit, HasSubstr("type 11"));
  EXPECT_EQ(effect(packet(v4, in, 11)).send_limit, "") << "received, not sent";
  EXPECT_EQ(effect(packet(v4, out, 11), dropped()).send_limit, "");
  proc_.set("net.ipv4.icmp_ratemask", "6169");  // + echo reply
  EXPECT_THAT(effect(packet(v4, out, 0)).send_limit, HasSubstr("type 0 in"));
  proc_.set("net.ipv4.icmp_ratelimit", "0");
  EXPECT_THAT(effect(packet(v4, out, 0)).send_limit,
              HasSubstr("not limited per destination (net.ipv4.icmp_ratelimit = 0)"));
  // the error's source address
  EXPECT_THAT(effect(packet(v4, out, 11)).notes,
              Contains(HasSubstr("the interface the error leaves by")));

  // IPv6: net.ipv6.icmp.ratemask where the kernel has it
  EXPECT_THAT(effect(packet(v6, out, 1)).send_limit,
              HasSubstr("at most one per 1000 ms per destination (net.ipv6.icmp.ratelimit = "
                        "1000; type 1 in net.ipv6.icmp.ratemask = 0-1,3-127)"));
  EXPECT_EQ(effect(packet(v6, out, 2)).send_limit, "");
  EXPECT_EQ(effect(packet(v6, out, 129)).send_limit, "");
  // without it (kernels before 5.1): every error but packet-too-big
  std::filesystem::remove(proc_.path("net/ipv6/icmp/ratemask"));
  EXPECT_THAT(effect(packet(v6, out, 3)).send_limit,
              HasSubstr("an error other than packet-too-big; net.ipv6.icmp.ratemask not present"));
  EXPECT_EQ(effect(packet(v6, out, 2)).send_limit, "");
  EXPECT_EQ(effect(packet(v6, out, 129)).send_limit, "");
}

TEST_F(KernelEffectTest, RpFilterIsANoteOnInputAndForward) {
  EXPECT_THAT(effect(packet(v4, in, 8)).notes, Not(Contains(HasSubstr("reverse-path"))));
  proc_.set("net.ipv4.conf.h0.rp_filter", "1");
  EXPECT_THAT(effect(packet(v4, in, 8)).notes,
              Contains(HasSubstr("received on h0: dropped before the input and forward hooks if "
                                 "its source fails the strict reverse-path check")));
}

// The report with the kernel part: a line per entry the kernel changes or
// limits, the sysctls read, JSON fields added to each entry and at the top.
TEST_F(KernelEffectTest, ReportTextJsonAndExplainCarryTheKernel) {
  proc_.set("net.ipv4.icmp_echo_ignore_all", "1");
  std::filesystem::remove(proc_.path("net/ipv6/icmp/echo_ignore_anycast"));
  proc_.set("net.ipv6.icmp.echo_ignore_multicast", "many");
  const auto k = read_sysctls(proc_.root());
  Ruleset rs;  // nothing loaded: everything accepted
  ReportFilter filter;
  filter.family = v4;
  filter.hook = in;
  filter.type = 8;
  auto entries = build_report(rs, filter);
  ASSERT_EQ(entries.size(), 1u);
  const std::string plain = render_text(entries, false);
  const std::string plain_json = render_json(entries);
  for (auto& e : entries) e.kernel = kernel_effect(e.packet, e.evaluation, k);
  EXPECT_EQ(render_text(entries, false), plain) << "no sysctls given: the table alone";

  auto text = render_text(entries, false, &k);
  EXPECT_THAT(text, HasSubstr(plain));
  EXPECT_THAT(text, HasSubstr("kernel: ipv4 input echo-request (type 8 code 0): accepted (no "
                              "rule); ignored by the kernel: net.ipv4.icmp_echo_ignore_all = 1\n"));
  EXPECT_THAT(text, HasSubstr("net.ipv4.icmp_echo_ignore_all = 1, "));
  EXPECT_THAT(text, HasSubstr("kernel sysctls not present: net.ipv6.icmp.echo_ignore_anycast\n"));
  EXPECT_THAT(text,
              HasSubstr("kernel sysctl net.ipv6.icmp.echo_ignore_multicast unreadable (" +
                        proc_.root() + "/net/ipv6/icmp/echo_ignore_multicast: not a number)"));

  auto j = nlohmann::json::parse(render_json(entries, &k));
  const auto& e = j["entries"][0];
  EXPECT_EQ(e["outcome"], "accepted") << "the ruleset's outcome is unchanged";
  EXPECT_EQ(e["kernel"]["effective"], "ignored");
  EXPECT_EQ(e["kernel"]["decided_by"][0], "net.ipv4.icmp_echo_ignore_all = 1");
  EXPECT_EQ(e["kernel"]["send_limit"], nullptr);
  EXPECT_EQ(j["kernel"]["sysctls"]["net.ipv4.icmp_echo_ignore_all"], "1");
  EXPECT_EQ(j["kernel"]["sysctls"]["net.ipv4.conf.h0.accept_redirects"], "1");
  EXPECT_EQ(j["kernel"]["not_present"][0], "net.ipv6.icmp.echo_ignore_anycast");
  EXPECT_EQ(j["kernel"]["unreadable"][0]["sysctl"], "net.ipv6.icmp.echo_ignore_multicast");
  // the JSON without sysctls has no kernel fields at all
  auto none = nlohmann::json::parse(plain_json);
  EXPECT_FALSE(none.contains("kernel"));
  EXPECT_FALSE(none["entries"][0].contains("kernel"));

  auto explain = render_explain(entries[0]);
  EXPECT_THAT(explain, HasSubstr("kernel:\n  effective: ignored\n  ignored by the kernel: "
                                 "net.ipv4.icmp_echo_ignore_all = 1\n"));
}

// A link that is down: a line of the report's kernel part, and in JSON the
// links read and the routes through links that are down.
TEST_F(KernelEffectTest, ReportTextAndJsonCarryLinksThatAreDown) {
  proc_.set("net.ipv4.conf.h0.ignore_routes_with_linkdown", "1");
  links_.read = true;
  links_.links = {{"h0", true, false, "lowerlayerdown"}};
  const auto k = state();
  Ruleset rs;
  ReportFilter filter;
  filter.family = v4;
  filter.hook = out;
  filter.type = 0;
  auto entries = build_report(rs, filter);
  for (auto& e : entries) e.kernel = kernel_effect(e.packet, e.evaluation, k);
  auto text = render_text(entries, false, &k);
  EXPECT_THAT(text, HasSubstr("kernel: ipv4 routes through h0 are skipped: its link is down (up, "
                              "no carrier (operstate lowerlayerdown)) and "));
  EXPECT_THAT(text, HasSubstr("kernel: ipv6 routes through h0 are still used"));
  EXPECT_THAT(text, HasSubstr("net.ipv4.icmp_echo_enable_probe = 0"));
  auto j = nlohmann::json::parse(render_json(entries, &k));
  ASSERT_EQ(j["kernel"]["links"].size(), 1u);
  EXPECT_EQ(j["kernel"]["links"][0]["carrier"], false);
  EXPECT_EQ(j["kernel"]["links"][0]["operstate"], "lowerlayerdown");
  ASSERT_EQ(j["kernel"]["linkdown_routes"].size(), 2u);
  EXPECT_EQ(j["kernel"]["linkdown_routes"][0]["family"], "ipv4");
  EXPECT_EQ(j["kernel"]["linkdown_routes"][0]["skipped"], true);
  EXPECT_EQ(j["kernel"]["linkdown_routes"][1]["skipped"], false);
  EXPECT_EQ(j["kernel"]["sysctls"]["net.ipv4.conf.h0.ignore_routes_with_linkdown"], "1");
  EXPECT_THAT(j["entries"][0]["kernel"]["notes"].dump(), HasSubstr("routes through h0"));
  // links not read: null, and no line
  links_ = Links{};
  const auto none = state();
  EXPECT_EQ(nlohmann::json::parse(render_json(entries, &none))["kernel"]["links"], nullptr);
  EXPECT_THAT(render_text(entries, false, &none), Not(HasSubstr("routes through")));
}

// A host forwards nothing: one line for every type of the forward hook,
// not one per type.
TEST_F(KernelEffectTest, TypesTheKernelChangesAlikeShareOneLine) {
  const auto k = read_sysctls(proc_.root());
  Ruleset rs;
  ReportFilter filter;
  filter.family = v4;
  filter.hook = fwd;
  auto entries = build_report(rs, filter);
  ASSERT_GT(entries.size(), 2u);
  for (auto& e : entries) e.kernel = kernel_effect(e.packet, e.evaluation, k);
  auto text = render_text(entries, false, &k);
  EXPECT_THAT(
      text, HasSubstr(fmt::format("kernel: ipv4 forward, {} types (echo-reply, ", entries.size())));
  EXPECT_THAT(text, HasSubstr("...): let through by the ruleset; not forwarded by the kernel: "
                              "no interface forwards; net.ipv4.conf.h0.forwarding = 0\n"));
  EXPECT_EQ(text.find("kernel: ipv4 forward echo-reply"), std::string::npos);
}

Table icmpwall_table(uint32_t input_policy) {
  Table t;
  t.family = NFPROTO_INET;
  t.name = "icmpwall";
  Chain c;
  c.name = "input";
  c.hook = BaseHook{NF_INET_LOCAL_IN, 0, "filter", input_policy, {}};
  t.chains.push_back(c);
  return t;
}

TEST_F(KernelEffectTest, PolicyWarningsWhereTheKernelContradictsIt) {
  Ruleset rs;
  rs.tables.push_back(icmpwall_table(NF_ACCEPT));
  EXPECT_THAT(kernel_warnings(rs, "icmpwall", read_sysctls(proc_.root())), IsEmpty());
  proc_.set("net.ipv4.icmp_echo_ignore_all", "1");
  proc_.set("net.ipv6.conf.h0.accept_redirects", "0");
  proc_.set("net.ipv4.conf.h0.forwarding", "1");  // a router: takes no redirects (all = 0)
  auto w = kernel_warnings(rs, "icmpwall", read_sysctls(proc_.root()));
  EXPECT_THAT(w, ElementsAre("the policy lets ipv4 echo-request in (accepted by inet icmpwall "
                             "input policy), but ignored by the kernel: "
                             "net.ipv4.icmp_echo_ignore_all = 1",
                             HasSubstr("the policy lets ipv4 redirect in (accepted by inet "
                                       "icmpwall input policy), but ignored by the kernel on "
                                       "every interface; h0: "),
                             HasSubstr("the policy lets ipv6 nd-redirect in")));
  // the router takes redirects after all: said
  proc_.set("net.ipv4.conf.all.accept_redirects", "1");
  w = kernel_warnings(rs, "icmpwall", read_sysctls(proc_.root()));
  EXPECT_THAT(w, Contains("h0 forwards and its kernel takes ipv4 redirects "
                          "(net.ipv4.conf.all.accept_redirects = 1, "
                          "net.ipv4.conf.h0.accept_redirects = 1 (net.ipv4.conf.h0.forwarding "
                          "= 1: forwarding, both needed)): a router should not"));
  // a policy that drops echo and redirects has nothing the kernel contradicts
  Ruleset closed;
  closed.tables.push_back(icmpwall_table(NF_DROP));
  proc_.set("net.ipv4.conf.all.accept_redirects", "0");
  EXPECT_THAT(kernel_warnings(closed, "icmpwall", read_sysctls(proc_.root())), IsEmpty());
  EXPECT_THAT(kernel_warnings(rs, "other", read_sysctls(proc_.root())), IsEmpty());
}

}  // namespace
}  // namespace icmpwall::audit
