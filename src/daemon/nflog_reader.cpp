// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/daemon/nflog_reader.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>

#include <cerrno>

#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/netlink_datagram.h"

namespace icmpwall::daemon {
namespace {

// A datagram holds at most one packet message of kNflogCopyRange bytes and
// its attributes (a queue threshold of 1), or a few ACKs; the kernel's
// default NFLOG buffer is one page. Longer datagrams are cut (MSG_TRUNC)
// and their last message dropped as incomplete.
constexpr size_t kReadBuffer = 64 * 1024;
constexpr int kSocketBuffer = 1 << 20;

std::string iface_name(uint32_t index) {
  char name[IF_NAMESIZE] = {};
  if (index == 0 || !if_indextoname(index, name)) return {};
  return name;
}

}  // namespace

void add_counters(NflogCounters& total, const NflogCounters& more) {
  for (const auto& f : kNflogCounterFields) total.*f.field += more.*f.field;
  for (const auto& [key, n] : more.packets) total.packets[key] += n;
}

// ---- NflogHandler ---------------------------------------------------------

NflogHandler::NflogHandler(NflogSources sources, uint32_t events_per_second, NflogSink sink)
    : sink_(std::move(sink)),
      rate_(events_per_second),
      sources_(std::move(sources)),
      tokens_(events_per_second) {}

void NflogHandler::set_sources(NflogSources sources) {
  std::lock_guard lock(mutex_);
  sources_ = std::move(sources);
}

void NflogHandler::count_overflow() {
  std::lock_guard lock(mutex_);
  ++counters_.overflows;
}

void NflogHandler::count_recv_error() {
  std::lock_guard lock(mutex_);
  ++counters_.recv_errors;
}

NflogCounters NflogHandler::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

bool NflogHandler::take_token(Clock::time_point now) {
  if (refilled_ != Clock::time_point{} && now > refilled_)
    tokens_ =
        std::min(rate_, tokens_ + rate_ * std::chrono::duration<double>(now - refilled_).count());
  refilled_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::vector<std::pair<uint32_t, int>> NflogHandler::datagram(std::span<const uint8_t> bytes,
                                                             Clock::time_point now) {
  std::vector<std::pair<uint32_t, int>> errors;
  auto message = [&](const nlmsghdr* nlh) {
    if (auto err = parse_nflog_error(nlh)) {
      errors.emplace_back(nlh->nlmsg_seq, *err);
    } else if (auto m = parse_nflog_packet(nlh)) {
      packet(*m, now);
    } else if (nlh->nlmsg_type != NLMSG_NOOP && nlh->nlmsg_type != NLMSG_DONE) {
      std::lock_guard lock(mutex_);
      ++counters_.malformed;
    }
  };
  for_each_netlink_message(bytes.first(std::min(bytes.size(), kReadBuffer)), message);
  return errors;
}

void NflogHandler::packet(const NflogPacket& m, Clock::time_point now) {
  NflogEvent e;
  e.message = &m;
  std::optional<LogSource> source;
  auto decoded = inspect::decode_packet(m.payload, {.allow_truncated = true});
  if (decoded) e.packet = *decoded.value;
  bool write = false;
  {
    std::lock_guard lock(mutex_);
    ++counters_.received;
    if (m.prefix) {
      auto it = sources_.find({m.group, *m.prefix});
      if (it != sources_.end()) source = it->second;
    }
    if (!source) ++counters_.unknown_rule;
    if (e.packet) {
      std::tuple key{source ? source->rule : std::string("other"), e.packet->ip.family,
                     e.packet->icmp.type};
      if (counters_.packets.size() >= kMaxNflogLabels && !counters_.packets.count(key))
        std::get<0>(key) = "other";
      ++counters_.packets[key];
    } else {
      ++counters_.undecoded;
    }
    write = take_token(now);
    if (write)
      ++counters_.events;
    else
      ++counters_.suppressed;
  }
  if (!write) return;
  if (source) e.source = &*source;
  e.in_iface = iface_name(m.indev);
  e.out_iface = iface_name(m.outdev);
  e.when = EveTime::now();
  if (m.timestamp)
    e.when.time = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(m.timestamp->first) +
            std::chrono::microseconds(m.timestamp->second)));
  sink_(e);
}

// ---- NflogReader ----------------------------------------------------------

NflogReader::NflogReader(std::set<uint16_t> groups, NflogSources sources,
                         uint32_t events_per_second, NflogSink sink)
    : groups_(std::move(groups)),
      events_per_second_(events_per_second),
      handler_(std::move(sources), events_per_second, std::move(sink)),
      buf_(kReadBuffer) {}

