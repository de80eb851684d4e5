// SPDX-License-Identifier: GPL-2.0-or-later
// libnftnl objects -> the plain values of ruleset.h.
//
// Each function reads one parsed libnftnl object (as a dump delivered it)
// and copies what it holds; none keeps a pointer into it. Expressions are
// decoded by name; an expression kind not modelled in ruleset.h becomes
// Unknown{name}. Attributes the kernel did not send keep their defaults
// (or stay empty optionals).
#pragma once

#include "icmpwall/audit/ruleset.h"

struct nftnl_expr;
struct nftnl_rule;
struct nftnl_table;
struct nftnl_chain;
struct nftnl_set;
struct nftnl_set_elem;
struct nftnl_obj;

namespace icmpwall::audit {

Expr decode_expr(const nftnl_expr* e);
// Expressions in order, the comment from the user data, handle, position.
Rule decode_rule(nftnl_rule* r);
Table decode_table(const nftnl_table* t);
Chain decode_chain(const nftnl_chain* c);
// The set's description; elements come separately (decode_set_elem).
Set decode_set(const nftnl_set* s);
SetElement decode_set_elem(nftnl_set_elem* e);
Object decode_object(nftnl_obj* o);

// The rule comment out of NFTNL_RULE_USERDATA bytes, if there is one.
std::optional<std::string> rule_comment(const void* udata, uint32_t len);

}  // namespace icmpwall::audit
