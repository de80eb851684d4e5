// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/crowdsec_decisions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "icmpwall/inspect/routes/routes.h"

namespace icmpwall::daemon {
namespace {

using json = nlohmann::json;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The deepest nesting of arrays and objects outside strings: checked
// before parsing, so no hostile body costs more than kMaxJsonDepth levels.
size_t json_depth(std::string_view s) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string text_of(const json& d, const char* key) {
  auto it = d.find(key);
  if (it == d.end() || !it->is_string()) return "";
  std::string s = it->get<std::string>();
  if (s.size() > kMaxDecisionText) s.resize(kMaxDecisionText);
  return s;
}

// One decision of the stream; `deleted`: its duration may be anything.
Result<Decision> decision_of(const json& d, bool deleted) {
  if (!d.is_object()) return Error{"a decision is not an object"};
  auto id = d.find("id");
  if (id == d.end() || !id->is_number_integer() || (id->is_number_integer() && *id < 0))
    return Error{"a decision without a numeric id"};
  for (const char* key : {"scope", "value"})
    if (!d.contains(key) || !d[key].is_string())
      return Error{fmt::format("a decision without a string \"{}\"", key)};
  Decision out;
  out.id = id->get<uint64_t>();
  TRY(out.prefix, decision_prefix(d["scope"].get<std::string>(), d["value"].get<std::string>()));
  auto duration = d.find("duration");
  if (duration != d.end() && duration->is_string()) {
    auto ms = parse_go_duration(duration->get<std::string>());
    if (!ms && !deleted) return ms.error();
    if (ms) out.remaining = *ms;
  } else if (!deleted) {
    return Error{"a decision without a duration"};
  }
  out.origin = text_of(d, "origin");
  out.scenario = text_of(d, "scenario");
  return out;
}

// Ban decisions of scope Ip or Range: the ones icmpwall applies.
bool applies(const json& d) {
  if (!d.is_object()) return true;  // rejected later, as malformed
  auto type = d.find("type"), scope = d.find("scope");
  if (type == d.end() || !type->is_string() || !iequals(type->get<std::string>(), "ban"))
    return false;
  if (scope == d.end() || !scope->is_string()) return true;
  const std::string s = scope->get<std::string>();
  return iequals(s, "ip") || iequals(s, "range");
}

Result<void> read_list(const json& doc, const char* key, bool deleted, StreamUpdate& out) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return ok();
  if (!it->is_array()) return Error{fmt::format("\"{}\" is not a list", key)};
  for (const auto& d : *it) {
    if (!applies(d)) {
      ++out.ignored;
      continue;
    }
    auto dec = decision_of(d, deleted);
    if (!dec) {
      if (out.rejected++ == 0) out.first_rejection = dec.error().message;
      continue;
    }
    (deleted ? out.deleted : out.added).push_back(std::move(*dec));
  }
  return ok();
}

}  // namespace

Result<StreamUpdate> parse_stream(std::string_view body) {
  if (body.size() > kMaxStreamBytes)
    return Error{fmt::format("the decision stream is larger than {} bytes", kMaxStreamBytes)};
  if (json_depth(body) > kMaxJsonDepth)
    return Error{fmt::format("the decision stream nests deeper than {} levels", kMaxJsonDepth)};
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) return Error{"the decision stream is not JSON"};
  if (!doc.is_object()) return Error{"the decision stream is not a JSON object"};
  StreamUpdate out;
  try {
    TRY_VOID(read_list(doc, "new", false, out));
    TRY_VOID(read_list(doc, "deleted", true, out));
  } catch (const std::exception& e) {
    return Error{std::string("the decision stream: ") + e.what()};
  }
  return out;
}

Result<std::chrono::milliseconds> parse_go_duration(std::string_view text) {
  const std::string_view whole = text;
  auto bad = [&] { return Error{fmt::format("'{}' is not a duration", whole.substr(0, 64))}; };
  if (text.empty() || text.size() > 64) return bad();
  double sign = 1;
  if (text.front() == '-' || text.front() == '+') {
    sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::milliseconds(0);
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"\xce\xbcs", 1e-3},
      {"ms", 1},    {"s", 1e3},   {"m", 60e3},         {"h", 3600e3}};
  double ms = 0;
  if (text.empty()) return bad();
  while (!text.empty()) {
    const size_t digits = text.find_first_not_of("0123456789.");
    if (digits == 0 || digits == std::string_view::npos) return bad();
    const std::string number(text.substr(0, digits));
    if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") return bad();
    double value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size()) return bad();
    text.remove_prefix(digits);
    const size_t unit_len = text.find_first_of("0123456789.");
    const std::string_view unit = text.substr(0, unit_len);
    auto u = std::find_if(std::begin(kUnits), std::end(kUnits),
                          [&](const auto& k) { return k.first == unit; });
    if (u == std::end(kUnits)) return bad();
    ms += value * u->second;
    text.remove_prefix(unit.size());
  }
  const double cap = std::chrono::duration<double, std::milli>(kMaxDecisionDuration).count();
  ms = std::min(ms, cap);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(sign * ms)));
}

Result<inspect::BlockedPrefix> decision_prefix(std::string_view scope, std::string_view value) {
  const bool range = iequals(scope, "range");
  if (!range && !iequals(scope, "ip"))
    return Error{fmt::format("scope '{}' is neither Ip nor Range", scope.substr(0, 32))};
  const std::string_view shown = value.substr(0, 64);
  if (value.size() > 64) return Error{fmt::format("'{}...' is not an address", shown)};
  std::string_view addr = value;
  std::optional<unsigned> len;
  if (const size_t slash = value.find('/'); slash != std::string_view::npos) {
    if (!range) return Error{fmt::format("'{}': scope Ip takes an address, not a range", shown)};
    addr = value.substr(0, slash);
    const std::string_view l = value.substr(slash + 1);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), n);
    if (l.empty() || ec != std::errc() || end != l.data() + l.size())
      return Error{fmt::format("'{}' has no valid prefix length", shown)};
    len = n;
  } else if (range) {
    return Error{fmt::format("'{}': scope Range takes A/LEN", shown)};
  }
  const auto a = inspect::parse_address(std::string(addr));
  if (!a) return Error{fmt::format("'{}' is not an IPv4 or IPv6 address", shown)};
  const unsigned width = a->family == policy::Family::ipv4 ? 32 : 128;
  if (len && *len > width)
    return Error{fmt::format("'{}': the prefix is longer than the address", shown)};
  const auto p = inspect::mask_prefix(*a, static_cast<uint8_t>(len.value_or(width)));
  if (p.address != *a) return Error{fmt::format("'{}' has host bits set", shown)};
  return p;
}

std::string to_string(const inspect::BlockedPrefix& p) {
  return fmt::format("{}/{}", inspect::to_string(p.address), p.length);
}

}  // namespace icmpwall::daemon
