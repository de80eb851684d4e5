// SPDX-License-Identifier: GPL-2.0-or-later
// The CrowdSec client's thread: one round at a time (push what is queued,
// pull when the poll interval is up, apply the kernel changes), then a wait
// until the next poll, retry, alert or stop.
#include "icmpwall/daemon/crowdsec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <span>

#include "icmpwall/compile/compiler.h"
#include "icmpwall/daemon/http_module.h"
#include "icmpwall/netlink/set_elements.h"
#include "icmpwall/util/file.h"
#include "icmpwall/util/json_text.h"
#include "icmpwall/version.h"

namespace icmpwall::daemon {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// Decision events written per round at most; the rest are summed up.
constexpr size_t kMaxDecisionEvents = 32;
// Set elements sent in one netlink batch.
constexpr size_t kMaxElementsPerBatch = 256;

std::string base_url(const LapiUrl& u) {
  return fmt::format("{}://{}", u.https ? "https" : "http", to_string(u.at));
}

netlink::TimedElement element(const KernelChange& c) {
  const size_t len = c.prefix.address.family == policy::Family::ipv4 ? 4 : 16;
  return netlink::prefix_element(std::span(c.prefix.address.bytes).first(len), c.prefix.length,
                                 c.timeout);
}

std::string decision_event(const char* action, const Decision& d, const std::string& error = "") {
  json j{{"event", "decision"}, {"source", "crowdsec"},
         {"action", action},    {"prefix", to_string(d.prefix)},
         {"origin", d.origin},  {"scenario", d.scenario},
         {"id", d.id}};
  if (std::string_view(action) == "add")
    j["seconds"] = std::chrono::duration_cast<std::chrono::seconds>(d.remaining).count();
  if (!error.empty()) j["error"] = error;
  return json_text(j);
}

// crowdsec_ca_file is read by the TLS library at the first connection;
// checked here so that a missing or wrong file is an error at start and
// at reload, not a failure of every call.
Result<void> check_ca_file(const std::string& path) {
  auto text = read_regular_file(path, kMaxCaFileBytes);
  if (!text) return Error{fmt::format("crowdsec_ca_file {}: {}", path, text.error().message)};
  if (text->find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    return Error{fmt::format("crowdsec_ca_file {}: no PEM certificate in it", path)};
  return {};
}

}  // namespace

Result<std::string> read_credential(const std::string& path) {
  auto text = read_regular_file(path, kMaxCredentialBytes);
  if (!text) return Error{fmt::format("{}: {}", path, text.error().message)};
  std::string s = std::move(*text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return Error{fmt::format("{}: empty", path)};
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e)
      return Error{fmt::format("{}: not one line of printable ASCII without spaces", path)};
  return s;
}

Result<std::unique_ptr<CrowdSec>> CrowdSec::open(const CrowdSecConfig& config, Sinks sinks,
                                                 std::shared_ptr<inspect::RouteView> routes) {
  auto url = parse_lapi_url(config.url);
  if (!url) return Error{"crowdsec_url: " + url.error().message};
  std::unique_ptr<CrowdSec> c(new CrowdSec(config, std::move(sinks), std::move(routes)));
  if (!config.bouncer_key_file.empty()) {
    TRY(c->bouncer_key_, read_credential(config.bouncer_key_file));
  }
  if (!config.machine_password_file.empty()) {
    TRY(c->machine_password_, read_credential(config.machine_password_file));
  }
  http::ClientOptions o;
  o.base_url = base_url(*url);
  o.connect_timeout = kConnectTimeout;
  o.io_timeout = kIoTimeout;
  if (url->https && !config.ca_file.empty()) {
    TRY_VOID(check_ca_file(config.ca_file));
    o.ca_file = config.ca_file;
  }
  TRY(const http::Module* module, http_module());
  auto client = module->open_client(o);
  if (!client) return Error{fmt::format("crowdsec_url {}: {}", config.url, client.error().message)};
  c->http_ = std::move(*client);
  return c;
}

CrowdSec::CrowdSec(CrowdSecConfig config, Sinks sinks, std::shared_ptr<inspect::RouteView> routes)
    : config_(std::move(config)),
      sinks_(std::move(sinks)),
      routes_(std::move(routes)),
      backoff_(config_.poll_interval,
               std::min<Backoff::Duration>(config_.poll_interval * kMaxBackoffIntervals,
                                           std::chrono::minutes(5))),
      decisions_(2 * compile::kBlockedMax) {}

CrowdSec::~CrowdSec() {
  stop();
}

void CrowdSec::start(const std::string& table,
                     std::vector<inspect::BlockConfig::Prefix> never_block) {
  {
    std::lock_guard lock(mutex_);
    table_ = table;
    never_block_ = std::move(never_block);
  }
  thread_ = std::thread([this] { run(); });
}

void CrowdSec::push(const inspect::BlockedPrefix& prefix, std::chrono::seconds period,
                    const std::string& reason) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  decisions_.local_block(prefix, now + period, now);
  kernel_work_ = true;  // a decision may want its longer timeout back
  wake_.notify_one();
  if (config_.machine_id.empty()) return;
  if (queued_.size() >= kMaxQueuedAlerts) {
    queued_.pop_front();
    ++counters_.alerts_dropped;
  }
  queued_.push_back({prefix, period, reason, std::chrono::system_clock::now()});
}

