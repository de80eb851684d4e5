// SPDX-License-Identifier: GPL-2.0-or-later
// Values in nft syntax (nft_values.h). The symbol tables are nftables'
// own (src/datatype.c, src/proto.c, src/ct.c, src/fib.c, src/meta.c);
// protocol names come from the system's protocol database, as nft's do.
#include "nft_values.h"

#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>
#include <netdb.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "icmpwall/audit/describe.h"
#include "icmpwall/netlink/nft_datatype.h"
#include "icmpwall/util/address.h"

namespace icmpwall::audit::nft_values {
namespace {

using Symbol = std::pair<uint32_t, const char*>;

constexpr Symbol kIcmpTypes[] = {{0, "echo-reply"},           {3, "destination-unreachable"},
                                 {4, "source-quench"},        {5, "redirect"},
                                 {8, "echo-request"},         {9, "router-advertisement"},
                                 {10, "router-solicitation"}, {11, "time-exceeded"},
                                 {12, "parameter-problem"},   {13, "timestamp-request"},
                                 {14, "timestamp-reply"},     {15, "info-request"},
                                 {16, "info-reply"},          {17, "address-mask-request"},
                                 {18, "address-mask-reply"}};

constexpr Symbol kIcmp6Types[] = {
    {1, "destination-unreachable"}, {2, "packet-too-big"},        {3, "time-exceeded"},
    {4, "parameter-problem"},       {128, "echo-request"},        {129, "echo-reply"},
    {130, "mld-listener-query"},    {131, "mld-listener-report"}, {132, "mld-listener-done"},
    {133, "nd-router-solicit"},     {134, "nd-router-advert"},    {135, "nd-neighbor-solicit"},
    {136, "nd-neighbor-advert"},    {137, "nd-redirect"},         {138, "router-renumbering"},
    {141, "ind-neighbor-solicit"},  {142, "ind-neighbor-advert"}, {143, "mld2-listener-report"}};

constexpr Symbol kIcmpCodes[] = {{0, "net-unreachable"},  {1, "host-unreachable"},
                                 {2, "prot-unreachable"}, {3, "port-unreachable"},
                                 {4, "frag-needed"},      {9, "net-prohibited"},
                                 {10, "host-prohibited"}, {13, "admin-prohibited"}};

constexpr Symbol kIcmp6Codes[] = {{0, "no-route"},         {1, "admin-prohibited"},
                                  {3, "addr-unreachable"}, {4, "port-unreachable"},
                                  {5, "policy-fail"},      {6, "reject-route"}};

constexpr Symbol kNfprotos[] = {{2, "ipv4"}, {10, "ipv6"}};
constexpr Symbol kEthertypes[] = {
    {0x0800, "ip"}, {0x86dd, "ip6"}, {0x0806, "arp"}, {0x8100, "vlan"}};
constexpr Symbol kFibAddrTypes[] = {{0, "unspec"},    {1, "unicast"},     {2, "local"},
                                    {3, "broadcast"}, {4, "anycast"},     {5, "multicast"},
                                    {6, "blackhole"}, {7, "unreachable"}, {8, "prohibit"}};
constexpr Symbol kPktTypes[] = {{0, "host"}, {1, "broadcast"}, {2, "multicast"}, {3, "other"}};
// In the order nft prints a set of them.
constexpr Symbol kCtStates[] = {
    {1, "invalid"}, {2, "established"}, {4, "related"}, {8, "new"}, {64, "untracked"}};

template <size_t N>
std::string symbol(const Symbol (&table)[N], uint64_t v) {
  for (const auto& [value, name] : table)
    if (value == v) return name;
  return std::to_string(v);
}

std::optional<uint64_t> big_endian(const Bytes& d) {
  if (d.empty() || d.size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (uint8_t b : d) v = v << 8 | b;
  return v;
}

std::optional<uint64_t> host_order(const Bytes& d) {
  if (d.empty() || d.size() > 8) return std::nullopt;
  uint64_t v = 0;
  std::memcpy(&v, d.data(), d.size());  // little-endian host: the low bytes first
  return v;
}

std::string protocol_name(uint64_t n) {
  protoent entry{};
  protoent* found = nullptr;
  std::array<char, 1024> buf{};
  if (n <= 255 &&
      getprotobynumber_r(static_cast<int>(n), &entry, buf.data(), buf.size(), &found) == 0 &&
      found && found->p_name)
    return found->p_name;
  return std::to_string(n);
}

std::string ct_states(uint64_t bits) {
  std::string out;
  for (const auto& [bit, name] : kCtStates)
    if (bits & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out.empty() ? "0x0" : out;
}

}  // namespace

std::string value_text(Kind k, const Bytes& data) {
  const auto be = big_endian(data);
  const auto host = host_order(data);
  switch (k) {
    case Kind::addr4:
    case Kind::addr6:
      if (data.size() == 4 || data.size() == 16) return format_addr(data.data(), data.size());
      break;
    case Kind::ifname:
      return "\"" + std::string(data.begin(), std::find(data.begin(), data.end(), 0)) + "\"";
    case Kind::be_int:
      if (be) return std::to_string(*be);
      break;
    case Kind::host_int:
      if (host) return std::to_string(*host);
      break;
    case Kind::mark:
      if (host) return fmt::format("0x{:08x}", *host);
      break;
    case Kind::icmp_type:
      if (be) return symbol(kIcmpTypes, *be);
      break;
    case Kind::icmp_code:
      if (be) return symbol(kIcmpCodes, *be);
      break;
    case Kind::icmp6_type:
      if (be) return symbol(kIcmp6Types, *be);
      break;
    case Kind::icmp6_code:
      if (be) return symbol(kIcmp6Codes, *be);
      break;
    case Kind::nfproto:
      if (be && data.size() == 1) return symbol(kNfprotos, *be);
      break;
    case Kind::inet_proto:
      if (be && data.size() == 1) return protocol_name(*be);
      break;
    case Kind::ethertype:
      if (be) return symbol(kEthertypes, *be);
      break;
    case Kind::fib_addr:
      if (host) return symbol(kFibAddrTypes, *host);
      break;
    case Kind::pkttype:
      if (host) return symbol(kPktTypes, *host);
      break;
    case Kind::ct_state:
      if (host) return ct_states(*host);
      break;
    case Kind::bytes: break;
  }
  return "0x" + hex(data);
}

Kind kind_of_type(uint32_t type) {
  switch (type) {
    case nft_datatype::nfproto: return Kind::nfproto;
    case nft_datatype::ipv4_addr: return Kind::addr4;
    case nft_datatype::ipv6_addr: return Kind::addr6;
    case nft_datatype::ethertype: return Kind::ethertype;
    case nft_datatype::inet_proto: return Kind::inet_proto;
    case nft_datatype::icmp_type: return Kind::icmp_type;
    case nft_datatype::mark: return Kind::mark;
    case nft_datatype::ct_state: return Kind::ct_state;
    case nft_datatype::icmpv6_type: return Kind::icmp6_type;
    case nft_datatype::pkttype: return Kind::pkttype;
    case nft_datatype::icmp_code: return Kind::icmp_code;
    case nft_datatype::icmpv6_code: return Kind::icmp6_code;
    case nft_datatype::fib_addrtype: return Kind::fib_addr;
    case nft_datatype::ifname: return Kind::ifname;
    case nft_datatype::integer: return Kind::be_int;
    default: return Kind::bytes;
  }
}

const char* type_name(uint32_t type) {
  switch (type) {
    case nft_datatype::verdict: return "verdict";
    case nft_datatype::nfproto: return "nf_proto";
    case nft_datatype::integer: return "integer";
    case nft_datatype::string: return "string";
    case nft_datatype::ipv4_addr: return "ipv4_addr";
    case nft_datatype::ipv6_addr: return "ipv6_addr";
    case nft_datatype::ether_addr: return "ether_addr";
    case nft_datatype::ethertype: return "ether_type";
    case nft_datatype::inet_proto: return "inet_proto";
    case nft_datatype::inet_service: return "inet_service";
    case nft_datatype::icmp_type: return "icmp_type";
    case nft_datatype::mark: return "mark";
    case nft_datatype::iface_index: return "iface_index";
    case nft_datatype::ct_state: return "ct_state";
    case nft_datatype::icmpv6_type: return "icmpv6_type";
    case nft_datatype::pkttype: return "pkt_type";
    case nft_datatype::icmp_code: return "icmp_code";
    case nft_datatype::icmpv6_code: return "icmpv6_code";
    case nft_datatype::fib_addrtype: return "fib_addrtype";
    case nft_datatype::ifname: return "ifname";
    default: return nullptr;
  }
}

std::optional<uint32_t> prefix_length(const Bytes& mask) {
  uint32_t len = 0;
  bool ended = false;
  for (uint8_t b : mask)
    for (int bit = 7; bit >= 0; --bit) {
      const bool one = b >> bit & 1;
      if (one && ended) return std::nullopt;
      if (one)
        ++len;
      else
        ended = true;
    }
  return len;
}

std::string time_text(uint64_t ms) {
  constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
  if (ms == 0) return "0s";
  std::string out;
  for (const auto& [size, suffix] : kUnits)
    if (ms >= size) {
      out += fmt::format("{}{}", ms / size, suffix);
      ms %= size;
    }
  return out;
}

std::string byte_text(uint64_t bytes) {
  constexpr const char* kUnits[] = {"bytes", "kbytes", "mbytes"};
  size_t unit = 0;
  while (unit + 1 < std::size(kUnits) && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{} {}", bytes, kUnits[unit]);
}

std::optional<std::string> limit_text(uint64_t rate, uint64_t unit_seconds, uint32_t burst,
                                      uint32_t type, uint32_t flags) {
  const char* unit = unit_seconds == 1        ? "second"
                     : unit_seconds == 60     ? "minute"
                     : unit_seconds == 3600   ? "hour"
                     : unit_seconds == 86400  ? "day"
                     : unit_seconds == 604800 ? "week"
                                              : nullptr;
  if (!unit || (type != NFT_LIMIT_PKTS && type != NFT_LIMIT_PKT_BYTES)) return std::nullopt;
  const char* over = (flags & NFT_LIMIT_F_INV) ? "over " : "";
  if (type == NFT_LIMIT_PKT_BYTES) {
    std::string s = fmt::format("limit rate {}{}/{}", over, byte_text(rate), unit);
    if (burst != 0) s += " burst " + byte_text(burst);
    return s;
  }
  std::string s = fmt::format("limit rate {}{}/{}", over, rate, unit);
  if (burst != 0 && burst != 5) s += fmt::format(" burst {} packets", burst);
  return s;
}

}  // namespace icmpwall::audit::nft_values
