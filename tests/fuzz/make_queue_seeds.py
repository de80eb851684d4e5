#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the seeds of queue_datagram_fuzz into tests/fuzz/corpus/queue_datagram/:
datagrams of an nfnetlink_queue socket laid out the way the kernel sends them
(nfqnl_build_packet_message: the packet header, interfaces, mark, hardware
address, cap length, payload), and a few whose lengths lie.

    python3 tests/fuzz/make_queue_seeds.py
"""
import os
import struct

NFNL_SUBSYS_QUEUE, NFQNL_MSG_PACKET = 3, 0
NLMSG_ERROR = 2
AF_INET, AF_INET6 = 2, 10
NFQA_PACKET_HDR, NFQA_MARK, NFQA_IFINDEX_INDEV, NFQA_HWADDR = 1, 3, 5, 9
NFQA_PAYLOAD, NFQA_CAP_LEN, NFQA_SKB_INFO = 10, 13, 14


def align(n):
    return (n + 3) & ~3


def attr(kind, value):
    return struct.pack("=HH", 4 + len(value), kind) + value + b"\0" * (align(len(value)) - len(value))


def message(kind, body, length=None, seq=0):
    """A netlink message; `length` overrides nlmsg_len (the bytes stay)."""
    real = 16 + len(body)
    return struct.pack("=IHHII", real if length is None else length, kind, 0, seq, 0) + body


def icmp_echo_v4(data=b"icmpwall"):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    return ip + icmp


def icmp_echo_v6(data=b"icmpwall"):
    icmp = struct.pack("!BBHHH", 128, 0, 0, 0x1234, 1) + data
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB", 0x60000000, len(icmp), 58, 64) + src + dst + icmp


def packet(packet_id, payload, family=AF_INET, hw_protocol=0x0800, cap_len=None,
           length=None, payload_attr_len=None):
    """The kernel's layout: the payload last, its padding left out."""
    body = struct.pack("!BBH", family, 0, 7)  # nfgenmsg: queue 7
    body += attr(NFQA_PACKET_HDR, struct.pack("!IHB", packet_id, hw_protocol, 1))
    body += attr(NFQA_IFINDEX_INDEV, struct.pack("!I", 2))
    body += attr(NFQA_MARK, struct.pack("!I", 0x10))
    body += attr(NFQA_HWADDR, struct.pack("!HH8s", 6, 0, bytes.fromhex("020000000001")))
    if cap_len is not None:
        body += attr(NFQA_CAP_LEN, struct.pack("!I", cap_len))
    body += attr(NFQA_SKB_INFO, struct.pack("!I", 0))
    p = attr(NFQA_PAYLOAD, payload)
    if payload_attr_len is not None:  # an attribute length that lies
        p = struct.pack("=HH", payload_attr_len, NFQA_PAYLOAD) + p[4:]
    body += p[:4 + len(payload)]
    return message((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET, body, length)


def error(code, seq):
    """An NLMSG_ERROR: the errno (0: an ack) and the request's header."""
    return message(NLMSG_ERROR, struct.pack("=i", code) + struct.pack("=IHHII", 32, 0x0302, 0, seq, 0), seq=seq)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "queue_datagram")
    os.makedirs(out, exist_ok=True)
    v4 = icmp_echo_v4()
    v6 = icmp_echo_v6()
    # A last message that says it is 3 bytes shorter than its payload
    # attribute, its padding missing: libmnl reads attributes up to the
    # rounded length, 3 bytes past the datagram's end.
    unaligned = packet(3, icmp_echo_v4(b"icmpwall"))
    unaligned = packet(3, icmp_echo_v4(b"icmpwall"), length=len(unaligned) - 3)[:len(unaligned) - 3]
    seeds = {
        "echo_v4": packet(1, v4),
        "odd_payload": packet(1, icmp_echo_v4(b"icmp")) + packet(2, icmp_echo_v4(b"icmpwall!")),
        "echo_v6": packet(1, v6, family=AF_INET6, hw_protocol=0x86DD),
        "two_packets": packet(1, v4) + packet(2, v6, family=AF_INET6, hw_protocol=0x86DD),
        "truncated_payload": packet(1, v4[:24], cap_len=len(v4)),
        "ack_error_packet": error(0, 5) + error(-1, 6) + packet(9, v4),
        "unaligned_last_message": packet(1, v4) + unaligned,
        "length_2gib": packet(1, v4, length=0x80000000),
        "length_4gib_minus_1": packet(1, v4) + packet(2, v4, length=0xFFFFFFFF),
        "payload_past_message": packet(1, v4, payload_attr_len=len(v4) + 4 + 64),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