void CrowdSec::reloaded(const std::string& table,
                        std::vector<inspect::BlockConfig::Prefix> never_block) {
  std::lock_guard lock(mutex_);
  table_ = table;
  never_block_ = std::move(never_block);
  decisions_.reapply_all();
  kernel_work_ = true;
  wake_.notify_one();
}

void CrowdSec::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

CrowdSecCounters CrowdSec::counters() const {
  std::lock_guard lock(mutex_);
  auto c = counters_;
  c.decisions = decisions_.size();
  return c;
}

void CrowdSec::event(const std::string& line) {
  if (sinks_.event) sinks_.event(line);
}

void CrowdSec::log(Priority p, const std::string& message) {
  if (sinks_.log) sinks_.log(p, "crowdsec: " + message);
}

// The thread's edge: a round that throws is a failed round, never the
// end of the thread.
void CrowdSec::run() {
  while (true) {
    try {
      round();
    } catch (const std::exception& e) {
      failed("round", e.what());
    } catch (...) {
      failed("round", "unknown error");
    }
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    auto wake_at = Clock::now() + config_.poll_interval;
    if (failing_)
      wake_at = retry_at_;
    else if (!bouncer_key_.empty())
      wake_at = std::min(wake_at, next_poll_);
    wake_.wait_until(lock, wake_at,
                     [&] { return stopping_ || kernel_work_ || (!failing_ && !queued_.empty()); });
    if (stopping_) return;
  }
}

void CrowdSec::round() {
  {
    std::lock_guard lock(mutex_);
    kernel_work_ = false;
  }
  const auto now = Clock::now();
  if (!failing_ || now >= retry_at_) {
    std::string error;
    const char* call = nullptr;
    if (!machine_password_.empty() && !send_alerts(error)) call = "push";
    if (!call && !bouncer_key_.empty() && now >= next_poll_) {
      next_poll_ = now + config_.poll_interval;
      if (!poll(error)) call = "pull";
    }
    if (call)
      failed(call, error);
    else
      succeeded();
  }
  apply_kernel_changes();
}

void CrowdSec::succeeded() {
  backoff_.reset();
  failing_ = false;
  bool report = false;
  {
    std::lock_guard lock(mutex_);
    report = !counters_.connected;
    counters_.connected = true;
  }
  if (!report) return;
  reported_down_ = false;
  event(json_text(json{{"event", "crowdsec"}, {"state", "connected"}, {"url", config_.url}}));
}

void CrowdSec::failed(const char* call, const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // the call was cut off on purpose
  }
  const auto delay = backoff_.failed();
  failing_ = true;
  retry_at_ = Clock::now() + delay;
  next_poll_ = std::max(next_poll_, retry_at_);
  {
    std::lock_guard lock(mutex_);
    ++counters_.api_failures;
    counters_.connected = false;
  }
  const bool report = !reported_down_;
  reported_down_ = true;
  log(Priority::warning, fmt::format("{} failed: {}; retrying in {} s", call, error,
                                     std::chrono::ceil<std::chrono::seconds>(delay).count()));
  if (report)
    event(json_text(json{{"event", "crowdsec"},
                         {"state", "unreachable"},
                         {"url", config_.url},
                         {"call", call},
                         {"error", error}}));
}

