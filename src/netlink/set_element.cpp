// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/netlink/set_element.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "verdict_code.h"

namespace icmpwall::netlink {
namespace {

// Largest element list payload per message (the nest length is a u16).
constexpr size_t kMaxElementNest = 0xffff - 256;

void put_data_value(nlmsghdr* nlh, uint16_t type, std::span<const uint8_t> value) {
  auto* nest = mnl_attr_nest_start(nlh, type);
  mnl_attr_put(nlh, NFTA_DATA_VALUE, value.size(), value.data());
  mnl_attr_nest_end(nlh, nest);
}

}  // namespace

nlattr* put_element(nlmsghdr* nlh, const ElementAttrs& e, uint16_t index) {
  auto* entry = mnl_attr_nest_start(nlh, index);
  if (e.interval_end) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
  if (e.timeout_ms) mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(e.timeout_ms));
  if (e.expiration_ms) mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64(e.expiration_ms));
  put_data_value(nlh, NFTA_SET_ELEM_KEY, e.key);
  if (!e.key_end.empty()) put_data_value(nlh, NFTA_SET_ELEM_KEY_END, e.key_end);
  if (e.verdict) {
    auto* data = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
    auto* verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
    mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(verdict_code(e.verdict->kind)));
    if (names_chain(e.verdict->kind))
      mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, e.verdict->chain.c_str());
    mnl_attr_nest_end(nlh, verdict);
    mnl_attr_nest_end(nlh, data);
  }
  mnl_attr_nest_end(nlh, entry);
  return entry;
}

SetElemPtr to_nftnl(const ElementAttrs& e) {
  auto out = make_set_elem();
  auto* el = out.get();
  if (e.interval_end) nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
  if (e.timeout_ms) nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, e.timeout_ms);
  if (e.expiration_ms) nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_EXPIRATION, e.expiration_ms);
  nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e.key.data(), static_cast<uint32_t>(e.key.size()));
  if (!e.key_end.empty())
    nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY_END, e.key_end.data(),
                       static_cast<uint32_t>(e.key_end.size()));
  if (e.verdict) {
    nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT, verdict_code(e.verdict->kind));
    if (names_chain(e.verdict->kind))
      nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, e.verdict->chain.c_str());
  }
  return out;
}

void ElementMessages::add(const ElementAttrs& e) {
  if (!nlh_) open();
  auto* entry = put_element(nlh_, e, ++index_);
  const auto list_len = static_cast<size_t>(static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh_)) -
                                            reinterpret_cast<char*>(list_));
  if (list_len > kMaxElementNest && index_ > 1) {
    mnl_attr_nest_cancel(nlh_, entry);  // goes into the next message
    finish();
    open();
    put_element(nlh_, e, ++index_);
  }
}

void ElementMessages::finish() {
  if (!nlh_) return;
  mnl_attr_nest_end(nlh_, list_);
  batch_.end(nlh_);
  nlh_ = nullptr;
}

void ElementMessages::open() {
  nlh_ = batch_.begin(target_.msg, NFPROTO_INET, target_.flags, MsgKind::elements, target_.set,
                      target_.origin);
  mnl_attr_put_strz(nlh_, NFTA_SET_ELEM_LIST_TABLE, target_.table.c_str());
  mnl_attr_put_strz(nlh_, NFTA_SET_ELEM_LIST_SET, target_.set.c_str());
  if (target_.set_id) mnl_attr_put_u32(nlh_, NFTA_SET_ELEM_LIST_SET_ID, htonl(*target_.set_id));
  list_ = mnl_attr_nest_start(nlh_, NFTA_SET_ELEM_LIST_ELEMENTS);
  index_ = 0;
}

}  // namespace icmpwall::netlink
