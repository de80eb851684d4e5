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
#include <map>
#include <memory>
#include <utility>

#include "icmpwall/audit/decode.h"
#include "icmpwall/netlink/handles.h"

namespace icmpwall::audit {
namespace {

using netlink::Free;
using GenPtr = std::unique_ptr<nftnl_gen, Free<nftnl_gen_free>>;

constexpr size_t kReadBuffer = 1 << 20;
constexpr int kRecvBuffer = 16 << 20;
constexpr int kReplyTimeoutSec = 10;

Error errno_error(const std::string& what, int e = errno) {
  return Error{fmt::format("{}: {}", what, std::strerror(e)), e};
}

// Thrown-away attempts (the ruleset moved) are told apart from failures.
bool is_change(int code) {
  return code == EINTR || code == ENOENT || code == EAGAIN;
}

class DumpSocket {
 public:
  static Result<DumpSocket> open() {
    netlink::MnlSocketPtr s(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
    if (!s) return errno_error("netlink socket");
    if (mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0) return errno_error("netlink bind");
    int fd = mnl_socket_get_fd(s.get());
    int size = kRecvBuffer;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    timeval tv{kReplyTimeoutSec, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
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

  explicit DumpSocket(netlink::MnlSocketPtr s)
      : sock_(std::move(s)), buf_(std::make_unique_for_overwrite<char[]>(kReadBuffer)) {
    portid_ = mnl_socket_get_portid(sock_.get());
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

  netlink::MnlSocketPtr sock_;
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

// Where a table's parts go while the dumps come in.
class Assembler {
 public:
  explicit Assembler(Ruleset& rs) : rs_(rs) {}

  void add_table(Table t) {
    tables_[{t.family, t.name}] = rs_.tables.size();
    rs_.tables.push_back(std::move(t));
  }
  Table* table(uint32_t family, const char* name) {
    auto it = tables_.find({family, name ? name : ""});
    return it == tables_.end() ? nullptr : &rs_.tables[it->second];
  }
  int add_chain(uint32_t family, const char* table_name, Chain c) {
    Table* t = table(family, table_name);
    if (!t) return EINTR;  // a table created after the table dump
    chains_[key(family, table_name, c.name.c_str())] = {t - rs_.tables.data(), t->chains.size()};
    t->chains.push_back(std::move(c));
    return 0;
  }
  int add_rule(uint32_t family, const char* table_name, const char* chain_name, Rule r) {
    auto it = chains_.find(key(family, table_name, chain_name));
    if (it == chains_.end()) return EINTR;
    Chain& c = rs_.tables[it->second.first].chains[it->second.second];
    r.index = static_cast<uint32_t>(c.rules.size());
    c.rules.push_back(std::move(r));
    return 0;
  }

 private:
  static std::string key(uint32_t family, const char* table, const char* chain) {
    return fmt::format("{}\n{}\n{}", family, table ? table : "", chain ? chain : "");
  }
  Ruleset& rs_;
  std::map<std::pair<uint32_t, std::string>, size_t> tables_;
  std::map<std::string, std::pair<size_t, size_t>> chains_;
};

Result<void> dump_tables(DumpSocket& sock, Assembler& out) {
  return sock.exchange(NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NLM_F_DUMP, nullptr,
                       [&](const nlmsghdr* nlh) {
                         auto t = netlink::make_table();
                         if (!t || nftnl_table_nlmsg_parse(nlh, t.get()) < 0) return EBADMSG;
                         out.add_table(decode_table(t.get()));
                         return 0;
                       });
}

Result<void> dump_chains(DumpSocket& sock, Assembler& out) {
  return sock.exchange(NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, nullptr,
                       [&](const nlmsghdr* nlh) {
                         auto c = netlink::make_chain();
                         if (!c || nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return EBADMSG;
                         return out.add_chain(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FAMILY),
                                              nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE),
                                              decode_chain(c.get()));
                       });
}

Result<void> dump_elements(DumpSocket& sock, uint32_t family, const std::string& table, Set& set) {
  auto s = netlink::make_set();
  if (!s) return Error{"out of memory", ENOMEM};
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.name.c_str());
  TRY_VOID(sock.exchange(
      NFT_MSG_GETSETELEM, static_cast<uint16_t>(family), NLM_F_DUMP,
      [&](nlmsghdr* nlh) { nftnl_set_elems_nlmsg_build_payload(nlh, s.get()); },
      [&](const nlmsghdr* nlh) {
        return nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0 ? EBADMSG : 0;
      }));
  nftnl_set_elem_foreach(
      s.get(),
      [](nftnl_set_elem* e, void* data) {
        static_cast<Set*>(data)->elements.push_back(decode_set_elem(e));
        return 0;
      },
      &set);
  return ok();
}

Result<void> dump_sets(DumpSocket& sock, Assembler& out, Ruleset& rs) {
  TRY_VOID(
      sock.exchange(NFT_MSG_GETSET, NFPROTO_UNSPEC, NLM_F_DUMP, nullptr, [&](const nlmsghdr* nlh) {
        auto s = netlink::make_set();
        if (!s || nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return EBADMSG;
        Table* t = out.table(nftnl_set_get_u32(s.get(), NFTNL_SET_FAMILY),
                             nftnl_set_get_str(s.get(), NFTNL_SET_TABLE));
        if (!t) return EINTR;
        t->sets.push_back(decode_set(s.get()));
        return 0;
      }));
  for (auto& t : rs.tables)
    for (auto& set : t.sets) TRY_VOID(dump_elements(sock, t.family, t.name, set));
  return ok();
}

Result<void> dump_objects(DumpSocket& sock, Assembler& out) {
  return sock.exchange(NFT_MSG_GETOBJ, NFPROTO_UNSPEC, NLM_F_DUMP, nullptr,
                       [&](const nlmsghdr* nlh) {
                         auto o = netlink::make_obj();
                         if (!o || nftnl_obj_nlmsg_parse(nlh, o.get()) < 0) return EBADMSG;
                         Table* t = out.table(nftnl_obj_get_u32(o.get(), NFTNL_OBJ_FAMILY),
                                              nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE));
                         if (!t) return EINTR;
                         t->objects.push_back(decode_object(o.get()));
                         return 0;
                       });
}

Result<void> dump_rules(DumpSocket& sock, Assembler& out) {
  return sock.exchange(
      NFT_MSG_GETRULE, NFPROTO_UNSPEC, NLM_F_DUMP, nullptr, [&](const nlmsghdr* nlh) {
        auto r = netlink::make_rule();
        if (!r || nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) return EBADMSG;
        return out.add_rule(nftnl_rule_get_u32(r.get(), NFTNL_RULE_FAMILY),
                            nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE),
                            nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN), decode_rule(r.get()));
      });
}

// One attempt; an Error with a change code (is_change) means "try again".
Result<Ruleset> dump_once() {
  TRY(DumpSocket sock, DumpSocket::open());
  Ruleset rs;
  TRY(rs.generation, get_generation(sock));
  sock.expect_generation(rs.generation);
  Assembler out(rs);
  TRY_VOID(dump_tables(sock, out));
  TRY_VOID(dump_chains(sock, out));
  TRY_VOID(dump_sets(sock, out, rs));
  TRY_VOID(dump_objects(sock, out));
  TRY_VOID(dump_rules(sock, out));
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