Result<CrowdSec::Reply> CrowdSec::call(
    const char* method, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    size_t max_bytes) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Error{"stopping"};
  }
  http::Request req;
  req.method = method;
  req.path = path;
  req.headers.emplace_back("User-Agent", std::string("icmpwall/") + ICMPWALL_VERSION);
  for (const auto& h : headers) req.headers.push_back(h);
  req.body = body;
  req.max_bytes = max_bytes;
  auto res = http_->send(req);
  if (!res && res.error().code == EFBIG)
    return Error{fmt::format("the answer to {} {} is larger than {}", method, path,
                             format_bytes(max_bytes))};
  if (!res) return Error{fmt::format("{} {}: {}", method, path, res.error().message)};
  return Reply{res->status, std::move(res->body)};
}

bool CrowdSec::login(std::string& error) {
  auto r = call("POST", "/v1/watchers/login", {}, login_body(config_.machine_id, machine_password_),
                kMaxReplyBytes);
  if (!r) return error = r.error().message, false;
  if (r->status != 200)
    return error = fmt::format("login of machine '{}' refused (HTTP {})", config_.machine_id,
                               r->status),
           false;
  const json j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string())
    return error = "the login answer holds no token", false;
  token_ = j["token"].get<std::string>();
  if (token_.empty() || token_.size() > kMaxReplyBytes / 2 ||
      token_.find_first_of("\r\n") != std::string::npos)
    return token_.clear(), error = "the login answer holds no usable token", false;
  return true;
}

bool CrowdSec::send_alerts(std::string& error) {
  while (true) {
    std::vector<LocalBlock> batch;
    {
      std::lock_guard lock(mutex_);
      const size_t n = std::min(queued_.size(), kMaxAlertsPerPost);
      batch.assign(queued_.begin(), queued_.begin() + static_cast<long>(n));
    }
    if (batch.empty()) return true;
    const std::string body = alerts_body(batch);
    Result<Reply> r = Error{""};
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (token_.empty() && !login(error)) return false;
      r = call("POST", "/v1/alerts", {{"Authorization", "Bearer " + token_}}, body, kMaxReplyBytes);
      if (!r) return error = r.error().message, false;
      if (r->status != 401 && r->status != 403) break;
      token_.clear();  // expired or revoked: log in again, once
    }
    if (r->status < 200 || r->status > 299)
      return error = fmt::format("POST /v1/alerts: HTTP {}", r->status), false;
    {
      std::lock_guard lock(mutex_);
      // Only what was sent leaves the queue (pushes meanwhile went to its
      // back; a drop of the oldest meanwhile removed sent ones already).
      const size_t sent = std::min(batch.size(), queued_.size());
      queued_.erase(queued_.begin(), queued_.begin() + static_cast<long>(sent));
      counters_.alerts_sent += batch.size();
    }
    for (const auto& b : batch)
      event(json_text(json{{"event", "alert"},
                           {"source", "crowdsec"},
                           {"scenario", scenario_for(b.reason)},
                           {"prefix", to_string(b.prefix)},
                           {"seconds", b.period.count()}}));
  }
}

bool CrowdSec::poll(std::string& error) {
  const std::string path = pulled_once_ ? "/v1/decisions/stream?scopes=ip,range"
                                        : "/v1/decisions/stream?startup=true&scopes=ip,range";
  auto r = call("GET", path, {{"X-Api-Key", bouncer_key_}}, "", kMaxStreamBytes);
  if (!r) return error = r.error().message, false;
  if (r->status == 403 || r->status == 401)
    return error = fmt::format("the bouncer key was refused (HTTP {})", r->status), false;
  if (r->status != 200) return error = fmt::format("GET {}: HTTP {}", path, r->status), false;
  auto update = parse_stream(r->body);
  if (!update) return error = update.error().message, false;
  pulled_once_ = true;
  apply(*update);
  return true;
}

const char* CrowdSec::refusal(const inspect::BlockedPrefix& p) {
  const auto& a = p.address;
  if (p.length < (a.family == policy::Family::ipv4 ? kMinRangeV4 : kMinRangeV6)) return "too-broad";
  if (inspect::is_loopback(a) || inspect::is_multicast(a) || inspect::is_link_local(a) ||
      inspect::is_unspecified(a) || inspect::is_limited_broadcast(a))
    return "special-address";
  for (const auto& n : never_block_now_)
    if (n.network.family == a.family && (inspect::prefix_contains(n.network, n.len, a) ||
                                         inspect::prefix_contains(a, p.length, n.network)))
      return "never-block";
  if (routes_ && routes_->holds_local_or_router(a, p.length)) return "own-address-or-router";
  return nullptr;
}

