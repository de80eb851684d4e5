// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target for the queue worker's reading of a datagram: arbitrary
// bytes as one datagram from an nfnetlink_queue socket, through
// queue::read_datagram (the netlink walk, parse_packet, parse_error), the
// code Reader::handle_datagram runs on every datagram it receives, then
// each packet's payload through the inspect stage's decoder, as the
// inspector gets it. Whatever the bytes, it must return, never read out of
// bounds, hang or hit undefined behaviour; each payload lies inside the
// datagram and the lengths a packet reports agree with it.
//
// Seeds: tests/fuzz/corpus/queue_datagram/, written by
// make_queue_seeds.py (kernel-shaped NFQNL_MSG_PACKET messages, an ack,
// an error, and lengths that lie).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_checks.h"
#include "icmpwall/inspect/decode/packet.h"
#include "icmpwall/queue/messages.h"
#include "icmpwall/util/netlink_datagram.h"

namespace {

using namespace icmpwall;
using fuzz::require;
using fuzz::touch;
using fuzz::within;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool loaded = static_cast<bool>(queue::load_libnfq());
  require(loaded);
  // One slot of the reader at the largest copy range: 64 KiB and the
  // metadata room.
  if (size > 1 << 17) return -1;
  // A heap copy the size of the datagram rounded up to 4 (the reader's
  // slots have that room), so that ASan sees the end of the padded datagram.
  std::vector<uint8_t> slot((size + kNetlinkAlign - 1) & ~(kNetlinkAlign - 1));
  std::copy(data, data + size, slot.begin());
  const auto bytes = pad_netlink_datagram(slot, size);
  require(bytes.size() == slot.size());
  queue::DatagramTally tally;
  queue::read_datagram(bytes, tally, [&](queue::PacketMessage& m) {
    const auto payload = m.payload;
    require(within(payload, bytes));
    touch(payload);
    require(m.info.copied_len == payload.size());
    require(m.info.packet_len >= m.info.copied_len);
    require(m.info.truncated == (m.info.copied_len < m.info.packet_len));
    require(m.info.hwaddr_len <= m.info.hwaddr.size());
    (void)inspect::decode_packet(payload, {.allow_truncated = m.info.truncated});
  });
  return 0;
}
