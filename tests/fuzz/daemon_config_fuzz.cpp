// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target for the daemon's config reader: arbitrary bytes through
// parse_config_text (TOML++ and the key checks), then the diagnostics are
// rendered. Whatever the input, it must return a config or diagnostics,
// never crash, hang, leak or hit undefined behaviour.
//
// Seeds: tests/fuzz/corpus/daemon_config/. Build with -DICMPWALL_FUZZ=ON
// and clang (.ci/fuzz).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "icmpwall/daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A real config is a few hundred bytes.
  if (size > 16 * 1024) return -1;
  icmpwall::Diagnostics diags;
  auto config = icmpwall::daemon::parse_config_text(
      "/etc/icmpwall/icmpwall.toml", std::string(reinterpret_cast<const char*>(data), size), diags);
  // A config is either returned or refused with at least one error.
  if (config.has_value() == diags.has_errors()) __builtin_trap();
  std::ostringstream out;
  diags.render(out);
  return 0;
}
