// SPDX-License-Identifier: GPL-2.0-or-later
// netlink/set_element.h: put_element writes the bytes libnftnl's
// nftnl_set_elem_nlmsg_build writes for the same element (to_nftnl), for
// every shape an element takes: a key alone, an interval end, a
// concatenated range, verdicts with and without a chain, timeouts.
#include "icmpwall/netlink/set_element.h"

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>

#include <array>
#include <string>
#include <vector>

namespace icmpwall::netlink {
namespace {

using Bytes = std::vector<uint8_t>;

// The message after its header, as written by `put` at list index 7.
template <typename Put>
Bytes written(Put put) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  auto* nlh = mnl_nlmsg_put_header(buf.data());
  auto* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
  put(nlh);
  mnl_attr_nest_end(nlh, list);
  const auto* begin = reinterpret_cast<const uint8_t*>(list);
  return Bytes(begin, begin + mnl_attr_get_len(list));
}

void expect_same_bytes(const ElementAttrs& e) {
  auto ours = written([&](nlmsghdr* nlh) { put_element(nlh, e, 7); });
  auto theirs = written([&](nlmsghdr* nlh) {
    auto elem = to_nftnl(e);
    nftnl_set_elem_nlmsg_build(nlh, elem.get(), 7);
  });
  EXPECT_EQ(ours, theirs);
  EXPECT_GT(ours.size(), 8u);
}

TEST(PutElementTest, WritesWhatLibnftnlWrites) {
  const Bytes v4{198, 18, 0, 1}, v4_end{198, 18, 0, 2};
  const Bytes v6(16, 0x20), type_code{8, 0, 0, 0, 0, 0, 0, 0};
  const nft::Verdict accept{nft::VerdictKind::accept, ""};
  const nft::Verdict drop{nft::VerdictKind::drop, ""};
  const nft::Verdict jump{nft::VerdictKind::jump, "rule-echo"};
  const nft::Verdict go{nft::VerdictKind::goto_, "a-chain-of-thirty-one-chars-xx"};
  expect_same_bytes({.key = v4});
  expect_same_bytes({.key = v6});
  expect_same_bytes({.key = v4_end, .interval_end = true});
  expect_same_bytes({.key = type_code, .key_end = type_code});
  expect_same_bytes({.key = type_code, .key_end = type_code, .verdict = &jump});
  expect_same_bytes({.key = v4, .verdict = &accept});
  expect_same_bytes({.key = v4, .verdict = &drop});
  expect_same_bytes({.key = v6, .verdict = &go});
  expect_same_bytes({.key = v4, .timeout_ms = 600000});
  expect_same_bytes({.key = v6, .timeout_ms = 600000, .expiration_ms = 1234});
  expect_same_bytes({.key = v4, .expiration_ms = 1});
}

// The nest put_element returns is the entry: cancelling it leaves the
// list as it was.
TEST(PutElementTest, TheReturnedNestTakesTheEntryBackOut) {
  const Bytes v4{198, 18, 0, 1};
  auto one = written([&](nlmsghdr* nlh) { put_element(nlh, {.key = v4}, 1); });
  auto cancelled = written([&](nlmsghdr* nlh) {
    put_element(nlh, {.key = v4}, 1);
    mnl_attr_nest_cancel(nlh, put_element(nlh, {.key = v4, .interval_end = true}, 2));
  });
  EXPECT_EQ(one, cancelled);
}

}  // namespace
}  // namespace icmpwall::netlink
