// SPDX-License-Identifier: GPL-2.0-or-later
// One set element as a NEWSETELEM message carries it, and the two ways it
// is written: straight into a message with libmnl (how every batch is
// built: no object per element), or as a libnftnl object (to compare with
// the elements of a dumped set). Both give the same attributes.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <span>

#include "icmpwall/compile/nft_model.h"
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

}  // namespace icmpwall::netlink
