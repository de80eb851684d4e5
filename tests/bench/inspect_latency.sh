#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Added latency and end-to-end keep-up of `icmpwall daemon` inspecting
# forwarded echo on a router.
#
# Usage: tests/bench/inspect_latency.sh BUILD_DIR [PINGS] [FLOOD]
#
# Needs root. Creates three namespaces of its own, client — router —
# server (iw-lat-<pid>-c/-r/-s, veth pairs, 198.18.30.0/24 and
# 198.18.31.0/24 only, no default routes), and deletes them on exit;
# nothing in the root namespace is touched.
#
#  1. RTT: PINGS (default 500) pings at 10 ms from client to server
#     through the router, without icmpwall, then with the daemon
#     inspecting forwarded echo-request and echo-reply on the router; p50,
#     p99 and mean of both, and the difference.
#  2. Keep-up: FLOOD (default 50000) echo requests with hping3 --icmp
#     --faster (ping -f if there is no hping3) through the inspecting
#     router: sent, delivered to the server (its Icmp InEchos), echo
#     replies back at the client, the router's nfnetlink_queue drops
#     (queue_dropped: queue full; user_dropped: the socket buffer
#     overflowed), and the daemon's summary counters and peak RSS.
#
# DAEMON_WRAP (environment) is put before the daemon's command line, e.g.
# DAEMON_WRAP="chrt -f 10" to see how much of the tail is scheduling
# delay on a busy machine.
#
# The whole run takes about 30 seconds.
set -eu

BUILD=${1:?usage: inspect_latency.sh BUILD_DIR [PINGS] [FLOOD]}
PINGS=${2:-500}
FLOOD=${3:-50000}
BIN=$BUILD/icmpwall

if [ "$(id -u)" != 0 ]; then
  echo "inspect_latency: needs root (network namespaces, nft, NFQUEUE)" >&2
  exit 77
fi
if [ ! -x "$BIN" ]; then
  echo "inspect_latency: $BIN not built (cmake --build $BUILD --target icmpwall)" >&2
  exit 2
fi

