// SPDX-License-Identifier: GPL-2.0-or-later
// The false-positive corpus: every real ping session recorded under
// tests/corpus/pings (one classic pcap per client, family and size; see
// its README) replayed through the inspection engine, both directions, at
// their capture timestamps, as the daemon would see them: fragments
// reassembled (conntrack defragments before the queue) and each packet cut
// to the daemon's default copy range. Not one packet may be detected.
//
// Two views of each session: a router's (forward hook: requests and
// replies both inspected, conntrack left unknown so the detector's own
// request table decides what a reply answers), and, where the engine
// takes the packet's context, an end host's (input hook: only the replies
// come in, their requests left through the output hook unseen, and
// conntrack reports each reply as the reply of a known flow).
//
// The pcap reader handles classic pcap (either byte order, micro- or
// nanosecond stamps) with Ethernet (optionally 802.1Q), Linux cooked
// (SLL, SLL2) or raw IP link types.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine_feed.h"
#include "icmpwall/inspect/engine.h"

namespace icmpwall::inspect {
namespace {

using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

constexpr uint32_t kCopyRange = 1500;  // the daemon's default copy range

struct Frame {
  Clock::duration at;  // since the first frame
  Bytes ip;            // from the IP header
};

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// The IP packet inside one link-layer frame, or nothing (ARP, ...).
std::optional<Bytes> ip_of(uint32_t linktype, const uint8_t* p, size_t n) {
  size_t off = 0;
  uint16_t proto = 0;
  switch (linktype) {
    case 1:  // Ethernet
      if (n < 14) return std::nullopt;
      proto = be16(p + 12);
      off = 14;
      while ((proto == 0x8100 || proto == 0x88a8) && n >= off + 4) {
        proto = be16(p + off + 2);
        off += 4;
      }
      break;
    case 113:  // Linux cooked v1
      if (n < 16) return std::nullopt;
      proto = be16(p + 14);
      off = 16;
      break;
    case 276:  // Linux cooked v2
      if (n < 20) return std::nullopt;
      proto = be16(p);
      off = 20;
      break;
    case 12:
    case 101:
    case 228:
    case 229:  // raw IP
      if (n < 1) return std::nullopt;
      proto = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
      break;
    default: return std::nullopt;
  }
  if (proto != 0x0800 && proto != 0x86dd) return std::nullopt;
  return Bytes(p + off, p + n);
}

// Reads a classic pcap file; fails the test on anything it cannot read.
std::vector<Frame> read_pcap(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Frame> frames;
  if (file.size() < 24) {
    ADD_FAILURE() << path << ": too short for a pcap header";
    return frames;
  }
  const uint32_t magic = be32(file.data());
  bool swapped = false, nanos = false;
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
    nanos = magic == 0xa1b23c4d;
  } else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
    swapped = true;
    nanos = magic == 0x4d3cb2a1;
  } else {
    ADD_FAILURE() << path << ": not a classic pcap file (pcapng is not read)";
    return frames;
  }
  auto u32 = [&](size_t at) {
    uint32_t v = be32(file.data() + at);
    return swapped ? __builtin_bswap32(v) : v;
  };
  const uint32_t linktype = u32(20) & 0x0fffffff;
  size_t pos = 24;
  std::optional<int64_t> first;
  while (pos + 16 <= file.size()) {
    const int64_t sec = u32(pos), frac = u32(pos + 4);
    const uint32_t caplen = u32(pos + 8);
    pos += 16;
    if (caplen > file.size() - pos) {
      ADD_FAILURE() << path << ": record runs past the end of the file";
      break;
    }
    const int64_t ns = sec * 1000000000 + (nanos ? frac : frac * 1000);
    if (!first) first = ns;
    if (auto ip = ip_of(linktype, file.data() + pos, caplen)) {
      frames.push_back({std::chrono::nanoseconds(ns - *first), std::move(*ip)});
    }
    pos += caplen;
  }
  return frames;
}

