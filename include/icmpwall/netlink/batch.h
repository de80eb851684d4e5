// SPDX-License-Identifier: GPL-2.0-or-later
// A netlink batch under construction: NFNL_MSG_BATCH_BEGIN, the messages,
// NFNL_MSG_BATCH_END, laid out in large pages that go to the kernel as the
// iovecs of a single sendmsg (a transaction cannot span two sendmsg calls:
// the kernel aborts a batch whose END it does not see in the same buffer).
//
// Only the last message asks for an ack (NLM_F_ACK, set by finish()): the
// kernel answers every message it refuses whether asked or not, all in
// message order after the transaction has committed or aborted, so that
// one ack closes the exchange without an answer per message to read.
//
// Every message gets the next sequence number and remembers what it was
// built from: its kind, the kernel object's name, the nft::Origin, and for
// rules the byte range of each expression, so that a kernel error (which
// names a sequence number and, with extended acks, a byte offset) can be
// reported at the policy line that produced the offending object.
#pragma once

#include <linux/netlink.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "icmpwall/compile/nft_model.h"

namespace icmpwall::netlink {

enum class MsgKind : uint8_t { batch, table, object, chain, set, elements, rule };
const char* to_string(MsgKind k);

// One expression of a rule message: its name, where its attribute lies,
// and the policy key of the statement it encodes (nft::Rule::loc_of).
struct ExprSpan {
  std::string name;
  uint32_t begin = 0;  // offset from the start of the nlmsghdr
  uint32_t end = 0;
  SourceLoc loc;
};

struct MessageInfo {
  uint32_t seq = 0;
  uint16_t type = 0;  // NFT_MSG_* (without the subsystem)
  MsgKind kind = MsgKind::batch;
  std::string name;  // the table, object, chain or set; for rules the chain
  nft::Origin origin;
  std::vector<ExprSpan> exprs;  // rules only
  bool acked = false;           // sent with NLM_F_ACK (the last message only)
};

// A first sequence number for a new batch, taken from the clock so that
// the batches of successive runs do not reuse numbers.
uint32_t batch_seq();

class Batch {
 public:
  // Room every message is guaranteed when it is begun. Element lists are
  // split well below this (their nested attribute length is a u16).
  static constexpr size_t kMaxMessage = 128 * 1024;
  static constexpr size_t kPageSize = 1024 * 1024;

  explicit Batch(uint32_t first_seq);
  Batch(Batch&&) noexcept = default;
  Batch& operator=(Batch&&) noexcept = default;

  // Starts an nf_tables message with `flags`; write its attributes with
  // libmnl / libnftnl, then call end().
  nlmsghdr* begin(uint16_t nft_msg_type, uint16_t family, uint16_t flags, MsgKind kind,
                  std::string name, nft::Origin origin);
  // Commits the message begun last; returns its info for annotations.
  MessageInfo& end(nlmsghdr* nlh);
  // Asks for an ack on the last message and appends NFNL_MSG_BATCH_END.
  // No message may be added afterwards.
  void finish();

  size_t bytes() const;
  size_t message_count() const { return infos_.size(); }
  size_t acked_count() const;
  uint32_t first_seq() const { return first_seq_; }

  const MessageInfo* find(uint32_t seq) const;
  const std::vector<MessageInfo>& infos() const { return infos_; }
  // Every message in order, BEGIN and END included.
  std::vector<const nlmsghdr*> messages() const;
  std::vector<iovec> iovecs() const;

 private:
  struct Page {
    std::unique_ptr<uint8_t[]> data;
    size_t used = 0;
  };
  uint8_t* reserve();
  void commit(const nlmsghdr* nlh);

  std::vector<Page> pages_;
  std::vector<MessageInfo> infos_;
  nlmsghdr* last_ = nullptr;  // the message begun last (pages never move)
  uint32_t first_seq_;
  uint32_t next_seq_;
  bool finished_ = false;
};

}  // namespace icmpwall::netlink
