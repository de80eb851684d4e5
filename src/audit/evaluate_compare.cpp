// SPDX-License-Identifier: GPL-2.0-or-later
// Expressions that compare or transform registers: cmp, range and
// bitwise (walk.h). A comparison on known bytes matches or not; on bytes
// the packet description leaves open it raises a condition.
#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>

#include "field_text.h"
#include "walk.h"

namespace icmpwall::audit::walk {
namespace {

std::string cmp_op_text(uint32_t op) {
  switch (op) {
    case NFT_CMP_EQ: return "==";
    case NFT_CMP_NEQ: return "!=";
    case NFT_CMP_LT: return "<";
    case NFT_CMP_LTE: return "<=";
    case NFT_CMP_GT: return ">";
    case NFT_CMP_GTE: return ">=";
  }
  return "?";
}

// The offset of a single byte loaded past the modelled transport header
// (evaluate_payload.cpp labels it so), if that is what `c` holds.
std::optional<uint32_t> icmp_byte_offset(const Cells& c) {
  if (c.size() != 1 || c[0].known || !c[0].label) return std::nullopt;
  const std::string& l = *c[0].label;
  if (!l.starts_with(kIcmpByteLabel)) return std::nullopt;
  return static_cast<uint32_t>(std::stoul(l.substr(std::strlen(kIcmpByteLabel))));
}

}  // namespace

Step Walk::eval(const Cmp& cmp, const At& at) {
  Step s;
  Cells c = read(cmp.sreg, cmp.data.size());
  if (any_tainted(c)) return s;
  if (auto v = value_of(c)) {
    int d = std::memcmp(v->data(), cmp.data.data(), v->size());
    bool match = cmp.op == NFT_CMP_EQ    ? d == 0
                 : cmp.op == NFT_CMP_NEQ ? d != 0
                 : cmp.op == NFT_CMP_LT  ? d < 0
                 : cmp.op == NFT_CMP_LTE ? d <= 0
                 : cmp.op == NFT_CMP_GT  ? d > 0
                                         : d >= 0;
    if (!match) s.kind = StepKind::brk;
    return s;
  }
  bool zero = std::all_of(cmp.data.begin(), cmp.data.end(), [](uint8_t x) { return x == 0; });
  if (auto ct = ct_state_condition(c, {});
      ct && zero && cmp.data.size() == 4 && (cmp.op == NFT_CMP_EQ || cmp.op == NFT_CMP_NEQ)) {
    // ct state A,B: the masked state is not zero
    if (decide(*ct) != (cmp.op == NFT_CMP_NEQ)) s.kind = StepKind::brk;
    return s;
  }
  if (auto ct = ct_state_condition(c, cmp.data);
      ct && cmp.data.size() == 4 && (cmp.op == NFT_CMP_EQ || cmp.op == NFT_CMP_NEQ)) {
    if (decide(*ct) != (cmp.op == NFT_CMP_EQ)) s.kind = StepKind::brk;
    return s;
  }
  // A byte past the modelled header compared with all it can hold: the
  // rule asks only whether the kernel could load it, i.e. the length.
  if (auto n = icmp_byte_offset(c); n && ((cmp.op == NFT_CMP_LTE && cmp.data == Bytes{0xff}) ||
                                          (cmp.op == NFT_CMP_GTE && cmp.data == Bytes{0x00}))) {
    auto text = [&] {
      return condition_text(at.e, labels_of(c), [&](const std::string&) {
        return fmt::format("icmp length > {}", *n);
      });
    };
    if (!decide_with(text)) s.kind = StepKind::brk;
    return s;
  }
  // != is asked as ==, so both forms share one answer
  bool neq = cmp.op == NFT_CMP_NEQ;
  std::string op = cmp_op_text(neq ? uint32_t{NFT_CMP_EQ} : cmp.op);
  auto text = [&] {
    return condition_text(at.e, labels_of(c), [&](const std::string& label) {
      return fmt::format("{} {} {}", label, op, value_text(label, cmp.data));
    });
  };
  if (decide_with(text) == neq) s.kind = StepKind::brk;
  return s;
}

Step Walk::eval(const Range& rg, const At& at) {
  Step s;
  Cells c = read(rg.sreg, rg.from.size());
  if (any_tainted(c)) return s;
  if (auto v = value_of(c)) {
    bool in = std::memcmp(v->data(), rg.from.data(), v->size()) >= 0 &&
              std::memcmp(v->data(), rg.to.data(), std::min(v->size(), rg.to.size())) <= 0;
    if (in != (rg.op == NFT_RANGE_EQ)) s.kind = StepKind::brk;
    return s;
  }
  auto text = [&] {
    return condition_text(at.e, labels_of(c), [&](const std::string& label) {
      return fmt::format("{} {}in {}-{}", label, rg.op == NFT_RANGE_EQ ? "" : "not ",
                         value_text(label, rg.from), value_text(label, rg.to));
    });
  };
  if (!decide_with(text)) s.kind = StepKind::brk;
  return s;
}

Step Walk::eval(const Bitwise& b, const At&) {
  Step s;
  Cells c = read(b.sreg, b.len);
  if (b.op == NFT_BITWISE_BOOL) {
    bool full_mask = std::all_of(b.mask.begin(), b.mask.end(), [](uint8_t x) { return x == 0xff; });
    for (size_t i = 0; i < c.size(); ++i) {
      uint8_t mask = i < b.mask.size() ? b.mask[i] : 0;
      uint8_t x = i < b.xor_.size() ? b.xor_[i] : 0;
      if (c[i].known || mask == 0) {
        c[i].value = static_cast<uint8_t>(((c[i].known ? c[i].value : 0) & mask) ^ x);
        c[i].known = true;
      }
      if (!full_mask && !c[i].label->empty() && c[i].label->find(" & ") == std::string::npos)
        c[i].label = labels_.get(*c[i].label + mask_text(*c[i].label, b.mask));
    }
  } else if (!value_of(c)) {
    for (auto& x : c) x.known = false;
  } else {
    // shifts work on 32-bit words in host order
    uint32_t shift = 0;
    if (b.data.size() >= 4) std::memcpy(&shift, b.data.data(), 4);
    for (size_t w = 0; w + 4 <= c.size(); w += 4) {
      uint32_t v = 0;
      uint8_t raw[4] = {c[w].value, c[w + 1].value, c[w + 2].value, c[w + 3].value};
      std::memcpy(&v, raw, 4);
      v = b.op == NFT_BITWISE_LSHIFT ? v << shift : v >> shift;
      std::memcpy(raw, &v, 4);
      for (int k = 0; k < 4; ++k) c[w + k].value = raw[k];
    }
  }
  write(b.dreg, c);
  return s;
}

}  // namespace icmpwall::audit::walk
