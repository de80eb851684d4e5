#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Added latency, CPU cost and end-to-end keep-up of `icmpwall daemon`
# inspecting forwarded echo on a router.
#
# Usage: tests/bench/inspect_latency.sh BUILD_DIR [PINGS] [FLOOD]
#
# Needs root. Creates three namespaces of its own, client — router —
# server (iw-lat-<pid>-c/-r/-s, veth pairs, 198.18.30.0/24 and
# 198.18.31.0/24 only, no default routes), and deletes them on exit;
# nothing in the root namespace is touched.
#
#  1. RTT, ROUNDS times, each round interleaved: PINGS (default 500) pings
#     at 10 ms from client to server through the router without icmpwall,
#     then with the daemon inspecting forwarded echo-request and
#     echo-reply on the router (its defaults), then with the daemon and
#     --busy-poll-us BUSY_POLL_US (if the binary has the option), then with
#     the daemon at real-time priority (chrt -f RT_PRIO, what the unit's
#     CPUSchedulingPolicy=fifo does), then with tests/bench/queue_accept
#     (if built) in the daemon's place: a queue worker that accepts
#     without inspecting, on the rules the daemon left, so the added
#     latency splits into the queue's part (wake-up, reads, verdicts, the
#     kernel's queueing) and the inspection's. For each daemon: its CPU time while idle (IDLE
#     seconds, no traffic) and while the pings ran, from
#     /proc/<pid>/task/*/schedstat, also per echo answered (the kernel's
#     forwarding of a verdict's packet, which runs in the sendto of the
#     verdict, included). p50, p99, mean and max per run; then the medians
#     over the rounds of the added latency (p50 and p99 against the run
#     without icmpwall of the same round; the mean too), the CPU figures,
#     and each option's ratios to the default. On a VM the round trips
#     are bimodal (a fast mode of 5-20 us and a slow one of 60-140 us,
#     with and without icmpwall), and the share of each mode decides the
#     p50: compare the means and several rounds.
#  2. Keep-up: FLOOD (default 50000) echo requests with hping3 --icmp
#     --faster (ping -f if there is no hping3) through the inspecting
#     router (default daemon): sent, delivered to the server (its Icmp
#     InEchos), echo replies back at the client, the router's
#     nfnetlink_queue drops (queue_dropped: queue full; user_dropped: the
#     socket buffer overflowed), and the daemon's summary counters and
#     peak RSS.
#
# Environment: ROUNDS (default 1), IDLE (seconds, default 10),
# BUSY_POLL_US (default 20000, longer than the pings' 10 ms interval so
# the worker spins throughout; 0 skips that run), RT_PRIO (SCHED_FIFO
# priority, default 10; 0 skips that run), DAEMON_WRAP (put before the
# daemon's command line of every run).
#
# One round takes about 55 seconds, the keep-up about 10 more.
set -eu

BUILD=${1:?usage: inspect_latency.sh BUILD_DIR [PINGS] [FLOOD]}
PINGS=${2:-500}
FLOOD=${3:-50000}
ROUNDS=${ROUNDS:-1}
IDLE=${IDLE:-10}
BUSY_POLL_US=${BUSY_POLL_US:-20000}
RT_PRIO=${RT_PRIO:-10}
BIN=$BUILD/icmpwall
ACCEPT=$BUILD/tests/bench/queue_accept

if [ "$(id -u)" != 0 ]; then
  echo "inspect_latency: needs root (network namespaces, nft, NFQUEUE)" >&2
  exit 77
fi
if [ ! -x "$BIN" ]; then
  echo "inspect_latency: $BIN not built (cmake --build $BUILD --target icmpwall)" >&2
  exit 2
fi
if [ "$BUSY_POLL_US" != 0 ] && ! "$BIN" daemon --help 2>/dev/null | grep -q -- --busy-poll-us; then
  echo "inspect_latency: $BIN has no --busy-poll-us: busy polling not measured" >&2
  BUSY_POLL_US=0
fi

