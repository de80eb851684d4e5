// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's config file: a flat TOML table of fifteen keys, read with the
// policy stage's TomlReader and checked key by key so that each mistake
// becomes one diagnostic at its own line and column.
#include "icmpwall/daemon/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <filesystem>

#include "icmpwall/policy/toml_reader.h"

namespace icmpwall::daemon {
namespace {

const policy::Keys kKeys = {"policy",
                            "strict",
                            "queue_mode",
                            "copy_range",
                            "on_stop",
                            "stats_socket",
                            "metrics_listen",
                            "events_file",
                            "nflog_events_per_second",
                            "busy_poll_us",
                            "drift_check_interval",
                            "crowdsec_url",
                            "crowdsec_bouncer_key_file",
                            "crowdsec_machine_id",
                            "crowdsec_machine_password_file",
                            "crowdsec_poll_interval",
                            "crowdsec_ca_file"};

class ConfigReader {
 public:
  ConfigReader(std::shared_ptr<const SourceFile> file, Diagnostics& diags)
      : file_(file), diags_(diags), toml_(std::move(file), diags) {}

  std::optional<DaemonConfig> run() {
    std::optional<toml::table> parsed = toml_.parse("the daemon config");
    if (!parsed) return std::nullopt;
    const toml::table& root = *parsed;
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
        if (auto i =
                integer_in(v, key, {64, 65531}, "", "1500 inspects a whole Ethernet-sized packet"))
          c.copy_range = static_cast<uint32_t>(*i);
      } else if (key == "on_stop") {
        if (auto s = choice_of(v, key, {"keep", "flush"}))
          c.on_stop = *s == "flush" ? OnStop::flush : OnStop::keep;
      } else if (key == "stats_socket") {
        if (auto s = string_of(v, key)) c.stats_socket = *s;
      } else if (key == "metrics_listen") {
        if (auto s = string_of(v, key)) {
          auto a = parse_listen_address(*s);
          if (a)
            c.metrics_listen = *a;
          else
            diags_.error(at(v.source()), fmt::format("'metrics_listen': {}", a.error().message),
                         "for example \"127.0.0.1:9469\" or \"[::1]:9469\"");
        }
      } else if (key == "events_file") {
        if (auto s = absolute_path_of(v, key, "for example \"/var/log/icmpwall/eve.json\""))
          c.events_file = *s;
      } else if (key == "crowdsec_url") {
        if (auto s = string_of(v, key)) {
          auto u = parse_lapi_url(*s);
          if (u)
            c.crowdsec.url = *s;
          else
            diags_.error(at(v.source()), fmt::format("'crowdsec_url': {}", u.error().message),
                         "for example \"http://127.0.0.1:8080\"");
        }
      } else if (key == "crowdsec_ca_file") {
        if (auto s = absolute_path_of(v, key, "for example \"/etc/icmpwall/crowdsec-ca.pem\""))
          c.crowdsec.ca_file = *s;
      } else if (key == "crowdsec_bouncer_key_file" || key == "crowdsec_machine_password_file") {
        if (auto s = absolute_path_of(
                v, key, "credentials are read from files only, never from this config"))
          (key == "crowdsec_bouncer_key_file" ? c.crowdsec.bouncer_key_file
                                              : c.crowdsec.machine_password_file) = *s;
      } else if (key == "crowdsec_machine_id") {
        if (auto s = string_of(v, key)) c.crowdsec.machine_id = *s;
      } else if (key == "crowdsec_poll_interval") {
        if (auto i = integer_in(v, key, {1, kMaxPollInterval.count()}, "seconds"))
          c.crowdsec.poll_interval = std::chrono::seconds(*i);
      } else if (key == "nflog_events_per_second") {
        if (auto i = integer_in(v, key, {1, 1'000'000}, "",
                                "the kernel's `log` rate limits each rule; this bounds them all"))
          c.nflog_events_per_second = static_cast<uint32_t>(*i);
      } else if (key == "busy_poll_us") {
        if (auto i = integer_in(v, key, {0, kMaxBusyPollUs}, "microseconds",
                                "0 (the default) sleeps until the next packet and costs no CPU"))
          c.busy_poll_us = static_cast<uint32_t>(*i);
      } else if (key == "drift_check_interval") {
        if (auto i = integer_in(v, key, {0, kMaxDriftCheckInterval.count()}, "seconds",
                                "0 turns the daemon's drift checks off"))
          c.drift_check_interval = std::chrono::seconds(*i);
      } else {
        diags_.error(
            at(k.source()), fmt::format("unknown key '{}' in the daemon config", key),
            policy::suggest(key, kKeys, fmt::format("valid keys: {}", policy::join(kKeys))));
      }
    }
    if (!have_policy && !root.contains("policy"))
      diags_.error({file_, 1, 1}, "the daemon config names no policy",
                   "add: policy = \"/usr/share/icmpwall/policies/host.toml\"");
    if (diags_.has_errors()) return std::nullopt;
    return c;
  }

 private:
  SourceLoc at(const toml::source_region& r) const { return toml_.at(r); }

  void wrong_kind(const toml::node& n, std::string_view key, std::string_view expected) {
    diags_.error(at(n.source()), fmt::format("'{}' must be {}", key, expected));
  }

