// libFuzzer target for the audit's netlink decoders: arbitrary bytes as the
// answers of a ruleset dump (netlink messages back to back: NEWTABLE,
// NEWCHAIN, NEWSET, NEWSETELEM, NEWOBJ, NEWRULE) through
// decode_dump_messages, which parses each with libnftnl and decodes it into
// the audit's model (decode_table/chain/set/set_elem/object/rule/expr);
// every rule that comes out is then described. Whatever the input, they
// must return a Ruleset or an error, never crash, hang, leak or hit
// undefined behaviour.
//
// Seeds: tests/fuzz/corpus/audit_decode/, whole dumps recorded from
// namespaces with icmpwall's presets and third-party rulesets loaded
// (tests/fuzz/record_dump.py). Build with -DICMPWALL_FUZZ=ON and clang (.ci/fuzz).
#include <cstddef>
#include <cstdint>
#include <span>

#include "icmpwall/audit/describe.h"
#include "icmpwall/audit/dump_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A whole preset's dump is a few KiB; larger inputs only slow the search.
  if (size > 256 * 1024) return -1;
  auto rs = icmpwall::audit::decode_dump_messages(std::span<const uint8_t>(data, size));
  if (!rs) return 0;
  size_t text = 0;
  for (const auto& t : rs->tables)
    for (const auto& c : t.chains)
      for (const auto& r : c.rules) text += icmpwall::audit::describe(r).size();
  __asm__ volatile("" : : "r"(text));
  return 0;
}
