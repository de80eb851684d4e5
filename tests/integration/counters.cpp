// SPDX-License-Identifier: GPL-2.0-or-later
// Named counters through `nft -j`, and the observer table. See counters.h.
#include "counters.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace icmpwall::integration {
namespace {

const Millis kNftTimeout{10'000};

const char* stage_name(Stage s) {
  return s == Stage::before ? "before" : "after";
}
const char* family_name(Family f) {
  return f == Family::v4 ? "v4" : "v6";
}

std::map<std::string, Counter> parse_counters(const std::string& json) {
  std::map<std::string, Counter> out;
  auto j = nlohmann::json::parse(json);
  for (const auto& item : j.at("nftables")) {
    if (!item.contains("counter")) continue;
    const auto& c = item["counter"];
    out[c.at("name").get<std::string>()] = {c.at("packets").get<uint64_t>(),
                                            c.at("bytes").get<uint64_t>()};
  }
  return out;
}

}  // namespace

Counter read_counter(const Netns& ns, const std::string& name, const std::string& table) {
  auto r = ns.run({"nft", "-j", "list", "counter", "inet", table, name}, {kNftTimeout});
  if (!r.ok()) throw std::runtime_error("cannot read counter " + name + ":\n" + r.describe());
  auto all = parse_counters(r.out);
  auto it = all.find(name);
  if (it == all.end()) throw std::runtime_error("no counter " + name + " in\n" + r.out);
  return it->second;
}

Counters read_counters(const Netns& ns, const std::string& table) {
  auto r = ns.run({"nft", "-j", "list", "counters", "table", "inet", table}, {kNftTimeout});
  if (!r.ok()) throw std::runtime_error("cannot list counters of " + table + ":\n" + r.describe());
  return {parse_counters(r.out)};
}

namespace {

template <typename Map>
std::string names_of(const Map& m) {
  std::string s;
  for (const auto& [name, v] : m) s += (s.empty() ? "" : ", ") + name;
  return s;
}

}  // namespace

const Counter& Counters::operator[](const std::string& name) const {
  auto it = all.find(name);
  if (it == all.end())
    throw std::out_of_range("no counter " + name + " (have: " + names_of(all) + ")");
  return it->second;
}

uint64_t CounterDeltas::operator[](const std::string& name) const {
  auto it = all.find(name);
  if (it == all.end())
    throw std::out_of_range("no counter " + name + " (have: " + names_of(all) + ")");
  return it->second;
}

CounterDeltas counter_deltas(const Counters& before, const Counters& after) {
  CounterDeltas out;
  for (const auto& [name, c] : after.all) {
    auto it = before.all.find(name);
    out.all[name] = c.packets - (it == before.all.end() ? 0 : it->second.packets);
  }
  return out;
}

std::string Observer::counter_name(const std::string& hook, Stage s, Family f, int type) {
  return hook + "." + stage_name(s) + "." + family_name(f) + "." + std::to_string(type);
}

Observer::Observer(const Netns& ns, std::vector<std::string> hooks)
    : ns_(ns), hooks_(std::move(hooks)) {
  std::string text = "table inet observer {\n";
  std::string maps, chains;
  for (const auto& hook : hooks_)
    for (Stage s : {Stage::before, Stage::after}) {
      const std::string chain = hook + "." + stage_name(s);
      chains += "  chain " + chain + " {\n    type filter hook " + hook + " priority " +
                std::to_string(s == Stage::before ? kBeforePriority : kAfterPriority) +
                "; policy accept;\n";
      for (Family f : {Family::v4, Family::v6}) {
        const std::string map = chain + "." + family_name(f);
        maps += "  map " + map + " {\n    type " + (f == Family::v4 ? "icmp_type" : "icmpv6_type") +
                " : counter\n    elements = {";
        for (int t = 0; t < 256; ++t) {
          const std::string name = counter_name(hook, s, f, t);
          text += "  counter " + name + " {}\n";
          maps += (t ? ", " : " ") + std::to_string(t) + " : \"" + name + "\"";
        }
        maps += " }\n  }\n";
        chains += std::string("    meta l4proto ") + (f == Family::v4 ? "icmp" : "ipv6-icmp") +
                  " counter name " + (f == Family::v4 ? "icmp" : "icmpv6") + " type map @" + map +
                  "\n";
      }
      chains += "  }\n";
    }
  text += maps + chains + "}\n";
  auto r = ns_.nft_load(text);
  if (!r.ok()) throw std::runtime_error("cannot install the observer:\n" + r.describe());
}

Observer::Snapshot Observer::snapshot() const {
  return {read_counters(ns_, "observer").all};
}

uint64_t Observer::Snapshot::get(const std::string& hook, Stage s, Family f, int type) const {
  auto it = counters.find(counter_name(hook, s, f, type));
  if (it == counters.end())
    throw std::runtime_error("observer does not watch " + counter_name(hook, s, f, type));
  return it->second.packets;
}

uint64_t Observer::delta(const Snapshot& a, const Snapshot& b, const std::string& hook, Stage s,
                         Family f, int type) {
  return b.get(hook, s, f, type) - a.get(hook, s, f, type);
}

uint64_t echo_replies_since(const Observer& obs, const Observer::Snapshot& from, Family f,
                            uint64_t expected) {
  const int reply = f == Family::v4 ? 0 : 129;
  const auto now = obs.wait_for([&](const Observer::Snapshot& s) {
    return Observer::delta(from, s, "input", Stage::before, f, reply) >= expected;
  });
  return Observer::delta(from, now, "input", Stage::before, f, reply);
}

}  // namespace icmpwall::integration
