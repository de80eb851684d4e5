// SPDX-License-Identifier: GPL-2.0-or-later
// The table of inspection knobs (policy/inspect_settings.h). Ranges are
// those the detectors' validate() accepts, narrowed to what makes sense in
// a policy (a block of at most a week, at most 2^24 flows); defaults are the
// detectors' struct defaults.
#include "icmpwall/policy/inspect_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace icmpwall::policy {
namespace {

constexpr double kMaxTable = 16777216;  // 2^24 entries
constexpr double kWeek = 604800;
constexpr double kDay = 86400;

KnobValue int_value(int64_t v) {
  return {.integer = v};
}
KnobValue number_value(double v) {
  return {.number = v};
}
KnobValue flag_value(bool v) {
  return {.flag = v};
}

Knob integer(std::string_view section, std::string_view key, double lo, double hi, int64_t def,
             std::string_view doc) {
  return {section, key, KnobKind::integer, lo, hi, false, {}, int_value(def), doc};
}

Knob seconds(std::string_view section, std::string_view key, double lo, double hi, int64_t def,
             std::string_view doc) {
  return {section, key, KnobKind::seconds, lo, hi, false, {}, int_value(def), doc};
}

// A number in (lo, hi] when `open`, else [lo, hi].
Knob number(std::string_view section, std::string_view key, double lo, bool open, double hi,
            double def, std::string_view doc) {
  return {section, key, KnobKind::number, lo, hi, open, {}, number_value(def), doc};
}

Knob boolean(std::string_view section, std::string_view key, bool def, std::string_view doc) {
  return {section, key, KnobKind::boolean, 0, 1, false, {}, flag_value(def), doc};
}

Knob enforce(std::string_view section, std::string_view doc) {
  return {section, "enforce", KnobKind::choice,         0,
          2,       false,     {"log", "drop", "block"}, KnobValue{.choice = 2},
          doc};
}

Knob choice(std::string_view section, std::string_view key, std::vector<std::string_view> choices,
            uint8_t def, std::string_view doc) {
  return {section,
          key,
          KnobKind::choice,
          0,
          static_cast<double>(choices.size() - 1),
          false,
          std::move(choices),
          KnobValue{.choice = def},
          doc};
}

Knob prefixes(std::string_view section, std::string_view key, std::string_view doc) {
  return {section, key, KnobKind::prefixes, 0, 0, false, {}, KnobValue{}, doc};
}

Knob weight(std::string_view key, double def, std::string_view doc) {
  return number("tunnel.weights", key, 0, false, 1000, def, doc);
}

std::vector<Knob> make_knobs() {
  std::vector<Knob> k;
  // [inspect]
  k.push_back(
      enforce("",
              "the cap on every detector: `\"log\"` drops and blocks nothing and its events "
              "say what would have been done (how to roll detection out), `\"drop\"` blocks "
              "nobody, `\"block\"` leaves each detector its own `enforce`"));
  // [inspect.tunnel]
  k.push_back(integer(
      "tunnel", "max-echo-payload", 0, 65535, 1472,
      "largest echo payload (bytes) not counted as `size` unless a real-ping model explains it"));
  k.push_back(integer("tunnel", "entropy-min-payload", 1, 65535, 32,
                      "entropy is measured on unexplained payloads of at least this many bytes"));
  k.push_back(
      number("tunnel", "entropy-bits", 0, true, 8, 7,
             "bits per byte over which an unexplained payload counts as `entropy` (for 256+ bytes, "
             "scaled by log2(n)/8 below)"));
  k.push_back(number("tunnel", "text-min-ratio", 0, true, 1, 0.9,
                     "share of printable bytes that makes an unexplained payload `text`"));
  k.push_back(integer("tunnel", "text-min-payload", 1, 65535, 4,
                      "shortest payload (bytes) judged as text"));
  k.push_back(integer(
      "tunnel", "variation-changes", 1, 8, 4,
      "of a flow's last 8 payloads, how many may differ from the one before until `variation` "
      "fires"));
  k.push_back(seconds("tunnel", "rate-window", 1, 3600, 10,
                      "window over which a flow's packet rate is averaged"));
  k.push_back(number("tunnel", "max-packets-per-second", 0, true, 1e6, 20,
                     "packets per second of a flow (both directions) over which `rate` fires"));
  k.push_back(seconds("tunnel", "volume-window", 1, 3600, 10,
                      "window over which a flow's information bytes are averaged"));
  k.push_back(number("tunnel", "max-bytes-per-second", 0, true, 1e9, 4096,
                     "information bytes per second of a flow over which `volume` fires"));
  k.push_back(number("tunnel", "drop-score", 0, true, 1000, 4,
                     "a packet whose signals weigh this much is dropped"));
  k.push_back(number("tunnel", "block-score", 0, true, 1000, 12,
                     "a side of a flow (its requests, or its replies) whose decayed score reaches "
                     "this is blocked: the sender of that evidence, once the flow completed an "
                     "exchange"));
  k.push_back(seconds("tunnel", "score-half-life", 1, kDay, 60, "half-life of a flow's score"));
  k.push_back(
      seconds("tunnel", "block-for", 1, kWeek, 600, "how long a blocked sender stays blocked"));
  k.push_back(enforce("tunnel", "how far the tunnel detector may act (see below)"));
  k.push_back(
      integer("tunnel", "max-flows", 1, kMaxTable, 65536,
              "flows tracked at once, least recently seen dropped beyond (about 290 bytes each)"));
  k.push_back(number("tunnel", "protected-share", 0, false, 0.9, 0.25,
                     "share of `max-flows` kept for flows that showed a signal other than "
                     "`rate`: a flood of new sources cannot evict them (0: plain LRU)"));
  k.push_back(integer("tunnel", "max-pending-requests", 1, kMaxTable, 16384,
                      "echo requests remembered for reply matching (about 90 bytes each)"));
  k.push_back(
      seconds("tunnel", "flow-idle-timeout", 1, kDay, 120, "a flow idle this long starts afresh"));
  k.push_back(seconds("tunnel", "reply-timeout", 1, 3600, 30,
                      "a request unanswered this long is forgotten"));
  k.push_back(number("tunnel", "max-bulk-bytes-per-second", 0, true, 1e9, 262144,
                     "information bytes per second of one side over which `bulk` fires (bytes "
                     "past the copy range count)"));
  k.push_back(integer("tunnel", "max-fill-patterns", 1, 7, 4,
                      "distinct fill patterns (`ping -p`) one source may send one destination "
                      "within `pattern-window`, across flows"));
  k.push_back(seconds("tunnel", "pattern-window", 1, kDay, 600,
                      "window in which a source's distinct fill patterns are counted"));
  k.push_back(integer("tunnel", "max-pattern-pairs", 1, kMaxTable, 16384,
                      "(source, destination) pairs whose fill patterns and recent payloads are "
                      "remembered (about 190 bytes each)"));
  // [inspect.tunnel.weights]: 0 turns a signal off.
  k.push_back(weight("size", 1, "weight of `size`: a large payload no ping model explains"));
  k.push_back(weight("entropy", 3, "weight of `entropy`: an unexplained payload of high entropy"));
  k.push_back(weight("text", 2, "weight of `text`: an unexplained payload of printable text"));
  k.push_back(weight("shell", 4, "weight of `shell`: shell commands or their output"));
  k.push_back(weight("reply-mismatch", 3,
                     "weight of `reply-mismatch`: a reply whose payload differs from its "
                     "request's"));
  k.push_back(weight("variation", 2, "weight of `variation`: consecutive payloads differ"));
  k.push_back(weight("rate", 1, "weight of `rate`: packets per second over the limit"));
  k.push_back(
      weight("volume", 2, "weight of `volume`: information bytes per second over the limit"));
  k.push_back(weight("query-size", 4, "weight of `query-size`: a query message of the wrong size"));
  k.push_back(weight("ip-packet", 12, "weight of `ip-packet`: the payload is an IP packet"));
  k.push_back(weight("ptunnel", 12, "weight of `ptunnel`: ptunnel's layout"));
  k.push_back(weight("hans", 12, "weight of `hans`: hans' layout"));
  k.push_back(weight("pingtunnel", 12, "weight of `pingtunnel`: pingtunnel's layout"));
  k.push_back(weight("mimicry", 2,
                     "weight of `mimicry`: text or random bytes after a real ping's timestamp"));
  k.push_back(
      weight("unsolicited", 2, "weight of `unsolicited`: an echo reply to no request seen"));
  k.push_back(
      weight("bulk", 4, "weight of `bulk`: information bytes per second far over any ping"));
  k.push_back(weight("pattern-variety", 4,
                     "weight of `pattern-variety`: more distinct fill patterns than allowed"));
  // [inspect.sweep]
  k.push_back(seconds("sweep", "window", 2, 3600, 30,
                      "window in which a source's distinct destinations are counted"));
  k.push_back(integer("sweep", "max-destinations", 2, 256, 32,
                      "distinct destinations one source may query within the window"));
  k.push_back(integer("sweep", "sequence-run", 2, 65536, 16,
                      "a run this long of new destinations in rising address order is a sweep"));
  k.push_back(integer("sweep", "sequence-max-gap", 1, 65536, 8,
                      "the largest step between neighbours of such a run (addresses)"));
  k.push_back(
      integer("sweep", "ipv4-prefix", 1, 32, 32, "IPv4 sources are grouped by this prefix length"));
  k.push_back(integer("sweep", "ipv6-prefix", 1, 128, 64,
                      "IPv6 sources are grouped by this prefix length"));
  k.push_back(integer(
      "sweep", "max-sources", 1, kMaxTable, 65536,
      "sources tracked at once, least recently seen dropped beyond (about 210 bytes each)"));
  k.push_back(number("sweep", "protected-share", 0, false, 0.9, 0.25,
                     "share of `max-sources` kept for sources that queried two or more "
                     "destinations: a flood of new sources cannot evict them (0: plain LRU)"));
  k.push_back(
      seconds("sweep", "block-for", 1, kWeek, 600, "how long a sweeping source stays blocked"));
  k.push_back(enforce("sweep", "how far the sweep detector may act (see below)"));
  // [inspect.block]
  k.push_back(integer("block", "ipv4-prefix", 1, 32, 32,
                      "a blocked IPv4 source takes its prefix of this length with it"));
  k.push_back(integer("block", "ipv6-prefix", 1, 128, 64,
                      "a blocked IPv6 source takes its prefix of this length with it (one holder "
                      "owns a /64 at least)"));
  k.push_back(prefixes("block", "never-block",
                       "prefixes never blocked whatever their traffic (monitoring systems, "
                       "resolvers, peers); the host's own addresses, its gateways and routers, "
                       "link-local, loopback and multicast never are, listed or not"));
  k.push_back(choice("block", "verify", {"link", "route"}, 0,
                     "what a sender must prove before the kernel blocks it: `\"link\"`: it is "
                     "on a directly connected network and the frame came from its own "
                     "link-layer address (off-link senders: their packets are dropped, nobody "
                     "is blocked); `\"route\"`: as `link`, and off-link senders too when the "
                     "route back to them leaves by the interface the packet came in on"));
  // [inspect.redirect]
  k.push_back(boolean(
      "redirect", "accept", true,
      "accept redirects that pass every check; `false` drops them all (default `false` when "
      "`role = \"router\"`)"));
  k.push_back(boolean("redirect", "require-datagram", true,
                      "an ICMPv6 redirect must carry a redirected header quoting the datagram"));
  k.push_back(
      seconds("redirect", "block-for", 0, kWeek, 0,
              "block the source of a redirect not sent by the gateway this long (0: drop only)"));
  // [inspect.errors]
  k.push_back(
      boolean("errors", "drop-quoted-errors", true,
              "drop ICMP errors that quote an ICMP error (RFC 1122 3.2.2 forbids sending them)"));
  return k;
}

std::string format_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

}  // namespace

