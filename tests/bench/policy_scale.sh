#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check and apply time at 10 000, 40 000 and 100 000 rules (policy_scale.py),
# with `nft -f` of the same ruleset (the --dry-run text) as the kernel's
# baseline. Each load goes into its own fresh network namespace, never the
# host's. Needs root. Usage:
#
#     tests/bench/policy_scale.sh BUILD/icmpwall [SIZES...]
set -eu
bin=$(readlink -f "$1"); shift
sizes=${*:-10000 40000 100000}
here=$(dirname "$(readlink -f "$0")")
work=$(mktemp -d)
ns="iw-scale-$$"
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

timed() {  # label command...: prints wall seconds, user+sys CPU seconds
  label=$1; shift
  /usr/bin/time -f "$label %e s wall, %U s user, %S s sys, %M KiB" "$@" >/dev/null 2>"$work/err" ||
    { cat "$work/err" >&2; exit 1; }
  tail -n 1 "$work/err"
}

for n in $sizes; do
  python3 "$here/policy_scale.py" "$n" >"$work/p.toml"
  timed "$n rules: check          " "$bin" check "$work/p.toml"
  "$bin" apply --dry-run "$work/p.toml" >"$work/p.nft" 2>/dev/null
  ip netns add "$ns"
  timed "$n rules: icmpwall apply " ip netns exec "$ns" "$bin" apply "$work/p.toml"
  ip netns del "$ns"
  ip netns add "$ns"
  timed "$n rules: nft -f         " ip netns exec "$ns" nft -f "$work/p.nft"
  ip netns del "$ns"
done
