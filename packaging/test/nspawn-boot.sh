#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boots a Debian 12 container with systemd as PID 1, the icmpwall package
# installed, and checks the service the way a real machine runs it: started
# at boot as a notify service, unprivileged and sandboxed, ruleset in the
# kernel, reload (to an inspect policy answering pings through NFQUEUE; a
# bad policy refused and `systemctl reload` failing with the daemon's
# reason, then succeeding once it is fixed), stats socket, watchdog, stop.
#
# The container gets its own network namespace (--private-network), so the
# host's firewall is never touched. Needs root, debootstrap, systemd-nspawn
# (systemd-container) and a Debian mirror.
#
#   packaging/test/nspawn-boot.sh path/to/icmpwall_VERSION_ARCH.deb [WORKDIR]
#
# WORKDIR (default: a temporary directory, removed afterwards) keeps the
# root file system; an existing WORKDIR/root is reused. Exit status 0: the
# checks passed; 1: a check failed; 77: this machine cannot boot the
# container (the reason is printed).
set -euo pipefail

deb=$(realpath "$1")
work=${2:-}
mirror=${ICMPWALL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cleanup_work=0
if [[ -z $work ]]; then
    work=$(mktemp -d /var/tmp/icmpwall-nspawn.XXXXXX)
    cleanup_work=1
fi
mkdir -p "$work"
trap '[[ $cleanup_work == 1 ]] && rm -rf "$work"' EXIT
root=$work/root
log=$work/boot.log

skip() { echo "nspawn-boot: SKIP: $*" >&2; exit 77; }
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn missing (apt-get install systemd-container)"
command -v debootstrap >/dev/null || skip "debootstrap missing"

if [[ ! -x $root/lib/systemd/systemd ]]; then
    echo "nspawn-boot: debootstrap bookworm into $root" >&2
    rm -rf "$root"  # an unfinished one from an interrupted run
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,nftables,iputils-ping \
        bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        skip "debootstrap failed (see $work/debootstrap.log)"
fi

# The package, installed afresh (a reused root loses what the last run
# changed) with apt so its Depends resolve.
cp "$deb" "$root/tmp/icmpwall.deb"
chroot "$root" sh -c 'dpkg --purge icmpwall &&
    rm -f /etc/icmpwall/policy.toml &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/icmpwall.deb' \
    >"$work/install.log" 2>&1 || {
    cat "$work/install.log" >&2
    exit 1
}

# A unit that runs the checks once the system is up, logs them and powers
# the container off.
cat >"$root/usr/local/sbin/icmpwall-boottest" <<'SCRIPT'
#!/bin/sh
exec >/var/log/icmpwall-boottest.log 2>&1
fail=0
check() { desc=$1; shift; if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fail=1; fi; }
# `systemctl reload` returns once the daemon has reloaded (ExecReload runs
# `icmpwall reload`); what follows it later (the drift check) is polled for.
poll() { n=0; while [ $n -lt 50 ]; do "$@" && return 0; sleep 0.2; n=$((n + 1)); done; return 1; }
systemctl is-active icmpwall.service
check "icmpwall.service is active after boot" systemctl -q is-active icmpwall.service
check "enabled by the package" systemctl -q is-enabled icmpwall.service
pid=$(systemctl show -P MainPID icmpwall.service)
echo "MainPID=$pid User=$(systemctl show -P User icmpwall.service)"
grep -E '^(Uid|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid/status"
check "runs as user icmpwall" sh -c "[ \"\$(stat -c %U /proc/$pid)\" = icmpwall ]"
check "effective capabilities are CAP_NET_ADMIN only" \
    sh -c "grep -q '^CapEff:[[:space:]]*0000000000001000$' /proc/$pid/status"
check "ruleset loaded (nft list table inet icmpwall)" sh -c "nft list table inet icmpwall >/dev/null"
check "reload (SIGHUP) keeps it active" sh -c 'systemctl reload icmpwall.service && systemctl -q is-active icmpwall.service'
check "ruleset still there after reload" sh -c "nft list table inet icmpwall >/dev/null"
check "network-pre.target after icmpwall" sh -c \
    "systemctl show -P After network-pre.target | grep -qw icmpwall.service"
# An inspect policy through a reload: NFQUEUE bound by the sandboxed,
# unprivileged daemon, pings answered through it, counters on the socket.
cat >/etc/icmpwall/policy.toml <<'POLICY'
[hooks.input]
default = "allow"
[[rule]]
name = "ping"
types = ["echo-request"]
action = "inspect"
no-worker = "drop"
POLICY
sed -i 's|^policy = .*|policy = "policy.toml"|' /etc/icmpwall/icmpwall.toml
check "reload to an inspect policy" systemctl reload icmpwall.service
# (nft cannot print the xt NFQUEUE target icmpwall falls back to on kernels
# without nft_queue, so the queue is checked through the daemon's stats.)
check "queue 0 bound when systemctl reload returns" sh -c "icmpwall stats --json | grep -Eq '\"queue\": ?0'"
check "pings pass the inspection worker" ping -c 3 -i 0.2 -W 2 127.0.0.1
check "icmpwall stats counts the queued pings" sh -c \
    "icmpwall stats --json | grep -Eq '\"received\": ?[3-5]'"