const std::vector<Knob>& inspect_knobs() {
  static const std::vector<Knob> knobs = make_knobs();
  return knobs;
}

const std::vector<std::string_view>& inspect_sections() {
  static const std::vector<std::string_view> sections = {
      "", "tunnel", "tunnel.weights", "sweep", "block", "redirect", "errors"};
  return sections;
}

std::string section_header(std::string_view section) {
  return section.empty() ? "[inspect]" : fmt::format("[inspect.{}]", section);
}

std::vector<std::string_view> inspect_keys(std::string_view section) {
  std::vector<std::string_view> keys;
  for (const auto& k : inspect_knobs())
    if (k.section == section) keys.push_back(k.key);
  return keys;
}

const Knob* find_knob(std::string_view section, std::string_view key) {
  for (const auto& k : inspect_knobs())
    if (k.section == section && k.key == key) return &k;
  return nullptr;
}

std::string format_value(const Knob& knob, const KnobValue& value) {
  switch (knob.kind) {
    case KnobKind::integer:
    case KnobKind::seconds: return fmt::format("{}", value.integer);
    case KnobKind::number: return format_number(value.number);
    case KnobKind::boolean: return value.flag ? "true" : "false";
    case KnobKind::choice:
      return value.choice < knob.choices.size() ? fmt::format("\"{}\"", knob.choices[value.choice])
                                                : "?";
    case KnobKind::prefixes: {
      std::string out;
      for (const auto& p : value.prefixes)
        out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", p);
      return "[" + out + "]";
    }
  }
  return "?";
}

