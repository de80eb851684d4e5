#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Seeds tests/fuzz/corpus/audit_decode/ with real dumps: in a scratch
# network namespace each of icmpwall's presets (applied by the given
# icmpwall binary), firewalld's table and docker's iptables-nft rules from
# the integration tests, and a small native table with one of each kind of
# object (a seed small enough to mutate fast) are loaded in turn and the
# kernel's dump answers recorded (record_dump.py). The
# machine's own ruleset is never touched. Run as root:
#
#   bash tests/fuzz/make_audit_seeds.sh build/icmpwall
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "$1")
out=tests/fuzz/corpus/audit_decode
ns=iw-seed-$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
mkdir -p "$out"

# record NAME COMMAND...: loads a ruleset with COMMAND in a fresh namespace.
record() {
  local name=$1
  shift
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  local log
  log=$("$@" 2>&1) || { echo "$log" >&2; return 1; }
  ip netns exec "$ns" python3 tests/fuzz/record_dump.py "$out/$name"
  ip netns del "$ns"
  echo "$out/$name: $(stat -c %s "$out/$name") bytes"
}
for policy in policies/*.toml; do
  record "icmpwall_$(basename "$policy" .toml)" "$bin" apply --netns "$ns" "$policy"
done
record firewalld ip netns exec "$ns" nft -f tests/integration/rulesets/firewalld.nft
record docker ip netns exec "$ns" iptables-nft-restore tests/integration/rulesets/docker.rules
record small ip netns exec "$ns" nft -f - <<'EOF'
table inet small {
  counter c1 { }
  set blocked { type ipv4_addr; flags timeout; elements = { 198.19.1.1 timeout 1h } }
  set nets { type ipv4_addr; flags interval; elements = { 198.18.0.0/24, 198.19.2.0-198.19.2.9 } }
  map types { type icmp_type : verdict; elements = { echo-request : jump echo, destination-unreachable : accept } }
  chain echo {
    limit rate 5/second burst 10 packets counter accept
    log prefix "echo " group 2 drop
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    iif "lo" accept
    meta mark 1 ct zone 5 meta priority 1:2 counter name "c1"
    ip saddr @blocked reject with icmp admin-prohibited
    meta l4proto icmp icmp type vmap @types
    meta l4proto ipv6-icmp icmpv6 type { nd-neighbor-solicit, nd-router-advert } ip6 hoplimit 255 accept
    ip saddr @nets ip protocol icmp drop
    tcp dport 22 update @blocked { ip saddr timeout 1m } comment "rate \xff"
  }
}
EOF
