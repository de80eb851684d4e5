#!/usr/bin/env python3
"""Generates a policy of N rules, for the check and apply scale figures.

Each rule names one ICMP type (cycling over four types of both families)
and its own source: a /32 from 198.18.0.0/15 or a /64 from 2001:db8::/32,
alternately, so no two rules have the same conditions and each becomes
one kernel rule (plus a source set) in its type's key chain. Actions
alternate allow and drop; with --log every rule has a [rule.log] table.

    policy_scale.py N [--log] > policy.toml
"""
import argparse
import ipaddress

TYPES = ["echo-request", "echo-reply", "destination-unreachable", "time-exceeded"]


def make_policy(n: int, log: bool) -> str:
    v4 = int(ipaddress.IPv4Address("198.18.0.0"))
    v6 = int(ipaddress.IPv6Address("2001:db8::"))
    out = ['[icmpwall]\ntable = "icmpwall_scale"\n\n[hooks.input]\ndefault = "allow"\n']
    for i in range(n):
        if i % 2 == 0:
            source = f"{ipaddress.IPv4Address(v4 + i // 2)}/32"
        else:
            source = f"{ipaddress.IPv6Address(v6 + ((i // 2) << 64))}/64"
        action = "allow" if i % 3 == 0 else "drop"
        out.append(f'[[rule]]\nname = "r{i}"\ntypes = ["{TYPES[i % len(TYPES)]}"]\n'
                   f'source = "{source}"\naction = "{action}"\n')
        if log:
            out.append(f'[rule.log]\nprefix = "r{i} "\n')
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--log", action="store_true")
    args = ap.parse_args()
    print(make_policy(args.n, args.log))


if __name__ == "__main__":
    main()
