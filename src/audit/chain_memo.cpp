// SPDX-License-Identifier: GPL-2.0-or-later
// Register independence of rules and chains (chain_memo.h).
#include "chain_memo.h"

#include <linux/netfilter/nf_tables.h>

#include <bitset>

namespace icmpwall::audit {
namespace {

// Register 0 (16 bytes), 1..4 (16 each) = 8..23 (4 each): the walk's layout.
constexpr size_t kRegBytes = 16 + 4 * 16;

size_t offset_of(uint32_t reg) {
  if (reg == 0) return 0;
  if (reg >= 1 && reg <= 4) return 16 + (reg - 1) * 16;
  if (reg >= 8 && reg <= 23) return 16 + (reg - 8) * 4;
  return kRegBytes;
}

// The bytes of a rule's registers written so far; a read of one not
// written is a read of the state the rule was entered with.
class Tracker {
 public:
  void write(uint32_t reg, size_t len) {
    size_t off = offset_of(reg), n = (len + 3) / 4 * 4;  // loads fill whole 32-bit words
    for (size_t i = 0; i < n && off + i < kRegBytes; ++i) written_.set(off + i);
  }
  void read(uint32_t reg, size_t len) {
    size_t off = offset_of(reg);
    for (size_t i = 0; i < len && off + i < kRegBytes; ++i)
      if (!written_.test(off + i)) entry_ = true;
  }
  void write_all() { written_.set(); }
  bool reads_entry() const { return entry_; }

 private:
  std::bitset<kRegBytes> written_;
  bool entry_ = false;
};

size_t key_len(const Table& t, const std::string& set) {
  const Set* s = t.set(set);
  return s ? s->key_len : kRegBytes;  // unknown set: as if it read everything
}

void track(const Table& t, const Expr& e, Tracker& regs) {
  // the registers the walk reads (cmp, range, bitwise, lookup) and writes
  if (const auto* m = std::get_if<Meta>(&e)) {
    if (m->dreg)
      regs.write(*m->dreg, m->key == NFT_META_IIFNAME || m->key == NFT_META_OIFNAME ? 16 : 4);
  } else if (const auto* p = std::get_if<Payload>(&e)) {
    if (p->dreg) regs.write(*p->dreg, p->len);
  } else if (const auto* c = std::get_if<Cmp>(&e)) {
    regs.read(c->sreg, c->data.size());
  } else if (const auto* r = std::get_if<Range>(&e)) {
    regs.read(r->sreg, r->from.size());
  } else if (const auto* b = std::get_if<Bitwise>(&e)) {
    regs.read(b->sreg, b->len);
    regs.write(b->dreg, b->len);
  } else if (const auto* l = std::get_if<Lookup>(&e)) {
    regs.read(l->sreg, key_len(t, l->set));
    const Set* s = t.set(l->set);
    if (l->dreg && *l->dreg != 0 && s) regs.write(*l->dreg, s->data_len);
  } else if (const auto* i = std::get_if<Immediate>(&e)) {
    if (i->dreg != 0) regs.write(i->dreg, i->data.size());
  } else if (const auto* ct = std::get_if<Ct>(&e)) {
    if (ct->dreg) regs.write(*ct->dreg, 4);
  } else if (const auto* x = std::get_if<Exthdr>(&e)) {
    if (x->dreg) regs.write(*x->dreg, 4);
  } else if (const auto* f = std::get_if<Fib>(&e)) {
    regs.write(f->dreg, 4);
  } else if (const auto* d = std::get_if<Dynset>(&e)) {
    for (const auto& inner : d->exprs) track(t, inner, regs);
  } else if (std::holds_alternative<Unknown>(e)) {
    regs.write_all();  // the walk overwrites every cell with its label
  }
}

// The chains `r` can jump or go to (immediate verdicts, verdict maps).
std::vector<std::string> targets(const Table& t, const Rule& r) {
  std::vector<std::string> out;
  for (const auto& e : r.exprs) {
    if (const auto* i = std::get_if<Immediate>(&e); i && i->verdict && !i->verdict->chain.empty())
      out.push_back(i->verdict->chain);
    if (const auto* l = std::get_if<Lookup>(&e); l && l->dreg && *l->dreg == 0)
      if (const Set* s = t.set(l->set))
        for (const auto& el : s->elements)
          if (el.verdict && !el.verdict->chain.empty()) out.push_back(el.verdict->chain);
  }
  return out;
}

}  // namespace

bool reads_entry_registers(const Table& t, const Rule& r) {
  Tracker regs;
  for (const auto& e : r.exprs) track(t, e, regs);
  return regs.reads_entry();
}

bool RegisterIndependence::independent(const Table& t, const Chain& c) {
  auto it = state_.find(&c);
  if (it != state_.end()) return it->second == State::yes;  // visiting: a loop, not independent
  state_[&c] = State::visiting;
  bool yes = true;
  for (const auto& r : c.rules) {
    if (reads_entry_registers(t, r)) yes = false;
    for (const auto& name : targets(t, r)) {
      const Chain* target = t.chain(name);
      if (yes && target && !independent(t, *target)) yes = false;
    }
    if (!yes) break;
  }
  state_[&c] = yes ? State::yes : State::no;
  return yes;
}

}  // namespace icmpwall::audit
