// SPDX-License-Identifier: GPL-2.0-or-later
// Dumping the whole ruleset over netlink (see dump.h).
//
// One attempt: GETGEN; dumps (NLM_F_DUMP, NFPROTO_UNSPEC) of tables,
// chains, sets, then GETSETELEM for each set, objects and rules; GETGEN
// again. The kernel stamps every dump message with the low 16 bits of the
// generation it was built at (nfgenmsg.res_id) and flags a dump that the
// ruleset changed under (NLM_F_DUMP_INTR, which libmnl reports as EINTR).
// Any of those three signs of a change, or a set or table that vanished
// between the set dump and its element dump (ENOENT), throws the attempt
// away; each attempt uses a fresh socket so no stale answer from an
// abandoned dump can be mistaken for a new one.
//
// Kernel dumps are flow-controlled (the next batch is built once we have
// read the last), so a large receive buffer is about fewer round trips,
// not about losing messages; the read buffer is kept larger than any
// single dump skb the kernel builds.
#include "icmpwall/audit/dump.h"

// libnftnl's headers use FILE without including <stdio.h>.
// clang-format off
#include <cstdio>
// clang-format on
#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

#include "icmpwall/audit/dump_messages.h"
#include "icmpwall/netlink/handles.h"
#include "icmpwall/util/errno_error.h"
#include "icmpwall/util/mnl_socket.h"

namespace icmpwall::audit {
namespace {

using netlink::Free;
using GenPtr = std::unique_ptr<nftnl_gen, Free<nftnl_gen_free>>;

constexpr size_t kReadBuffer = 1 << 20;
constexpr int kRecvBuffer = 16 << 20;
constexpr int kReplyTimeoutMs = 10000;

// Thrown-away attempts (the ruleset moved) are told apart from failures.
bool is_change(int code) {
  return code == EINTR || code == ENOENT || code == EAGAIN;
}

class DumpSocket {
 public:
  static Result<DumpSocket> open() {
    MnlSocketOptions options;
    options.what = "the netlink dump socket";
    options.receive_buffer = kRecvBuffer;
    options.receive_timeout_ms = kReplyTimeoutMs;
    TRY(auto s, MnlSocket::open(NETLINK_NETFILTER, options));
    return DumpSocket(std::move(s));
  }

  uint32_t generation_seen() const { return gen_seen_; }
  bool generation_moved() const { return gen_moved_; }
  void expect_generation(uint32_t gen) {
    gen_seen_ = gen;
    gen_moved_ = false;
  }

  // Sends one request of `type` (NFT_MSG_*) and hands every answer
  // message to `on_msg`; `payload` adds the request's attributes.
  using OnMsg = std::function<int(const nlmsghdr*)>;
  Result<void> exchange(uint16_t type, uint16_t family, uint16_t flags,
                        const std::function<void(nlmsghdr*)>& payload, const OnMsg& on_msg) {
    std::vector<char> req(MNL_SOCKET_BUFFER_SIZE);
    uint32_t seq = seq_++;
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req.data(), type, family, flags, seq);
    if (payload) payload(nlh);
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
      return errno_error(fmt::format("netlink request {}", type));
    Context ctx{this, &on_msg, 0};
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(sock_.get(), buf_.get(), kReadBuffer);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          return Error{"no answer from the kernel to a dump request", ETIMEDOUT};
        return errno_error("reading a netlink dump");
      }
      // libmnl's loop, for the kernel's answer (util/netlink_datagram.h).
      int r = mnl_cb_run(buf_.get(), n, seq, portid_, &DumpSocket::callback, &ctx);
      if (r < 0) {
        if (ctx.error) return errno_error("decoding a netlink dump", ctx.error);
        return errno_error(fmt::format("netlink request {}", type));
      }
      if (r == MNL_CB_STOP) return ok();
    }
  }

 private:
  struct Context {
    DumpSocket* self;
    const OnMsg* on_msg;
    int error;
  };

  explicit DumpSocket(MnlSocket s)
      : sock_(std::move(s)), buf_(std::make_unique_for_overwrite<char[]>(kReadBuffer)) {
    portid_ = sock_.portid();
    seq_ = static_cast<uint32_t>(time(nullptr));
  }

  static int callback(const nlmsghdr* nlh, void* data) {
    auto* ctx = static_cast<Context*>(data);
    if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(nfgenmsg))) {
      const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
      if (ntohs(nfg->res_id) != (ctx->self->gen_seen_ & 0xffff)) ctx->self->gen_moved_ = true;
    }
    int err = (*ctx->on_msg)(nlh);
    if (err != 0) {
      ctx->error = err;
      errno = err;
      return MNL_CB_ERROR;
    }
    return MNL_CB_OK;
  }

  MnlSocket sock_;
  std::unique_ptr<char[]> buf_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  uint32_t gen_seen_ = 0;
  bool gen_moved_ = false;
};