void CrowdSec::apply(const StreamUpdate& update) {
  std::vector<std::string> lines;
  if (update.rejected)
    lines.push_back(json_text(json{{"event", "decision"},
                                   {"source", "crowdsec"},
                                   {"action", "refused"},
                                   {"count", update.rejected},
                                   {"error", update.first_rejection}}));
  // The guards run unlocked (route lookups): push() must never wait long.
  {
    std::lock_guard lock(mutex_);
    never_block_now_ = never_block_;
  }
  std::vector<const char*> why;
  for (const auto& d : update.added) why.push_back(refusal(d.prefix));
  uint64_t added = 0, deleted = 0, refused = update.rejected;
  const auto now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    for (const auto& d : update.deleted) {
      if (!decisions_.remove(d, now)) continue;
      ++deleted;
      if (lines.size() < kMaxDecisionEvents) lines.push_back(decision_event("delete", d));
    }
    for (size_t i = 0; i < update.added.size(); ++i) {
      const auto& d = update.added[i];
      if (d.remaining.count() <= 0) continue;
      if (!why[i] && !decisions_.add(d, now)) why[i] = "no-room";
      why[i] ? ++refused : ++added;
      if (lines.size() < kMaxDecisionEvents)
        lines.push_back(decision_event(why[i] ? "refused" : "add", d, why[i] ? why[i] : ""));
    }
    counters_.decisions_added += added;
    counters_.decisions_deleted += deleted;
    counters_.decisions_refused += refused;
  }
  if (added + deleted + refused > lines.size())
    lines.push_back(json_text(json{{"event", "decisions"},
                                   {"source", "crowdsec"},
                                   {"added", added},
                                   {"deleted", deleted},
                                   {"refused", refused}}));
  for (const auto& l : lines) event(l);
}

void CrowdSec::apply_kernel_changes() {
  std::vector<KernelChange> changes;
  std::string table;
  {
    std::lock_guard lock(mutex_);
    changes = decisions_.take_changes(Clock::now());
    table = table_;
  }
  std::vector<std::pair<KernelChange, std::string>> refused;
  auto apply_one = [&](const KernelChange& c) {
    const std::string set = compile::blocked_set_name(c.prefix.address.family);
    auto r = c.remove ? netlink::delete_elements(table, set, {element(c)})
                      : netlink::add_timed_elements(table, set, {element(c)});
    if (!r && !(c.remove && r.error().code == ENOENT)) refused.emplace_back(c, r.error().message);
  };
  // Adds in batches per family; a batch the kernel refuses, one by one.
  for (policy::Family f : {policy::Family::ipv4, policy::Family::ipv6}) {
    std::vector<KernelChange> adds;
    for (const auto& c : changes)
      if (!c.remove && c.prefix.address.family == f) adds.push_back(c);
    for (size_t i = 0; i < adds.size(); i += kMaxElementsPerBatch) {
      const size_t end = std::min(adds.size(), i + kMaxElementsPerBatch);
      std::vector<netlink::TimedElement> elements;
      for (size_t k = i; k < end; ++k) elements.push_back(element(adds[k]));
      if (end - i > 1 && netlink::add_timed_elements(table, compile::blocked_set_name(f), elements))
        continue;
      for (size_t k = i; k < end; ++k) apply_one(adds[k]);
    }
  }
  for (const auto& c : changes)
    if (c.remove) apply_one(c);
  if (refused.empty()) return;
  std::vector<std::pair<KernelChange, std::string>> first;
  {
    std::lock_guard lock(mutex_);
    counters_.kernel_failures += refused.size();
    for (const auto& r : refused)
      if (decisions_.failed(r.first)) first.push_back(r);
  }
  for (const auto& [c, error] : first) {
    log(Priority::warning,
        fmt::format("{} {}: {}", c.remove ? "removing" : "adding", to_string(c.prefix), error));
    event(json_text(json{{"event", "decision"},
                         {"source", "crowdsec"},
                         {"action", c.remove ? "delete" : "add"},
                         {"prefix", to_string(c.prefix)},
                         {"ok", false},
                         {"error", error}}));
  }
}

}  // namespace icmpwall::daemon
