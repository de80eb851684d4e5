// SPDX-License-Identifier: GPL-2.0-or-later
// policy::Policy -> inspect::EngineConfig. Each knob of the policy stage's
// table (policy/inspect_settings.h) is bound here to one field of the
// detectors' settings, by a setter and a getter; a knob without a field,
// or a field without a knob, is caught by the unit tests.
#include "icmpwall/inspect/engine_config.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "icmpwall/util/address.h"

namespace icmpwall::inspect {
namespace {

using policy::KnobValue;

struct Field {
  std::string_view section;
  std::string_view key;
  void (*set)(EngineConfig&, const KnobValue&);
  KnobValue (*get)(const EngineConfig&);
};

Enforce to_enforce(uint8_t choice) {
  switch (choice) {
    case 0: return Enforce::log;
    case 1: return Enforce::drop;
    default: return Enforce::block;
  }
}

uint8_t to_choice(Enforce e) {
  switch (e) {
    case Enforce::log: return 0;
    case Enforce::drop: return 1;
    case Enforce::block: return 2;
  }
  return 2;
}

#define ICMPWALL_INT(section, key, field, type)                                                   \
  Field {                                                                                         \
    section, key,                                                                                 \
        [](EngineConfig& c, const KnobValue& v) { c.field = static_cast<type>(v.integer); },      \
        [](const EngineConfig& c) { return KnobValue{.integer = static_cast<int64_t>(c.field)}; } \
  }
#define ICMPWALL_SECONDS(section, key, field)                                                   \
  Field {                                                                                       \
    section, key,                                                                               \
        [](EngineConfig& c, const KnobValue& v) { c.field = std::chrono::seconds(v.integer); }, \
        [](const EngineConfig& c) {                                                             \
          return KnobValue{.integer = static_cast<int64_t>(c.field.count())};                   \
        }                                                                                       \
  }
#define ICMPWALL_NUMBER(section, key, field)                                       \
  Field {                                                                          \
    section, key, [](EngineConfig& c, const KnobValue& v) { c.field = v.number; }, \
        [](const EngineConfig& c) { return KnobValue{.number = c.field}; }         \
  }
#define ICMPWALL_FLAG(section, key, field)                                       \
  Field {                                                                        \
    section, key, [](EngineConfig& c, const KnobValue& v) { c.field = v.flag; }, \
        [](const EngineConfig& c) { return KnobValue{.flag = c.field}; }         \
  }
#define ICMPWALL_ENFORCE(section, field)                                              \
  Field {                                                                             \
    section, "enforce",                                                               \
        [](EngineConfig& c, const KnobValue& v) { c.field = to_enforce(v.choice); },  \
        [](const EngineConfig& c) { return KnobValue{.choice = to_choice(c.field)}; } \
  }

// "198.18.0.0/15" -> a never-block prefix (the parser checked it).
std::optional<BlockConfig::Prefix> block_prefix(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::string addr = text.substr(0, slash);
  BlockConfig::Prefix p;
  const bool v6 = addr.find(':') != std::string::npos;
  p.network.family = v6 ? policy::Family::ipv6 : policy::Family::ipv4;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), p.network.bytes.data()) != 1)
    return std::nullopt;
  p.len = static_cast<uint8_t>(std::stoi(text.substr(slash + 1)));
  return p;
}

uint8_t to_choice(std::optional<Enforce> cap) {
  return to_choice(cap.value_or(Enforce::block));
}