uint16_t ip_checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += be16(p + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Reassembles IPv4 and IPv6 fragments the way conntrack's defragmentation
// hands them to the queue: one whole packet, fragment fields cleared.
class Reassembler {
 public:
  // The packet to inspect for this frame: itself, a reassembled packet
  // (its last fragment), or nothing (a fragment still waiting).
  std::optional<Bytes> add(Bytes ip) {
    if (ip.size() >= 20 && (ip[0] >> 4) == 4) return add_v4(std::move(ip));
    if (ip.size() >= 48 && (ip[0] >> 4) == 6 && ip[6] == 44) return add_v6(std::move(ip));
    return ip;
  }

 private:
  struct Pending {
    Bytes header;  // the first fragment's header (no fragment header for v6)
    std::map<size_t, Bytes> pieces;
    std::optional<size_t> total;
  };

  std::optional<Bytes> add_v4(Bytes ip) {
    const size_t ihl = (ip[0] & 0x0f) * 4u;
    const uint16_t frag = be16(ip.data() + 6);
    const bool more = frag & 0x2000;
    const size_t offset = (frag & 0x1fff) * 8u;
    if (!more && offset == 0) return ip;
    const size_t len = std::min<size_t>(be16(ip.data() + 2), ip.size());
    auto key = Bytes(ip.begin() + 12, ip.begin() + 20);
    key.push_back(ip[4]);
    key.push_back(ip[5]);
    key.push_back(ip[9]);
    Pending& p = pending_[key];
    if (offset == 0) p.header.assign(ip.begin(), ip.begin() + ihl);
    p.pieces[offset] = Bytes(ip.begin() + ihl, ip.begin() + len);
    if (!more) p.total = offset + (len - ihl);
    auto data = complete(p);
    if (!data) return std::nullopt;
    Bytes out = p.header;
    out.insert(out.end(), data->begin(), data->end());
    out[6] = out[7] = 0;
    out[2] = static_cast<uint8_t>(out.size() >> 8);
    out[3] = static_cast<uint8_t>(out.size());
    out[10] = out[11] = 0;
    const uint16_t sum = ip_checksum(out.data(), p.header.size());
    out[10] = static_cast<uint8_t>(sum >> 8);
    out[11] = static_cast<uint8_t>(sum);
    pending_.erase(key);
    return out;
  }

  std::optional<Bytes> add_v6(Bytes ip) {
    const uint8_t* fh = ip.data() + 40;
    const uint16_t off_flags = be16(fh + 2);
    const size_t offset = off_flags & 0xfff8;
    const bool more = off_flags & 1;
    const size_t len = std::min<size_t>(40 + be16(ip.data() + 4), ip.size());
    Bytes key;  // source, destination and the fragment header's identification
    key.reserve(36);
    key.insert(key.end(), ip.begin() + 8, ip.begin() + 40);
    key.insert(key.end(), fh + 4, fh + 8);
    Pending& p = pending_[key];
    if (offset == 0) {
      p.header.assign(ip.begin(), ip.begin() + 40);
      p.header[6] = fh[0];  // the fragment header's next header
    }
    p.pieces[offset] = Bytes(ip.begin() + 48, ip.begin() + len);
    if (!more) p.total = offset + (len - 48);
    auto data = complete(p);
    if (!data) return std::nullopt;
    Bytes out = p.header;
    out.insert(out.end(), data->begin(), data->end());
    out[4] = static_cast<uint8_t>(data->size() >> 8);
    out[5] = static_cast<uint8_t>(data->size());
    pending_.erase(key);
    return out;
  }

  static std::optional<Bytes> complete(const Pending& p) {
    if (!p.total || p.header.empty()) return std::nullopt;
    Bytes data;
    for (const auto& [offset, piece] : p.pieces) {
      if (offset != data.size()) return std::nullopt;
      data.insert(data.end(), piece.begin(), piece.end());
    }
    if (data.size() != *p.total) return std::nullopt;
    return data;
  }

  std::map<Bytes, Pending> pending_;
};

// Whether an ICMP/ICMPv6 packet (from the IP header) is an echo request.
bool is_echo_request(const Bytes& ip) {
  if (ip.size() >= 21 && (ip[0] >> 4) == 4) {
    const size_t ihl = (ip[0] & 0x0f) * 4u;
    return ip[9] == 1 && ip.size() > ihl && ip[ihl] == 8;
  }
  return ip.size() > 40 && (ip[0] >> 4) == 6 && ip[6] == 58 && ip[40] == 128;
}

enum class View { router, host };

struct Replay {
  size_t packets = 0;     // packets inspected (after reassembly)
  size_t detections = 0;  // findings other than pass
  std::vector<std::string> examples;
};

Replay replay(const std::filesystem::path& path, View view) {
  const Clock::time_point t0 = Clock::time_point{} + 1000h;
  Replay r;
  std::vector<std::string>* examples = &r.examples;
  size_t* detections = &r.detections;
  Engine engine(
      EngineConfig{}, std::make_shared<StaticRouteView>(), [examples, detections](const Event& e) {
        ++*detections;
        if (examples->size() >= 5) return;
        std::string s = std::string(to_string(e.finding->outcome)) + " " + e.finding->reason + ":";
        for (const Signal& sig : e.finding->signals) s += " " + sig.name;
        examples->push_back(s);
      });
  Reassembler reassembler;
  for (Frame& f : read_pcap(path)) {
    auto packet = reassembler.add(std::move(f.ip));
    if (!packet) continue;
    PacketContext ctx;
    ctx.iif = 1;
    if (view == View::host) {
      if (is_echo_request(*packet)) continue;  // sent by the host: output hook
      ctx.ct = Conntrack::reply;
    }
    if (packet->size() > kCopyRange) packet->resize(kCopyRange);
    ++r.packets;
    engine_feed(engine, *packet, ctx, t0 + f.at);
  }
  return r;
}

TEST(PingCorpus, NoDetectionOnAnyRealPingSession) {
  const std::filesystem::path dir =
      std::filesystem::path(ICMPWALL_SOURCE_DIR) / "tests" / "corpus" / "pings";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".pcap") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no *.pcap under " << dir
                              << ": the ping-client corpus is missing (tests/corpus/pings)";
  size_t packets = 0, detections = 0;
  for (const View view : {View::router, View::host}) {
    const char* name = view == View::router ? "router" : "host";
    if (view == View::host && !engine_takes_context<Engine>) {
      std::printf("host view: the engine takes no packet context here, left out\n");
      continue;
    }
    for (const auto& file : files) {
      const Replay r = replay(file, view);
      std::printf("%-6s %-32s %6zu packets %4zu detections\n", name, file.filename().c_str(),
                  r.packets, r.detections);
      for (const auto& e : r.examples) std::printf("    %s\n", e.c_str());
      EXPECT_GT(r.packets, 0u) << file << ": no IP packet in it";
      EXPECT_EQ(r.detections, 0u) << name << " " << file;
      packets += r.packets;
      detections += r.detections;
    }
  }
  std::printf("%zu files, %zu packets inspected, %zu detections\n", files.size(), packets,
              detections);
}

}  // namespace
}  // namespace icmpwall::inspect