C=iw-lat-$$-c
R=iw-lat-$$-r
S=iw-lat-$$-s
TMP=$(mktemp -d /tmp/iw-lat.XXXXXX)
DPID=
cleanup() {
  if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
    kill -TERM "$DPID" 2>/dev/null || true
    sleep 1
    kill -KILL "$DPID" 2>/dev/null || true
  fi
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$R" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

ip netns add "$C"
ip netns add "$R"
ip netns add "$S"
ip -n "$C" link add c0 type veth peer name r0 netns "$R"
ip -n "$S" link add s0 type veth peer name r1 netns "$R"
ip -n "$C" addr add 198.18.30.2/24 dev c0
ip -n "$R" addr add 198.18.30.1/24 dev r0
ip -n "$R" addr add 198.18.31.1/24 dev r1
ip -n "$S" addr add 198.18.31.2/24 dev s0
for ns in "$C" "$R" "$S"; do ip -n "$ns" link set lo up; done
ip -n "$C" link set c0 up
ip -n "$R" link set r0 up
ip -n "$R" link set r1 up
ip -n "$S" link set s0 up
ip -n "$C" route add 198.18.31.0/24 via 198.18.30.1
ip -n "$S" route add 198.18.30.0/24 via 198.18.31.1
ip netns exec "$R" sysctl -q -w net.ipv4.ip_forward=1
for ns in "$C" "$R" "$S"; do
  ip netns exec "$ns" sysctl -q -w net.ipv4.icmp_ratelimit=0
  ip netns exec "$ns" sysctl -q -w net.ipv4.icmp_msgs_per_sec=1000000
done
ip netns exec "$C" ping -q -c 2 -W 1 198.18.31.2 >/dev/null

cat >"$TMP/policy.toml" <<'EOF'
[hooks.forward]
default = "allow"

[[rule]]
name = "echo"
types = ["echo-request", "echo-reply"]
hooks = ["forward"]
action = "inspect"
EOF

# rtt LABEL: PINGS pings at 10 ms; prints p50 p99 mean (ms) and loss.
rtt() {
  ip netns exec "$C" timeout 60 ping -n -c "$PINGS" -i 0.01 -W 1 198.18.31.2 >"$TMP/ping.$1" || true
  sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$TMP/ping.$1" | sort -g >"$TMP/rtt.$1"
  awk -v label="$1" -v sent="$PINGS" '
    { v[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { printf "%-16s no replies\n", label; exit }
      i50 = int(0.50 * NR + 0.999999); i99 = int(0.99 * NR + 0.999999)
      for (i = 1; i <= NR; i++) if (v[i] > 1) slow++
      printf "%-16s replies %4d/%d  p50 %7.3f ms  p99 %7.3f ms  mean %7.3f ms  max %7.3f ms  >1ms %d\n",
             label, NR, sent, v[i50], v[i99], sum / NR, v[NR], slow
    }' "$TMP/rtt.$1"
}
# pct LABEL P: the P-th percentile of the RTTs of LABEL.
pct() {
  awk -v p="$2" '{ v[NR] = $1 } END { i = int(p * NR + 0.999999); if (i < 1) i = 1; print v[i] + 0 }' "$TMP/rtt.$1"
}
snmp() {  # snmp NS PROTO FIELD
  ip netns exec "$1" cat /proc/net/snmp | awk -v proto="$2:" -v field="$3" '
    $1 == proto && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
    $1 == proto && hdr { print $col[field]; exit }'
}

echo "inspect_latency: $PINGS pings at 10 ms, client -> router -> server (veth)"
rtt without
ip netns exec "$R" sysctl -q net.ipv4.ip_forward >/dev/null

${DAEMON_WRAP:-} "$BIN" daemon --policy "$TMP/policy.toml" --netns "$R" >"$TMP/daemon.out" 2>"$TMP/daemon.err" &
DPID=$!
i=0
until grep -q '"event":"ready"' "$TMP/daemon.out" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$DPID" 2>/dev/null; then
    echo "inspect_latency: the daemon did not start:" >&2
    cat "$TMP/daemon.err" >&2
    exit 1
  fi
  sleep 0.1
done
rtt with-icmpwall
awk -v a="$(pct without 0.50)" -v b="$(pct with-icmpwall 0.50)" \
    -v c="$(pct without 0.99)" -v d="$(pct with-icmpwall 0.99)" \
  'BEGIN { printf "added latency    p50 %+7.3f ms  p99 %+7.3f ms\n", b - a, d - c }'

# --- keep-up ---------------------------------------------------------------
qstat() {  # queue_total queue_dropped user_dropped id_sequence of queue 0
  ip netns exec "$R" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
    awk '$1 == 0 { print $3, $6, $7, $8; found = 1 } END { if (!found) print "0 0 0 0" }'
}
set -- $(qstat)
qd0=$2 ud0=$3 id0=$4
in0=$(snmp "$S" Icmp InEchos)
rep0=$(snmp "$C" Icmp InEchoReps)
fwd0=$(snmp "$R" Ip ForwDatagrams)
echo
if [ -x /usr/sbin/hping3 ]; then
  GEN="hping3 --icmp --faster -c $FLOOD"
  t0=$(date +%s.%N)
  ip netns exec "$C" timeout 60 hping3 --icmp --faster -q -c "$FLOOD" 198.18.31.2 \
    >"$TMP/flood.out" 2>&1 || true
  t1=$(date +%s.%N)
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$TMP/flood.out" | tail -1)
else
  GEN="ping -f -c $FLOOD"
  t0=$(date +%s.%N)
  ip netns exec "$C" timeout 60 ping -q -f -c "$FLOOD" 198.18.31.2 >"$TMP/flood.out" 2>&1 || true
  t1=$(date +%s.%N)
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$TMP/flood.out" | tail -1)
fi
sleep 1  # late replies
set -- $(qstat)
qd=$(( $2 - qd0 )) ud=$(( $3 - ud0 )) queued=$(( $4 - id0 )) waiting=$1
in1=$(snmp "$S" Icmp InEchos)
rep1=$(snmp "$C" Icmp InEchoReps)
fwd1=$(snmp "$R" Ip ForwDatagrams)
hwm=$(awk '/VmHWM/ { print $2, $3 }' "/proc/$DPID/status")
delivered=$((in1 - in0))
echo "keep-up: $GEN through the inspecting router"
awk -v s="${sent:-0}" -v t0="$t0" -v t1="$t1" -v d="$delivered" -v r="$((rep1 - rep0))" \
    -v f="$((fwd1 - fwd0))" -v q="$queued" -v qd="$qd" -v ud="$ud" -v w="$waiting" 'BEGIN {
  secs = t1 - t0
  printf "  sent %d in %.2f s (%.0f packets/s offered)\n", s, secs, s / secs
  printf "  requests delivered to the server %d (%.2f%%), replies back at the client %d (%.2f%%)\n",
         d, s ? 100 * d / s : 0, r, s ? 100 * r / s : 0
  printf "  router: forwarded %d datagrams (both directions), queued %d packets\n", f, q
  printf "  nfnetlink_queue: queue_dropped %d  user_dropped %d  still waiting %d\n", qd, ud, w
}'
echo "  daemon peak RSS (VmHWM): $hwm"

kill -TERM "$DPID"
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
DPID=
summary=$(grep '"event":"stopped"' "$TMP/daemon.out" || true)
detections=$(grep -c '"event":"detection"' "$TMP/daemon.out" || true)
echo "  daemon: $detections detection events"
if [ -n "$summary" ] && [ -x /usr/bin/python3 ]; then
  printf '%s\n' "$summary" | /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
e = s["engine"]
print("  daemon engine: packets %d passed %d logged %d dropped %d blocked %d reasons %s"
      % (e["packets"], e["passed"], e["logged"], e["dropped"], e["blocked"], e["reasons"]))
for q in s["queues"]:
    print("  daemon queue %d: received %d accepted %d dropped %d enobufs %d batches %d verdict_messages %d send_errors %d"
          % (q["queue"], q["received"], q["accepted"], q["dropped"], q["enobufs"], q["batches"],
             q["verdict_messages"], q["send_errors"]))'
else
  echo "  daemon summary: ${summary:-none}"
  cat "$TMP/daemon.err" >&2
fi
