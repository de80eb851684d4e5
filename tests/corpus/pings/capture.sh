#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the ping-client corpus: real sessions of every ICMP echo
# client Debian 12 ships, captured with tcpdump between two scratch network
# namespaces joined by a veth pair (198.18.0.1 <-> 198.18.0.2,
# 2001:db8::1 <-> 2001:db8::2; no other address, no route out). Writes
# <client>-<v4|v6>-<size>.pcap and README.md into the directory given
# (default: this script's directory). Needs root and the packages .ci/deps
# installs; a client that is missing is left out and said so.
#
# Every command runs under `timeout`; the namespaces (and so every process
# and interface in them) are deleted on exit, whatever happened.
set -euo pipefail

out=$(cd "${1:-$(dirname "$0")}" && pwd)
[ "$(id -u)" = 0 ] || { echo "capture.sh: needs root" >&2; exit 1; }

A=iwcap-$$-a
B=iwcap-$$-b
V4A=198.18.0.1 V4B=198.18.0.2
V6A=2001:db8::1 V6B=2001:db8::2
INETUTILS=/var/cache/icmpwall-tests/inetutils-ping
PY=/usr/bin/python3
tmp=$(mktemp -d)
dump_pid=

cleanup() {
    [ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null || true
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the two namespaces -------------------------------------------------------
ip netns add "$A"
ip netns add "$B"
for ns in "$A" "$B"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
        net.ipv6.conf.default.accept_ra=0 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
    ip -n "$ns" link set lo up
done
ip -n "$A" link add a0 type veth peer name b0 netns "$B"
ip -n "$A" addr add $V4A/24 dev a0
ip -n "$A" addr add $V6A/64 dev a0 nodad
ip -n "$B" addr add $V4B/24 dev b0
ip -n "$B" addr add $V6B/64 dev b0 nodad
ip -n "$A" link set a0 up
ip -n "$B" link set b0 up
# Static neighbours: no ARP or neighbour discovery in the captures.
mac_a=$(ip netns exec "$A" cat /sys/class/net/a0/address)
mac_b=$(ip netns exec "$B" cat /sys/class/net/b0/address)
ip -n "$A" neigh replace $V4B lladdr "$mac_b" dev a0 nud permanent
ip -n "$A" neigh replace $V6B lladdr "$mac_b" dev a0 nud permanent
ip -n "$B" neigh replace $V4A lladdr "$mac_a" dev b0 nud permanent
ip -n "$B" neigh replace $V6A lladdr "$mac_a" dev b0 nud permanent
for _ in $(seq 50); do
    ip -n "$A" link show a0 | grep -q 'state UP' && ip -n "$B" link show b0 | grep -q 'state UP' && break
    sleep 0.1
done

# ICMP and ICMPv6 (and the fragments of large ones), no neighbour discovery
# or MLD (ICMPv6 types >= 130).
FILTER='(icmp or icmp6 or (ip6 and ip6[6] == 44) or (ip and ip[6:2] & 0x1fff != 0))
        and not (ip6 and ip6[6] == 58 and ip6[40] >= 130) and not (ip6 and ip6[6] == 0)'

version_of() {
    if [ "$1" = inetutils-ping ]; then cat "$INETUTILS/VERSION" 2>/dev/null || echo "?"; return; fi
    dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"
}

# The scripts some clients run (multi-line ones are shown by name in the README).
icmplib_ping='import icmplib, sys
h = icmplib.ping(sys.argv[1], count=int(sys.argv[2]), interval=0.01, timeout=1,
                 payload_size=int(sys.argv[3]), privileged=True)
print(h)
sys.exit(0 if h.packets_received == h.packets_sent else 1)'
netping='use Net::Ping;
my ($proto, $host, $n, $size) = @ARGV;
my $p = Net::Ping->new($proto, 1, $size);
my $ok = 0;
for (1 .. $n) { $ok++ if $p->ping($host); select(undef, undef, undef, 0.01); }
print "$ok/$n\n";
exit($ok == $n ? 0 : 1);'
probes='for i in $(seq "$1"); do curl -sf -o /dev/null "http://127.0.0.1:9115/probe?module=$2&target=$3" || exit 1; done'
blackbox_yml=$(cd "$(dirname "$0")" && pwd)/blackbox.yml

rows=()
missing=()

# capture CLIENT FAMILY SIZE PACKAGE SHOWN-SIZE command...
# Runs the command in namespace A while tcpdump records a0.
capture() {
    local client=$1 fam=$2 size=$3 pkg=$4 shown=$5
    shift 5
    local file="$client-$fam-$size.pcap"
    ip netns exec "$A" tcpdump -i a0 -s 65535 -U --immediate-mode -n -Z root -w "$out/$file" "$FILTER" 2>"$tmp/dump.err" &
    dump_pid=$!
    for _ in $(seq 100); do grep -q 'listening on' "$tmp/dump.err" 2>/dev/null && break; sleep 0.05; done
    local rc=0
    ip netns exec "$A" timeout 120 "$@" >"$tmp/cmd.out" 2>&1 || rc=$?
    sleep 0.5  # replies in flight
    kill -INT "$dump_pid"
    wait "$dump_pid" 2>/dev/null || true
    dump_pid=
    local n
    n=$(tcpdump -r "$out/$file" -n 2>/dev/null | wc -l)
    local cmdline
    cmdline=$(printf '%q ' "$@")
    # Multi-line scripts are shown by name and printed under the table.
    cmdline=${cmdline//"$(printf '%q' "${icmplib_ping:-}")"/'"$ICMPLIB_PING"'}
    cmdline=${cmdline//"$(printf '%q' "${netping:-}")"/'"$NET_PING"'}
    cmdline=${cmdline//"$(printf '%q' "${probes:-}")"/'"$PROBES"'}
    echo "$file: $n packets (exit $rc)"
    if [ "$rc" != 0 ]; then sed 's/^/    /' "$tmp/cmd.out" | tail -5; fi
    rows+=("| \`$file\` | $client | $pkg $(version_of "$pkg") | $shown | \`${cmdline% }\` | $n |")
}

have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
need() {
    if have "$1"; then return 0; fi
    echo "capture.sh: $1 missing, $2 left out" >&2
    missing+=("$2 ($1 missing)")
    return 1
}

# --- the clients --------------------------------------------------------------
# Long sessions (300 pings, 10 ms apart) at the default size for iputils,
# icmplib and fping; fewer pings for large sizes, to keep the corpus small.

if need ping iputils; then
    capture iputils v4 default iputils-ping 56 ping -n -c 300 -i 0.01 $V4B
    capture iputils v6 default iputils-ping 56 ping -n -c 300 -i 0.01 $V6B
    capture iputils v4 1400 iputils-ping 1400 ping -n -c 10 -i 0.01 -s 1400 $V4B
    capture iputils v6 1400 iputils-ping 1400 ping -n -c 10 -i 0.01 -s 1400 $V6B
    capture iputils v4 8000 iputils-ping 8000 ping -n -c 3 -i 0.05 -s 8000 $V4B
    capture iputils v6 8000 iputils-ping 8000 ping -n -c 3 -i 0.05 -s 8000 $V6B
fi

if need $PY icmplib && $PY -c 'import icmplib' 2>/dev/null; then
    capture icmplib v4 default python3-icmplib 56 $PY -c "$icmplib_ping" $V4B 300 56
    capture icmplib v6 default python3-icmplib 56 $PY -c "$icmplib_ping" $V6B 300 56
    capture icmplib v4 1400 python3-icmplib 1400 $PY -c "$icmplib_ping" $V4B 10 1400
    capture icmplib v6 1400 python3-icmplib 1400 $PY -c "$icmplib_ping" $V6B 10 1400
    capture icmplib v4 8000 python3-icmplib 8000 $PY -c "$icmplib_ping" $V4B 3 8000
    capture icmplib v6 8000 python3-icmplib 8000 $PY -c "$icmplib_ping" $V6B 3 8000
fi

if need fping fping; then
    capture fping v4 default fping 56 fping -c 300 -p 10 -q $V4B
    capture fping v6 default fping 56 fping -6 -c 300 -p 10 -q $V6B
    capture fping v4 1400 fping 1400 fping -c 10 -p 10 -b 1400 -q $V4B
    capture fping v6 1400 fping 1400 fping -6 -c 10 -p 10 -b 1400 -q $V6B
    capture fping v4 8000 fping 8000 fping -c 3 -p 50 -b 8000 -q $V4B
    capture fping v6 8000 fping 8000 fping -6 -c 3 -p 50 -b 8000 -q $V6B
fi

if need "$INETUTILS/bin/ping" inetutils; then
    capture inetutils v4 default inetutils-ping 56 "$INETUTILS/bin/ping" -n -c 50 -i 0.01 $V4B
    # inetutils ping6 takes whole seconds only.
    capture inetutils v6 default inetutils-ping 56 "$INETUTILS/bin/ping6" -n -c 20 -i 1 $V6B
    capture inetutils v4 1400 inetutils-ping 1400 "$INETUTILS/bin/ping" -n -c 10 -i 0.01 -s 1400 $V4B
    capture inetutils v6 1400 inetutils-ping 1400 "$INETUTILS/bin/ping6" -n -c 5 -i 1 -s 1400 $V6B
    capture inetutils v4 8000 inetutils-ping 8000 "$INETUTILS/bin/ping" -n -c 3 -i 0.05 -s 8000 $V4B
    capture inetutils v6 8000 inetutils-ping 8000 "$INETUTILS/bin/ping6" -n -c 3 -i 1 -s 8000 $V6B
fi

if need busybox busybox; then
    capture busybox v4 default busybox 56 busybox ping -4 -c 50 -i 0.01 $V4B
    capture busybox v6 default busybox 56 busybox ping -6 -c 50 -i 0.01 $V6B
    capture busybox v4 1400 busybox 1400 busybox ping -4 -c 10 -i 0.01 -s 1400 $V4B
    capture busybox v6 1400 busybox 1400 busybox ping -6 -c 10 -i 0.01 -s 1400 $V6B
    capture busybox v4 8000 busybox 8000 busybox ping -4 -c 3 -i 0.05 -s 8000 $V4B
    capture busybox v6 8000 busybox 8000 busybox ping -6 -c 3 -i 0.05 -s 8000 $V6B
fi

if need oping oping; then
    # liboping's payload is a fixed string; no size option.
    capture oping v4 default oping 56 oping -4 -c 50 -i 0.01 $V4B
    capture oping v6 default oping 56 oping -6 -c 50 -i 0.01 $V6B
fi

check_icmp=/usr/lib/nagios/plugins/check_icmp
if need $check_icmp check_icmp; then
    capture check_icmp v4 default monitoring-plugins-basic 68 $check_icmp -H $V4B -n 20 -i 10ms
    capture check_icmp v6 default monitoring-plugins-basic 68 $check_icmp -6 -H $V6B -n 20 -i 10ms
    capture check_icmp v4 1400 monitoring-plugins-basic 1400 $check_icmp -H $V4B -n 10 -i 10ms -b 1400
    capture check_icmp v6 1400 monitoring-plugins-basic 1400 $check_icmp -6 -H $V6B -n 10 -i 10ms -b 1400
fi

if need prometheus-blackbox-exporter blackbox; then
    ip netns exec "$A" timeout 600 prometheus-blackbox-exporter --config.file="$blackbox_yml" \
        --web.listen-address=127.0.0.1:9115 >"$tmp/blackbox.log" 2>&1 &
    bb_pid=$!
    for _ in $(seq 100); do
        ip netns exec "$A" curl -sf -o /dev/null http://127.0.0.1:9115/metrics && break
        sleep 0.1
    done
    capture blackbox v4 default prometheus-blackbox-exporter 28 bash -c "$probes" probe 300 icmp_v4 $V4B
    capture blackbox v6 default prometheus-blackbox-exporter 28 bash -c "$probes" probe 300 icmp_v6 $V6B
    capture blackbox v4 1400 prometheus-blackbox-exporter 1400 bash -c "$probes" probe 10 icmp_v4_1400 $V4B
    capture blackbox v6 1400 prometheus-blackbox-exporter 1400 bash -c "$probes" probe 10 icmp_v6_1400 $V6B
    kill "$bb_pid" 2>/dev/null || true
    wait "$bb_pid" 2>/dev/null || true
fi

if need mtr mtr; then
    capture mtr v4 default mtr-tiny 36 mtr -n -r -4 -c 50 -i 0.01 $V4B
    capture mtr v6 default mtr-tiny 16 mtr -n -r -6 -c 50 -i 0.01 $V6B
    capture mtr v4 1400 mtr-tiny 1372 mtr -n -r -4 -c 10 -i 0.01 -s 1400 $V4B
    capture mtr v6 1400 mtr-tiny 1352 mtr -n -r -6 -c 10 -i 0.01 -s 1400 $V6B
fi

if need nping nping; then
    # IPv4 only: Debian 12's nping 0.7.93 fails on any IPv6 ICMP probe
    # ("Error compiling pcap filter: expression rejects all packets").
    capture nping v4 default nmap 0 nping -q --icmp -c 50 --delay 10ms $V4B
    capture nping v4 1400 nmap 1400 nping -q --icmp -c 10 --delay 10ms --data-length 1400 $V4B
fi

if need nmap nmap; then
    capture nmap v4 default nmap 0 nmap -n -sn -PE --disable-arp-ping $V4B
    capture nmap v6 default nmap 0 nmap -n -6 -sn -PE --disable-arp-ping $V6B
fi

if need hping3 hping3; then
    # IPv4 only: hping3 has no IPv6.
    capture hping3 v4 default hping3 0 hping3 -1 -c 50 -i u10000 $V4B
    capture hping3 v4 1400 hping3 1400 hping3 -1 -c 10 -i u10000 -d 1400 $V4B
fi

if need scamper scamper; then
    capture scamper v4 default scamper 56 scamper -c "ping -c 50 -i 0.01" -i $V4B
    capture scamper v6 default scamper 56 scamper -c "ping -c 50 -i 0.01" -i $V6B
    capture scamper v4 1400 scamper 1400 scamper -c "ping -c 10 -i 0.01 -s 1428" -i $V4B
    capture scamper v6 1400 scamper 1400 scamper -c "ping -c 10 -i 0.01 -s 1448" -i $V6B
fi

if need perl perl-netping; then
    capture netping v4 default perl-modules-5.36 0 perl -e "$netping" icmp $V4B 50 0
    capture netping v6 default perl-modules-5.36 0 perl -e "$netping" icmpv6 $V6B 50 0
    capture netping v4 1024 perl-modules-5.36 1024 perl -e "$netping" icmp $V4B 10 1024
    capture netping v6 1024 perl-modules-5.36 1024 perl -e "$netping" icmpv6 $V6B 10 1024
fi

if need traceroute traceroute; then
    capture traceroute v4 default traceroute 32 traceroute -n -I -q 3 -m 3 $V4B
    capture traceroute v6 default traceroute 32 traceroute -n -6 -I -q 3 -m 3 $V6B
fi

# --- README -------------------------------------------------------------------
{
    cat <<'EOF'
# Ping-client corpus

Real echo sessions of the ICMP echo clients Debian 12 ships (tools, libraries
and monitoring probers), captured with `tcpdump -s 65535` on a veth pair
between two scratch namespaces: the client at 198.18.0.1 / 2001:db8::1 pings
198.18.0.2 / 2001:db8::2. Requests and replies (and the fragments of large
ones) are in each file; ARP and neighbour discovery are not (static
neighbours). Files are named `<client>-<v4|v6>-<size>.pcap`; `default` is
the client's own default payload size (the table gives the number of
payload bytes it asks for).

This is what the tunnel detector must never flag: every file here is a
legitimate ping session. `capture.sh` (root) regenerates the whole
directory and this README.

| file | client | Debian package | payload bytes | command (run in the client namespace) | packets |
|---|---|---|---|---|---|
EOF
    printf '%s\n' "${rows[@]}"
    echo
    echo "The scripts named in the commands:"
    echo
    printf '`ICMPLIB_PING` (python3-icmplib):\n\n```python\n%s\n```\n\n' "$icmplib_ping"
    printf '`NET_PING` (Perl'"'"'s Net::Ping):\n\n```perl\n%s\n```\n\n' "$netping"
    printf '`PROBES` (Prometheus blackbox exporter, running in the client namespace as\n`prometheus-blackbox-exporter --config.file=blackbox.yml --web.listen-address=127.0.0.1:9115`):\n\n```sh\n%s\n```\n\n' "$probes"
    printf '`blackbox.yml`:\n\n```yaml\n%s\n```\n' "$(grep -v '^#' "$blackbox_yml")"
    if [ "${#missing[@]}" -gt 0 ]; then
        echo
        echo "Left out (not installed when captured): ${missing[*]}."
    fi
    echo
    echo "Kernel when captured: $(uname -r)."
} >"$out/README.md"
echo "capture.sh: ${#rows[@]} files in $out"
