// SPDX-License-Identifier: GPL-2.0-or-later
// report_kernel_error (netlink/kernel_error.h): which object, which
// expression, which policy position, and a hint for the errors a policy
// can cause.
#include "icmpwall/netlink/kernel_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace icmpwall::netlink {
namespace {

std::string subject(const MessageInfo& info) {
  if (info.kind == MsgKind::rule || info.kind == MsgKind::batch) return info.origin.what;
  std::string s = fmt::format("{} '{}'", to_string(info.kind), info.name);
  if (!info.origin.what.empty() && info.kind != MsgKind::table)
    s += fmt::format(" of {}", info.origin.what);
  return s;
}

std::string hint_for(const MessageInfo& info, const ExprSpan* expr, int code) {
  switch (code) {
    case ENOENT:
      if (expr && expr->name == "queue")
        return "this kernel has no nft_queue; use queue mode compat (xt NFQUEUE)";
      if (info.kind == MsgKind::rule || info.kind == MsgKind::elements)
        return "it names a chain, set, object or expression the kernel does not know";
      return {};
    case ELOOP:
    case EMLINK: return "the jumps between chains form a loop (or nest too deeply)";
    case EPERM: return "the table is owned by another process, or this needs CAP_NET_ADMIN";
    case EOPNOTSUPP: return "this kernel does not support that feature";
    default: return {};
  }
}

}  // namespace

const ExprSpan* expr_at(const MessageInfo& info, std::optional<uint32_t> offset) {
  if (!offset || info.kind != MsgKind::rule) return nullptr;
  for (const auto& e : info.exprs)
    if (*offset >= e.begin && *offset < e.end) return &e;
  return nullptr;
}

void report_kernel_error(const Batch& batch, const KernelError& e, Diagnostics& diags) {
  const MessageInfo* info = batch.find(e.seq);
  MessageInfo whole;
  if (!info || info->kind == MsgKind::batch) {
    whole.kind = MsgKind::batch;
    whole.origin.what = "the batch";
    info = &whole;
  }
  const ExprSpan* expr = expr_at(*info, e.offset);
  std::string msg = fmt::format("kernel rejected {}: {}", subject(*info), std::strerror(e.code));
  if (!e.message.empty()) msg += fmt::format(": {}", e.message);
  if (expr) msg += fmt::format(" (expression '{}')", expr->name);
  const SourceLoc& loc = expr && expr->loc.known() ? expr->loc : info->origin.loc;
  diags.error(loc, std::move(msg), hint_for(*info, expr, e.code));
}

}  // namespace icmpwall::netlink
