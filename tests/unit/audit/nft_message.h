// SPDX-License-Identifier: GPL-2.0-or-later
// Test helper: an nf_tables answer message written attribute by attribute,
// so tests can hand decode_dump_messages shapes a kernel sends and shapes
// it does not.
#pragma once

#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstdint>
#include <string>
#include <vector>

namespace icmpwall::audit::testing {

class NftMessage {
 public:
  explicit NftMessage(uint16_t type, uint8_t family) : buf_(1 << 16) {
    nlh_ = mnl_nlmsg_put_header(buf_.data());
    nlh_->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | type);
    auto* g = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(nfgenmsg)));
    g->nfgen_family = family;
  }
  // A string attribute with its NUL, as the kernel sends them.
  NftMessage& str(uint16_t type, const std::string& s) {
    mnl_attr_put(nlh_, type, s.size() + 1, s.c_str());
    return *this;
  }
  NftMessage& be32(uint16_t type, uint32_t v) {
    mnl_attr_put_u32(nlh_, type, htobe32(v));
    return *this;
  }
  NftMessage& be64(uint16_t type, uint64_t v) {
    mnl_attr_put_u64(nlh_, type, htobe64(v));
    return *this;
  }
  NftMessage& raw(uint16_t type, const std::vector<uint8_t>& b) {
    mnl_attr_put(nlh_, type, b.size(), b.data());
    return *this;
  }
  NftMessage& open(uint16_t type) {
    nests_.push_back(mnl_attr_nest_start(nlh_, type));
    return *this;
  }
  NftMessage& close() {
    mnl_attr_nest_end(nlh_, nests_.back());
    nests_.pop_back();
    return *this;
  }
  // The message with its padding, to be put after others.
  std::vector<uint8_t> bytes() const {
    return {buf_.begin(), buf_.begin() + NLMSG_ALIGN(nlh_->nlmsg_len)};
  }

 private:
  std::vector<uint8_t> buf_;
  nlmsghdr* nlh_;
  std::vector<nlattr*> nests_;
};

inline std::vector<uint8_t> join(const std::vector<std::vector<uint8_t>>& messages) {
  std::vector<uint8_t> out;
  for (const auto& m : messages) out.insert(out.end(), m.begin(), m.end());
  return out;
}

}  // namespace icmpwall::audit::testing
