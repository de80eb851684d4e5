// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target for the audit's netlink decoders: arbitrary bytes as the
// answers of a ruleset dump (netlink messages back to back: NEWTABLE,
// NEWCHAIN, NEWSET, NEWSETELEM, NEWOBJ, NEWRULE) through
// decode_dump_messages, which parses each with libnftnl and decodes it into
// the audit's model (decode_table/chain/set/set_elem/object/rule/expr);
// every rule that comes out is then described. Whatever the input, they
// must return a Ruleset or an error, never crash, hang, leak or hit
// undefined behaviour.
//
// libnftnl (1.2.4) trusts the kernel's messages more than the decoders
// may trust bytes. The shapes on which it corrupts memory or dereferences
// a null pointer are refused by the product itself before libnftnl sees
// them (src/audit/nftnl_guard.h: a set element attribute past its stack
// array, data attributes with neither or both of a value and a verdict, a
// jump without its chain, an expression without a name). Two habits
// remain that are not the decoders' to survive, so here they are inputs
// refused: for an attribute of the wrong size it prints "nf_tables kernel
// ABI is broken" and calls exit(1); for another required attribute that
// is missing it reads it anyway through libmnl's accessors from a null
// pointer. While decoding, exit() and those accessors called with no
// attribute throw back to this function instead (they are defined here,
// ahead of the libraries'; libnftnl and libmnl have unwind tables, and the
// decoders' handles are freed on the way), libnftnl's message goes to
// /dev/null, and what libnftnl allocated itself when it was cut short is
// not reported as a leak.
//
// Seeds: tests/fuzz/corpus/audit_decode/, whole dumps recorded from
// namespaces with icmpwall's presets and third-party rulesets loaded
// (tests/fuzz/make_audit_seeds.sh). Build with -DICMPWALL_FUZZ=ON and clang (.ci/fuzz).
#include <dlfcn.h>
#include <libmnl/libmnl.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>

#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/dump_messages.h"

namespace {

struct Refused {};
bool decoding = false;

template <typename Fn>
Fn* next(const char* name) {
  return reinterpret_cast<Fn*>(dlsym(RTLD_NEXT, name));
}

}  // namespace

// The process's exit(), ahead of libc's: the symbol is exit, the C++ name
// is not, so that it may throw.
[[noreturn]] void exit_hook(int status) __asm__("exit");
[[noreturn]] void exit_hook(int status) {
  if (decoding) throw Refused{};
  static auto* real = next<void(int)>("exit");
  real(status);
  __builtin_unreachable();
}

#define REFUSE_MISSING_ATTR(type, fn)                   \
  extern "C" type fn(const nlattr* attr) {              \
    if (decoding && !attr) throw Refused{};             \
    static auto* real = next<type(const nlattr*)>(#fn); \
    return real(attr);                                  \
  }
REFUSE_MISSING_ATTR(uint16_t, mnl_attr_get_type)
REFUSE_MISSING_ATTR(uint16_t, mnl_attr_get_len)
REFUSE_MISSING_ATTR(uint16_t, mnl_attr_get_payload_len)
REFUSE_MISSING_ATTR(void*, mnl_attr_get_payload)
REFUSE_MISSING_ATTR(uint8_t, mnl_attr_get_u8)
REFUSE_MISSING_ATTR(uint16_t, mnl_attr_get_u16)
REFUSE_MISSING_ATTR(uint32_t, mnl_attr_get_u32)
REFUSE_MISSING_ATTR(uint64_t, mnl_attr_get_u64)
REFUSE_MISSING_ATTR(const char*, mnl_attr_get_str)

extern "C" const char* __lsan_default_suppressions() {
  return "leak:libnftnl.so\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A whole preset's dump is a few KiB; larger inputs only slow the search.
  if (size > 256 * 1024) return -1;
  static FILE* devnull = fopen("/dev/null", "w");
  FILE* err = stderr;
  stderr = devnull;
  decoding = true;
  icmpwall::Result<icmpwall::audit::Ruleset> rs = icmpwall::Error{"", 0};
  try {
    rs = icmpwall::audit::decode_dump_messages(std::span<const uint8_t>(data, size));
  } catch (const Refused&) {
  }
  decoding = false;
  stderr = err;
  if (!rs) return 0;
  size_t text = 0;
  for (const auto& t : rs->tables)
    for (const auto& c : t.chains)
      for (const auto& r : c.rules) text += icmpwall::audit::describe(r).size();
  __asm__ volatile("" : : "r"(text));
  return 0;
}
