#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# NFQUEUE drain benchmark: how fast a reader answers a backlog of packets,
# batched verdicts against one verdict per packet (and against inspection).
#
# Usage: tests/bench/queue_drain.sh BUILD_DIR [PACKETS] [REPEAT]
#   MODES=a,b,... (environment) chooses the reader modes; the first is the
#   baseline of the ratio column. Default: accept-batched (the ceiling),
#   accept-per-packet, full-batched (the daemon's inspection engine),
#   full-per-packet, decode-batched. SOURCES=N: source addresses (64).
#
# The load is realistic echo requests (iputils, Windows, BusyBox and macOS
# payloads) from SOURCES addresses of a's /24, sent on a raw socket.
#
# Needs root. Creates two namespaces (iw-q-bench-<pid>-a/-b) joined by a
# veth pair with addresses from 198.18.0.0/15, queues echo requests on
# b's input hook with an iptables-nft NFQUEUE rule, and deletes both
# namespaces on exit. Nothing in the root namespace is touched. Each run
# sends PACKETS (default 30000) echo requests; the whole benchmark takes a
# few seconds.
set -eu

BUILD=${1:?usage: queue_drain.sh BUILD_DIR [PACKETS] [REPEAT]}
PACKETS=${2:-30000}
REPEAT=${3:-3}
BIN=$BUILD/tests/bench/queue_drain
MODES=${MODES:-accept-batched,accept-per-packet,full-batched,full-per-packet,decode-batched}
SOURCES=${SOURCES:-64}

if [ "$(id -u)" != 0 ]; then
  echo "queue_drain: needs root (network namespaces, NFQUEUE)" >&2
  exit 77
fi
if [ ! -x "$BIN" ]; then
  echo "queue_drain: $BIN not built (cmake --build $BUILD --target queue_drain)" >&2
  exit 2
fi

A=iw-q-bench-$$-a
B=iw-q-bench-$$-b
cleanup() {
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add qa0 type veth peer name qb0 netns "$B"
ip -n "$A" addr add 198.18.20.1/24 dev qa0
ip -n "$B" addr add 198.18.20.2/24 dev qb0
ip -n "$A" link set qa0 up
ip -n "$B" link set qb0 up
ip -n "$A" link set lo up
ip -n "$B" link set lo up
# A permanent neighbour entry, so the burst does not wait on ARP.
MAC=$(ip -n "$B" -o link show dev qb0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$A" neigh replace 198.18.20.2 lladdr "$MAC" dev qa0 nud permanent
# Accepted requests are delivered but not answered: the drain measures
# the queue, not the echo replies.
ip netns exec "$B" sysctl -q -w net.ipv4.icmp_echo_ignore_all=1
# The sources are other addresses of a's /24 (raw IP_HDRINCL packets).
ip netns exec "$B" sysctl -q -w net.ipv4.conf.all.rp_filter=0
ip netns exec "$B" sysctl -q -w net.ipv4.conf.qb0.rp_filter=0
ip netns exec "$B" iptables-nft -t filter -A INPUT -p icmp --icmp-type echo-request \
  -j NFQUEUE --queue-num 0

timeout 120 "$BIN" --sender "$A" --receiver "$B" --dst 198.18.20.2 --queue 0 \
  --packets "$PACKETS" --repeat "$REPEAT" --sources "$SOURCES" --modes "$MODES"
