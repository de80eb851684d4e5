// SPDX-License-Identifier: GPL-2.0-or-later
// Measures of an echo payload's content that no real-ping model explains:
// its byte entropy and whether it reads as text (and as shell traffic).
//
// Entropy is the Shannon entropy of the byte histogram, in bits per byte.
// Its ceiling depends on the length: n bytes hold at most log2(n) bits per
// byte when n < 256, and even uniformly random bytes fall short of the
// ceiling by about 0.7 bits at every length up to a few hundred bytes. A
// fixed threshold is therefore scaled by log2(n)/8 below 256 bytes:
// 7.0 bits at 256+ bytes becomes 5.25 at 64 and 4.4 at 32, where random
// or encrypted data measures about 5.7 and 4.9. Patterned fills would score
// high on this measure (iputils' counting bytes are all distinct) and are
// never measured: the ping model is tested first.
#pragma once

#include <cstdint>
#include <span>

namespace icmpwall::inspect {

// Shannon entropy of the byte histogram, bits per byte (0 for empty).
double shannon_entropy(std::span<const uint8_t> bytes);

// The threshold `bits` (stated for payloads of 256 bytes or more) scaled
// to a payload of `len` bytes.
double entropy_threshold(double bits, size_t len);

// Share of bytes that are printable ASCII, tab, CR or LF.
double printable_ratio(std::span<const uint8_t> bytes);

// True if the text contains a marker of an interactive shell: a prompt, a
// common command, or the banner a Windows or Unix shell prints (icmpsh,
// Invoke-PowerShellIcmp and icmpdoor carry commands and their output as
// plain text). Case-insensitive; looks at the first 512 bytes.
bool has_shell_marker(std::span<const uint8_t> bytes);

}  // namespace icmpwall::inspect