const Field kFields[] = {
    // [inspect] enforce: a cap on every detector ("block" caps nothing).
    Field{"", "enforce",
          [](EngineConfig& c, const KnobValue& v) { c.enforce = to_enforce(v.choice); },
          [](const EngineConfig& c) { return KnobValue{.choice = to_choice(c.enforce)}; }},
    ICMPWALL_INT("tunnel", "max-echo-payload", tunnel.max_echo_payload, uint32_t),
    ICMPWALL_INT("tunnel", "entropy-min-payload", tunnel.entropy_min_payload, uint32_t),
    ICMPWALL_NUMBER("tunnel", "entropy-bits", tunnel.entropy_bits),
    ICMPWALL_NUMBER("tunnel", "text-min-ratio", tunnel.text_min_ratio),
    ICMPWALL_INT("tunnel", "text-min-payload", tunnel.text_min_payload, uint32_t),
    ICMPWALL_INT("tunnel", "variation-changes", tunnel.variation_changes, uint32_t),
    ICMPWALL_SECONDS("tunnel", "rate-window", tunnel.rate_window),
    ICMPWALL_NUMBER("tunnel", "max-packets-per-second", tunnel.max_packets_per_second),
    ICMPWALL_SECONDS("tunnel", "volume-window", tunnel.volume_window),
    ICMPWALL_NUMBER("tunnel", "max-bytes-per-second", tunnel.max_bytes_per_second),
    ICMPWALL_NUMBER("tunnel", "drop-score", tunnel.drop_score),
    ICMPWALL_NUMBER("tunnel", "block-score", tunnel.block_score),
    ICMPWALL_SECONDS("tunnel", "score-half-life", tunnel.score_half_life),
    ICMPWALL_SECONDS("tunnel", "block-for", tunnel.block_for),
    ICMPWALL_ENFORCE("tunnel", tunnel.enforce),
    ICMPWALL_INT("tunnel", "max-flows", tunnel.max_flows, uint32_t),
    ICMPWALL_NUMBER("tunnel", "protected-share", tunnel.protected_share),
    ICMPWALL_INT("tunnel", "max-pending-requests", tunnel.max_pending_requests, uint32_t),
    ICMPWALL_SECONDS("tunnel", "flow-idle-timeout", tunnel.flow_idle_timeout),
    ICMPWALL_SECONDS("tunnel", "reply-timeout", tunnel.reply_timeout),
    ICMPWALL_NUMBER("tunnel", "max-bulk-bytes-per-second", tunnel.max_bulk_bytes_per_second),
    ICMPWALL_INT("tunnel", "max-fill-patterns", tunnel.max_fill_patterns, uint32_t),
    ICMPWALL_SECONDS("tunnel", "pattern-window", tunnel.pattern_window),
    ICMPWALL_INT("tunnel", "max-pattern-pairs", tunnel.max_pattern_pairs, uint32_t),
    ICMPWALL_NUMBER("tunnel.weights", "size", tunnel.weights.size),
    ICMPWALL_NUMBER("tunnel.weights", "entropy", tunnel.weights.entropy),
    ICMPWALL_NUMBER("tunnel.weights", "text", tunnel.weights.text),
    ICMPWALL_NUMBER("tunnel.weights", "shell", tunnel.weights.shell),
    ICMPWALL_NUMBER("tunnel.weights", "reply-mismatch", tunnel.weights.reply_mismatch),
    ICMPWALL_NUMBER("tunnel.weights", "variation", tunnel.weights.variation),
    ICMPWALL_NUMBER("tunnel.weights", "rate", tunnel.weights.rate),
    ICMPWALL_NUMBER("tunnel.weights", "volume", tunnel.weights.volume),
    ICMPWALL_NUMBER("tunnel.weights", "query-size", tunnel.weights.query_size),
    ICMPWALL_NUMBER("tunnel.weights", "ip-packet", tunnel.weights.ip_packet),
    ICMPWALL_NUMBER("tunnel.weights", "ptunnel", tunnel.weights.ptunnel),
    ICMPWALL_NUMBER("tunnel.weights", "hans", tunnel.weights.hans),
    ICMPWALL_NUMBER("tunnel.weights", "pingtunnel", tunnel.weights.pingtunnel),
    ICMPWALL_NUMBER("tunnel.weights", "mimicry", tunnel.weights.mimicry),
    ICMPWALL_NUMBER("tunnel.weights", "unsolicited", tunnel.weights.unsolicited),
    ICMPWALL_NUMBER("tunnel.weights", "bulk", tunnel.weights.bulk),
    ICMPWALL_NUMBER("tunnel.weights", "pattern-variety", tunnel.weights.pattern_variety),
    ICMPWALL_SECONDS("sweep", "window", sweep.window),
    ICMPWALL_INT("sweep", "max-destinations", sweep.max_destinations, uint32_t),
    ICMPWALL_INT("sweep", "sequence-run", sweep.sequence_run, uint32_t),
    ICMPWALL_INT("sweep", "sequence-max-gap", sweep.sequence_max_gap, uint32_t),
    ICMPWALL_INT("sweep", "ipv4-prefix", sweep.ipv4_prefix, uint8_t),
    ICMPWALL_INT("sweep", "ipv6-prefix", sweep.ipv6_prefix, uint8_t),
    ICMPWALL_INT("sweep", "max-sources", sweep.max_sources, uint32_t),
    ICMPWALL_NUMBER("sweep", "protected-share", sweep.protected_share),
    ICMPWALL_SECONDS("sweep", "block-for", sweep.block_for),
    ICMPWALL_ENFORCE("sweep", sweep.enforce),
    ICMPWALL_INT("block", "ipv4-prefix", block.ipv4_prefix, uint8_t),
    ICMPWALL_INT("block", "ipv6-prefix", block.ipv6_prefix, uint8_t),
    Field{"block", "never-block",
          [](EngineConfig& c, const KnobValue& v) {
            c.block.never_block.clear();
            for (const auto& text : v.prefixes)
              if (auto p = block_prefix(text)) c.block.never_block.push_back(*p);
          },
          [](const EngineConfig& c) {
            KnobValue v;
            for (const auto& p : c.block.never_block)
              v.prefixes.push_back(
                  fmt::format("{}/{}",
                              format_addr(p.network.bytes.data(),
                                          p.network.family == policy::Family::ipv4 ? 4 : 16),
                              p.len));
            return v;
          }},
    Field{"block", "verify",
          [](EngineConfig& c, const KnobValue& v) {
            c.block.verify = v.choice == 1 ? BlockConfig::Verify::route : BlockConfig::Verify::link;
          },
          [](const EngineConfig& c) {
            return KnobValue{
                .choice = static_cast<uint8_t>(c.block.verify == BlockConfig::Verify::route)};
          }},
    ICMPWALL_FLAG("redirect", "accept", redirect.accept),
    ICMPWALL_FLAG("redirect", "require-datagram", redirect.require_datagram),
    ICMPWALL_SECONDS("redirect", "block-for", redirect.block_for),
    ICMPWALL_FLAG("errors", "drop-quoted-errors", forged_error.drop_quoted_errors),
};

