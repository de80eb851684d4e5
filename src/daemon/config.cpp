// The daemon's config file: a flat TOML table of six keys, read with
// TOML++ and checked key by key so that each mistake becomes one
// diagnostic at its own line and column.
#include "icmpwall/daemon/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <filesystem>
#include <toml++/toml.h>

#include "icmpwall/util/file.h"
#include "icmpwall/util/nearest.h"

namespace icmpwall::daemon {
namespace {

constexpr std::array<std::string_view, 6> kKeys = {"policy",   "strict",  "queue_mode",
                                                   "copy_range", "on_stop", "stats_socket"};

class ConfigReader {
 public:
  ConfigReader(std::shared_ptr<const SourceFile> file, Diagnostics& diags)
      : file_(std::move(file)), diags_(diags) {}

  std::optional<DaemonConfig> run() {
    toml::table root;
    try {
      root = toml::parse(std::string_view(file_->text()), std::string_view(file_->path()));
    } catch (const toml::parse_error& e) {
      diags_.error(at(e.source()), std::string(e.description()),
                   "this is not valid TOML (https://toml.io)");
      return std::nullopt;
    }
    DaemonConfig c;
    bool have_policy = false;
    for (auto&& [k, v] : root) {
      const std::string_view key = k.str();
      if (key == "policy") {
        if (auto s = string_of(v, key)) {
          if (s->empty())
            diags_.error(at(v.source()), "'policy' must name a policy file");
          else
            c.policy = resolve(*s), have_policy = true;
        }
      } else if (key == "strict") {
        if (const auto* b = v.as_boolean())
          c.strict = b->get();
        else
          wrong_kind(v, key, "a boolean (true or false)");
      } else if (key == "queue_mode") {
        const auto& names = netlink::queue_mode_names();
        if (auto s = choice_of(v, key, {names.begin(), names.end()}))
          c.queue_mode = netlink::queue_mode_named(*s);
      } else if (key == "copy_range") {
        const auto* i = v.as_integer();
        if (!i)
          wrong_kind(v, key, "an integer");
        else if (i->get() < 64 || i->get() > 65531)
          diags_.error(at(v.source()),
                       fmt::format("'copy_range' must be between 64 and 65531, not {}", i->get()),
                       "1500 inspects a whole Ethernet-sized packet");
        else
          c.copy_range = static_cast<uint32_t>(i->get());
      } else if (key == "on_stop") {
        if (auto s = choice_of(v, key, {"keep", "flush"}))
          c.on_stop = *s == "flush" ? OnStop::flush : OnStop::keep;
      } else if (key == "stats_socket") {
        if (auto s = string_of(v, key)) c.stats_socket = *s;
      } else {
        std::vector<std::string_view> valid(kKeys.begin(), kKeys.end());
        auto near = nearest_of(key, valid, 1);
        diags_.error(at(k.source()), fmt::format("unknown key '{}' in the daemon config", key),
                     near.empty() ? fmt::format("valid keys: {}", fmt::join(kKeys, ", "))
                                  : fmt::format("did you mean '{}'?", near.front()));
      }
    }
    if (!have_policy && !root.contains("policy"))
      diags_.error({file_, 1, 1}, "the daemon config names no policy",
                   "add: policy = \"/usr/share/icmpwall/policies/host.toml\"");
    if (diags_.has_errors()) return std::nullopt;
    return c;
  }

 private:
  SourceLoc at(const toml::source_region& r) const { return {file_, r.begin.line, r.begin.column}; }

  void wrong_kind(const toml::node& n, std::string_view key, std::string_view expected) {
    diags_.error(at(n.source()), fmt::format("'{}' must be {}", key, expected));
  }

  std::optional<std::string> string_of(const toml::node& n, std::string_view key) {
    if (const auto* s = n.as_string()) return s->get();
    wrong_kind(n, key, "a string");
    return std::nullopt;
  }

  std::optional<std::string> choice_of(const toml::node& n, std::string_view key,
                                       std::vector<std::string_view> choices) {
    auto s = string_of(n, key);
    if (!s) return std::nullopt;
    for (auto c : choices)
      if (*s == c) return s;
    auto near = nearest_of(*s, choices, 1);
    std::string all = fmt::format("'{}' is one of: {}", key, fmt::join(choices, ", "));
    diags_.error(at(n.source()), fmt::format("unknown {} '{}'", key, *s),
                 near.empty() ? all : fmt::format("did you mean '{}'? ({})", near.front(), all));
    return std::nullopt;
  }

  // A relative policy path is relative to the config file's directory.
  std::string resolve(const std::string& p) const {
    std::filesystem::path path(p);
    if (path.is_absolute()) return p;
    return (std::filesystem::path(file_->path()).parent_path() / path).lexically_normal().string();
  }

  std::shared_ptr<const SourceFile> file_;
  Diagnostics& diags_;
};

}  // namespace

std::optional<DaemonConfig> parse_config_text(const std::string& path, std::string text,
                                              Diagnostics& diags) {
  return ConfigReader(std::make_shared<const SourceFile>(path, std::move(text)), diags).run();
}

std::optional<DaemonConfig> parse_config_file(const std::string& path, Diagnostics& diags) {
  auto text = read_regular_file(path, kMaxConfigBytes);
  if (!text) {
    diags.error({std::make_shared<const SourceFile>(path, std::string{}), 0, 0},
                fmt::format("cannot read the daemon config: {}", text.error().message));
    return std::nullopt;
  }
  return parse_config_text(path, std::move(*text), diags);
}

std::string_view to_string(OnStop s) { return s == OnStop::flush ? "flush" : "keep"; }

}  // namespace icmpwall::daemon
