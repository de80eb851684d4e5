// SPDX-License-Identifier: GPL-2.0-or-later
// Messages libnftnl 1.2.4 must not be given: attribute shapes no kernel
// sends, on which its parsers read uninitialised memory, dereference a
// null pointer or write past a stack array. dump_messages.cpp asks before
// each message goes to libnftnl; such a message is refused (EBADMSG), so
// no bytes, recorded or from a netlink peer, can crash the audit there.
#pragma once

struct nlmsghdr;

namespace icmpwall::audit {

// False for a NEWRULE, NEWSET or NEWSETELEM message that holds:
//  - an expression without a name (nftnl_expr_parse reads the name from
//    a null attribute);
//  - a data attribute (a set element's key, key end or data; an
//    immediate's, cmp's, bitwise's or range's operand) that is not
//    exactly one value of 1 to 64 bytes or, where a verdict may stand,
//    exactly one verdict: with neither, nftnl_parse_data leaves its caller's
//    `type` as it was (uninitialised, or DATA_CHAIN from the element's
//    key), and the element or immediate then reports a chain whose pointer
//    is NULL, so nftnl_set_elem_get / nftnl_expr_get run strlen(NULL);
//  - a verdict without a 32-bit code, or a jump or goto without its chain
//    (nftnl_parse_verdict reads its tb[] uninitialised);
//  - a set element attribute of type 0 or above libnftnl's
//    NFTA_SET_ELEM_MAX (11): nftnl_set_elem_parse_attr_cb checks types
//    against NFTA_SET_MAX and stores them past its tb[] on the stack.
// Any other message is true.
bool libnftnl_can_parse(const nlmsghdr* nlh);

}  // namespace icmpwall::audit
