// SPDX-License-Identifier: GPL-2.0-or-later
// Sets and their elements, as nft 1.0.x declares and fills them.
//
// Declaration: key type is nft's datatype id (a concatenation packs its
// parts' ids, 6 bits each: icmp_type . icmp_code = 14 << 6 | 32); key
// length counts each concatenated field padded to 4 bytes; the userdata
// holds the key byte order (and for maps the data byte order, the
// concatenation's typeof stub and the data-interval flag) in the order nft
// writes them, which is what `nft list` reads to print elements by type.
// An interval concatenation is flagged NFT_SET_CONCAT and gets the field
// lengths (NFTA_SET_DESC_CONCAT), which selects the pipapo backend.
//
// Elements: a plain interval set (rbtree) gets, per range, a start element
// and an interval-end element at last+1 (none where the range reaches the
// top of the address space), preceded by an interval-end element at 0
// when the first range does not start there. A concatenated interval set
// (pipapo) gets one element per range with KEY and KEY_END instead.
#include <fmt/format.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>

#include "icmpwall/netlink/encode.h"
#include "icmpwall/netlink/nft_datatype.h"

namespace icmpwall::netlink {
namespace {

// nft's byte order tags (nftables include/expression.h).
enum : uint32_t { kByteorderInvalid = 0, kByteorderHost = 1, kByteorderBig = 2 };

// nft's expression type id of a concatenation (EXPR_CONCAT), used in the
// typeof userdata it writes for concatenated keys.
constexpr uint32_t kExprConcat = 13;

struct KeyDesc {
  uint32_t type;
  uint32_t len;  // bytes, fields padded to 4
  uint32_t byteorder;
  std::vector<uint8_t> field_lens;  // concatenations only
};

KeyDesc key_desc(nft::KeyType k) {
  switch (k) {
    case nft::KeyType::ipv4_addr: return {nft_datatype::ipv4_addr, 4, kByteorderBig, {}};
    case nft::KeyType::ipv6_addr: return {nft_datatype::ipv6_addr, 16, kByteorderBig, {}};
    case nft::KeyType::ifname: return {nft_datatype::ifname, 16, kByteorderHost, {}};
    case nft::KeyType::fib_addrtype: return {nft_datatype::fib_addrtype, 4, kByteorderHost, {}};
    case nft::KeyType::icmp_type_code:
      return {nft_datatype::icmp_type << nft_datatype::kConcatBits | nft_datatype::icmp_code,
              8,
              kByteorderInvalid,
              {1, 1}};
    case nft::KeyType::icmpv6_type_code:
      return {nft_datatype::icmpv6_type << nft_datatype::kConcatBits | nft_datatype::icmpv6_code,
              8,
              kByteorderInvalid,
              {1, 1}};
  }
  return {0, 0, 0, {}};
}

bool is_concat(nft::KeyType k) {
  return k == nft::KeyType::icmp_type_code || k == nft::KeyType::icmpv6_type_code;
}

void put_userdata(nftnl_set* s, const nft::Set& set, const KeyDesc& key) {
  UdataPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, key.byteorder);
  if (set.map) nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATABYTEORDER, kByteorderInvalid);
  if (!key.field_lens.empty()) {
    // typeof stub of a concatenation: { expr type = concat, data = {} }
    auto* nest = nftnl_udata_nest_start(ud.get(), NFTNL_UDATA_SET_KEY_TYPEOF);
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_TYPEOF_EXPR, kExprConcat);
    auto* data = nftnl_udata_nest_start(ud.get(), NFTNL_UDATA_SET_TYPEOF_DATA);
    nftnl_udata_nest_end(ud.get(), data);
    nftnl_udata_nest_end(ud.get(), nest);
  }
  if (set.map) nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATA_INTERVAL, 0);
  nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()),
                     nftnl_udata_buf_len(ud.get()));
}

// key + 1 as a big-endian number; false if it overflowed (key was all ones).
bool increment(nft::SetKey& key) {
  for (size_t i = key.size(); i-- > 0;)
    if (++key[i] != 0) return true;
  return false;
}

bool all_zero(const nft::SetKey& key) {
  return std::all_of(key.begin(), key.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

SetPtr encode_set(const std::string& table, const nft::Set& set, uint32_t set_id) {
  const auto key = key_desc(set.key);
  uint32_t flags = 0;
  if (set.interval) flags |= NFT_SET_INTERVAL;
  if (set.map) flags |= NFT_SET_MAP;
  if (set.dynamic) flags |= NFT_SET_TIMEOUT | NFT_SET_EVAL;
  if (set.timeout_ms) flags |= NFT_SET_TIMEOUT;
  if (set.interval && is_concat(set.key)) flags |= NFT_SET_CONCAT;

  auto s = make_set();
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, key.type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, key.len);
  if (set.map) {
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, 0);
  }
  if (set.timeout_ms) nftnl_set_set_u64(s.get(), NFTNL_SET_TIMEOUT, set.timeout_ms);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, set_id);
  if (set.size) nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, set.size);
  if (set.interval && !key.field_lens.empty())
    nftnl_set_set_data(s.get(), NFTNL_SET_DESC_CONCAT, key.field_lens.data(),
                       key.field_lens.size());
  put_userdata(s.get(), set, key);
  return s;
}

void for_each_element(const nft::Set& set, const std::function<void(const ElementAttrs&)>& emit) {
  const bool pipapo = set.interval && is_concat(set.key);
  if (!set.interval || pipapo) {
    for (const auto& el : set.elements) {
      ElementAttrs e;
      e.key = el.key;
      if (pipapo) e.key_end = el.key_end.empty() ? el.key : el.key_end;
      if (el.verdict) e.verdict = &*el.verdict;
      emit(e);
    }
    return;
  }

  // rbtree: start and interval-end elements, in ascending order.
  std::vector<const nft::Element*> sorted;
  sorted.reserve(set.elements.size());
  for (const auto& el : set.elements) sorted.push_back(&el);
  auto by_key = [](const auto* a, const auto* b) { return a->key < b->key; };
  // The compiler's prefix sets come sorted (merge_ranges): no sort then.
  if (!std::is_sorted(sorted.begin(), sorted.end(), by_key))
    std::stable_sort(sorted.begin(), sorted.end(), by_key);
  nft::SetKey end;
  if (!sorted.empty() && !all_zero(sorted.front()->key)) {
    end.resize(sorted.front()->key.size());  // zeros
    emit({.key = end, .interval_end = true});
  }
  for (size_t i = 0; i < sorted.size(); ++i) {
    const auto& el = *sorted[i];
    emit({.key = el.key, .verdict = el.verdict ? &*el.verdict : nullptr});
    const auto& last = el.key_end.empty() ? el.key : el.key_end;
    end = last;
    if (!increment(end)) continue;  // reaches the top: open-ended
    if (i + 1 < sorted.size() && sorted[i + 1]->key == end)
      continue;  // adjacent: next start ends it
    emit({.key = end, .interval_end = true});
  }
}

std::vector<SetElemPtr> encode_elements(const nft::Set& set) {
  std::vector<SetElemPtr> out;
  for_each_element(set, [&](const ElementAttrs& e) { out.push_back(to_nftnl(e)); });
  return out;
}

}  // namespace icmpwall::netlink
