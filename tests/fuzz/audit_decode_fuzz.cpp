// libFuzzer target for the audit's netlink decoders: arbitrary bytes as the
// answers of a ruleset dump (netlink messages back to back: NEWTABLE,
// NEWCHAIN, NEWSET, NEWSETELEM, NEWOBJ, NEWRULE) through
// decode_dump_messages, which parses each with libnftnl and decodes it into
// the audit's model (decode_table/chain/set/set_elem/object/rule/expr);
// every rule that comes out is then described. Whatever the input, they
// must return a Ruleset or an error, never crash, hang, leak or hit
// undefined behaviour.
//
// Two things libnftnl (1.2.4) does with bytes no kernel sends are not the
// decoders' to survive, so here they are inputs refused: for an attribute
// of the wrong size it prints "nf_tables kernel ABI is broken" and calls
// exit(1); for an expression without NFTA_EXPR_NAME it calls
// nftnl_expr_alloc((char*)4), which reads address 4. While decoding, both
// throw back to this function instead (exit() and nftnl_expr_alloc() are
// defined here, ahead of the libraries'; libnftnl and libmnl have unwind
// tables, and the decoders' handles are freed on the way), and libnftnl's
// message goes to /dev/null.
//
// Seeds: tests/fuzz/corpus/audit_decode/, whole dumps recorded from
// namespaces with icmpwall's presets and third-party rulesets loaded
// (tests/fuzz/make_audit_seeds.sh). Build with -DICMPWALL_FUZZ=ON and clang (.ci/fuzz).
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>

// clang-format off
#include <libnftnl/expr.h>
// clang-format on

#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/dump_messages.h"

namespace {

struct AbiBreakage {};
bool decoding = false;

}  // namespace

// Defines the process's exit(), ahead of libc's: the symbol is exit, the
// C++ name is not, so that it may throw.
[[noreturn]] void exit_hook(int status) __asm__("exit");

[[noreturn]] void exit_hook(int status) {
  if (decoding) throw AbiBreakage{};
  static auto real = reinterpret_cast<void (*)(int)>(dlsym(RTLD_NEXT, "exit"));
  real(status);
  __builtin_unreachable();
}

extern "C" nftnl_expr* nftnl_expr_alloc(const char* name) {
  if (decoding && reinterpret_cast<uintptr_t>(name) < 4096) throw AbiBreakage{};
  static auto real =
      reinterpret_cast<nftnl_expr* (*)(const char*)>(dlsym(RTLD_NEXT, "nftnl_expr_alloc"));
  return real(name);
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
  } catch (const AbiBreakage&) {
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