Result<std::unique_ptr<NflogReader>> NflogReader::open(const std::set<uint16_t>& groups,
                                                       NflogSources sources,
                                                       uint32_t events_per_second, NflogSink sink) {
  std::unique_ptr<NflogReader> r(
      new NflogReader(groups, std::move(sources), events_per_second, std::move(sink)));
  MnlSocketOptions o;
  o.what = "the NFLOG socket";
  o.receive_buffer = kSocketBuffer;
  o.receive_timeout_ms = kNflogPollMs;
  auto sock = MnlSocket::open(NETLINK_NETFILTER, o);
  if (!sock) return sock.error();
  r->sock_ = std::move(*sock);
  for (uint16_t g : groups)
    if (auto b = r->bind(g); !b) return b.error();
  return r;
}

// One bind and its ACK; packets of groups bound before it are handled on
// the way (bounded: the receive timeout ends a wait for a lost ACK).
Result<void> NflogReader::bind(uint16_t group) {
  std::vector<uint8_t> msg(nflog_config_size());
  const uint32_t seq = ++seq_;
  const size_t len = build_nflog_config(msg, NflogCommand::bind, group, kNflogCopyRange, seq);
  if (mnl_socket_sendto(sock_.get(), msg.data(), len) < 0)
    return errno_error(fmt::format("binding NFLOG group {}", group));
  for (int reads = 0; reads < 64; ++reads) {
    const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR || errno == ENOBUFS) continue;
      return errno_error(fmt::format("binding NFLOG group {}: no answer", group));
    }
    for (const auto& [s, err] : handler_.datagram({buf_.data(), static_cast<size_t>(n)})) {
      if (s != seq) continue;
      if (err == 0) return {};
      if (err == EBUSY)
        return Error{fmt::format("NFLOG group {} is read by another process (another icmpwall "
                                 "daemon, ulogd?)",
                                 group),
                     err};
      return errno_error(fmt::format("binding NFLOG group {}", group), err);
    }
  }
  return Error{fmt::format("binding NFLOG group {}: no answer", group)};
}

void NflogReader::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

NflogReader::~NflogReader() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

// The thread's edge: nothing it runs throws past here (a bad_alloc ends
// one datagram, counted as a failed read).
void NflogReader::run() {
  while (!stop_) {
    try {
      const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf_.data(), buf_.size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        if (errno == ENOBUFS) {
          handler_.count_overflow();
          continue;
        }
        handler_.count_recv_error();
        if (errno == EBADF || errno == ENOTSOCK) return;
        continue;
      }
      handler_.datagram({buf_.data(), static_cast<size_t>(n)});
    } catch (...) {
      handler_.count_recv_error();
    }
  }
}

// ---- NflogListener --------------------------------------------------------

Result<void> NflogListener::follow(const policy::Policy& p) {
  std::set<uint16_t> groups = nflog_groups(p);
  std::lock_guard lock(mutex_);
  if (reader_ && reader_->groups() == groups &&
      reader_->events_per_second() == events_per_second_) {
    reader_->handler().set_sources(nflog_sources(p));
    return {};
  }
  if (reader_) {
    NflogCounters c = retired_.value_or(NflogCounters{});
    add_counters(c, reader_->handler().counters());
    retired_ = std::move(c);
    reader_.reset();  // unbinds: the new socket may bind the same groups
  }
  if (groups.empty()) return {};
  auto r = NflogReader::open(groups, nflog_sources(p), events_per_second_, sink_);
  if (!r) return r.error();
  reader_ = std::move(*r);
  reader_->start();
  if (!retired_) retired_ = NflogCounters{};
  return {};
}

void NflogListener::stop() {
  std::lock_guard lock(mutex_);
  if (!reader_) return;
  NflogCounters c = retired_.value_or(NflogCounters{});
  add_counters(c, reader_->handler().counters());
  retired_ = std::move(c);
  reader_.reset();
}

std::set<uint16_t> NflogListener::groups() const {
  std::lock_guard lock(mutex_);
  return reader_ ? reader_->groups() : std::set<uint16_t>{};
}

std::optional<NflogCounters> NflogListener::counters() const {
  std::lock_guard lock(mutex_);
  if (!retired_) return std::nullopt;
  NflogCounters c = *retired_;
  if (reader_) add_counters(c, reader_->handler().counters());
  return c;
}

}  // namespace icmpwall::daemon
