// SPDX-License-Identifier: GPL-2.0-or-later
// Walking the netlink messages of one datagram (messages back to back in
// one received buffer) without trusting its bytes.
//
// libmnl's mnl_nlmsg_ok is not enough for that: it compares nlmsg_len as a
// signed int (a length of 2^31 or more passes for a negative one), and
// libmnl's attribute parsers read up to the length rounded up to 4 bytes,
// so a last message whose rounded length passes the datagram's end is read
// past it. Here every length is compared as a size_t, and a message is
// whole only if its rounded length stays inside the datagram.
//
// The kernel does not always send that padding: nfnetlink_queue ends a
// packet message with its payload and sets nlmsg_len to the unrounded
// length, so a message of 45 bytes arrives as the last of its datagram,
// 3 bytes short of its rounded length. A reader of such a socket pads the datagram in its
// receive buffer first (pad_netlink_datagram).
//
// Answers to icmpwall's own requests that want libmnl's dispatch (the
// sequence and port checks, NLMSG_ERROR as errno, NLMSG_DONE as the end)
// still go through mnl_cb_run and so through mnl_nlmsg_ok: only the kernel,
// and processes with CAP_NET_ADMIN over the namespace, can send to those
// sockets, and the kernel's answers are whole messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

struct nlmsghdr;

namespace icmpwall {

// Netlink messages start, and are padded, on this boundary (NLMSG_ALIGNTO).
inline constexpr size_t kNetlinkAlign = 4;

// The bytes the message at the start of `rest` takes with its padding
// (nlmsg_len rounded up to kNetlinkAlign), or 0 if they are no whole
// message: fewer bytes than a header, a length below the header's, or a
// rounded length past the end of `rest`. The header is copied out, so
// `rest` may start at any address.
size_t whole_netlink_message(std::span<const uint8_t> rest);

// The `received` bytes at the start of `buffer`, rounded up to
// kNetlinkAlign with zeros written after them: the padding of a last
// message sent without it. Without room for that in `buffer`, the
// received bytes alone.
std::span<const uint8_t> pad_netlink_datagram(std::span<uint8_t> buffer, size_t received);

// Calls fn(const nlmsghdr*) for each whole message of `datagram`, in order,
// and returns the bytes walked: the messages handed to fn, with their
// padding. The walk stops at the first bytes that are no whole message
// (see whole_netlink_message), or after a message for which fn, if it
// returns bool, returned false. A result below datagram.size() therefore
// means the walk stopped early; a caller whose fn never stops it learns
// this way that the datagram ends in garbage.
//
// fn gets each message in place, so `datagram` must start on a
// kNetlinkAlign boundary (any buffer from new or malloc does); one that
// does not is not walked at all (the result is 0).
template <typename Fn>
size_t for_each_netlink_message(std::span<const uint8_t> datagram, Fn&& fn) {
  if (reinterpret_cast<uintptr_t>(datagram.data()) % kNetlinkAlign != 0) return 0;
  size_t at = 0;
  while (const size_t len = whole_netlink_message(datagram.subspan(at))) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data() + at);
    at += len;
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, const nlmsghdr*>>) {
      fn(nlh);
    } else if (!fn(nlh)) {
      break;
    }
  }
  return at;
}

}  // namespace icmpwall
