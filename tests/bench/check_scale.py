#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`icmpwall check` time of large policies (policy_scale.py: one type and
one source per rule), against a baseline build side by side.

For each size N the policy is generated once; each binary checks it RUNS
times, the binaries taking turns so that both see the same load. Reported
per binary: the best user CPU, the best user + system CPU (the figure
compared: a shared machine only ever adds to it), the median wall time,
peak RSS and minor page faults; then the ratio baseline / current of the
best CPU time (> 1: the current build is faster). Without --baseline only
the figures are printed. No root needed. Usage:

    check_scale.py BUILD/icmpwall [--baseline OTHER/icmpwall]
                   [--sizes 20000,100000] [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from policy_scale import make_policy  # noqa: E402


def check_once(binary: str, policy: str):
    """(user s, sys s, wall s, peak KiB, minor faults) of one `check`."""
    with tempfile.NamedTemporaryFile("r") as out:
        proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %e %M %R", "-o", out.name,
                               binary, "check", policy],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            sys.exit(f"{binary} check {policy} failed ({proc.returncode}):\n{proc.stderr}")
        user, sys_, wall, rss, faults = out.read().split()[-5:]
        return float(user), float(sys_), float(wall), int(rss), int(faults)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--baseline")
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    binaries = [("current", args.binary)] + ([("baseline", args.baseline)] if args.baseline else [])

    print(f"{'rules':>7} {'build':>8} {'user':>7} {'user+sys':>9} {'wall':>7} "
          f"{'peak MiB':>9} {'faults':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as work:
        for n in (int(s) for s in args.sizes.split(",")):
            path = os.path.join(work, f"p{n}.toml")
            with open(path, "w") as f:
                f.write(make_policy(n, False))
            runs = {name: [] for name, _ in binaries}
            for _ in range(args.runs):
                for name, binary in binaries:
                    runs[name].append(check_once(binary, path))
            best = {name: min(u + s for u, s, *_ in r) for name, r in runs.items()}
            for name, r in runs.items():
                ratio = f"{best['baseline'] / best[name]:6.2f}" if args.baseline else "     -"
                print(f"{n:>7} {name:>8} {min(x[0] for x in r):>6.2f}s {best[name]:>8.2f}s "
                      f"{statistics.median(x[2] for x in r):>6.2f}s "
                      f"{max(x[3] for x in r) / 1024:>9.0f} {min(x[4] for x in r):>8} {ratio}")


if __name__ == "__main__":
    main()
