#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`icmpwall audit --json` on a large ruleset, side by side with
`nft -j list ruleset` on the same one.

In a scratch network namespace (never the host's), a ruleset of RULES
rules and ELEMENTS set elements is loaded with `nft -f`, spread over
tables of every family the audit reads (ip, ip6, inet): named sets
(hash and interval, some with concatenations), verdict maps with jumps
to per-type chains, and base chains at input, forward, output and
prerouting. Then, RUNS times each, interleaved, the audit (dump plus
the full per-type report for both families and three hooks) and nft's
JSON listing (dump and print only) are timed: median wall time, CPU time
and peak RSS (GNU time), and the ratio audit/nft (> 1: the audit costs
more). Needs root. Usage:

    audit_scale.py BUILD/icmpwall [--rules 10000] [--elements 100000] [--runs 3]
                   [--save-json FILE]

--save-json writes the audit's JSON of the first run to FILE, so two builds
can be checked for the same verdicts (cmp the files).
"""
import argparse
import ipaddress
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apply_vs_nft import timed  # noqa: E402  (GNU time + wait4, shared)

TABLES = [("ip", "icmp"), ("ip6", "icmpv6"), ("inet", "icmp")]
HOOKS = ["input", "forward", "output", "prerouting"]


def v4(i):
    return ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.18.0.0")) + 2 * i)


def v6(i):
    return ipaddress.IPv6Address(int(ipaddress.IPv6Address("2001:db8::")) + ((2 * i) << 64))


def make_ruleset(rules: int, elements: int) -> str:
    """RULES rules and ELEMENTS elements over three tables. Each table has a
    hash set and an interval set of addresses, a verdict map from ICMP type
    to per-type chains, base chains at every hook with an address-set rule,
    a vmap dispatch and filler rules (address + type + counter) up to its
    share of RULES."""
    out = []
    per_table_rules = rules // len(TABLES)
    per_table_elems = elements // len(TABLES)
    k = 0
    for family, proto in TABLES:
        addr_family = "ip6" if family == "ip6" else "ip"
        addr_type = "ipv6_addr" if family == "ip6" else "ipv4_addr"
        mk = v6 if family == "ip6" else v4
        name = f"bench_{family}"
        out.append(f"table {family} {name} {{")
        half = per_table_elems // 2
        hashed = ", ".join(str(mk(k + i)) for i in range(half))
        k += half
        ranges = ", ".join(f"{mk(k + 2 * i)}-{mk(k + 2 * i + 1)}"
                           for i in range(per_table_elems - half))
        k += 2 * (per_table_elems - half)
        out.append(f"  set src_hash {{ type {addr_type}; elements = {{ {hashed} }} }}")
        out.append(f"  set src_ranges {{ type {addr_type}; flags interval; "
                   f"elements = {{ {ranges} }} }}")
        types = list(range(0, 20)) if proto == "icmp" else list(range(128, 148))
        out.append(f"  map by_type {{ type {proto}_type : verdict; elements = {{ "
                   + ", ".join(f"{t} : jump type_{t}" for t in types) + " } }")
        body = []
        for t in types:
            body.append(f"  chain type_{t} {{\n    {addr_family} saddr @src_hash counter drop\n"
                        f"    {proto} code 1 counter accept\n  }}")
        n = len(types) * 2
        for hook in HOOKS:
            chain = [f"  chain {hook} {{",
                     f"    type filter hook {hook} priority 0; policy accept;",
                     f"    {addr_family} saddr @src_ranges counter drop",
                     f"    meta l4proto {'ipv6-icmp' if proto == 'icmpv6' else 'icmp'} "
                     f"{proto} type vmap @by_type"]
            n += 2
            filler = (per_table_rules - len(types) * 2) // len(HOOKS) - 2
            for i in range(max(filler, 0)):
                chain.append(f"    {addr_family} daddr {mk(k + i)} {proto} type {types[i % len(types)]} "
                             f"counter accept")
                n += 1
            k += max(filler, 0)
            chain.append("  }")
            body.append("\n".join(chain))
        out.extend(body)
        out.append("}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("icmpwall")
    ap.add_argument("--rules", type=int, default=10000)
    ap.add_argument("--elements", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--save-json", metavar="FILE")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("audit_scale: needs root (it creates a network namespace)")
    ns = f"iw-bench-audit-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".nft") as f:
            f.write(make_ruleset(args.rules, args.elements))
            f.flush()
            subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", f.name], check=True)
        enter = ["nsenter", f"--net=/run/netns/{ns}"]
        counts = subprocess.run(enter + ["nft", "-a", "list", "ruleset"], check=True,
                                capture_output=True, text=True).stdout
        loaded_rules = sum(1 for line in counts.splitlines() if "# handle" in line and
                           not line.strip().startswith(("chain", "table", "set", "map")))
        if args.save_json:
            with open(args.save_json, "w") as out:
                subprocess.run(enter + [args.icmpwall, "audit", "--json"], check=True,
                               stdout=out)
        audit, nft = [], []
        for _ in range(args.runs):
            audit.append(timed(enter + [args.icmpwall, "audit", "--json"]))
            nft.append(timed(enter + ["nft", "-j", "list", "ruleset"]))
        med = lambda runs, i: statistics.median(x[i] for x in runs)
        print(f"ruleset: {loaded_rules} rules, {args.elements} set elements, "
              f"{len(TABLES)} tables; median of {args.runs} runs")
        print(f"{'':>24} {'wall ms':>9} {'cpu ms':>9} {'peak KiB':>9}")
        for label, runs in (("icmpwall audit --json", audit), ("nft -j list ruleset", nft)):
            print(f"{label:>24} {med(runs, 0) * 1e3:>9.1f} {med(runs, 1) * 1e3:>9.1f} "
                  f"{med(runs, 2):>9.0f}")
        ratio = lambda i: med(audit, i) / max(med(nft, i), 1e-6)
        print(f"{'ratio audit/nft':>24} {ratio(0):>8.2f}x {ratio(1):>8.2f}x {ratio(2):>8.2f}x")
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


if __name__ == "__main__":
    main()
