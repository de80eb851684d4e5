#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Sends one fragmented ICMP or ICMPv6 echo request and counts the replies.

Run inside a test namespace:

    ip netns exec NS python3 fragments.py --family 4 --src 198.18.1.2 \
        --dst 198.18.2.2 --size 65600 --wait 2

--size is the length of the datagram's fragmentable part (ICMP header and
data; for IPv4 the IP header's 20 bytes come on top). Up to 65515 (IPv4) /
65535 (IPv6) it is an echo request any receiver can reassemble; beyond,
its fragments reassemble past the 65535 bytes an IP datagram may have: a
"ping of death", which a receiver must refuse. Fragments carry 1232 bytes
of it each (the IPv6 minimum MTU's worth), sent through the IP stack of the
namespace (raw socket), so the source must be one of its addresses.

Prints `sent N fragments`, then `replies R errors E`: R echo replies with
the request's identifier, E ICMP errors (e.g. ICMPv6 parameter problem,
which an IPv6 receiver sends for a fragment that ends past 65535), both
counted for --wait seconds after the last fragment.
"""

import argparse
import sys
import time

from scapy.all import IP, IPv6, ICMP, Raw, conf, send, AsyncSniffer  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoRequest, ICMPv6EchoReply, IPv6ExtHdrFragment, ICMPv6ParamProblem, in6_chksum,
)

conf.verb = 0
CHUNK = 1232  # a multiple of 8


def v4_fragments(args):
    icmp = ICMP(type=8, code=0, id=args.id, seq=1) / Raw(b"F" * (args.size - 8))
    body = bytes(icmp)  # checksum computed over the whole message
    out = []
    for off in range(0, len(body), CHUNK):
        chunk = body[off:off + CHUNK]
        more = off + CHUNK < len(body)
        out.append(IP(src=args.src, dst=args.dst, id=args.id, proto=1, flags="MF" if more else 0,
                      frag=off // 8) / Raw(chunk))
    return out


def v6_fragments(args):
    # The checksum over the pseudo header, computed here: scapy's IPv6
    # layer cannot hold a payload length past 65535.
    echo = bytearray(bytes(ICMPv6EchoRequest(id=args.id, seq=1, cksum=0, data=b"F" * (args.size - 8))))
    cksum = in6_chksum(58, IPv6(src=args.src, dst=args.dst), bytes(echo))
    echo[2:4] = cksum.to_bytes(2, "big")
    body = bytes(echo)
    out = []
    for off in range(0, len(body), CHUNK):
        chunk = body[off:off + CHUNK]
        more = off + CHUNK < len(body)
        out.append(IPv6(src=args.src, dst=args.dst, nh=44) /
                   IPv6ExtHdrFragment(nh=58, offset=off // 8, m=1 if more else 0, id=args.id) /
                   Raw(chunk))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["4", "6"], required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--id", type=int, default=0x4d2)
    ap.add_argument("--wait", type=float, default=2.0)
    args = ap.parse_args()
    if args.size < 8 or args.size > 200000:
        sys.exit("--size must be 8..200000")

    v4 = args.family == "4"
    frags = v4_fragments(args) if v4 else v6_fragments(args)

    def reply(p):
        if v4:
            return p.haslayer(ICMP) and p[ICMP].type == 0 and p[ICMP].id == args.id
        return p.haslayer(ICMPv6EchoReply) and p[ICMPv6EchoReply].id == args.id

    def error(p):
        if v4:
            return p.haslayer(ICMP) and p[ICMP].type in (3, 11, 12)
        return p.haslayer(ICMPv6ParamProblem)

    iface = (conf.route if v4 else conf.route6).route(args.dst)[0]
    sniffer = AsyncSniffer(iface=iface, filter="icmp" if v4 else "icmp6", store=True)
    sniffer.start()
    time.sleep(0.3)  # the capture is open before the first fragment leaves
    for f in frags:
        send(f)
    print(f"sent {len(frags)} fragments", flush=True)
    time.sleep(args.wait)
    got = sniffer.stop() or []
    print(f"replies {sum(1 for p in got if reply(p))} errors {sum(1 for p in got if error(p))}")


if __name__ == "__main__":
    main()
