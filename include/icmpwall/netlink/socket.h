// SPDX-License-Identifier: GPL-2.0-or-later
// The nfnetlink socket: sends a Batch as one transaction and collects the
// kernel's answer to every message in it.
//
// Each message of a batch asks for an ack, so the kernel answers each one
// (0 or an errno) after it has committed or aborted the whole transaction;
// netlink delivers those answers before sendmsg returns. The socket asks
// for extended acks (NETLINK_EXT_ACK: a message and the offset of the bad
// attribute) and capped acks (NETLINK_CAP_ACK: the rejected message is not
// echoed back, so large element lists do not flood the receive buffer).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "icmpwall/netlink/batch.h"
#include "icmpwall/util/mnl_socket.h"
#include "icmpwall/util/result.h"

namespace icmpwall::netlink {

struct KernelError {
  uint32_t seq = 0;
  int code = 0;                    // errno
  std::string message;             // NLMSGERR_ATTR_MSG, may be empty
  std::optional<uint32_t> offset;  // NLMSGERR_ATTR_OFFS into the message
};

// Reads one NLMSG_ERROR (with its extended-ack attributes, echoed request
// or capped) into `out`; returns its errno, 0 for an ack.
int parse_kernel_error(const nlmsghdr* nlh, KernelError& out);

class Socket {
 public:
  static Result<Socket> open();

  // One sendmsg for the whole batch (finished by the caller), then one
  // answer per acked message. Ok with an empty list: committed. Ok with
  // errors: the kernel rejected (and so aborted) the transaction. Error:
  // the exchange itself failed.
  Result<std::vector<KernelError>> talk(const Batch& batch);

  // A single request (e.g. GETTABLE); 0 or the kernel's errno.
  Result<int> request(nlmsghdr* nlh);

  // A dump request (NLM_F_DUMP is added): every answer message until
  // NLMSG_DONE goes to `on_msg`, which returns 0 to go on or an errno to
  // stop with. Bounded: each read waits at most the reply timeout, and
  // more than `max_messages` answers is an Error (E2BIG). Ok(0) when the
  // dump ended, else Ok(the kernel's errno) (ENOENT: no such table).
  Result<int> dump(nlmsghdr* nlh, size_t max_messages,
                   const std::function<int(const nlmsghdr*)>& on_msg);

  uint32_t next_seq() { return seq_++; }

 private:
  explicit Socket(MnlSocket s);
  Result<void> size_buffers(size_t send_bytes, size_t replies);

  MnlSocket sock_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace icmpwall::netlink
