#!/usr/bin/env python3
"""apply time and peak memory: `icmpwall apply` versus `nft -f` of the same
ruleset text (the policy's --dry-run output), side by side in one run.

For each size N, a policy with N source-prefix elements spread over rules
for several ICMP types is generated; each tool loads it into its own fresh
network namespace (never the host's), RUNS times, and the median wall time
and peak RSS are reported with the ratio nft/icmpwall (> 1: icmpwall is
faster / smaller). Needs root. Usage:

    apply_vs_nft.py BUILD/icmpwall [--sizes 10,1000,10000,100000] [--runs 3]
"""
import argparse
import ipaddress
import os
import statistics
import subprocess
import sys
import tempfile
import time

# Types that exist in both families, so every prefix lands in a set.
TYPES = ["echo-request", "echo-reply", "destination-unreachable", "time-exceeded"]


def make_policy(n: int) -> str:
    """N prefixes: alternating IPv4 /32s (every other address, so nothing
    merges) from 198.18.0.0/15 and IPv6 /64s from 2001:db8::/32."""
    per_rule = [n // len(TYPES) + (1 if i < n % len(TYPES) else 0) for i in range(len(TYPES))]
    v4 = ipaddress.IPv4Address("198.18.0.0")
    v6 = int(ipaddress.IPv6Address("2001:db8::"))
    out = ['[icmpwall]\ntable = "icmpwall_bench"\n\n[hooks.input]\ndefault = "drop"\n']
    k4 = k6 = 0
    for t, count in zip(TYPES, per_rule):
        if count == 0:
            continue
        prefixes = []
        for i in range(count):
            if i % 2 == 0:
                prefixes.append(f'"{v4 + 2 * k4}/32"')
                k4 += 1
            else:
                prefixes.append(f'"{ipaddress.IPv6Address(v6 + ((2 * k6) << 64))}/64"')
                k6 += 1
        out.append(f'[[rule]]\nname = "{t}"\ntypes = ["{t}"]\naction = "allow"\n'
                   f'source = [{", ".join(prefixes)}]\n')
    return "\n".join(out)


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS KiB). The peak comes from
    GNU time, a small parent: a child forked from this Python process would
    inherit its RSS as a floor. nsenter execs the command in place, so the
    figure is the command's own."""
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        rc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + cmd,
                            stdout=subprocess.DEVNULL).returncode
        elapsed = time.perf_counter() - start
        if rc != 0:
            sys.exit(f"apply_vs_nft: {' '.join(cmd)} failed with {rc}")
        return elapsed, int(out.read().split()[-1])


def in_fresh_netns(tag, cmd):
    ns = f"iw-bench-{os.getpid()}-{tag}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        return timed(["nsenter", f"--net=/run/netns/{ns}"] + cmd)
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("icmpwall")
    ap.add_argument("--sizes", default="10,1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("apply_vs_nft: needs root (it creates network namespaces)")

    print(f"{'elements':>9} | {'icmpwall s':>10} {'nft -f s':>9} {'ratio':>6} | "
          f"{'icmpwall KiB':>12} {'nft KiB':>8} {'ratio':>6}")
    worst = None
    with tempfile.TemporaryDirectory() as d:
        for n in (int(s) for s in args.sizes.split(",")):
            policy = os.path.join(d, f"bench-{n}.toml")
            text = os.path.join(d, f"bench-{n}.nft")
            with open(policy, "w") as f:
                f.write(make_policy(n))
            with open(text, "w") as f:
                subprocess.run([args.icmpwall, "apply", "--dry-run", policy], stdout=f, check=True)
            iw, nf = [], []
            for r in range(args.runs):  # interleaved, so drift hits both alike
                iw.append(in_fresh_netns(f"iw{n}-{r}", [args.icmpwall, "apply", policy]))
                nf.append(in_fresh_netns(f"nft{n}-{r}", ["nft", "-f", text]))
            t_iw = statistics.median(x[0] for x in iw)
            t_nf = statistics.median(x[0] for x in nf)
            m_iw = statistics.median(x[1] for x in iw)
            m_nf = statistics.median(x[1] for x in nf)
            ratio_t = t_nf / max(t_iw, 0.005)
            ratio_m = m_nf / max(m_iw, 1)
            worst = ratio_t if worst is None else min(worst, ratio_t)
            print(f"{n:>9} | {t_iw:>10.3f} {t_nf:>9.3f} {ratio_t:>5.1f}x | "
                  f"{m_iw:>12} {m_nf:>8} {ratio_m:>5.1f}x", flush=True)
    print(f"slowest ratio nft/icmpwall: {worst:.2f}x (> 1 means icmpwall is faster)")


if __name__ == "__main__":
    main()
