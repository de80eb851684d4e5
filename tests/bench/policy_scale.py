#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generates a policy of N rules, for the check and apply scale figures.

Each rule names one ICMP type (cycling over four types of both families)
and its own source: a /32 from 198.18.0.0/15 or a /64 from 2001:db8::/32,
alternately, so no two rules have the same conditions and each becomes
one kernel rule in its type's key chain. With --prefixes K each rule has K
sources instead (K > 1: a named set per rule). Actions alternate allow and
drop; with --log every rule has a [rule.log] table.

    policy_scale.py N [--log] [--prefixes K] > policy.toml
"""
import argparse
import ipaddress

TYPES = ["echo-request", "echo-reply", "destination-unreachable", "time-exceeded"]


def make_policy(n: int, log: bool, prefixes: int = 1) -> str:
    v4 = int(ipaddress.IPv4Address("198.18.0.0"))
    v6 = int(ipaddress.IPv6Address("2001:db8::"))
    out = ['[icmpwall]\ntable = "icmpwall_scale"\n\n[hooks.input]\ndefault = "allow"\n']
    for i in range(n):
        sources = []
        for k in range(prefixes):
            j = i * prefixes + k
            if i % 2 == 0:
                sources.append(f'"{ipaddress.IPv4Address(v4 + 2 * j)}/32"')  # every other: none merge
            else:
                sources.append(f'"{ipaddress.IPv6Address(v6 + ((2 * j) << 64))}/64"')
        action = "allow" if i % 3 == 0 else "drop"
        out.append(f'[[rule]]\nname = "r{i}"\ntypes = ["{TYPES[i % len(TYPES)]}"]\n'
                   f'source = [{", ".join(sources)}]\naction = "{action}"\n')
        if log:
            out.append(f'[rule.log]\nprefix = "r{i} "\n')
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--log", action="store_true")
    ap.add_argument("--prefixes", type=int, default=1)
    args = ap.parse_args()
    print(make_policy(args.n, args.log, args.prefixes))


if __name__ == "__main__":
    main()
