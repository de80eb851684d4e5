// SPDX-License-Identifier: GPL-2.0-or-later
// Names of the meta and ct keys, and values as nft prints them: a value
// loaded from a field the kernel keeps in host byte order (meta mark, ct
// zone, ...) reads as that number, not as its bytes.
#pragma once

#include <cstdint>
#include <string>

#include "icmpwall/audit/ruleset.h"

namespace icmpwall::audit {

// "meta mark", "meta priority", ...; "meta key N" past the known keys.
std::string meta_key_name(uint32_t key);
// "ct zone", "ct mark", ...; "ct key N" past the known keys.
std::string ct_key_name(uint32_t key);

// A value compared with the field(s) `label` names ("ip saddr", "meta
// mark & 0x0000ff00", "meta iifname"): addresses as addresses, interface
// names as strings, host-order fields as their number (marks in hex as nft
// prints them), single bytes in decimal, anything else as its hex bytes.
std::string value_text(const std::string& label, const Bytes& data);

// The " & 0x..." a mask adds to the label of a field, the mask in the
// field's byte order.
std::string mask_text(const std::string& label, const Bytes& mask);

}  // namespace icmpwall::audit
