// SPDX-License-Identifier: GPL-2.0-or-later
// nft::Table -> nft syntax.
//
// The text is laid out so that `nft -f` accepts it in one pass: objects,
// then every chain declared (base chains with their hook), then sets and
// maps (whose elements jump to those chains), then the chains again with
// their rules. Values are printed numerically where nft would accept
// either, so nothing depends on nft's symbol tables.
#include "icmpwall/compile/render.h"

#include <fmt/format.h>

#include "icmpwall/util/address.h"

namespace icmpwall::compile {
namespace {

using nft::Field;

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s)
    if (c != '"' && c != '\\') out += c;
  return out + "\"";
}

std::string field_name(Field f) {
  switch (f) {
    case Field::nfproto: return "meta nfproto";
    case Field::l4proto: return "meta l4proto";
    case Field::iifname: return "iifname";
    case Field::oifname: return "oifname";
    case Field::ip_saddr: return "ip saddr";
    case Field::ip_daddr: return "ip daddr";
    case Field::ip_ttl: return "ip ttl";
    case Field::ip6_saddr: return "ip6 saddr";
    case Field::ip6_daddr: return "ip6 daddr";
    case Field::ip6_hoplimit: return "ip6 hoplimit";
    case Field::fib_daddr_type: return "fib daddr type";
    case Field::icmp_type: return "icmp type";
    case Field::icmp_code: return "icmp code";
    case Field::icmpv6_type: return "icmpv6 type";
    case Field::icmpv6_code: return "icmpv6 code";
  }
  return "?";
}

uint32_t host_u32(std::span<const uint8_t> v) {
  uint32_t x = 0;
  for (size_t i = 0; i < v.size() && i < 4; ++i) reinterpret_cast<uint8_t*>(&x)[i] = v[i];
  return x;
}

std::string addrtype_name(uint32_t rtn) {
  switch (rtn) {
    case 1: return "unicast";
    case 2: return "local";
    case 3: return "broadcast";
    case 4: return "anycast";
    case 5: return "multicast";
  }
  return std::to_string(rtn);
}

std::string ifname(std::span<const uint8_t> v) {
  std::string s(v.begin(), v.end());
  return quote(s.substr(0, s.find('\0')));
}

std::string value(Field f, const std::vector<uint8_t>& v) {
  switch (f) {
    case Field::nfproto:
      return v.at(0) == 2 ? "ipv4" : v.at(0) == 10 ? "ipv6" : std::to_string(v.at(0));
    case Field::l4proto:
      return v.at(0) == 1 ? "icmp" : v.at(0) == 58 ? "ipv6-icmp" : std::to_string(v.at(0));
    case Field::iifname:
    case Field::oifname: return ifname(v);
    case Field::ip_saddr:
    case Field::ip_daddr:
    case Field::ip6_saddr:
    case Field::ip6_daddr: return format_addr(v.data(), v.size());
    case Field::fib_daddr_type: return addrtype_name(host_u32(v));
    default: return std::to_string(v.at(0));
  }
}

std::string rate(const policy::Rate& r) {
  return fmt::format("{}/{}", r.count, policy::to_string(r.unit));
}

std::string limit(const nft::Limit& l) {
  return fmt::format("limit rate {} burst {} packets", rate(l.rate), l.burst);
}

std::string verdict(const nft::Verdict& v) {
  switch (v.kind) {
    case nft::VerdictKind::accept: return "accept";
    case nft::VerdictKind::drop: return "drop";
    case nft::VerdictKind::jump: return "jump " + v.chain;
    case nft::VerdictKind::goto_: return "goto " + v.chain;
    case nft::VerdictKind::return_: return "return";
  }
  return "?";
}

struct StmtText {
  std::string operator()(const nft::Match& m) const {
    return fmt::format("{} {}", field_name(m.field), value(m.field, m.value));
  }
  std::string operator()(const nft::PrefixMatch& m) const {
    std::string text =
        fmt::format("{} {}", field_name(m.field), format_addr(m.addr.data(), m.addr.size()));
    if (m.len < m.addr.size() * 8) text += fmt::format("/{}", m.len);
    return text;
  }
  std::string operator()(const nft::NonFirstFragment& f) const {
    return f.family == policy::Family::ipv4 ? "ip frag-off & 0x1fff != 0" : "frag frag-off != 0";
  }
  std::string operator()(const nft::LongerThan& l) const {
    return fmt::format("@th,{},8 <= 0xff", uint32_t{l.bytes} * 8);
  }
  std::string operator()(const nft::CtState& c) const {
    static const std::pair<uint32_t, const char*> kNames[] = {
        {1, "invalid"}, {2, "established"}, {4, "related"}, {8, "new"}, {64, "untracked"}};
    std::string out;
    for (auto [bit, name] : kNames)
      if (c.states & bit) out += (out.empty() ? "" : ",") + std::string(name);
    return "ct state " + out;
  }
  std::string operator()(const nft::Notrack&) const { return "notrack"; }
  std::string operator()(const nft::SetMatch& m) const {
    return fmt::format("{} @{}", field_name(m.field), m.set);
  }
  std::string operator()(const nft::VmapLookup& m) const {
    std::string key;
    for (auto f : m.key) key += (key.empty() ? "" : " . ") + field_name(f);
    return fmt::format("{} vmap @{}", key, m.map);
  }
  std::string operator()(const nft::CounterRef& c) const { return "counter name " + quote(c.name); }
  std::string operator()(const nft::LimitRef& l) const { return "limit name " + quote(l.name); }
  std::string operator()(const nft::Limit& l) const { return limit(l); }
  std::string operator()(const nft::DynsetLimit& d) const {
    std::string key = field_name(d.key);
    if (!d.mask.empty()) key += " & " + format_addr(d.mask.data(), d.mask.size());
    return fmt::format("update @{} {{ {} {} }}", d.set, key, limit(d.limit));
  }
  // nft's order: prefix, then group.
  std::string operator()(const nft::Log& l) const {
    std::string s = "log prefix " + quote(l.prefix);
    if (l.group) s += " group " + std::to_string(*l.group);
    return s;
  }
  std::string operator()(const nft::Queue& q) const {
    std::string num =
        q.total > 1 ? fmt::format("{}-{}", q.num, q.num + q.total - 1) : std::to_string(q.num);
    std::string flags;
    if (q.bypass) flags += "bypass";
    if (q.fanout) flags += flags.empty() ? "fanout" : ",fanout";
    return fmt::format("queue num {}{}{}", num, flags.empty() ? "" : " ", flags);
  }
  std::string operator()(const nft::Verdict& v) const { return verdict(v); }
};