#undef ICMPWALL_INT
#undef ICMPWALL_SECONDS
#undef ICMPWALL_NUMBER
#undef ICMPWALL_FLAG
#undef ICMPWALL_ENFORCE

const Field* find_field(std::string_view section, std::string_view key) {
  for (const auto& f : kFields)
    if (f.section == section && f.key == key) return &f;
  return nullptr;
}

// "tunnel: drop_score and block_score must be positive" ->
// "[inspect.tunnel] drop-score and block-score must be positive", with the
// position of the first setting of that section the message names.
Error policy_error(const policy::Policy& policy, std::string_view section,
                   const std::string& message) {
  std::string text = message;
  if (auto colon = text.find(": "); colon != std::string::npos) text = text.substr(colon + 2);
  std::replace(text.begin(), text.end(), '_', '-');
  text = fmt::format("{} {}", policy::section_header(section), text);
  for (const auto& s : policy.inspect.values) {
    if (!s.knob || s.knob->section != section || !s.loc.known()) continue;
    if (text.find(std::string(s.knob->key)) == std::string::npos) continue;
    return Error{fmt::format("{}:{}:{}: {}", s.loc.file->path(), s.loc.line, s.loc.col, text)};
  }
  return Error{text};
}

}  // namespace

Result<EngineConfig> engine_config(const policy::Policy& policy) {
  EngineConfig config;
  // RFC 1812 5.2.7.2: a router does not take redirects.
  config.redirect.accept = policy.role != policy::Role::router;
  // fragments = "reassemble" puts a ct expression in the table: the
  // namespace then tracks connections, and a packet without an entry
  // belongs to no flow the kernel knows.
  config.conntrack = policy.fragments == policy::Fragments::reassemble;
  for (const auto& s : policy.inspect.values) {
    if (!s.knob) continue;
    const Field* f = find_field(s.knob->section, s.knob->key);
    if (!f)
      return Error{fmt::format("{} {}: no inspection setting answers to this key",
                               policy::section_header(s.knob->section), s.knob->key)};
    f->set(config, s.value);
  }
  if (auto r = validate(config.tunnel); !r)
    return policy_error(policy, "tunnel", r.error().message);
  if (auto r = validate(config.sweep); !r) return policy_error(policy, "sweep", r.error().message);
  return config;
}

std::optional<policy::KnobValue> knob_value(const EngineConfig& config, std::string_view section,
                                            std::string_view key) {
  const Field* f = find_field(section, key);
  if (!f) return std::nullopt;
  return f->get(config);
}

}  // namespace icmpwall::inspect
