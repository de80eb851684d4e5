#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Records the nftables ruleset of the current network namespace as the raw
netlink messages the kernel sends for a dump, the way icmpwall's audit asks
for it (src/audit/dump.cpp): tables, chains, sets, each set's elements,
objects, rules, of every family. The answers are written back to back (each
padded to 4 bytes, without the NLMSG_DONE that ends each dump): the input
format of audit::decode_dump_messages and of the audit_decode fuzz target.

    ip netns exec NS python3 tests/fuzz/record_dump.py OUT

Needs CAP_NET_ADMIN in the namespace. Used by tests/fuzz/make_audit_seeds.sh.
"""
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETRULE = 1, 4, 7
NFT_MSG_NEWSET, NFT_MSG_GETSET, NFT_MSG_GETSETELEM, NFT_MSG_GETOBJ = 9, 10, 13, 19
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NFTA_SET_TABLE, NFTA_SET_NAME = 1, 2  # also NFTA_SET_ELEM_LIST_TABLE, _SET


def align(n):
    return (n + 3) & ~3


def attr(kind, value):
    return struct.pack("=HH", 4 + len(value), kind) + value + b"\0" * (align(len(value)) - len(value))


def attrs(payload):
    """{type: bytes} of the attributes after a message's nfgenmsg."""
    out, pos = {}, 4
    while pos + 4 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, pos)
        if length < 4:
            break
        out[kind & 0x3FFF] = payload[pos + 4:pos + length]
        pos += align(length)
    return out


class Dumper:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.bind((0, 0))
        self.sock.settimeout(10)
        self.seq = 1

    def dump(self, msg, family=0, payload=b""):
        """Every answer message (header included) of one dump request."""
        body = struct.pack("=BBH", family, 0, 0) + payload
        kind = (NFNL_SUBSYS_NFTABLES << 8) | msg
        self.seq += 1
        self.sock.send(struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_DUMP,
                                   self.seq, 0) + body)
        messages = []
        while True:
            data = self.sock.recv(1 << 20)
            pos = 0
            while pos + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, pos)
                if length < 16:
                    raise RuntimeError("malformed netlink message")
                if kind == NLMSG_DONE:
                    return messages
                if kind == NLMSG_ERROR:
                    (error,) = struct.unpack_from("=i", data, pos + 16)
                    if error:
                        raise OSError(-error, f"netlink dump {msg}")
                else:
                    messages.append(data[pos:pos + length] + b"\0" * (align(length) - length))
                pos += align(length)


def main():
    d = Dumper()
    tables = d.dump(NFT_MSG_GETTABLE)
    chains = d.dump(NFT_MSG_GETCHAIN)
    sets = d.dump(NFT_MSG_GETSET)
    elements = []
    for m in sets:
        a = attrs(m[16:])
        family = m[16]
        query = attr(NFTA_SET_TABLE, a[NFTA_SET_TABLE]) + attr(NFTA_SET_NAME, a[NFTA_SET_NAME])
        elements += d.dump(NFT_MSG_GETSETELEM, family, query)
    objects = d.dump(NFT_MSG_GETOBJ)
    rules = d.dump(NFT_MSG_GETRULE)
    with open(sys.argv[1], "wb") as out:
        for m in tables + chains + sets + elements + objects + rules:
            out.write(m)


if __name__ == "__main__":
    main()