std::string key_type(nft::KeyType k) {
  switch (k) {
    case nft::KeyType::ipv4_addr: return "ipv4_addr";
    case nft::KeyType::ipv6_addr: return "ipv6_addr";
    case nft::KeyType::ifname: return "ifname";
    case nft::KeyType::fib_addrtype: return "fib_addrtype";
    case nft::KeyType::icmp_type_code: return "icmp_type . icmp_code";
    case nft::KeyType::icmpv6_type_code: return "icmpv6_type . icmpv6_code";
  }
  return "?";
}

std::string element(const nft::Set& s, const nft::Element& e) {
  std::string out;
  switch (s.key) {
    case nft::KeyType::ipv4_addr:
    case nft::KeyType::ipv6_addr: {
      size_t len = e.key.size();
      out = format_addr(e.key.data(), len);
      if (!e.key_end.empty() && e.key_end != e.key) {
        AddrRange r{addr_to_int(e.key.data(), len), addr_to_int(e.key_end.data(), len)};
        if (auto plen = range_as_prefix(r, len))
          out += fmt::format("/{}", *plen);
        else
          out += "-" + format_addr(e.key_end.data(), len);
      }
      break;
    }
    case nft::KeyType::ifname: out = ifname(e.key); break;
    case nft::KeyType::fib_addrtype: out = addrtype_name(host_u32(e.key)); break;
    case nft::KeyType::icmp_type_code:
    case nft::KeyType::icmpv6_type_code:
      out = fmt::format("{} . {}", e.key.at(0), e.key.at(4));
      if (!e.key_end.empty() && e.key_end.at(4) != e.key.at(4))
        out += fmt::format("-{}", e.key_end.at(4));
      break;
  }
  if (e.verdict) out += " : " + verdict(*e.verdict);
  return out;
}

std::string timeout(uint32_t ms) {
  return ms % 1000 == 0 ? fmt::format("{}s", ms / 1000) : fmt::format("{}ms", ms);
}

void render_set(std::string& out, const nft::Set& s) {
  out += fmt::format("\t{} {} {{\n", s.map ? "map" : "set", s.name);
  out += fmt::format("\t\ttype {}{}\n", key_type(s.key), s.map ? " : verdict" : "");
  if (s.size) out += fmt::format("\t\tsize {}\n", s.size);
  if (s.interval) out += "\t\tflags interval\n";
  if (s.dynamic) out += "\t\tflags dynamic,timeout\n";
  if (s.timeout_ms) out += fmt::format("\t\ttimeout {}\n", timeout(s.timeout_ms));
  if (!s.elements.empty()) {
    out += "\t\telements = {";
    for (size_t i = 0; i < s.elements.size(); ++i)
      out += (i ? ",\n\t\t\t     " : " ") + element(s, s.elements[i]);
    out += " }\n";
  }
  out += "\t}\n";
}

}  // namespace

std::string render_nft(const nft::Table& t) {
  std::string out = fmt::format("table inet {} {{\n", t.name);
  for (const auto& o : t.objects) {
    if (o.kind == nft::ObjectKind::counter)
      out += fmt::format("\tcounter {} {{\n\t}}\n", o.name);
    else
      out += fmt::format("\tlimit {} {{\n\t\trate {} burst {} packets\n\t}}\n", o.name,
                         rate(o.limit.rate), o.limit.burst);
  }
  for (const auto& c : t.chains) {
    out += fmt::format("\tchain {} {{\n", c.name);
    if (c.base)
      out += fmt::format("\t\ttype filter hook {} priority {}; policy {};\n",
                         nft::to_string(c.base->hook), c.base->priority,
                         c.base->policy_drop ? "drop" : "accept");
    out += "\t}\n";
  }
  for (const auto& s : t.sets) render_set(out, s);
  for (const auto& c : t.chains) {
    if (c.rules.empty()) continue;
    out += fmt::format("\tchain {} {{\n", c.name);
    for (const auto& r : c.rules) {
      std::string line;
      for (const auto& s : r.stmts) line += (line.empty() ? "" : " ") + std::visit(StmtText{}, s);
      if (!r.comment.empty()) line += " comment " + quote(r.comment);
      out += "\t\t" + line + "\n";
    }
    out += "\t}\n";
  }
  out += "}\n";
  return out;
}

}  // namespace icmpwall::compile