  // An integer in [range.first, range.second] (`unit` names what it
  // counts, in the message for a value of another kind), else an error.
  std::optional<int64_t> integer_in(const toml::node& n, std::string_view key,
                                    std::pair<int64_t, int64_t> range, std::string_view unit,
                                    std::string_view hint = "") {
    const auto* i = n.as_integer();
    if (!i) {
      wrong_kind(n, key, unit.empty() ? "an integer" : fmt::format("an integer ({})", unit));
      return std::nullopt;
    }
    if (i->get() < range.first || i->get() > range.second) {
      diags_.error(at(n.source()),
                   fmt::format("'{}' must be between {} and {}{}{}, not {}", key, range.first,
                               range.second, unit.empty() ? "" : " ", unit, i->get()),
                   std::string(hint));
      return std::nullopt;
    }
    return i->get();
  }

  std::optional<std::string> string_of(const toml::node& n, std::string_view key) {
    if (const auto* s = n.as_string()) return s->get();
    wrong_kind(n, key, "a string");
    return std::nullopt;
  }

  // A string that is an absolute path, else an error with `hint`.
  std::optional<std::string> absolute_path_of(const toml::node& n, std::string_view key,
                                              const char* hint) {
    auto s = string_of(n, key);
    if (s && (s->empty() || s->front() != '/')) {
      diags_.error(at(n.source()), fmt::format("'{}' must be an absolute path", key), hint);
      return std::nullopt;
    }
    return s;
  }

  // A string out of `choices`, else an error with the nearest choice.
  std::optional<std::string> choice_of(const toml::node& n, std::string_view key,
                                       const policy::Keys& choices) {
    auto s = string_of(n, key);
    if (!s || !toml_.check_choice(at(n.source()), key, *s, *s, choices)) return std::nullopt;
    return s;
  }

  // A relative policy path is relative to the config file's directory.
  std::string resolve(const std::string& p) const {
    std::filesystem::path path(p);
    if (path.is_absolute()) return p;
    return (std::filesystem::path(file_->path()).parent_path() / path).lexically_normal().string();
  }

  std::shared_ptr<const SourceFile> file_;
  Diagnostics& diags_;
  policy::TomlReader toml_;
};

}  // namespace

std::optional<DaemonConfig> parse_config_text(const std::string& path, std::string text,
                                              Diagnostics& diags) {
  return ConfigReader(std::make_shared<const SourceFile>(path, std::move(text)), diags).run();
}

std::optional<DaemonConfig> parse_config_file(const std::string& path, Diagnostics& diags) {
  auto text = read_source_text(path, kMaxConfigBytes, "the daemon config", diags);
  if (!text) return std::nullopt;
  return parse_config_text(path, std::move(*text), diags);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return Error{fmt::format("'{}' is not ADDR:PORT (no port)", text)};
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  int family = AF_INET;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    family = AF_INET6;
  } else if (host.find(':') != std::string_view::npos) {
    return Error{fmt::format("'{}': an IPv6 address goes in brackets, as in [::1]:9469", text)};
  }
  unsigned char buf[sizeof(in6_addr)];
  const std::string h(host);
  if (h.empty() || inet_pton(family, h.c_str(), buf) != 1)
    return Error{fmt::format("'{}' is not an IP{} address (host names are not resolved)", h,
                             family == AF_INET ? "v4" : "v6")};
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n == 0 || n > 65535)
    return Error{fmt::format("'{}' is not a port (1 to 65535)", port)};
  return ListenAddress{h, static_cast<uint16_t>(n)};
}

Result<LapiUrl> parse_lapi_url(std::string_view text) {
  LapiUrl u;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    u.https = true;
  } else {
    return Error{fmt::format("'{}' is not an http:// or https:// URL", text)};
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos)
    return Error{
        fmt::format("'{}': the URL may not have a path (the API's paths are fixed)", text)};
  auto at = parse_listen_address(rest);
  if (!at) return at.error();
  u.at = *at;
  return u;
}

std::string crowdsec_config_error(const CrowdSecConfig& c) {
  const bool pull = !c.bouncer_key_file.empty();
  const bool push = !c.machine_id.empty() || !c.machine_password_file.empty();
  if (c.url.empty()) return pull || push ? "CrowdSec credentials are set but no crowdsec_url" : "";
  if (!pull && !push)
    return "crowdsec_url is set but neither crowdsec_bouncer_key_file (to pull decisions) nor "
           "crowdsec_machine_id and crowdsec_machine_password_file (to push alerts)";
  if (push && (c.machine_id.empty() || c.machine_password_file.empty()))
    return "pushing alerts needs both crowdsec_machine_id and crowdsec_machine_password_file";
  if (!c.ca_file.empty() && !c.url.starts_with("https://"))
    return "crowdsec_ca_file is set but crowdsec_url is not an https:// URL";
  return "";
}

std::string to_string(const ListenAddress& a) {
  return a.host.find(':') == std::string::npos ? fmt::format("{}:{}", a.host, a.port)
                                               : fmt::format("[{}]:{}", a.host, a.port);
}

std::string_view to_string(OnStop s) {
  return s == OnStop::flush ? "flush" : "keep";
}

}  // namespace icmpwall::daemon
