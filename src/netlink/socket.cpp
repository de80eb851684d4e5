// SPDX-License-Identifier: GPL-2.0-or-later
// Sending batches and reading acks.
//
// Buffers: the kernel refuses a datagram larger than the socket's send
// buffer, so the send buffer is raised to the batch size before sendmsg
// (SO_SNDBUFFORCE as root, SO_SNDBUF otherwise, which the kernel caps at
// wmem_max), and the receive buffer to hold an error for every message.
//
// Replies are matched by sequence number; answers to other sequence
// numbers (none are expected on a private socket) are ignored. An error
// answered for BATCH_BEGIN (the kernel could not queue acks, or rejected
// the batch as a whole) ends the wait early.
//
// Reads: the kernel handles a request inside the sendmsg that carries it,
// so its answers are usually queued before the first read; each read is
// tried without waiting first and polls (bounded) only when nothing is
// there.
#include "icmpwall/netlink/socket.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "attrs.h"
#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/mnl_socket.h"
#include "icmpwall/util/netlink_datagram.h"

namespace icmpwall::netlink {
namespace {

constexpr int kReplyTimeoutMs = 5000;
constexpr size_t kRecvBuffer = 1 << 20;
// Memory one queued ack costs the receive buffer (skb overhead included).
constexpr size_t kAckCost = 1024;

// One datagram into buf: at once if one is queued, else after waiting up
// to kReplyTimeoutMs for one. 0: none came in time; an Error names `what`.
Result<size_t> receive(int fd, uint8_t* buf, size_t len, const char* what) {
  bool waited = false;
  for (;;) {
    ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno_error(what);
    if (waited) return size_t{0};
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, kReplyTimeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno_error("poll");
    waited = r == 0;  // timed out: one last look, then give up
  }
}

}  // namespace

int parse_kernel_error(const nlmsghdr* nlh, KernelError& out) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
    out.code = EBADMSG;
    return out.code;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  out.seq = nlh->nlmsg_seq;
  out.code = netlink_errno(err->error);
  if (out.code == 0 || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return out.code;
  // TLVs follow the echoed message (only its header when capped).
  size_t echoed = (nlh->nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : err->msg.nlmsg_len;
  size_t offset = sizeof(int) + NLMSG_ALIGN(echoed);
  if (NLMSG_HDRLEN + offset > nlh->nlmsg_len) return out.code;
  for_each_attr(nlh, offset, [&](const nlattr* attr) {
    switch (mnl_attr_get_type(attr)) {
      case NLMSGERR_ATTR_MSG:
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) out.message = mnl_attr_get_str(attr);
        break;
      case NLMSGERR_ATTR_OFFS:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) out.offset = mnl_attr_get_u32(attr);
        break;
      default: break;
    }
  });
  return out.code;
}

Socket::Socket(MnlSocket s) : sock_(std::move(s)) {
  portid_ = sock_.portid();
  seq_ = static_cast<uint32_t>(time(nullptr));
}

Result<Socket> Socket::open() {
  MnlSocketOptions options;
  options.extended_acks = true;
  TRY(auto s, MnlSocket::open(NETLINK_NETFILTER, options));
  return Socket(std::move(s));
}

Result<void> Socket::size_buffers(size_t send_bytes, size_t replies) {
  // Best effort: the kernel caps what is not forced.
  set_socket_buffer(sock_.fd(), SO_SNDBUF, send_bytes + 64 * 1024);
  set_socket_buffer(sock_.fd(), SO_RCVBUF, std::max<size_t>(kRecvBuffer, replies * kAckCost));
  return ok();
}

