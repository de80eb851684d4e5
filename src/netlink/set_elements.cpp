// NEWSETELEM with per-element timeouts, acked, as one small batch.
#include "icmpwall/netlink/set_elements.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>
#include <ctime>

#include "icmpwall/netlink/batch.h"
#include "icmpwall/netlink/handles.h"
#include "icmpwall/netlink/socket.h"

namespace icmpwall::netlink {

Result<void> add_timed_elements(const std::string& table, const std::string& set,
                                const std::vector<TimedElement>& elements) {
  if (elements.empty()) return ok();
  const nft::Origin origin{{}, fmt::format("set {} of table inet {}", set, table)};
  Batch batch(batch_seq());
  auto* nlh = batch.begin(NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE, MsgKind::elements, set,
                          origin);
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.c_str());
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
  auto* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
  int index = 0;
  for (const auto& e : elements) {
    SetElemPtr elem(nftnl_set_elem_alloc());
    nftnl_set_elem_set(elem.get(), NFTNL_SET_ELEM_KEY, e.key.data(), e.key.size());
    if (e.timeout.count() > 0)
      nftnl_set_elem_set_u64(elem.get(), NFTNL_SET_ELEM_TIMEOUT,
                             static_cast<uint64_t>(e.timeout.count()));
    nftnl_set_elem_nlmsg_build(nlh, elem.get(), ++index);
  }
  mnl_attr_nest_end(nlh, list);
  batch.end(nlh);
  batch.finish();

  TRY(auto sock, Socket::open());
  TRY(auto errors, sock.talk(batch));
  if (errors.empty()) return ok();
  return Error{fmt::format("adding {} element(s) to set {} of table inet {}: {}{}", elements.size(),
                           set, table, std::strerror(errors[0].code),
                           errors[0].message.empty() ? "" : " (" + errors[0].message + ")"),
               errors[0].code};
}

}  // namespace icmpwall::netlink
