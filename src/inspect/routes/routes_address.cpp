// SPDX-License-Identifier: GPL-2.0-or-later
// Address predicates shared by the route views and the validators: prefix
// containment and masking, the special ranges (unspecified, multicast, loopback,
// link-local, limited broadcast) of each family, and text conversion.
#include <arpa/inet.h>

#include <algorithm>

#include "icmpwall/inspect/routes/routes.h"
#include "icmpwall/util/address.h"

namespace icmpwall::inspect {

Address make_v4(uint32_t host_order) {
  Address a{Family::ipv4, {}};
  a.bytes[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes[3] = static_cast<uint8_t>(host_order);
  return a;
}

std::optional<Address> parse_address(const std::string& text) {
  Address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = Family::ipv4;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = Family::ipv6;
    return a;
  }
  return std::nullopt;
}

std::string to_string(const Address& a) {
  return format_addr(a.bytes.data(), a.family == Family::ipv4 ? 4 : 16);
}

// Byte by byte: the sweep detector masks every probe's source.
Address masked(const Address& a, uint8_t len) {
  const size_t n = a.family == Family::ipv4 ? 4 : 16;
  const size_t bits = std::min<size_t>(len, n * 8);
  Address out{a.family, {}};
  const size_t full = bits / 8;
  std::copy_n(a.bytes.begin(), full, out.bytes.begin());
  if (const size_t rest = bits % 8; rest != 0) {
    out.bytes[full] = static_cast<uint8_t>(a.bytes[full] & (0xff00u >> rest));
  }
  return out;
}

bool prefix_contains(const Address& network, uint8_t len, const Address& a) {
  if (network.family != a.family) return false;
  const unsigned max = a.family == Family::ipv4 ? 32 : 128;
  if (len > max) return false;
  const unsigned full = len / 8;
  for (unsigned i = 0; i < full; ++i)
    if (network.bytes[i] != a.bytes[i]) return false;
  const unsigned rest = len % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (network.bytes[full] & mask) == (a.bytes[full] & mask);
}

bool is_unspecified(const Address& a) {
  const size_t n = a.family == Family::ipv4 ? 4 : 16;
  for (size_t i = 0; i < n; ++i)
    if (a.bytes[i] != 0) return false;
  return true;
}

bool is_multicast(const Address& a) {
  if (a.family == Family::ipv4) return (a.bytes[0] & 0xf0) == 0xe0;
  return a.bytes[0] == 0xff;
}

bool is_loopback(const Address& a) {
  if (a.family == Family::ipv4) return a.bytes[0] == 127;
  for (size_t i = 0; i < 15; ++i)
    if (a.bytes[i] != 0) return false;
  return a.bytes[15] == 1;
}

bool is_link_local(const Address& a) {
  if (a.family == Family::ipv4) return a.bytes[0] == 169 && a.bytes[1] == 254;
  return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}

LinkAddress make_link_address(std::span<const uint8_t> bytes) {
  LinkAddress a;
  a.len = static_cast<uint8_t>(std::min(bytes.size(), a.bytes.size()));
  std::copy_n(bytes.begin(), a.len, a.bytes.begin());
  return a;
}

bool is_limited_broadcast(const Address& a) {
  return a.family == Family::ipv4 && a.bytes[0] == 0xff && a.bytes[1] == 0xff &&
         a.bytes[2] == 0xff && a.bytes[3] == 0xff;
}

}  // namespace icmpwall::inspect
