// SPDX-License-Identifier: GPL-2.0-or-later
// Rules, set elements, named objects, sets and base chains in nft syntax,
// as `nft list ruleset` prints them (nftables 1.0), for the drift report.
//
// A rule is rendered from its decoded expressions (ruleset.h) the way nft
// delinearizes it: loads name the field they read (`icmp type`, `ip6
// saddr`, `meta l4proto`, `fib daddr type`, `ct state`), compares and
// lookups print the value in the field's type (`echo-request`,
// `fe80::/10`, `@set`, `vmap @map`), the protocol dependencies nft adds
// (`meta nfproto ipv4`, `meta l4proto icmp`) are left out where the field
// that needed them follows, and the xt NFQUEUE target prints as the
// `queue num N bypass` nft shows for it. Two things differ from nft on
// purpose: a counter prints without its packet and byte values (they move
// with traffic), and an expression that cannot be rendered is not guessed:
// the rendered part is followed by `# unrendered: ` and the register text
// (describe.h) of what is left.
#pragma once

#include <string>
#include <string_view>

#include "icmpwall/audit/ruleset.h"

namespace icmpwall::audit {

// What follows a rule's rendered part when expressions could not be rendered.
inline constexpr std::string_view kUnrendered = "# unrendered: ";

// "icmp type echo-request drop"; `table` (may be nullptr) names the sets
// a lookup's key length is read from.
std::string nft_text(const Rule& r, const Table* table);

// "echo-request . 0-255 : jump input.v4.8", "198.18.0.1"; an interval's
// end element as its key followed by " (interval end)".
std::string nft_text(const Set& s, const SetElement& e);

// The body of a named object: "limit rate 10/second burst 20 packets",
// "counter", "quota over 100000 bytes".
std::string nft_text(const Object& o);

// The declaration of a set: "type ipv4_addr; flags interval,timeout; timeout 5m".
std::string nft_text(const Set& s);

// A chain's hook: "type filter hook input priority filter; policy accept;",
// or "regular chain".
std::string nft_text(const Chain& c);

}  // namespace icmpwall::audit
