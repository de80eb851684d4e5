// SPDX-License-Identifier: GPL-2.0-or-later
#include "shown.h"

namespace icmpwall::policy {

std::string shown(std::string_view value) {
  if (value.size() <= kMaxShown) return std::string(value);
  size_t cut = kMaxShown;
  // Back up over continuation bytes (10xxxxxx) to the start of a sequence.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xc0) == 0x80) --cut;
  return std::string(value.substr(0, cut)) + "…";
}

}  // namespace icmpwall::policy
