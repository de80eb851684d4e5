// SPDX-License-Identifier: GPL-2.0-or-later
// One RTM_NEWLINK message into a link's state: name, up, carrier,
// operstate; messages that are not one, are cut short or have no name are
// none. read_links() itself needs a kernel: the integration tests.
#include "icmpwall/audit/kernel_links.h"

#include <gmock/gmock.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <vector>

namespace icmpwall::audit {
namespace {

struct Message {
  std::vector<char> buf = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = nullptr;
};

Message link(uint16_t type, unsigned flags, const char* name, int operstate = -1) {
  Message m;
  m.nlh = mnl_nlmsg_put_header(m.buf.data());
  m.nlh->nlmsg_type = type;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifinfomsg)));
  ifi->ifi_flags = flags;
  if (name) mnl_attr_put_strz(m.nlh, IFLA_IFNAME, name);
  if (operstate >= 0) mnl_attr_put_u8(m.nlh, IFLA_OPERSTATE, static_cast<uint8_t>(operstate));
  return m;
}

TEST(KernelLinksTest, UpWithoutCarrierIsALinkDown) {
  auto m = link(RTM_NEWLINK, IFF_UP | IFF_BROADCAST, "r1", IF_OPER_LOWERLAYERDOWN);
  auto l = parse_link(m.nlh);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->name, "r1");
  EXPECT_TRUE(l->up);
  EXPECT_FALSE(l->carrier);
  EXPECT_EQ(l->operstate, "lowerlayerdown");
  EXPECT_TRUE(l->link_down());
  EXPECT_EQ(l->describe(), "up, no carrier (operstate lowerlayerdown)");

  m = link(RTM_NEWLINK, IFF_UP | IFF_LOWER_UP | IFF_RUNNING, "r2", IF_OPER_UP);
  l = parse_link(m.nlh);
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->carrier);
  EXPECT_FALSE(l->link_down());
  EXPECT_EQ(l->describe(), "up, carrier (operstate up)");

  // set down: no routes left to skip, not a link down in this sense
  m = link(RTM_NEWLINK, 0, "r3", IF_OPER_DOWN);
  l = parse_link(m.nlh);
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->link_down());
  EXPECT_EQ(l->describe(), "set down, no carrier (operstate down)");

  m = link(RTM_NEWLINK, IFF_UP, "r4");
  EXPECT_EQ(parse_link(m.nlh)->operstate, "unknown") << "no IFLA_OPERSTATE";
  m = link(RTM_NEWLINK, IFF_UP, "r5", 200);
  EXPECT_EQ(parse_link(m.nlh)->operstate, "unknown");
}

TEST(KernelLinksTest, OtherMessagesShortOnesAndNamelessOnesAreNone) {
  auto m = link(RTM_DELLINK, IFF_UP, "r1");
  EXPECT_FALSE(parse_link(m.nlh));
  m = link(RTM_NEWLINK, IFF_UP, nullptr, IF_OPER_UP);
  EXPECT_FALSE(parse_link(m.nlh));
  m = link(RTM_NEWLINK, IFF_UP, "r1");
  m.nlh->nlmsg_len = mnl_nlmsg_size(sizeof(ifinfomsg)) - 1;  // cut inside the header
  EXPECT_FALSE(parse_link(m.nlh));
  // a name attribute without its terminating NUL
  m = link(RTM_NEWLINK, IFF_UP, nullptr);
  mnl_attr_put(m.nlh, IFLA_IFNAME, 2, "r1");
  EXPECT_FALSE(parse_link(m.nlh));
}

TEST(KernelLinksTest, FindByName) {
  Links links;
  links.read = true;
  links.links = {{"a", true, true, "up"}, {"b", true, false, "down"}};
  ASSERT_NE(links.find("b"), nullptr);
  EXPECT_TRUE(links.find("b")->link_down());
  EXPECT_EQ(links.find("c"), nullptr);
}

}  // namespace
}  // namespace icmpwall::audit
