// SPDX-License-Identifier: GPL-2.0-or-later
// nft::VerdictKind -> the kernel's verdict code (NF_ACCEPT, NFT_JUMP, ...),
// shared by rule immediates and verdict-map elements.
#pragma once

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstdint>

#include "icmpwall/compile/nft_model.h"

namespace icmpwall::netlink {

inline uint32_t verdict_code(nft::VerdictKind k) {
  int code = NF_ACCEPT;
  switch (k) {
    case nft::VerdictKind::accept: code = NF_ACCEPT; break;
    case nft::VerdictKind::drop: code = NF_DROP; break;
    case nft::VerdictKind::jump: code = NFT_JUMP; break;
    case nft::VerdictKind::goto_: code = NFT_GOTO; break;
    case nft::VerdictKind::return_: code = NFT_RETURN; break;
  }
  return static_cast<uint32_t>(code);
}

inline bool names_chain(nft::VerdictKind k) {
  return k == nft::VerdictKind::jump || k == nft::VerdictKind::goto_;
}

}  // namespace icmpwall::netlink
