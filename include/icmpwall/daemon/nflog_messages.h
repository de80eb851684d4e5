// SPDX-License-Identifier: GPL-2.0-or-later
// nfnetlink_log (NFLOG) messages over libmnl: the config request that binds
// (or unbinds) a group, and the parser of the packet messages the kernel
// sends for each packet a `log group N` statement logs.
//
// Packet messages come from the kernel, but the parser trusts nothing in
// them: every attribute is length-checked before it is read (a short or
// overlong attribute, or one whose length runs past the message, makes the
// message malformed), the prefix is cut at its NUL and at
// kMaxNflogPrefix bytes, and a missing attribute is simply absent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

struct nlmsghdr;

namespace icmpwall::daemon {

// The kernel's NF_LOG_PREFIXLEN, without its NUL.
inline constexpr size_t kMaxNflogPrefix = 127;
// The bytes of each logged packet the daemon asks for: the IP header, its
// options or extension headers and the ICMP header fit.
inline constexpr uint32_t kNflogCopyRange = 256;
// The latest NFULA_TIMESTAMP taken (2100-01-01; the system clock's
// nanoseconds end in 2262); a later one, a negative one or one with 10^6
// microseconds or more is left out.
inline constexpr int64_t kMaxNflogSeconds = 4'102'444'800;

enum class NflogCommand : uint8_t { bind, unbind };

// NFULNL_MSG_CONFIG for `group` (NLM_F_ACK, sequence `seq`): bind also sets
// copy mode "packet" with `copy_range` bytes and a queue threshold of 1 (each
// packet is sent at once, not batched for a second). `buf` must hold
// nflog_config_size() bytes; returns the message's length.
size_t nflog_config_size();
size_t build_nflog_config(std::span<uint8_t> buf, NflogCommand cmd, uint16_t group,
                          uint32_t copy_range, uint32_t seq);

struct NflogPacket {
  uint16_t group = 0;        // nfgenmsg res_id
  uint8_t family = 0;        // NFPROTO_IPV4 / NFPROTO_IPV6 (nfgenmsg)
  uint16_t hw_protocol = 0;  // ethertype (host order), from NFULA_PACKET_HDR
  uint8_t hook = 0;          // netfilter hook number (NF_INET_*)
  std::optional<std::string> prefix;
  uint32_t indev = 0;   // 0: none
  uint32_t outdev = 0;  // 0: none
  // NFULA_TIMESTAMP (seconds, microseconds), when the packet has a sane one.
  std::optional<std::pair<int64_t, int64_t>> timestamp;
  std::span<const uint8_t> payload;  // from the network header; points into the message
};

// The packet message `nlh` (NFULNL_MSG_PACKET of NFNL_SUBSYS_ULOG), or none
// when it is another message or malformed. `nlh` must be a whole message
// (one for_each_netlink_message hands out) and outlive the result's payload.
std::optional<NflogPacket> parse_nflog_packet(const nlmsghdr* nlh);

// The errno an NLMSG_ERROR carries (0 for an ACK), or none for another
// message or a short one.
std::optional<int> parse_nflog_error(const nlmsghdr* nlh);

}  // namespace icmpwall::daemon