C=iw-lat-$$-c
R=iw-lat-$$-r
S=iw-lat-$$-s
TMP=$(mktemp -d /tmp/iw-lat.XXXXXX)
DPID=
daemon_stop() {
  if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
    kill -TERM "$DPID" 2>/dev/null || true
    i=0
    while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$DPID" 2>/dev/null || true
  fi
  DPID=
}
cleanup() {
  daemon_stop
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

# daemon_start ARGS...: the daemon on the router (with ACCEPT_ONLY=1
# queue_accept on queue 0 instead), until it says ready.
daemon_start() {
  if [ "${ACCEPT_ONLY:-0}" = 1 ]; then
    # shellcheck disable=SC2086 # the wrapper is a command with its arguments
    ${DAEMON_WRAP:-} "$ACCEPT" "$R" 0 >"$TMP/daemon.out" 2>"$TMP/daemon.err" &
    ready='^ready$'
  else
    # shellcheck disable=SC2086 # the wrappers are commands with their arguments
    ${DAEMON_WRAP:-} ${RUN_WRAP:-} "$BIN" daemon --policy "$TMP/policy.toml" --netns "$R" "$@" \
      >"$TMP/daemon.out" 2>"$TMP/daemon.err" &
    ready='"event":"ready"'
  fi
  DPID=$!
  i=0
  until grep -q "$ready" "$TMP/daemon.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$DPID" 2>/dev/null; then
      echo "inspect_latency: the daemon did not start:" >&2
      cat "$TMP/daemon.err" >&2
      exit 1
    fi
    sleep 0.1
  done
}
# cpu_ns: nanoseconds on a CPU so far, all of the daemon's threads.
cpu_ns() {
  cat /proc/"$DPID"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'
}
now_ns() {
  date +%s%N
}
# rtt LABEL: PINGS pings at 10 ms into $TMP/rtt.LABEL (sorted ms); prints
# p50 p99 mean max and replies.
rtt() {
  ip netns exec "$C" timeout 60 ping -n -c "$PINGS" -i 0.01 -W 1 198.18.31.2 >"$TMP/ping.$1" || true
  sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$TMP/ping.$1" | sort -g >"$TMP/rtt.$1"
  awk -v label="$1" -v sent="$PINGS" '
    { v[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { printf "  %-26s no replies\n", label; exit }
      i50 = int(0.50 * NR + 0.999999); i99 = int(0.99 * NR + 0.999999)
      printf "  %-26s replies %4d/%d  p50 %7.3f ms  p99 %7.3f ms  mean %7.3f ms  max %7.3f ms\n",
             label, NR, sent, v[i50], v[i99], sum / NR, v[NR]
    }' "$TMP/rtt.$1"
}
# pct LABEL P: the P-th percentile of the RTTs of LABEL.
pct() {
  awk -v p="$2" '{ v[NR] = $1 } END { i = int(p * NR + 0.999999); if (i < 1) i = 1; print v[i] + 0 }' "$TMP/rtt.$1"
}
# mean LABEL: the mean of the RTTs of LABEL.
mean() {
  awk '{ s += $1 } END { print NR ? s / NR : 0 }' "$TMP/rtt.$1"
}
# inspected NAME ARGS...: a daemon started with ARGS (after RUN_WRAP);
# its idle CPU, then the pings through it and their CPU. Appends
# "NAME p50 p99 idle% ping% us/echo" (added latency against the round's
# run without icmpwall) to $TMP/rows.
inspected() {
  name=$1
  shift
  daemon_start "$@"
  c0=$(cpu_ns) t0=$(now_ns)
  sleep "$IDLE"
  c1=$(cpu_ns) t1=$(now_ns)
  rtt "$name.$round"
  c2=$(cpu_ns) t2=$(now_ns)
  daemon_stop
  idle=$(awk -v c="$((c1 - c0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.3f", 100 * c / t }')
  busy=$(awk -v c="$((c2 - c1))" -v t="$((t2 - t1))" 'BEGIN { printf "%.3f", 100 * c / t }')
  echoes=$(wc -l <"$TMP/rtt.$name.$round")
  per=$(awk -v c="$((c2 - c1))" -v n="$echoes" 'BEGIN { printf "%.1f", n ? c / n / 1000 : 0 }')
  echo "  $(printf '%-26s' "")CPU: idle ${idle}% of a core over ${IDLE} s, during the pings ${busy}% (${per} us per echo)"
  awk -v n="$name" -v a="$(pct "without.$round" 0.50)" -v b="$(pct "$name.$round" 0.50)" \
      -v c="$(pct "without.$round" 0.99)" -v d="$(pct "$name.$round" 0.99)" \
      -v i="$idle" -v p="$busy" -v e="$per" -v ma="$(mean "without.$round")" \
      -v mb="$(mean "$name.$round")" \
      'BEGIN { printf "%s %.6f %.6f %s %s %s %.6f\n", n, b - a, d - c, i, p, e, mb - ma }' >>"$TMP/rows"
}

echo "inspect_latency: $PINGS pings at 10 ms, client -> router -> server (veth), $ROUNDS round(s)"
: >"$TMP/rows"
round=1
while [ "$round" -le "$ROUNDS" ]; do
  echo "round $round"
  rtt "without.$round"
  inspected default
  if [ "$BUSY_POLL_US" != 0 ]; then
    inspected "busy_poll_us=$BUSY_POLL_US" --busy-poll-us "$BUSY_POLL_US"
  fi
  if [ "$RT_PRIO" != 0 ]; then
    RUN_WRAP="chrt -f $RT_PRIO"
    inspected "fifo_priority=$RT_PRIO"
    RUN_WRAP=
  fi
  if [ -x "$ACCEPT" ]; then
    # The daemon's table stays when it stops: its rules still queue echo.
    ACCEPT_ONLY=1
    inspected accept_all_worker
    ACCEPT_ONLY=0
    accepted=$(sed -n 's/^accepted \([0-9]*\).*/\1/p' "$TMP/daemon.out")
    if [ "${accepted:-0}" -lt "$PINGS" ]; then
      echo "inspect_latency: queue_accept answered ${accepted:-0} packets: the rules did not queue the pings" >&2
    fi
  fi
  round=$((round + 1))
done

echo
echo "added latency against no icmpwall, median of $ROUNDS round(s); CPU of the daemon in % of one core"
awk '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  !($1 in seen) { seen[$1] = 1; order[++k] = $1 }
  { p50[$1] = p50[$1] " " $2; p99[$1] = p99[$1] " " $3; idle[$1] = idle[$1] " " $4; busy[$1] = busy[$1] " " $5
    per[$1] = per[$1] " " $6; avg[$1] = avg[$1] " " $7 }
  END {
    printf "  %-26s %12s %12s %12s %10s %14s %14s\n", "", "p50", "p99", "mean", "idle CPU",
           "CPU in pings", "CPU per echo"
    for (i = 1; i <= k; i++) {
      n = order[i]
      m50[n] = median(p50[n]); m99[n] = median(p99[n])
      printf "  %-26s %+9.3f ms %+9.3f ms %+9.3f ms %9.2f%% %13.2f%% %11.1f us\n", n, m50[n], m99[n],
             median(avg[n]), median(idle[n]), median(busy[n]), median(per[n])
    }
    for (i = 2; i <= k; i++) {
      n = order[i]
      r50 = m50["default"] > 0 ? sprintf("%.2fx", m50[n] / m50["default"]) : "-"
      r99 = m99["default"] > 0 ? sprintf("%.2fx", m99[n] / m99["default"]) : "-"
      printf "  %-26s %12s %12s   (added latency against the default daemon)\n", n " / default", r50, r99
    }
  }' "$TMP/rows"

# --- keep-up ---------------------------------------------------------------
qstat() {  # queue_total queue_dropped user_dropped id_sequence of queue 0
  ip netns exec "$R" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
    awk '$1 == 0 { print $3, $6, $7, $8; found = 1 } END { if (!found) print "0 0 0 0" }'
}
snmp() {  # snmp NS PROTO FIELD
  ip netns exec "$1" cat /proc/net/snmp | awk -v proto="$2:" -v field="$3" '
    $1 == proto && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
    $1 == proto && hdr { print $col[field]; exit }'
}
daemon_start
# shellcheck disable=SC2046 # four numbers, split on purpose
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
# shellcheck disable=SC2046 # four numbers, split on purpose
set -- $(qstat)
qd=$(( $2 - qd0 )) ud=$(( $3 - ud0 )) queued=$(( $4 - id0 )) waiting=$1
in1=$(snmp "$S" Icmp InEchos)
rep1=$(snmp "$C" Icmp InEchoReps)
fwd1=$(snmp "$R" Ip ForwDatagrams)
hwm=$(awk '/VmHWM/ { print $2, $3 }' "/proc/$DPID/status")
delivered=$((in1 - in0))
echo "keep-up: $GEN through the inspecting router (default daemon)"
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

daemon_stop
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
