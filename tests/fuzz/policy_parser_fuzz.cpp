// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target for the policy stage: arbitrary bytes through the TOML
// parser, the policy checks and the lint. Whatever the input, they must
// return diagnostics, never crash, hang, leak or hit undefined behaviour.
//
// Seeds: tests/fuzz/corpus/policy_parser/. Build with -DICMPWALL_FUZZ=ON and
// clang; add -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined
// so that the policy library itself is instrumented too.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "icmpwall/policy/lint.h"
#include "icmpwall/policy/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Real policies are a few KiB; larger inputs only slow the search down.
  if (size > 64 * 1024) return -1;
  icmpwall::Diagnostics diags;
  auto policy = icmpwall::policy::parse_policy_text(
      "fuzz.toml", std::string(reinterpret_cast<const char*>(data), size), diags);
  if (policy) icmpwall::policy::lint(*policy, diags);
  // Rendering reads the source lines at every position the stage reported.
  std::ostringstream out;
  diags.render(out);
  return 0;
}
