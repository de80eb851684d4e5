// SPDX-License-Identifier: GPL-2.0-or-later
// The namespace's links over rtnetlink (see kernel_links.h).
#include "icmpwall/audit/kernel_links.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "icmpwall/audit/kernel_sysctl.h"
#include "icmpwall/util/mnl_socket.h"

namespace icmpwall::audit {
namespace {

constexpr int kReadTimeoutMs = 1000;
// A dump's datagrams: the kernel fills at most 32 KiB per read.
constexpr size_t kDumpBuffer = 32768;

const char* operstate_name(uint8_t s) {
  switch (s) {
    case IF_OPER_NOTPRESENT: return "notpresent";
    case IF_OPER_DOWN: return "down";
    case IF_OPER_LOWERLAYERDOWN: return "lowerlayerdown";
    case IF_OPER_TESTING: return "testing";
    case IF_OPER_DORMANT: return "dormant";
    case IF_OPER_UP: return "up";
    default: return "unknown";
  }
}

struct Attrs {
  const nlattr* name = nullptr;
  const nlattr* operstate = nullptr;
};

int on_attr(const nlattr* a, void* data) {
  auto* out = static_cast<Attrs*>(data);
  switch (mnl_attr_get_type(a)) {
    case IFLA_IFNAME:
      if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0) out->name = a;
      break;
    case IFLA_OPERSTATE:
      if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0) out->operstate = a;
      break;
    default: break;
  }
  return MNL_CB_OK;
}

struct Dump {
  Links* out;
  bool full = false;
};

int on_message(const nlmsghdr* nlh, void* data) {
  auto* d = static_cast<Dump*>(data);
  auto link = parse_link(nlh);
  if (!link) return MNL_CB_OK;
  if (d->out->links.size() >= kMaxInterfaces) {
    d->full = true;
    return MNL_CB_STOP;
  }
  d->out->links.push_back(std::move(*link));
  return MNL_CB_OK;
}

}  // namespace

std::string LinkState::describe() const {
  return fmt::format("{}, {} (operstate {})", up ? "up" : "set down",
                     carrier ? "carrier" : "no carrier", operstate);
}

const LinkState* Links::find(const std::string& name) const {
  for (const auto& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

std::optional<LinkState> parse_link(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ifinfomsg)))
    return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs attrs;
  if (mnl_attr_parse(nlh, sizeof(ifinfomsg), on_attr, &attrs) < 0 || !attrs.name)
    return std::nullopt;
  LinkState l;
  l.name = mnl_attr_get_str(attrs.name);
  l.up = ifi->ifi_flags & IFF_UP;
  l.carrier = ifi->ifi_flags & IFF_LOWER_UP;
  l.operstate = attrs.operstate ? operstate_name(mnl_attr_get_u8(attrs.operstate)) : "unknown";
  return l;
}

Links read_links() {
  Links out;
  auto sock = MnlSocket::open(
      NETLINK_ROUTE, {.what = "the rtnetlink socket", .receive_timeout_ms = kReadTimeoutMs});
  if (!sock) {
    out.problem = sock.error().message;
    return out;
  }
  alignas(nlmsghdr) char req[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(req);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = 1;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  if (mnl_socket_sendto(sock->get(), nlh, nlh->nlmsg_len) < 0) {
    out.problem = fmt::format("asking for the links: {}", std::strerror(errno));
    return out;
  }
  auto buf = std::make_unique<char[]>(kDumpBuffer);
  Dump dump{&out};
  // every read carries at least one message: as many reads as links, and
  // the answer's end
  for (size_t reads = 0; reads <= kMaxInterfaces + 1; ++reads) {
    ssize_t n = mnl_socket_recvfrom(sock->get(), buf.get(), kDumpBuffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.problem =
          fmt::format("reading the links: {}",
                      errno == EAGAIN ? "no answer within a second" : std::strerror(errno));
      out.links.clear();
      return out;
    }
    // libmnl's loop, for the kernel's answer (util/netlink_datagram.h).
    int r = mnl_cb_run(buf.get(), static_cast<size_t>(n), nlh->nlmsg_seq, sock->portid(),
                       on_message, &dump);
    if (r == MNL_CB_STOP) {
      out.read = true;
      if (dump.full)
        out.problem = fmt::format("more than {} links, the rest not read", kMaxInterfaces);
      return out;
    }
    if (r < 0) {
      out.problem = fmt::format("reading the links: {}", std::strerror(errno));
      out.links.clear();
      return out;
    }
  }
  out.problem = "reading the links: the answer did not end";
  out.links.clear();
  return out;
}

}  // namespace icmpwall::audit
