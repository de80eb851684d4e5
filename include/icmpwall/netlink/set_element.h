// SPDX-License-Identifier: GPL-2.0-or-later
// One set element as a NEWSETELEM message carries it, and the two ways it
// is written: straight into a message with libmnl (how every batch is
// built: no object per element), or as a libnftnl object (to compare with
// the elements of a dumped set). Both give the same attributes.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "icmpwall/compile/nft_model.h"
#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/handles.h"

namespace icmpwall::netlink {

// The views stay valid only as long as what they were taken from.
struct ElementAttrs {
  std::span<const uint8_t> key;
  std::span<const uint8_t> key_end;       // concatenated intervals (pipapo) only
  bool interval_end = false;              // NFT_SET_ELEM_INTERVAL_END
  const nft::Verdict* verdict = nullptr;  // maps only
  uint64_t timeout_ms = 0;                // 0: none (the set's default)
  uint64_t expiration_ms = 0;             // 0: none
};

// Appends `e` to the element list nest being written in `nlh` as entry
// `index`, attribute for attribute as nftnl_set_elem_nlmsg_build() does.
// Returns the entry's nest: mnl_attr_nest_cancel() takes it back out.
nlattr* put_element(nlmsghdr* nlh, const ElementAttrs& e, uint16_t index);

// `e` as a libnftnl element.
SetElemPtr to_nftnl(const ElementAttrs& e);

// NEWSETELEM (or DELSETELEM) messages for one set in `batch`, filled
// element by element: the next message starts where the element list
// would outgrow its 16-bit length, as nft splits a large set. All of them
// belong to the batch's one transaction.
class ElementMessages {
 public:
  struct Target {
    uint16_t msg;  // NFT_MSG_NEWSETELEM or NFT_MSG_DELSETELEM
    uint16_t flags;
    std::string table;
    std::string set;
    std::optional<uint32_t> set_id;  // a set declared in the same batch
    nft::Origin origin;
  };

  ElementMessages(Batch& batch, Target target) : batch_(batch), target_(std::move(target)) {}
  ElementMessages(const ElementMessages&) = delete;
  ElementMessages& operator=(const ElementMessages&) = delete;

  void add(const ElementAttrs& e);
  // Ends the message being filled; call it before anything else goes
  // into the batch.
  void finish();

 private:
  void open();

  Batch& batch_;
  Target target_;
  nlmsghdr* nlh_ = nullptr;
  nlattr* list_ = nullptr;
  uint16_t index_ = 0;
};

}  // namespace icmpwall::netlink
