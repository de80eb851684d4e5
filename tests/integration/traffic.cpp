// SPDX-License-Identifier: GPL-2.0-or-later
// ping, traceroute and a TCP transfer, parsed. See traffic.h.
#include "traffic.h"

#include <random>
#include <regex>
#include <sstream>

namespace icmpwall::integration {

PingResult ping(const Netns& from, const std::string& dst, const Argv& options, Millis timeout) {
  Argv argv{"ping", "-n"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(dst);
  return parse_ping(from.run(argv, {timeout}));
}

CommandResult finished(Process& p) {
  CommandResult r;
  r.argv = p.argv();
  auto code = p.wait_for_exit(Millis(0));
  r.exit_code = code ? *code : -1;
  r.timed_out = !code;
  r.out = p.out();
  r.err = p.err();
  return r;
}

PingResult parse_ping(CommandResult cmd) {
  PingResult r;
  r.cmd = std::move(cmd);
  static const std::regex stats(R"((\d+) packets transmitted, (\d+) received)");
  std::smatch m;
  if (std::regex_search(r.cmd.out, m, stats)) {
    r.transmitted = std::stoi(m[1]);
    r.received = std::stoi(m[2]);
  }
  return r;
}

TraceResult traceroute(const Netns& from, const std::string& dst, TraceMode mode, int max_hops) {
  TraceResult r;
  Argv argv{"traceroute", "-n", "-q", "1", "-w", "1", "-m", std::to_string(max_hops)};
  if (mode == TraceMode::icmp) argv.push_back("-I");
  if (dst.find(':') != std::string::npos) argv.push_back("-6");
  argv.push_back(dst);
  r.cmd = from.run(argv, {Millis(30'000)});
  // " 1  198.18.1.1  0.071 ms" / " 2  *"
  static const std::regex hop(R"(^\s*(\d+)\s+(\S+))");
  std::istringstream in(r.cmd.out);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, hop)) continue;
    const size_t n = std::stoul(m[1]);
    if (n != r.hops.size() + 1) continue;
    r.hops.push_back(m[2]);
  }
  return r;
}

std::string TransferResult::describe() const {
  std::ostringstream o;
  o << (completed ? "completed" : "not completed") << ", " << received << " bytes received in "
    << elapsed.count() << " ms\n"
    << sender.describe();
  return o.str();
}

TransferResult tcp_transfer(Netns& sender, Netns& receiver, const std::string& receiver_addr,
                            size_t bytes, Millis timeout, int port) {
  return tcp_transfer_via(sender, receiver_addr, port, receiver, receiver_addr, port, bytes,
                          timeout);
}

TransferResult tcp_transfer_via(Netns& sender, const std::string& connect_addr, int connect_port,
                                Netns& receiver, const std::string& listen_addr, int listen_port,
                                size_t bytes, Millis timeout) {
  TransferResult r;
  std::string payload(bytes, '\0');
  std::mt19937 gen(42);
  for (auto& c : payload) c = static_cast<char>(gen());

  Process& listener = receiver.spawn({"nc", "-n", "-l", listen_addr, std::to_string(listen_port)});
  if (!receiver.wait_tcp_listening(listen_port)) {
    r.sender.err = "the listener never listened:\n" + listener.err();
    listener.kill();
    return r;
  }
  RunOptions opts;
  opts.timeout = timeout;
  opts.input = payload;
  r.sender = sender.run({"nc", "-n", "-N", connect_addr, std::to_string(connect_port)}, opts);
  r.elapsed = r.sender.elapsed;
  // The sender has closed (or was killed): the listener ends at EOF.
  listener.wait_for_exit(r.sender.timed_out ? Millis(0) : Millis(5'000));
  listener.kill();
  const std::string got = listener.out();
  r.received = got.size();
  r.completed = r.sender.ok() && got == payload;
  return r;
}

}  // namespace icmpwall::integration
