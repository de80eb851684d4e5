#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Sends crafted ICMP and ICMPv6 packets of any type and code.

Run inside a test namespace:

    ip netns exec NS python3 craft.py --src 198.18.1.2 --dst 198.18.2.2 \
        --iface c0 --dst-mac 02:..:.. --types 5/1,13,17,4,200 --count 3

Each entry of --types is TYPE or TYPE/CODE (numbers); every entry is sent
--count times. Messages carry what a real one carries: errors (destination
unreachable, source quench, redirect, time exceeded, parameter problem,
packet too big) embed the start of a datagram that the receiver could have
sent (from --dst to --orig-dst, UDP); a redirect names --gw; echo, timestamp,
information and address-mask requests have an identifier (--id, or a fresh
one per packet with --random-id) and a sequence number; neighbor discovery
and router advertisements carry their options; types without a meaning get
a zeroed body.

Two ways to send:
  --iface IF   as Ethernet frames on IF (packet socket): the source address,
               hop limit and destination are exactly as given; the frame goes
               to --dst-mac (multicast destinations get their own MAC). The
               sending namespace's netfilter does not see these packets.
  (no --iface) through the sending namespace's IP stack (raw IP socket), so
               its routing and its output hook apply; the source must be one
               of its addresses.

Prints `sent N packets in S seconds`, S being the time from the first packet
to the last; through the IP stack, packets that the sender's own output hook
drops (sendto fails with EPERM) are counted as sent, and reported on a line
of their own.
"""

import argparse
import random
import socket
import sys
import time

from scapy.all import Ether, IP, IPOption, UDP, ICMP, Raw, IPv6, conf, sendp  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded, ICMPv6ParamProblem,
    ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6ND_RS, ICMPv6ND_RA, ICMPv6ND_NS,
    ICMPv6ND_NA, ICMPv6ND_Redirect, ICMPv6NDOptRedirectedHdr, ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptPrefixInfo, ICMPv6MLQuery, ICMPv6MLReport, ICMPv6MLDone, ICMPv6MLReport2,
    ICMPv6Unknown,
)

conf.verb = 0

# ICMPv4 types whose body is "unused (4 bytes) + IP header + 64 bits".
V4_ERRORS = {3, 4, 11, 12}
# Neighbor discovery: RFC 4861 wants hop limit 255.
V6_ND = {133, 134, 135, 136, 137}
# MLD: link-scope, hop limit 1.
V6_MLD = {130, 131, 132, 143}


def parse_types(text):
    out = []
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        t, _, c = entry.partition("/")
        out.append((int(t, 0), int(c, 0) if c else 0))
    return out


def v4_embedded(args):
    # The datagram the error is about: one the receiver (--dst) sent.
    return IP(src=args.dst, dst=args.orig_dst or args.src, ttl=1) / UDP(sport=33434, dport=33435)


def v6_embedded(args):
    return IPv6(src=args.dst, dst=args.orig_dst or args.src, hlim=1) / UDP(sport=33434, dport=33435)


def build_v4(args, t, c, seq):
    ident = random.randint(0, 0xFFFF) if args.random_id else args.id
    ttl = args.hlim if args.hlim is not None else 64
    ip = IP(src=args.src, dst=args.dst, ttl=ttl)
    if args.ip_options:
        # NOPs (type 1): the header grows by that many bytes, nothing else changes.
        ip.options = [IPOption(b"\x01" * args.ip_options)]
    if t in (0, 8):
        body = ICMP(type=t, code=c, id=ident, seq=seq) / Raw(b"icmpwall" * (args.payload // 8))
    elif t in (13, 14):
        body = ICMP(type=t, code=c, id=ident, seq=seq, ts_ori=int(time.time() * 1000) % 86400000,
                    ts_rx=0, ts_tx=0)
    elif t in (15, 16):
        body = ICMP(type=t, code=c, id=ident, seq=seq)
    elif t in (17, 18):
        body = ICMP(type=t, code=c, id=ident, seq=seq, addr_mask="0.0.0.0")
    elif t == 5:
        body = ICMP(type=5, code=c, gw=args.gw or args.src) / v4_embedded(args)
    elif t == 3 and c == 4:
        body = ICMP(type=3, code=4, nexthopmtu=args.mtu) / v4_embedded(args)
    elif t == 12:
        body = ICMP(type=12, code=c, ptr=0) / v4_embedded(args)
    elif t in V4_ERRORS:
        body = ICMP(type=t, code=c) / v4_embedded(args)
    else:
        # No meaning registered (or none scapy knows): header, zeroed rest.
        body = ICMP(type=t, code=c) / Raw(b"icmpwall")
    return ip / body


def build_v6(args, t, c, seq):
    ident = random.randint(0, 0xFFFF) if args.random_id else args.id
    if args.hlim is not None:
        hlim = args.hlim
    elif t in V6_ND:
        hlim = 255
    elif t in V6_MLD:
        hlim = 1
    else:
        hlim = 64
    ip = IPv6(src=args.src, dst=args.dst, hlim=hlim)
    mac = args.src_mac or "02:00:00:00:00:01"
    if t == 1:
        body = ICMPv6DestUnreach(code=c) / v6_embedded(args)
    elif t == 2:
        body = ICMPv6PacketTooBig(code=c, mtu=args.mtu) / v6_embedded(args)
    elif t == 3:
        body = ICMPv6TimeExceeded(code=c) / v6_embedded(args)
    elif t == 4:
        body = ICMPv6ParamProblem(code=c, ptr=6) / v6_embedded(args)
    elif t == 128:
        body = ICMPv6EchoRequest(code=c, id=ident, seq=seq, data=b"icmpwall" * (args.payload // 8))
    elif t == 129:
        body = ICMPv6EchoReply(code=c, id=ident, seq=seq, data=b"icmpwall" * (args.payload // 8))
    elif t == 130:
        body = ICMPv6MLQuery(code=c, mladdr="::")
    elif t == 131:
        body = ICMPv6MLReport(code=c, mladdr="ff02::1:ff00:1")
    elif t == 132:
        body = ICMPv6MLDone(code=c, mladdr="ff02::1:ff00:1")
    elif t == 143:
        body = ICMPv6MLReport2(res=c)
    elif t == 133:
        body = ICMPv6ND_RS(code=c) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    elif t == 134:
        # A router advertisement with a zero lifetime and a prefix that is
        # not valid for SLAAC, so accepting it changes nothing that matters.
        body = (ICMPv6ND_RA(code=c, chlim=64, routerlifetime=0) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
                / ICMPv6NDOptPrefixInfo(prefix="2001:db8:ff::", prefixlen=64, L=0, A=0,
                                        validlifetime=0, preferredlifetime=0))
    elif t == 135:
        body = ICMPv6ND_NS(code=c, tgt=args.target or args.dst) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    elif t == 136:
        body = ICMPv6ND_NA(code=c, tgt=args.target or args.src, R=0, S=0, O=0)
    elif t == 137:
        body = (ICMPv6ND_Redirect(code=c, tgt=args.gw or args.src, dst=args.orig_dst or args.src)
                / ICMPv6NDOptRedirectedHdr(pkt=bytes(v6_embedded(args))))
    else:
        body = ICMPv6Unknown(type=t, code=c, msgbody=b"\x00" * 4 + b"icmpwall")
    return ip / body


def multicast_mac(dst, v6):
    if v6:
        a = socket.inet_pton(socket.AF_INET6, dst)
        if a[0] == 0xFF:
            return "33:33:" + ":".join("%02x" % b for b in a[12:])
        return None
    a = socket.inet_pton(socket.AF_INET, dst)
    if 224 <= a[0] <= 239:
        return "01:00:5e:%02x:%02x:%02x" % (a[1] & 0x7F, a[2], a[3])
    if dst == "255.255.255.255":
        return "ff:ff:ff:ff:ff:ff"
    # A subnet's broadcast address goes to --dst-mac: a directed broadcast
    # reaches the router that owns the subnet as a unicast frame.
    return None


def send_l2(args, packets):
    dst_mac = multicast_mac(args.dst, args.v6) or args.dst_mac
    if not dst_mac:
        sys.exit("craft.py: --dst-mac is needed for a unicast destination with --iface")
    frames = [Ether(dst=dst_mac) / p for p in packets]
    start = time.monotonic()
    sock = conf.L2socket(iface=args.iface)
    try:
        for i, f in enumerate(frames):
            if i and args.interval:
                time.sleep(args.interval)
            sock.send(f)
    finally:
        sock.close()
    return time.monotonic() - start


def send_l3(args, packets):
    # Through the IP stack of the namespace: routing, neighbor resolution
    # and the output hook apply.
    if args.v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.bind((args.src, 0))
        hlim = packets[0][IPv6].hlim
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hlim)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hlim)
        payloads = [bytes(p[IPv6].payload) for p in packets]
        dest = (args.dst, 0)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        payloads = [bytes(p) for p in packets]
        dest = (args.dst, 0)
    start = time.monotonic()
    refused = 0
    try:
        for i, data in enumerate(payloads):
            if i and args.interval:
                time.sleep(args.interval)
            try:
                s.sendto(data, dest)
            except PermissionError:
                # The sending namespace's own output hook dropped it.
                refused += 1
    finally:
        s.close()
    if refused:
        print("%d packets refused by the local output hook" % refused)
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--v6", action="store_true", help="ICMPv6 (default ICMPv4)")
    ap.add_argument("--type", type=int, help="one type (with --code)")
    ap.add_argument("--code", type=int, default=0)
    ap.add_argument("--types", help="comma-separated TYPE[/CODE] list")
    ap.add_argument("--count", type=int, default=1, help="packets per type")
    ap.add_argument("--interval", type=float, default=0.0, help="seconds between packets")
    ap.add_argument("--hlim", type=int, help="TTL / hop limit (default 64; ND 255, MLD 1)")
    ap.add_argument("--gw", help="redirect: the better first hop")
    ap.add_argument("--target", help="neighbor solicitation/advertisement target")
    ap.add_argument("--orig-dst", help="destination of the datagram embedded in errors")
    ap.add_argument("--mtu", type=int, default=1280, help="frag-needed / packet-too-big MTU")
    ap.add_argument("--id", type=int, default=0x1c3d, help="echo/timestamp/... identifier")
    ap.add_argument("--random-id", action="store_true", help="a fresh identifier per packet")
    ap.add_argument("--payload", type=int, default=16, help="echo payload bytes (multiple of 8)")
    ap.add_argument("--ip-options", type=int, default=0,
                    help="IPv4: bytes of NOP options in the IP header (multiple of 4, at most 40)")
    ap.add_argument("--iface", help="send frames on this interface (else via the IP stack)")
    ap.add_argument("--dst-mac", help="with --iface: the next hop's MAC")
    ap.add_argument("--src-mac", help="source link-layer option of ND messages")
    args = ap.parse_args()

    if args.types:
        kinds = parse_types(args.types)
    elif args.type is not None:
        kinds = [(args.type, args.code)]
    else:
        ap.error("give --type or --types")
    if args.ip_options % 4 or not 0 <= args.ip_options <= 40:
        ap.error("--ip-options must be a multiple of 4, 0..40")
    if args.count < 1 or args.count > 100000:
        ap.error("--count must be 1..100000")

    build = build_v6 if args.v6 else build_v4
    packets = []
    for t, c in kinds:
        for seq in range(args.count):
            packets.append(build(args, t, c, seq + 1))

    elapsed = send_l2(args, packets) if args.iface else send_l3(args, packets)
    print("sent %d packets in %.3f seconds" % (len(packets), elapsed))


if __name__ == "__main__":
    main()
