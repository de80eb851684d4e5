// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target for the daemon's NFLOG reader: arbitrary bytes as one
// datagram from an nfnetlink_log socket, through NflogHandler::datagram
// (the netlink walk, parse_nflog_packet, parse_nflog_error, the packet
// decoder, the event rate limit) and every rendering of each event
// (nflog_json, nflog_eve_json, nflog_fields). Whatever the bytes, it must
// return, never read out of bounds, hang or hit undefined behaviour; each
// event's payload lies inside the datagram, its prefix is bounded, and the
// counters account for every packet message read.
//
// Seeds: tests/fuzz/corpus/nflog_datagram/ (kernel-shaped messages: a
// logged echo request, ICMPv6, no prefix, an ACK, an error).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_checks.h"
#include "icmpwall/daemon/nflog_events.h"
#include "icmpwall/daemon/nflog_messages.h"
#include "icmpwall/daemon/nflog_reader.h"

namespace {

using namespace icmpwall::daemon;
using icmpwall::fuzz::require;
using icmpwall::fuzz::touch;
using icmpwall::fuzz::within;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One receive of the reader's buffer at most.
  if (size > 1 << 17) return -1;
  // An exactly sized heap copy, so that ASan sees the end of the datagram.
  const std::vector<uint8_t> bytes(data, data + size);
  NflogSources sources{{{3, "icmpwall no-ts "}, {"no-ts", "drop", true}},
                       {{3, ""}, {"default.input", "allow", false}}};
  uint64_t events = 0;
  NflogHandler handler(std::move(sources), 1'000'000, [&](const NflogEvent& e) {
    ++events;
    require(e.message != nullptr);
    const auto payload = e.message->payload;
    require(within(payload, bytes));
    touch(payload);
    if (e.message->prefix) require(e.message->prefix->size() <= kMaxNflogPrefix);
    require(!nflog_json(e).empty());
    require(!nflog_eve_json(e).empty());
    require(!nflog_fields(e).empty());
  });
  handler.datagram(bytes);
  const NflogCounters c = handler.counters();
  require(c.events == events);
  require(c.events + c.suppressed == c.received);
  return 0;
}
