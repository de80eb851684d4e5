// SPDX-License-Identifier: GPL-2.0-or-later
// Binding one NFQUEUE: socket creation in the namespace, buffer sizing,
// and the configuration exchange.
//
// The configuration is one message (bind, copy mode and range, queue
// length, flags), so the queue never runs under the kernel's defaults
// (which copy no payload). The wait for its ack is bounded; packets that
// the kernel queues before the ack reaches us are kept for the reader.
#include "icmpwall/queue/queue_socket.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "icmpwall/queue/messages.h"
#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/mnl_socket.h"

namespace icmpwall::queue {
namespace {

constexpr int kAckTimeoutMs = 5000;

Result<void> check_config(const QueueConfig& c) {
  if (c.copy_range < 1 || c.copy_range > max_copy_range())
    return Error{fmt::format("queue {}: copy range {} outside 1..{}", c.queue, c.copy_range,
                             max_copy_range()),
                 EINVAL};
  if (c.max_len < 1)
    return Error{fmt::format("queue {}: queue length must be at least 1", c.queue), EINVAL};
  if (c.rcvbuf_bytes < 1)
    return Error{fmt::format("queue {}: receive buffer must be positive", c.queue), EINVAL};
  return ok();
}

std::string explain_bind_error(uint16_t queue, int code) {
  switch (code) {
    case EPERM:
    case EBUSY: return fmt::format("queue {} is already bound by another socket", queue);
    case EOPNOTSUPP:
      return fmt::format("queue {}: this kernel does not support a requested flag", queue);
    default: return fmt::format("binding queue {}", queue);
  }
}

}  // namespace

int QueueSocket::fd() const {
  return sock_.fd();
}

Result<QueueSocket> QueueSocket::open(const QueueConfig& config) {
  TRY_VOID(check_config(config));
  TRY_VOID(load_libnfq());
  QueueSocket qs;
  qs.config_ = config;
  // NETLINK_NO_ENOBUFS stays off (a new socket's default).
  MnlSocketOptions options;
  options.what = fmt::format("the netlink socket of queue {}", config.queue);
  options.netns = config.netns;
  options.receive_buffer = config.rcvbuf_bytes;
  TRY(qs.sock_, MnlSocket::open(NETLINK_NETFILTER, options));
  qs.rcvbuf_ = qs.sock_.receive_buffer();

  auto configured = qs.configure(config.conntrack);
  if (!configured && config.conntrack && configured.error().code == EAGAIN)
    configured = qs.configure(true);
  if (!configured && config.conntrack && configured.error().code == EOPNOTSUPP)
    configured = qs.configure(false);
  TRY_VOID(configured);
  return qs;
}

Result<void> QueueSocket::send(std::span<const uint8_t> bytes) const {
  while (true) {
    ssize_t n = mnl_socket_sendto(sock_.get(), bytes.data(), bytes.size());
    if (n >= 0) return ok();
    if (errno != EINTR)
      return errno_error(fmt::format("queue {}: sending verdicts", config_.queue));
  }
}

Result<void> QueueSocket::configure(bool conntrack) {
  std::array<uint8_t, kConfigMsgCapacity> req{};
  ConfigRequest cr;
  cr.queue = config_.queue;
  cr.seq = static_cast<uint32_t>(time(nullptr));
  cr.copy_range = config_.copy_range;
  cr.max_len = config_.max_len;
  cr.fail_open = config_.fail_open;
  cr.gso = config_.gso;
  cr.conntrack = conntrack;
  const size_t n = build_config(req, cr);
  TRY_VOID(send(std::span(req.data(), n)));

  const uint32_t portid = sock_.portid();
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE + config_.copy_range);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += kAckTimeoutMs / 1000;
  while (true) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms =
        (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
    if (left_ms <= 0)
      return Error{fmt::format("queue {}: no answer to the bind request", config_.queue),
                   ETIMEDOUT};
    pollfd p{fd(), POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left_ms));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      return errno_error(fmt::format("queue {}: waiting for the bind answer", config_.queue));
    if (r == 0) continue;
    ssize_t got = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // ENOBUFS here means packets were lost to a tiny buffer; the ack still comes.
      if (errno == ENOBUFS) continue;
      return errno_error(fmt::format("queue {}: reading the bind answer", config_.queue));
    }
    const auto dgram = pad_netlink_datagram(buf, static_cast<size_t>(got));
    std::optional<int> answer;
    bool has_packets = false;
    for_each_netlink_message(dgram, [&](const nlmsghdr* nlh) {
      if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq == cr.seq && nlh->nlmsg_pid == portid)
        answer = parse_error(nlh);
      else if (nlh->nlmsg_type == queue_msg_type(NFQNL_MSG_PACKET))
        has_packets = true;
    });
    if (has_packets) early_.emplace_back(dgram.begin(), dgram.end());
    if (!answer) continue;
    if (*answer != 0) return errno_error(explain_bind_error(config_.queue, *answer), *answer);
    conntrack_ = conntrack;
    return ok();
  }
}

}  // namespace icmpwall::queue