std::string describe_range(const Knob& knob) {
  switch (knob.kind) {
    case KnobKind::integer:
      return fmt::format("integer {}..{}", format_number(knob.min), format_number(knob.max));
    case KnobKind::seconds:
      return fmt::format("seconds {}..{}", format_number(knob.min), format_number(knob.max));
    case KnobKind::number:
      return fmt::format("number in {}{}, {}]", knob.min_open ? "(" : "[", format_number(knob.min),
                         format_number(knob.max));
    case KnobKind::boolean: return "true or false";
    case KnobKind::prefixes: return "array of prefixes";
    case KnobKind::choice: {
      std::string out;
      for (size_t i = 0; i < knob.choices.size(); ++i) {
        if (i) out += i + 1 == knob.choices.size() ? " or " : ", ";
        out += fmt::format("\"{}\"", knob.choices[i]);
      }
      return out;
    }
  }
  return "?";
}

bool in_range(const Knob& knob, const KnobValue& value) {
  switch (knob.kind) {
    case KnobKind::integer:
    case KnobKind::seconds:
      return static_cast<double>(value.integer) >= knob.min &&
             static_cast<double>(value.integer) <= knob.max;
    case KnobKind::number:
      return std::isfinite(value.number) &&
             (knob.min_open ? value.number > knob.min : value.number >= knob.min) &&
             value.number <= knob.max;
    case KnobKind::boolean: return true;
    case KnobKind::prefixes: return true;  // the parser checks each prefix
    case KnobKind::choice: return value.choice < knob.choices.size();
  }
  return false;
}

std::string inspect_settings_markdown() {
  std::string out;
  for (auto section : inspect_sections()) {
    out += fmt::format("`{}`\n\n| key | type | default | meaning |\n|---|---|---|---|\n",
                       section_header(section));
    for (const auto& k : inspect_knobs()) {
      if (k.section != section) continue;
      std::string range = describe_range(k);
      std::string def = format_value(k, k.default_value);
      out += fmt::format("| `{}` | {} | `{}` | {} |\n", k.key, range, def, k.doc);
    }
    out += "\n";
  }
  return out;
}

const InspectSetting* InspectSettings::find(std::string_view section, std::string_view key) const {
  for (const auto& s : values)
    if (s.knob && s.knob->section == section && s.knob->key == key) return &s;
  return nullptr;
}

}  // namespace icmpwall::policy
