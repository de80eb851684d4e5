#!/usr/bin/env bash
# Seeds tests/fuzz/corpus/audit_decode/ with real dumps: in a scratch
# network namespace each of icmpwall's presets (applied by the given
# icmpwall binary), firewalld's table and docker's iptables-nft rules from
# the integration tests are loaded in turn and the kernel's dump answers
# recorded (record_dump.py). The
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
