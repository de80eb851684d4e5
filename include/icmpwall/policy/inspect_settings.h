// SPDX-License-Identifier: GPL-2.0-or-later
// The inspection settings a policy may set: [inspect] itself (the
// policy-wide cap), [inspect.tunnel], [inspect.tunnel.weights],
// [inspect.sweep], [inspect.block], [inspect.redirect] and
// [inspect.errors].
//
// The policy stage knows the knobs only as a table (section, key, kind,
// range, default, one line of documentation); the parser checks values
// against it and keeps what the policy gives, each with its position. The
// inspect stage (inspect/engine_config.h) maps each knob onto the field of
// its detector's settings. The defaults here are those of the detectors'
// structs; a unit test of the inspect stage keeps the two in agreement.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "icmpwall/util/source.h"

namespace icmpwall::policy {

enum class KnobKind : uint8_t {
  integer,   // a TOML integer
  number,    // a TOML integer or float
  seconds,   // a TOML integer, whole seconds
  boolean,   // true or false
  choice,    // one of Knob::choices, as a string
  prefixes,  // an array of address prefixes ("198.18.0.0/15"), host bits clear
};

// A knob's value: integer and seconds knobs use `integer`, number knobs
// `number`, boolean knobs `flag`, choice knobs `choice` (an index into
// Knob::choices), prefix knobs `prefixes` (each as "address/length", the
// address as util's format_addr prints it).
struct KnobValue {
  int64_t integer = 0;
  double number = 0;
  bool flag = false;
  uint8_t choice = 0;
  std::vector<std::string> prefixes;
  bool operator==(const KnobValue&) const = default;
};

struct Knob {
  std::string_view section;  // "" ([inspect] itself), "tunnel", "tunnel.weights", "sweep", ...
  std::string_view key;      // kebab-case, "max-echo-payload"
  KnobKind kind = KnobKind::integer;
  double min = 0;  // integer, number, seconds: the valid range
  double max = 0;
  bool min_open = false;                  // number: min itself is not valid, "(0, 8]"
  std::vector<std::string_view> choices;  // choice knobs
  KnobValue default_value;
  std::string_view doc;  // one line
};

// Every knob, grouped by section in the order of inspect_sections().
const std::vector<Knob>& inspect_knobs();
// "" ([inspect] itself), "tunnel", "tunnel.weights", "sweep", "block",
// "redirect", "errors".
const std::vector<std::string_view>& inspect_sections();
// "[inspect]" for "", "[inspect.tunnel]" for "tunnel".
std::string section_header(std::string_view section);
// The keys of one section, in table order.
std::vector<std::string_view> inspect_keys(std::string_view section);
const Knob* find_knob(std::string_view section, std::string_view key);

// "1472", "7.0", "true", "\"block\"", as a policy would write the value.
std::string format_value(const Knob& knob, const KnobValue& value);
// "an integer 0..65535", "a number in (0, 8]", "whole seconds 1..86400",
// "true or false", "\"log\", \"drop\" or \"block\"".
std::string describe_range(const Knob& knob);
// True if `value` is within the knob's range.
bool in_range(const Knob& knob, const KnobValue& value);

// The README's table of knobs (one row per knob, Markdown), so that the
// documentation can be checked against this table.
std::string inspect_settings_markdown();

// One value the policy gives.
struct InspectSetting {
  const Knob* knob = nullptr;
  KnobValue value;
  SourceLoc loc;  // the value
};

// What a policy's [inspect.*] tables say, in file order. Knobs the policy
// does not name keep their defaults.
struct InspectSettings {
  std::vector<InspectSetting> values;

  bool empty() const { return values.empty(); }
  const InspectSetting* find(std::string_view section, std::string_view key) const;
};

}  // namespace icmpwall::policy
