#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""apply time and peak memory: `icmpwall apply` versus `nft -f` of the same
ruleset text (the policy's --dry-run output), side by side in one run.

For each size N, a policy with N source-prefix elements spread over rules
for several ICMP types is generated; each tool loads it into its own fresh
network namespace (never the host's), RUNS times, and the median wall
time, CPU time and peak RSS are reported with the ratio nft/icmpwall (> 1:
icmpwall is faster / smaller). At small sizes wall time is dominated by the
kernel, the same for both: releasing the netlink socket waits for the
nf_tables transaction clean-up (an RCU grace period, ~10 ms here).

Peak RSS counts every page of the shared libraries mapped in, and the
kernel maps page-cache pages around each one a process touches: pages
already in memory and shared with every other process that uses the same
library. So each run also happens in a memory cgroup of its own, whose
peak ("charged KiB") counts what the run made the kernel allocate
(anonymous memory, page tables, kernel objects such as the netlink
buffers), without the shared pages. GNU time runs inside it too, the
same for both tools. Without a writable memory cgroup (v1's
memory.max_usage_in_bytes or v2's memory.peak) that column shows "-".
Needs root. Usage:

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


class MemoryCgroup:
    """A fresh memory cgroup per run, below this process's own: v1
    (memory.max_usage_in_bytes) or v2 (memory.peak). None if neither can
    be made here."""

    @staticmethod
    def parent():
        with open("/proc/self/cgroup") as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
        for _, controllers, path in lines:
            if "memory" in controllers.split(","):
                return f"/sys/fs/cgroup/memory{path}", "memory.max_usage_in_bytes"
        for hid, controllers, path in lines:
            if hid == "0" and controllers == "":
                return f"/sys/fs/cgroup{path}", "memory.peak"
        return None

    @classmethod
    def make(cls, tag):
        where = cls.parent()
        if where is None:
            return None
        path = os.path.join(where[0], f"iw-bench-{os.getpid()}-{tag}")
        try:
            os.mkdir(path)
        except OSError:
            return None
        if not os.path.exists(os.path.join(path, where[1])):
            os.rmdir(path)
            return None
        return cls(path, where[1])

    def __init__(self, path, peak_file):
        self.path, self.peak_file = path, peak_file

    def enter(self):  # in the child, before it execs; a failure shows as no peak
        try:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write("0")
        except OSError:
            pass

    def peak_kib(self):
        """The peak, or None if nothing was charged (the run never got in)."""
        with open(os.path.join(self.path, self.peak_file)) as f:
            return int(f.read()) // 1024 or None

    def remove(self):
        try:
            os.rmdir(self.path)
        except OSError as e:
            print(f"apply_vs_nft: cannot remove {self.path}: {e}", file=sys.stderr)


def timed(cmd, cgroup=None):
    """Runs cmd; returns (wall seconds, CPU seconds, peak RSS KiB, charged
    peak KiB or None). The peak comes from GNU time, a small parent: a
    child forked from this Python process would inherit its RSS as a
    floor. CPU time (user + system) is wait4's, which includes GNU time's
    reaped child. nsenter execs the command in place, so the figures are
    the command's own."""
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", out.name] + cmd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=cgroup.enter if cgroup else None)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            sys.exit(f"apply_vs_nft: {' '.join(cmd)} failed with {proc.returncode}")
        charged = cgroup.peak_kib() if cgroup else None
        return elapsed, usage.ru_utime + usage.ru_stime, int(out.read().split()[-1]), charged


def in_fresh_netns(tag, cmd):
    ns = f"iw-bench-{os.getpid()}-{tag}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    cgroup = MemoryCgroup.make(tag)
    try:
        return timed(["nsenter", f"--net=/run/netns/{ns}"] + cmd, cgroup)
    finally:
        if cgroup:
            cgroup.remove()
        subprocess.run(["ip", "netns", "del", ns], check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("icmpwall")
    ap.add_argument("--sizes", default="10,1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("apply_vs_nft: needs root (it creates network namespaces)")

    print(f"{'elements':>9} | {'wall ms':>8} {'nft':>8} {'ratio':>6} | {'cpu ms':>7} {'nft':>7} "
          f"{'ratio':>6} | {'peak KiB':>9} {'nft':>8} {'ratio':>6} | {'charged KiB':>11} {'nft':>8} "
          f"{'ratio':>6}")
    worst = None
    with tempfile.TemporaryDirectory() as d:
        for n in (int(s) for s in args.sizes.split(",")):
            policy = os.path.join(d, f"bench-{n}.toml")
            text = os.path.join(d, f"bench-{n}.nft")
            with open(policy, "w") as f:
                f.write(make_policy(n))
            with open(text, "w") as f:
                subprocess.run([args.icmpwall, "apply", "--dry-run", policy], stdout=f,
                               stderr=subprocess.DEVNULL, check=True)
            iw, nf = [], []
            for r in range(args.runs):  # interleaved, so drift hits both alike
                iw.append(in_fresh_netns(f"iw{n}-{r}", [args.icmpwall, "apply", policy]))
                nf.append(in_fresh_netns(f"nft{n}-{r}", ["nft", "-f", text]))
            med = lambda runs, i: statistics.median(x[i] for x in runs)
            wall = (med(iw, 0) * 1e3, med(nf, 0) * 1e3)
            cpu = (med(iw, 1) * 1e3, med(nf, 1) * 1e3)
            rss = (med(iw, 2), med(nf, 2))
            ratio = lambda a: a[1] / max(a[0], 1e-3)
            worst = ratio(wall) if worst is None else min(worst, ratio(wall))
            if all(x[3] is not None for x in iw + nf):
                charged = (med(iw, 3), med(nf, 3))
                charged_cols = f"{charged[0]:>11.0f} {charged[1]:>8.0f} {ratio(charged):>5.2f}x"
            else:
                charged_cols = f"{'-':>11} {'-':>8} {'-':>6}"
            print(f"{n:>9} | {wall[0]:>8.1f} {wall[1]:>8.1f} {ratio(wall):>5.2f}x | "
                  f"{cpu[0]:>7.1f} {cpu[1]:>7.1f} {ratio(cpu):>5.2f}x | "
                  f"{rss[0]:>9.0f} {rss[1]:>8.0f} {ratio(rss):>5.2f}x | {charged_cols}", flush=True)
    print(f"slowest ratio nft/icmpwall: {worst:.2f}x (> 1 means icmpwall is faster)")


if __name__ == "__main__":
    main()