Result<uint32_t> get_generation(DumpSocket& sock) {
  std::optional<uint32_t> gen;
  TRY_VOID(sock.exchange(NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, nullptr, [&](const nlmsghdr* nlh) {
    GenPtr g(nftnl_gen_alloc());
    if (!g) return ENOMEM;
    if (nftnl_gen_nlmsg_parse(nlh, g.get()) < 0) return EBADMSG;
    gen = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
    return 0;
  }));
  if (!gen) return Error{"the kernel sent no generation id", EBADMSG};
  return *gen;
}

Result<void> dump_kind(DumpSocket& sock, uint16_t type, DumpAssembler& out,
                       int (DumpAssembler::*on_msg)(const nlmsghdr*)) {
  return sock.exchange(type, NFPROTO_UNSPEC, NLM_F_DUMP, nullptr,
                       [&](const nlmsghdr* nlh) { return (out.*on_msg)(nlh); });
}

Result<void> dump_elements(DumpSocket& sock, uint32_t family, const std::string& table,
                           const std::string& set, DumpAssembler& out) {
  auto s = netlink::make_set();
  if (!s) return Error{"out of memory", ENOMEM};
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.c_str());
  return sock.exchange(
      NFT_MSG_GETSETELEM, static_cast<uint16_t>(family), NLM_F_DUMP,
      [&](nlmsghdr* nlh) { nftnl_set_elems_nlmsg_build_payload(nlh, s.get()); },
      [&](const nlmsghdr* nlh) { return out.set_elements(nlh); });
}

// One attempt; an Error with a change code (is_change) means "try again".
Result<Ruleset> dump_once() {
  TRY(DumpSocket sock, DumpSocket::open());
  Ruleset rs;
  TRY(rs.generation, get_generation(sock));
  sock.expect_generation(rs.generation);
  DumpAssembler out(rs);
  TRY_VOID(dump_kind(sock, NFT_MSG_GETTABLE, out, &DumpAssembler::table));
  TRY_VOID(dump_kind(sock, NFT_MSG_GETCHAIN, out, &DumpAssembler::chain));
  TRY_VOID(dump_kind(sock, NFT_MSG_GETSET, out, &DumpAssembler::set));
  for (const Table& t : rs.tables)
    for (const Set& set : t.sets) TRY_VOID(dump_elements(sock, t.family, t.name, set.name, out));
  TRY_VOID(dump_kind(sock, NFT_MSG_GETOBJ, out, &DumpAssembler::object));
  TRY_VOID(dump_kind(sock, NFT_MSG_GETRULE, out, &DumpAssembler::rule));
  bool moved = sock.generation_moved();
  TRY(uint32_t after, get_generation(sock));
  if (moved || after != rs.generation)
    return Error{fmt::format("the ruleset changed during the dump (generation {} -> {})",
                             rs.generation, after),
                 EAGAIN};
  return rs;
}

}  // namespace

Result<Ruleset> dump_ruleset(const DumpOptions& options) {
  Error last{"no dump attempted", EAGAIN};
  for (int attempt = 0; attempt < std::max(1, options.max_attempts); ++attempt) {
    auto rs = dump_once();
    if (rs.ok()) return rs;
    last = rs.error();
    if (!is_change(last.code)) return last;
  }
  return Error{fmt::format("the ruleset kept changing ({} attempts): {}", options.max_attempts,
                           last.message),
               EAGAIN};
}

}  // namespace icmpwall::audit
