// SPDX-License-Identifier: GPL-2.0-or-later
// ConntrackLookup: IPCTNL_MSG_CT_GET for one tuple over ctnetlink. The
// kernel looks the tuple up in both directions and answers with the entry
// or ENOENT.
//
// An empty table does not prove anything by itself: a namespace where no
// rule needs connection tracking has its hooks unregistered and tracks
// nothing. So before a "no such flow" counts, tracking() proves that the
// namespace tracks connections now: a datagram sent from a loopback UDP
// socket to itself must have an entry. The answer is kept for a few
// seconds.
#include "routes_conntrack.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/fd.h"
#include "icmpwall/util/mnl_socket.h"

namespace icmpwall::inspect {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kProbeFor = std::chrono::seconds(5);
constexpr int kTimeoutMs = 1000;

bool has_ports(uint8_t protocol) {
  return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE ||
         protocol == IPPROTO_SCTP || protocol == IPPROTO_DCCP;
}

int on_answer(const nlmsghdr* nlh, void* data) {
  if ((nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_NEW) *static_cast<bool*>(data) = true;
  return MNL_CB_OK;
}

}  // namespace

struct ConntrackLookup::State {
  MnlSocket nl;
  uint32_t portid = 0;
  uint32_t seq = 0;
  Fd probe;  // UDP, bound to 127.0.0.1:port
  uint16_t probe_port = 0;
  std::optional<bool> tracking;
  SteadyClock::time_point tracking_at{};
  std::vector<uint8_t> buf = std::vector<uint8_t>(MNL_SOCKET_BUFFER_SIZE);
};

ConntrackLookup::ConntrackLookup(std::unique_ptr<State> state) : state_(std::move(state)) {}
ConntrackLookup::~ConntrackLookup() = default;

Result<std::unique_ptr<ConntrackLookup>> ConntrackLookup::open() {
  auto s = std::make_unique<State>();
  MnlSocketOptions options;
  options.what = "the ctnetlink socket";
  options.receive_timeout_ms = kTimeoutMs;
  TRY(s->nl, MnlSocket::open(NETLINK_NETFILTER, options));
  s->portid = s->nl.portid();

  s->probe = Fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s->probe.valid()) return errno_error("opening the conntrack probe socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s->probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return errno_error("binding the conntrack probe socket");
  socklen_t len = sizeof a;
  getsockname(s->probe.get(), reinterpret_cast<sockaddr*>(&a), &len);
  s->probe_port = ntohs(a.sin_port);
  return std::unique_ptr<ConntrackLookup>(new ConntrackLookup(std::move(s)));
}

std::optional<bool> ConntrackLookup::lookup(const FlowTuple& flow) {
  const bool v4 = flow.src.family == Family::ipv4;
  const int icmp_protocol = v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  const bool icmp = flow.protocol == icmp_protocol;
  if (flow.src.family != flow.dst.family || (!icmp && !has_ports(flow.protocol)))
    return std::nullopt;
  State& s = *state_;
  std::vector<uint8_t> req(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(req.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = ++s.seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = v4 ? AF_INET : AF_INET6;
  nfg->version = NFNETLINK_V0;
  nlattr* tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  const size_t n = v4 ? 4 : 16;
  mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, n, flow.src.bytes.data());
  mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, n, flow.dst.bytes.data());
  mnl_attr_nest_end(nlh, ip);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, flow.protocol);
  if (icmp) {
    mnl_attr_put_u16(nlh, v4 ? CTA_PROTO_ICMP_ID : CTA_PROTO_ICMPV6_ID, htons(flow.icmp_id));
    mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE, flow.icmp_type);
    mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_CODE : CTA_PROTO_ICMPV6_CODE, flow.icmp_code);
  } else {
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(flow.src_port));
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(flow.dst_port));
  }
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, tuple);
  if (mnl_socket_sendto(s.nl.get(), nlh, nlh->nlmsg_len) < 0) return std::nullopt;
  while (true) {
    ssize_t got = mnl_socket_recvfrom(s.nl.get(), s.buf.data(), s.buf.size());
    if (got < 0) return std::nullopt;  // timed out: cannot tell
    bool found = false;
    // libmnl's loop, for the kernel's answer (util/netlink_datagram.h).
    int r = mnl_cb_run(s.buf.data(), got, nlh->nlmsg_seq, s.portid, on_answer, &found);
    if (r < 0 && errno == EPROTO) continue;  // an answer to an earlier, timed-out request
    if (r < 0) return errno == ENOENT ? std::optional<bool>(false) : std::nullopt;
    return found;
  }
}

bool ConntrackLookup::tracking() {
  State& s = *state_;
  const auto now = SteadyClock::now();
  if (s.tracking && now - s.tracking_at < kProbeFor) return *s.tracking;
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  self.sin_port = htons(s.probe_port);
  const char byte = 0;
  bool active = false;
  if (sendto(s.probe.get(), &byte, 1, 0, reinterpret_cast<sockaddr*>(&self), sizeof self) == 1) {
    FlowTuple t;
    t.src = t.dst = make_v4(INADDR_LOOPBACK);
    t.protocol = IPPROTO_UDP;
    t.src_port = t.dst_port = s.probe_port;
    active = lookup(t).value_or(false);
  }
  char sink[16];
  while (recv(s.probe.get(), sink, sizeof sink, MSG_DONTWAIT) > 0) {
  }
  s.tracking = active;
  s.tracking_at = now;
  return active;
}

std::optional<bool> ConntrackLookup::knows(const FlowTuple& flow) {
  if (!tracking()) return std::nullopt;
  return lookup(flow);
}

}  // namespace icmpwall::inspect
