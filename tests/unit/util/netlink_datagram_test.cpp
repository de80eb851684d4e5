// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink datagram walk: which messages of a datagram are handed out,
// in which order, and how many bytes it says it walked, for well-formed
// datagrams and for every way the bytes can lie about a length.
#include "icmpwall/util/netlink_datagram.h"

#include <gtest/gtest.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace icmpwall {
namespace {

using Bytes = std::vector<uint8_t>;

// Appends a message of type `type` saying it is `len` bytes long, with
// `room` bytes in all (header, a body of `type` bytes, zeros); room
// defaults to len rounded up to 4.
void add(Bytes& d, uint16_t type, uint32_t len, size_t room = 0) {
  if (room == 0) room = (len + 3) & ~size_t{3};
  nlmsghdr h{};
  h.nlmsg_len = len;
  h.nlmsg_type = type;
  h.nlmsg_seq = static_cast<uint32_t>(d.size());  // where it starts
  const size_t at = d.size();
  d.resize(at + std::max(room, sizeof h), type & 0xff);
  std::memcpy(d.data() + at, &h, sizeof h);
  d.resize(at + room);
}

struct Seen {
  std::vector<uint16_t> types;
  std::vector<uint32_t> offsets;  // from the datagram's start
};

// Walks `d` (its first `size` bytes; all of them by default).
size_t walk(const Bytes& d, Seen& seen, size_t size = SIZE_MAX) {
  std::span<const uint8_t> s(d.data(), std::min(size, d.size()));
  return for_each_netlink_message(s, [&](const nlmsghdr* nlh) {
    seen.types.push_back(nlh->nlmsg_type);
    seen.offsets.push_back(static_cast<uint32_t>(reinterpret_cast<const uint8_t*>(nlh) - s.data()));
  });
}

TEST(NetlinkDatagram, EmptyVisitsNothing) {
  Bytes d;
  Seen seen;
  EXPECT_EQ(walk(d, seen), 0u);
  EXPECT_TRUE(seen.types.empty());
}

TEST(NetlinkDatagram, OneMessage) {
  Bytes d;
  add(d, 20, 20);
  Seen seen;
  EXPECT_EQ(walk(d, seen), 20u);
  EXPECT_EQ(seen.types, (std::vector<uint16_t>{20}));
  EXPECT_EQ(seen.offsets, (std::vector<uint32_t>{0}));
}

TEST(NetlinkDatagram, SeveralMessagesEachOnceInOrder) {
  Bytes d;
  add(d, 16, NLMSG_HDRLEN);
  add(d, 17, 21);  // padded to 24: the next one starts there
  add(d, 18, 40);
  add(d, 19, 17);  // the last one, padded to 20
  Seen seen;
  EXPECT_EQ(walk(d, seen), d.size());
  EXPECT_EQ(d.size(), 16u + 24 + 40 + 20);
  EXPECT_EQ(seen.types, (std::vector<uint16_t>{16, 17, 18, 19}));
  EXPECT_EQ(seen.offsets, (std::vector<uint32_t>{0, 16, 40, 80}));
}

TEST(NetlinkDatagram, StopsAtATruncatedHeader) {
  Bytes d;
  add(d, 20, 20);
  d.resize(d.size() + NLMSG_HDRLEN - 1, 0xff);  // 15 bytes of a next header
  Seen seen;
  EXPECT_EQ(walk(d, seen), 20u);
  EXPECT_EQ(seen.types, (std::vector<uint16_t>{20}));

  Seen alone;
  EXPECT_EQ(walk(d, alone, 10), 0u);  // not even the first header
  EXPECT_TRUE(alone.types.empty());
}

TEST(NetlinkDatagram, StopsAtALengthOfZero) {
  Bytes d;
  add(d, 20, 20);
  add(d, 21, 0, 32);
  add(d, 22, 20);  // after the bad one: never reached
  Seen seen;
  EXPECT_EQ(walk(d, seen), 20u);
  EXPECT_EQ(seen.types, (std::vector<uint16_t>{20}));
}

TEST(NetlinkDatagram, StopsAtALengthBelowTheHeader) {
  for (uint32_t len : {1u, 4u, 15u}) {
    SCOPED_TRACE(len);
    Bytes d;
    add(d, 21, len, 32);
    add(d, 22, 16);
    Seen seen;
    EXPECT_EQ(walk(d, seen), 0u);
    EXPECT_TRUE(seen.types.empty());
  }
}

// 68 bytes where 64 are left; mnl_nlmsg_ok compares the length as an int,
// so the others would pass it as negative.
TEST(NetlinkDatagram, StopsAtALengthPastTheEnd) {
  for (uint32_t len : {68u, 0x80000000u, 0x80000001u, 0xfffffffdu, 0xffffffffu}) {
    SCOPED_TRACE(len);
    Bytes d;
    add(d, 20, 20);
    add(d, 21, len, 64);
    Seen seen;
    EXPECT_EQ(walk(d, seen), 20u);
    EXPECT_EQ(seen.types, (std::vector<uint16_t>{20}));
  }
}

// libmnl reads attributes up to the rounded length: a 45-byte last message
// in a 65-byte datagram would be read 3 bytes past its end.
TEST(NetlinkDatagram, UnalignedLastMessagePassingTheEndIsNotVisited) {
  Bytes d;
  add(d, 20, 20);
  add(d, 21, 45);
  Seen seen;
  EXPECT_EQ(walk(d, seen, 20 + 45), 20u);
  EXPECT_EQ(seen.types, (std::vector<uint16_t>{20}));

  Seen alone;
  Bytes last;
  add(last, 21, 45);
  EXPECT_EQ(walk(last, alone, 45), 0u);
  EXPECT_EQ(walk(last, alone, 47), 0u);
  EXPECT_TRUE(alone.types.empty());
}

TEST(NetlinkDatagram, UnalignedLastMessageThatFitsRoundedIsVisited) {
  Bytes d;
  add(d, 20, 20);
  add(d, 21, 45);
  ASSERT_EQ(d.size(), 20u + 48);
  Seen seen;
  EXPECT_EQ(walk(d, seen), d.size());
  EXPECT_EQ(seen.types, (std::vector<uint16_t>{20, 21}));
  EXPECT_EQ(seen.offsets, (std::vector<uint32_t>{0, 20}));
}

TEST(NetlinkDatagram, BytesWalkedStopShortOfTrailingGarbage) {
  Bytes d;
  add(d, 20, 20);
  add(d, 21, 24);
  d.push_back(0);
  Seen seen;
  EXPECT_EQ(walk(d, seen), 44u);
  EXPECT_EQ(seen.types, (std::vector<uint16_t>{20, 21}));
}

TEST(NetlinkDatagram, AFalseFromFnStopsAfterThatMessage) {
  Bytes d;
  add(d, 20, 20);
  add(d, 21, 24);
  add(d, 22, 16);
  std::vector<uint16_t> types;
  const size_t walked = for_each_netlink_message(d, [&](const nlmsghdr* nlh) {
    types.push_back(nlh->nlmsg_type);
    return nlh->nlmsg_type != 21;
  });
  EXPECT_EQ(walked, 44u);
  EXPECT_EQ(types, (std::vector<uint16_t>{20, 21}));
}

TEST(PadNetlinkDatagram, ZerosUpToTheNextBoundary) {
  Bytes buf(32, 0xff);
  const auto padded = pad_netlink_datagram(buf, 21);
  EXPECT_EQ(padded.data(), buf.data());
  EXPECT_EQ(padded.size(), 24u);
  EXPECT_EQ(buf[20], 0xff);  // received
  EXPECT_EQ(buf[21], 0);
  EXPECT_EQ(buf[23], 0);
  EXPECT_EQ(buf[24], 0xff);  // past the padding: untouched
}

TEST(PadNetlinkDatagram, AlignedOrWithoutRoomStaysAsReceived) {
  Bytes buf(22, 0xff);
  EXPECT_EQ(pad_netlink_datagram(buf, 20).size(), 20u);
  EXPECT_EQ(buf[20], 0xff);
  EXPECT_EQ(pad_netlink_datagram(buf, 21).size(), 21u);  // 24 do not fit
  EXPECT_EQ(buf[21], 0xff);
  EXPECT_EQ(pad_netlink_datagram(buf, 99).size(), 22u);  // never past the buffer
  EXPECT_TRUE(pad_netlink_datagram({}, 0).empty());
}

// nfnetlink_queue's way: a 45-byte last message, no padding after it.
TEST(PadNetlinkDatagram, ALastMessageSentWithoutPaddingIsWalkedOncePadded) {
  Bytes buf;
  add(buf, 20, 20);
  add(buf, 21, 45);
  Seen seen;
  EXPECT_EQ(walk(buf, seen, 65), 20u);
  Seen padded;
  EXPECT_EQ(for_each_netlink_message(
                pad_netlink_datagram(buf, 65),
                [&](const nlmsghdr* nlh) { padded.types.push_back(nlh->nlmsg_type); }),
            68u);
  EXPECT_EQ(padded.types, (std::vector<uint16_t>{20, 21}));
}

TEST(NetlinkDatagram, AMisalignedDatagramIsNotWalked) {
  Bytes d(1);
  add(d, 20, 20);  // at offset 1
  int calls = 0;
  std::span<const uint8_t> s(d.data() + 1, 20);
  EXPECT_EQ(for_each_netlink_message(s, [&](const nlmsghdr*) { ++calls; }), 0u);
  EXPECT_EQ(calls, 0);
  // The length check alone copies the header out: any address will do.
  EXPECT_EQ(whole_netlink_message(s), 20u);
}

}  // namespace
}  // namespace icmpwall
