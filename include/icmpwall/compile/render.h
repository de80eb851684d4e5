// SPDX-License-Identifier: GPL-2.0-or-later
// nft::Table -> nft syntax (the `--dry-run` output). `nft -f` of this text
// must produce exactly the ruleset the netlink encoder produces.
#pragma once

#include <string>

#include "icmpwall/compile/nft_model.h"

namespace icmpwall::compile {

std::string render_nft(const nft::Table& table);

}  // namespace icmpwall::compile
