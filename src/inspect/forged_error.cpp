// ForgedErrorValidator: ICMP errors whose quoted datagram this host cannot
// have sent. See forged_error.h for what is judged and what is let pass.
#include "icmpwall/inspect/forged_error.h"

#include "icmpwall/policy/icmp_types.h"

namespace icmpwall::inspect {

namespace {

bool is_checked_error(Family family, uint8_t type) {
  if (family == Family::ipv4) return type == 3 || type == 4 || type == 11 || type == 12;
  return type >= 1 && type <= 4;
}

Finding not_ours(const Packet& packet, const char* signal) {
  Finding f;
  f.outcome = Outcome::drop;
  f.reason = "error-not-ours";
  f.score = 1;
  f.signals.push_back({signal, 1, 0});
  return f;
}

}  // namespace

bool ForgedErrorValidator::applies(const Packet& packet) {
  return is_checked_error(packet.ip.family, packet.icmp.type);
}

Finding ForgedErrorValidator::check(const Packet& packet) const {
  if (!applies(packet) || !packet.embedded) return Finding{};
  const Embedded& e = *packet.embedded;
  if (e.ip.family != packet.ip.family || !routes_.is_local(e.ip.src))
    return not_ours(packet, "quoted-source-not-local");
  if (config_.drop_quoted_errors && e.icmp) {
    const auto* info = policy::find_type(e.ip.family, e.icmp->type);
    if (info && info->error) return not_ours(packet, "quoted-icmp-error");
  }
  return Finding{};
}

}  // namespace icmpwall::inspect
