// SPDX-License-Identifier: GPL-2.0-or-later
// Field names and values for condition texts (field_text.h).
//
// Byte order as nftables' datatypes declare it (src/meta.c meta_templates,
// src/ct.c ct_templates): every meta key is host-endian except protocol,
// random and the bridge vlan protocol; of the ct keys, state, status,
// direction, mark, secmark, expiration, l3proto, labels, packets, bytes,
// avgpkt, zone and the event mask are host-endian, addresses, ports,
// protocol and id big-endian. ct state and status are named by their bits
// elsewhere (ct state conditions), so they keep their bytes here.
#include "field_text.h"

#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "icmpwall/audit/describe.h"
#include "icmpwall/util/address.h"

namespace icmpwall::audit {
namespace {

// NFT_META_* in order, as nft names them.
constexpr std::array<const char*, 36> kMetaKeys = {
    "length",  "protocol", "priority", "mark",    "iif",     "oif",       "iifname",  "oifname",
    "iiftype", "oiftype",  "skuid",    "skgid",   "nftrace", "rtclassid", "secmark",  "nfproto",
    "l4proto", "ibrname",  "obrname",  "pkttype", "cpu",     "iifgroup",  "oifgroup", "cgroup",
    "random",  "ipsec",    "iifkind",  "oifkind", "ibrpvid", "ibrvproto", "time",     "day",
    "hour",    "sdif",     "sdifname", "broute"};

// NFT_CT_* in order.
constexpr std::array<const char*, 24> kCtKeys = {
    "state",     "direction", "status",   "mark",      "secmark",   "expiration",
    "helper",    "l3proto",   "saddr",    "daddr",     "protocol",  "proto-src",
    "proto-dst", "label",     "packets",  "bytes",     "avgpkt",    "zone",
    "event",     "ip saddr",  "ip daddr", "ip6 saddr", "ip6 daddr", "id"};

enum class Print { bytes, decimal, hex32, tc_handle };

// How a value of the field `label` prints (labels of concatenations and of
// unknown fields: bytes).
Print print_of(const std::string& label) {
  auto field = [&](const char* name) {
    size_t n = std::strlen(name);
    return label.compare(0, n, name) == 0 && (label.size() == n || label[n] == ' ');
  };
  if (label.find(" . ") != std::string::npos) return Print::bytes;
  if (field("meta mark") || field("ct mark")) return Print::hex32;
  if (field("meta priority")) return Print::tc_handle;
  for (const char* big : {"meta protocol", "meta random", "meta ibrvproto"})
    if (field(big)) return Print::bytes;
  if (label.rfind("meta ", 0) == 0) return Print::decimal;
  for (const char* host : {"ct direction", "ct secmark", "ct expiration", "ct l3proto",
                           "ct packets", "ct bytes", "ct avgpkt", "ct zone", "ct event"})
    if (field(host)) return Print::decimal;
  return Print::bytes;
}

// `data` (1, 2, 4 or 8 bytes) as a number in host order.
std::optional<uint64_t> host_number(const Bytes& data) {
  switch (data.size()) {
    case 1: return data[0];
    case 2: {
      uint16_t v;
      std::memcpy(&v, data.data(), 2);
      return v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, data.data(), 4);
      return v;
    }
    case 8: {
      uint64_t v;
      std::memcpy(&v, data.data(), 8);
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string meta_key_name(uint32_t key) {
  if (key < kMetaKeys.size()) return std::string("meta ") + kMetaKeys[key];
  return fmt::format("meta key {}", key);
}

std::string ct_key_name(uint32_t key) {
  if (key < kCtKeys.size()) return std::string("ct ") + kCtKeys[key];
  return fmt::format("ct key {}", key);
}

std::string value_text(const std::string& label, const Bytes& data) {
  bool addr = label.find("saddr") != std::string::npos || label.find("daddr") != std::string::npos;
  if (addr && (data.size() == 4 || data.size() == 16)) return format_addr(data.data(), data.size());
  bool name = label.find("ifname") != std::string::npos;
  if (name && !data.empty() && data[0] >= 0x20 && data[0] < 0x7f)
    return "\"" + std::string(data.begin(), std::find(data.begin(), data.end(), 0)) + "\"";
  Print print = print_of(label);
  auto n = host_number(data);
  if (print != Print::bytes && n) {
    if (print == Print::hex32) return fmt::format("0x{:08x}", *n);
    if (print == Print::tc_handle) return fmt::format("{:x}:{:x}", *n >> 16, *n & 0xffff);
    return std::to_string(*n);
  }
  if (data.size() == 1) return std::to_string(data[0]);
  return "0x" + hex(data);
}

std::string mask_text(const std::string& label, const Bytes& mask) {
  auto n = host_number(mask);
  if (print_of(label) != Print::bytes && n) return fmt::format(" & 0x{:0{}x}", *n, mask.size() * 2);
  return " & 0x" + hex(mask);
}

}  // namespace icmpwall::audit
