#!/usr/bin/env bash
# Installs everything icmpwall needs to build and test on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    build-essential cmake pkg-config clang \
    libnftnl-dev libmnl-dev libnetfilter-queue-dev libtomlplusplus-dev \
    libgtest-dev libgmock-dev libcli11-dev libfmt-dev nlohmann-json3-dev \
    libbenchmark-dev libsystemd-dev \
    nftables iptables iproute2 iputils-ping traceroute python3 python3-scapy \
    hping3 tcpdump netcat-openbsd procps time
