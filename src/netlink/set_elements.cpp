// SPDX-License-Identifier: GPL-2.0-or-later
// NEWSETELEM with per-element timeouts (and, for interval sets, the
// range's interval-end element), acked, as one batch (split over several
// messages when the list is long); DELSETELEM the same way.
#include "icmpwall/netlink/set_elements.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/socket.h"
#include "icmpwall/util/address.h"

namespace icmpwall::netlink {

TimedElement prefix_element(std::span<const uint8_t> address, unsigned length,
                            std::chrono::milliseconds timeout) {
  const size_t len = address.size();
  const unsigned width = static_cast<unsigned>(len) * 8;
  const AddrRange r =
      prefix_range(address.data(), len, static_cast<uint8_t>(std::min(length, width)));
  TimedElement e{std::vector<uint8_t>(len), timeout, {}, {}};
  int_to_addr(r.first, e.key.data(), len);
  // The first address past the prefix, unless the prefix reaches the top.
  const U128 top = width == 128 ? ~U128{0} : (U128{1} << width) - 1;
  if (r.last != top) {
    e.key_end.resize(len);
    int_to_addr(r.last + 1, e.key_end.data(), len);
  }
  return e;
}

void for_each_element(const TimedElement& e, const std::function<void(const ElementAttrs&)>& emit) {
  emit({.key = e.key,
        .timeout_ms = static_cast<uint64_t>(std::max<int64_t>(e.timeout.count(), 0)),
        .expiration_ms = static_cast<uint64_t>(std::max<int64_t>(e.expiration.count(), 0))});
  // The end carries no timeout: the kernel expires it with its start.
  if (!e.key_end.empty()) emit({.key = e.key_end, .interval_end = true});
}

namespace {

// NEWSETELEM or DELSETELEM messages with `elements` (a range's
// interval-end element after its start), sent and acked as one batch: one
// transaction, however many messages the list takes.
Result<void> send_elements(uint16_t msg, uint16_t flags, const char* verb, const std::string& table,
                           const std::string& set, const std::vector<TimedElement>& elements) {
  if (elements.empty()) return ok();
  const nft::Origin origin{{}, fmt::format("set {} of table inet {}", set, table)};
  Batch batch(batch_seq());
  ElementMessages messages(batch, {msg, flags, table, set, std::nullopt, origin});
  for (const auto& e : elements)
    for_each_element(e, [&](const ElementAttrs& attrs) { messages.add(attrs); });
  messages.finish();
  batch.finish();

  TRY(auto sock, Socket::open());
  TRY(auto errors, sock.talk(batch));
  if (errors.empty()) return ok();
  return Error{fmt::format("{} {} element(s) {} set {} of table inet {}: {}{}", verb,
                           elements.size(), msg == NFT_MSG_NEWSETELEM ? "to" : "of", set, table,
                           std::strerror(errors[0].code),
                           errors[0].message.empty() ? "" : " (" + errors[0].message + ")"),
               errors[0].code};
}

}  // namespace

Result<void> add_timed_elements(const std::string& table, const std::string& set,
                                const std::vector<TimedElement>& elements) {
  return send_elements(NFT_MSG_NEWSETELEM, NLM_F_CREATE, "adding", table, set, elements);
}

Result<void> delete_elements(const std::string& table, const std::string& set,
                             const std::vector<TimedElement>& elements) {
  return send_elements(NFT_MSG_DELSETELEM, 0, "deleting", table, set, elements);
}

}  // namespace icmpwall::netlink
