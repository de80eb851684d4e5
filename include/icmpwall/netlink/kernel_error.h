// SPDX-License-Identifier: GPL-2.0-or-later
// A kernel's answer to one message of a batch, as a Diagnostic.
//
// The kernel names the message it rejects by its sequence number, and with
// extended acks (socket.h) the byte offset of the attribute it refused. For
// a rule message the offset falls in one of its expressions (batch.h keeps
// each expression's byte range), and each expression remembers the policy
// key whose statement produced it (nft::Rule::loc_of): the diagnostic
// points at that key, as nft points at the statement. Without an offset,
// or for an expression no key produced, it points at the message's origin
// (the [[rule]] header, the hook, ...).
#pragma once

#include <cstdint>
#include <optional>

#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/socket.h"
#include "icmpwall/util/diagnostics.h"

namespace icmpwall::netlink {

// The expression of a rule message whose attribute holds `offset` (bytes
// from the start of the message's nlmsghdr); none without an offset, for a
// message other than a rule, or outside every expression.
const ExprSpan* expr_at(const MessageInfo& info, std::optional<uint32_t> offset);

// Adds the diagnostic for one kernel error on a message of `batch`.
void report_kernel_error(const Batch& batch, const KernelError& e, Diagnostics& diags);

}  // namespace icmpwall::netlink
