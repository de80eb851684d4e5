// SPDX-License-Identifier: GPL-2.0-or-later
// Batch layout: fixed-size pages; a message is begun only where a page has
// kMaxMessage bytes left, otherwise on a fresh page, so a message never
// straddles two pages and every page is one iovec. The sequence numbers
// run from first_seq (BATCH_BEGIN) upwards without gaps, so a reply's seq
// indexes infos_ directly. Only the last message before BATCH_END asks for
// an ack (finish() sets it): the kernel answers every failing message
// anyway, in order, so that ack is the last answer of the transaction.
#include "icmpwall/netlink/batch.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nfnetlink.h>

#include <cassert>
#include <cstring>
#include <ctime>

namespace icmpwall::netlink {

const char* to_string(MsgKind k) {
  switch (k) {
    case MsgKind::batch: return "batch";
    case MsgKind::table: return "table";
    case MsgKind::object: return "object";
    case MsgKind::chain: return "chain";
    case MsgKind::set: return "set";
    case MsgKind::elements: return "set elements";
    case MsgKind::rule: return "rule";
  }
  return "?";
}

uint32_t batch_seq() {
  return static_cast<uint32_t>(time(nullptr)) << 8;
}

Batch::Batch(uint32_t first_seq) : first_seq_(first_seq), next_seq_(first_seq) {
  auto* nlh =
      reinterpret_cast<nlmsghdr*>(nftnl_batch_begin(reinterpret_cast<char*>(reserve()), next_seq_));
  infos_.push_back({next_seq_++, NFNL_MSG_BATCH_BEGIN, MsgKind::batch, "begin", {}, {}, false});
  commit(nlh);
}

uint8_t* Batch::reserve() {
  if (pages_.empty() || kPageSize - pages_.back().used < kMaxMessage) {
    Page p;
    p.data = std::make_unique_for_overwrite<uint8_t[]>(kPageSize);  // untouched pages cost nothing
    pages_.push_back(std::move(p));
  }
  auto& p = pages_.back();
  return p.data.get() + p.used;
}

void Batch::commit(const nlmsghdr* nlh) {
  auto& p = pages_.back();
  assert(reinterpret_cast<const uint8_t*>(nlh) == p.data.get() + p.used);
  assert(nlh->nlmsg_len <= kMaxMessage);
  p.used += NLMSG_ALIGN(nlh->nlmsg_len);
}

nlmsghdr* Batch::begin(uint16_t nft_msg_type, uint16_t family, uint16_t flags, MsgKind kind,
                       std::string name, nft::Origin origin) {
  assert(!finished_);
  auto* nlh = nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(reserve()), nft_msg_type, family, flags,
                                    next_seq_);
  infos_.push_back(
      {next_seq_++, nft_msg_type, kind, std::move(name), std::move(origin), {}, false});
  last_ = nlh;
  return nlh;
}

MessageInfo& Batch::end(nlmsghdr* nlh) {
  commit(nlh);
  return infos_.back();
}

void Batch::finish() {
  if (finished_) return;
  if (last_) {
    last_->nlmsg_flags |= NLM_F_ACK;
    infos_.back().acked = true;
  }
  auto* nlh =
      reinterpret_cast<nlmsghdr*>(nftnl_batch_end(reinterpret_cast<char*>(reserve()), next_seq_));
  infos_.push_back({next_seq_++, NFNL_MSG_BATCH_END, MsgKind::batch, "end", {}, {}, false});
  commit(nlh);
  finished_ = true;
}

size_t Batch::bytes() const {
  size_t n = 0;
  for (const auto& p : pages_) n += p.used;
  return n;
}

size_t Batch::acked_count() const {
  size_t n = 0;
  for (const auto& i : infos_) n += i.acked;
  return n;
}

const MessageInfo* Batch::find(uint32_t seq) const {
  uint32_t index = seq - first_seq_;  // wraps for seq < first_seq_
  return index < infos_.size() ? &infos_[index] : nullptr;
}

std::vector<const nlmsghdr*> Batch::messages() const {
  std::vector<const nlmsghdr*> out;
  for (const auto& p : pages_) {
    size_t off = 0;
    while (off < p.used) {
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(p.data.get() + off);
      out.push_back(nlh);
      off += NLMSG_ALIGN(nlh->nlmsg_len);
    }
  }
  return out;
}

std::vector<iovec> Batch::iovecs() const {
  std::vector<iovec> out;
  for (const auto& p : pages_)
    if (p.used) out.push_back({p.data.get(), p.used});
  return out;
}

}  // namespace icmpwall::netlink