Result<std::vector<KernelError>> Socket::talk(const Batch& batch) {
  // Any message may be refused, and each refusal is an answer.
  TRY_VOID(size_buffers(batch.bytes(), batch.message_count()));
  auto iov = batch.iovecs();
  std::vector<uint8_t> joined;  // only if the pages outnumber IOV_MAX
  if (iov.size() > IOV_MAX) {
    joined.reserve(batch.bytes());
    for (const auto& v : iov)
      joined.insert(joined.end(), static_cast<uint8_t*>(v.iov_base),
                    static_cast<uint8_t*>(v.iov_base) + v.iov_len);
    iov = {{joined.data(), joined.size()}};
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  int fd = sock_.fd();
  ssize_t sent = sendmsg(fd, &msg, 0);
  if (sent < 0)
    return errno_error(fmt::format("sending a netlink batch of {} bytes", batch.bytes()));
  if (static_cast<size_t>(sent) != batch.bytes())
    return Error{fmt::format("netlink batch sent partially ({} of {} bytes)", sent, batch.bytes()),
                 EIO};

  std::vector<bool> answered(batch.message_count(), false);
  size_t pending = batch.acked_count();
  std::vector<KernelError> errors;
  // Not zero-filled: only the pages the kernel writes get touched.
  auto buf = std::make_unique_for_overwrite<uint8_t[]>(kRecvBuffer);
  while (pending > 0) {
    TRY(size_t n, receive(fd, buf.get(), kRecvBuffer, "reading netlink acks"));
    if (n == 0) {
      if (!errors.empty()) break;  // the kernel said enough
      return Error{fmt::format("no answer from the kernel for {} of {} messages", pending,
                               batch.acked_count()),
                   ETIMEDOUT};
    }
    for_each_netlink_message({buf.get(), n}, [&](const nlmsghdr* nlh) {
      if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != portid_) return true;
      const MessageInfo* info = batch.find(nlh->nlmsg_seq);
      if (!info) return true;
      KernelError e;
      if (parse_kernel_error(nlh, e) != 0) errors.push_back(e);
      if (info->kind == MsgKind::batch) {  // about the whole batch
        if (e.code == 0) return true;
        pending = 0;
        return false;
      }
      size_t index = nlh->nlmsg_seq - batch.first_seq();
      if (!answered[index]) {
        answered[index] = true;
        --pending;
      }
      return true;
    });
  }
  return errors;
}

Result<int> Socket::request(nlmsghdr* nlh) {
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = next_seq();
  if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
    return errno_error("netlink request");
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  int fd = sock_.fd();
  for (;;) {
    TRY(size_t n, receive(fd, buf.data(), buf.size(), "netlink reply"));
    if (n == 0) return Error{"no answer from the kernel", ETIMEDOUT};
    std::optional<int> answer;
    for_each_netlink_message({buf.data(), n}, [&](const nlmsghdr* reply) {
      if (reply->nlmsg_seq != nlh->nlmsg_seq || reply->nlmsg_type != NLMSG_ERROR) return true;
      KernelError e;
      answer = parse_kernel_error(reply, e);
      return false;
    });
    if (answer) return *answer;
  }
}

Result<int> Socket::dump(nlmsghdr* nlh, size_t max_messages,
                         const std::function<int(const nlmsghdr*)>& on_msg) {
  nlh->nlmsg_flags |= NLM_F_DUMP;
  nlh->nlmsg_seq = next_seq();
  if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
    return errno_error("netlink dump request");
  struct Context {
    const std::function<int(const nlmsghdr*)>* on_msg;
    size_t left;
    int error;
  } ctx{&on_msg, max_messages, 0};
  auto callback = [](const nlmsghdr* msg, void* data) -> int {
    auto* c = static_cast<Context*>(data);
    c->error = c->left-- == 0 ? E2BIG : (*c->on_msg)(msg);
    return c->error ? MNL_CB_ERROR : MNL_CB_OK;
  };
  auto buf = std::make_unique_for_overwrite<uint8_t[]>(kRecvBuffer);
  int fd = sock_.fd();
  for (;;) {
    TRY(size_t n, receive(fd, buf.get(), kRecvBuffer, "reading a netlink dump"));
    if (n == 0) return Error{"no answer from the kernel to a dump request", ETIMEDOUT};
    // libmnl's loop, for the kernel's answer (util/netlink_datagram.h).
    int cb = mnl_cb_run(buf.get(), n, nlh->nlmsg_seq, portid_, callback, &ctx);
    if (cb == MNL_CB_STOP) return 0;
    if (cb >= 0) continue;
    if (ctx.error == E2BIG)
      return Error{fmt::format("more than {} answers to a dump request", max_messages), E2BIG};
    if (ctx.error)
      return Error{"decoding a netlink dump: " + std::string(std::strerror(ctx.error)), ctx.error};
    return errno;  // the kernel's answer (mnl_cb_run sets errno from NLMSG_ERROR)
  }
}

}  // namespace icmpwall::netlink
