// SPDX-License-Identifier: GPL-2.0-or-later
// One NFQUEUE, bound: a netlink socket that owns queue N for as long as it
// lives.
//
// open() creates the socket in the configured network namespace (a socket
// stays in the namespace it was created in, whatever thread uses it
// later), sizes its receive buffer (SO_RCVBUFFORCE as root, else
// SO_RCVBUF), leaves NETLINK_NO_ENOBUFS off so an overflow is reported,
// and binds and configures the queue with one acked message. Closing the
// socket unbinds the queue; the kernel then drops the packets still
// waiting for a verdict, and new packets meet the rule's bypass (accept)
// or its fail-closed drop.
//
// Packets that arrive between the bind and its ack are kept and handed
// out by take_early(), so the reader sees every packet.
//
// The kernel checks the flags before it binds, so a refused
// NFQA_CFG_F_CONNTRACK (EOPNOTSUPP: no conntrack netlink support) leaves
// nothing bound; the bind is then sent again without it. EAGAIN (the
// kernel has just loaded the conntrack netlink module) is retried with it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "icmpwall/util/mnl_socket.h"
#include "icmpwall/util/result.h"

namespace icmpwall::queue {

struct QueueConfig {
  uint16_t queue = 0;
  std::string netns;           // `ip netns` name; empty: the current namespace
  uint32_t copy_range = 1500;  // bytes of each packet copied to us, 1..65531
  uint32_t max_len = 4096;     // packets waiting for a verdict before the queue is full
  bool fail_open = true;       // full queue: accept (true) or drop (false)
  bool gso = true;             // large GSO packets are handed over whole, not segmented
  int rcvbuf_bytes = 8 << 20;  // socket receive buffer asked for
  // Ask for each packet's conntrack state (NFQA_CFG_F_CONNTRACK). A kernel
  // that refuses the flag gets the bind again without it (conntrack()
  // then says false).
  bool conntrack = true;
};

class QueueSocket {
 public:
  static Result<QueueSocket> open(const QueueConfig& config);

  QueueSocket(QueueSocket&&) noexcept = default;
  QueueSocket& operator=(QueueSocket&&) noexcept = default;

  int fd() const;
  const QueueConfig& config() const { return config_; }
  uint16_t queue() const { return config_.queue; }
  // The receive buffer the kernel granted (it doubles what is asked).
  int rcvbuf_bytes() const { return rcvbuf_; }
  // The kernel reports conntrack state on this queue.
  bool conntrack() const { return conntrack_; }
  // Conntrack state was asked for and the kernel refused it.
  bool conntrack_refused() const { return config_.conntrack && !conntrack_; }

  // One sendto of a buffer of netlink messages.
  Result<void> send(std::span<const uint8_t> bytes) const;

  // Datagrams that arrived while open() waited for the bind's ack.
  std::vector<std::vector<uint8_t>> take_early() { return std::move(early_); }

 private:
  QueueSocket() = default;
  // One bind-and-configure exchange; the kernel's errno as an Error.
  Result<void> configure(bool conntrack);

  QueueConfig config_;
  MnlSocket sock_;
  int rcvbuf_ = 0;
  bool conntrack_ = false;
  std::vector<std::vector<uint8_t>> early_;
};

}  // namespace icmpwall::queue
