// SPDX-License-Identifier: GPL-2.0-or-later
// Owners for the C handles of libnftnl (the mnl socket's owner is
// MnlSocket, util/mnl_socket.h).
//
// Every nftnl_* object is held by a std::unique_ptr whose deleter calls
// the library's own free function, so no owning raw pointer leaves the
// function that allocated it. Ownership handed to the library (an
// expression added to a rule, an element added to a set) is released with
// .release() at the call that transfers it.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include <memory>

namespace icmpwall::netlink {

template <auto FreeFn>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    if (p) FreeFn(p);
  }
};

using TablePtr = std::unique_ptr<nftnl_table, Free<nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Free<nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Free<nftnl_rule_free>>;
using ExprPtr = std::unique_ptr<nftnl_expr, Free<nftnl_expr_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Free<nftnl_set_free>>;
using SetElemPtr = std::unique_ptr<nftnl_set_elem, Free<nftnl_set_elem_free>>;
using ObjPtr = std::unique_ptr<nftnl_obj, Free<nftnl_obj_free>>;
using UdataPtr = std::unique_ptr<nftnl_udata_buf, Free<nftnl_udata_buf_free>>;

inline TablePtr make_table() {
  return TablePtr(nftnl_table_alloc());
}
inline ChainPtr make_chain() {
  return ChainPtr(nftnl_chain_alloc());
}
inline RulePtr make_rule() {
  return RulePtr(nftnl_rule_alloc());
}
inline ExprPtr make_expr(const char* name) {
  return ExprPtr(nftnl_expr_alloc(name));
}
inline SetPtr make_set() {
  return SetPtr(nftnl_set_alloc());
}
inline SetElemPtr make_set_elem() {
  return SetElemPtr(nftnl_set_elem_alloc());
}
inline ObjPtr make_obj() {
  return ObjPtr(nftnl_obj_alloc());
}

}  // namespace icmpwall::netlink