cp /etc/icmpwall/policy.toml /tmp/good.toml
printf '[[rule]]\ntypes = ["echo-request"]\naction = "allw"\n' >/etc/icmpwall/policy.toml
check "systemctl reload fails on a bad policy" sh -c '! systemctl reload icmpwall.service'
check "with the daemon's reason in the unit's journal" sh -c \
    "journalctl -b -u icmpwall.service --no-pager | grep -q 'icmpwall reload: the daemon (pid $pid) refused the reload' &&
     journalctl -b -u icmpwall.service --no-pager | grep -q \"policy.toml:3:10: error: .*'allw'\""
check "a bad policy on reload keeps the service running" systemctl -q is-active icmpwall.service
check "and keeps answering the inspect rule" ping -c 3 -i 0.2 -W 2 127.0.0.1
check "through the queue" sh -c "icmpwall stats --json | grep -Eq '\"received\": ?([6-9]|[1-9][0-9])'"
cp /tmp/good.toml /etc/icmpwall/policy.toml
check "systemctl reload succeeds once the policy is fixed" systemctl reload icmpwall.service
check "and the refusal is gone from the stats" sh -c "! icmpwall stats --json | grep -q last_reload_error"
# The drift checks (at start and after each reload) run in the sandbox: no
# drift and no failure; another table dropping pings ahead of icmpwall's
# chains is drift, in the stats and the journal.
check "drift checks run in the sandbox and find no drift" sh -c \
    "icmpwall stats --json | tr -d ' \n' | grep -Eq '\"drift\":\{\"checks\":[1-9][0-9]*,\"differs\":0,\"extra\":0,\"failures\":0,[^}]*\"missing\":0,\"overrides\":0\}'"
nft -f - <<'NFT'
table inet other {
    chain in {
        type filter hook input priority -10; policy accept;
        icmp type echo-request drop
    }
}
NFT
check "reload with another table in the way" systemctl reload icmpwall.service
check "another table dropping pings ahead of icmpwall is drift" poll sh -c \
    "icmpwall stats --json | tr -d ' \n' | grep -Eq '\"overrides\":[1-9]' &&
     journalctl -b -u icmpwall.service -o verbose --no-pager | grep -q '^ *ICMPWALL_EVENT=drift\$'"
nft delete table inet other
# Under systemd the daemon logs to journald with its own fields.
check "journald: structured ready entry" sh -c \
    "journalctl -b -u icmpwall.service -o verbose --no-pager | grep -q 'ICMPWALL_EVENT=ready'"
check "journald: the refused reload, with its policy error" sh -c \
    "journalctl -b -u icmpwall.service -o verbose --no-pager | grep -q 'ICMPWALL_EVENT=reload-failed' &&
     journalctl -b -u icmpwall.service --no-pager | grep -q 'policy.toml:3:'"
# The watchdog (2 s here, by the drop-in below): after several intervals
# the same process still runs and systemd never restarted it.
sleep 5
check "watchdog fed (same MainPID, no restarts)" sh -c \
    "[ \"\$(systemctl show -P MainPID icmpwall.service)\" = $pid ] &&
     [ \"\$(systemctl show -P NRestarts icmpwall.service)\" = 0 ]"
check "stop" systemctl stop icmpwall.service
check "ruleset kept after stop (on_stop = keep)" sh -c "nft list table inet icmpwall >/dev/null"
journalctl -b -u icmpwall.service --no-pager | tail -n 30
echo "RESULT=$([ $fail = 0 ] && echo pass || echo fail)"
systemctl --no-block poweroff
SCRIPT
chmod 755 "$root/usr/local/sbin/icmpwall-boottest"
cat >"$root/etc/systemd/system/icmpwall-boottest.service" <<'UNIT'
[Unit]
Description=icmpwall boot test
After=icmpwall.service multi-user.target
[Service]
Type=simple
ExecStart=/usr/local/sbin/icmpwall-boottest
[Install]
WantedBy=default.target
UNIT
mkdir -p "$root/etc/systemd/system/default.target.wants"
ln -sf /etc/systemd/system/icmpwall-boottest.service \
    "$root/etc/systemd/system/default.target.wants/icmpwall-boottest.service"
mkdir -p "$root/etc/systemd/system/icmpwall.service.d"
printf '[Service]\nWatchdogSec=2s\n' >"$root/etc/systemd/system/icmpwall.service.d/watchdog.conf"
rm -f "$root/var/log/icmpwall-boottest.log"

echo "nspawn-boot: booting (log: $log)" >&2
rc=0
timeout 180 systemd-nspawn --quiet --boot --private-network --console=pipe --register=no --keep-unit \
    --machine="icmpwall-boot-$$" --directory="$root" </dev/null >"$log" 2>&1 || rc=$?
if [[ ! -s $root/var/log/icmpwall-boottest.log ]]; then
    tail -n 20 "$log" >&2
    skip "the container did not boot to the test (systemd-nspawn exit $rc)"
fi
cat "$root/var/log/icmpwall-boottest.log"
grep -q '^RESULT=pass$' "$root/var/log/icmpwall-boottest.log"
