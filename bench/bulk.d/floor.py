#!/usr/bin/env python3
"""The pipelined floor of FOU port adds (bench/bulk).

    floor.py NETNS COUNT FIRST_PORT

Enters network namespace NETNS (/run/netns/NETNS), resolves the generic-netlink family id
of "fou" (CTRL_CMD_GETFAMILY), builds COUNT FOU_CMD_ADD requests (ports FIRST_PORT..,
AF_INET, FOU_ENCAP_DIRECT, ipproto 4: the attributes rfou sends for `add port P ipproto 4`)
and sends them 64 per sendmsg, asking for an ack only on the last request of each 64, and
waits for that ack before the next 64.

Prints the seconds from the first sendmsg to the last ack (time.perf_counter): the time the
kernel needs for the requests, with nothing of a tool's own around it (no process start,
no parsing, no family look-up). Exits 1 if the kernel refused any request.
"""

import ctypes
import os
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 2
NLMSG_DONE = 3
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
FOU_CMD_ADD = 1
FOU_GENL_VERSION = 1
FOU_ATTR_PORT = 1
FOU_ATTR_AF = 2
FOU_ATTR_IPPROTO = 3
FOU_ATTR_TYPE = 4
FOU_ENCAP_DIRECT = 1
CLONE_NEWNET = 0x40000000
WINDOW = 64


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def message(kind, flags, seq, cmd, version, attrs):
    body = struct.pack("=BBH", cmd, version, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def messages(data):
    """Yields (type, flags, seq, payload) for each netlink message in one datagram."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind, flags, seq, _pid = struct.unpack_from("=IHHII", data, offset)
        if length < 16:
            break
        yield kind, flags, seq, data[offset + 16 : offset + length]
        offset += (length + 3) & ~3


def attrs_of(payload):
    out = {}
    offset = 0
    while offset + 4 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, offset)
        if length < 4:
            break
        out[kind & 0x3FFF] = payload[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    return out


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join("/run/netns", name), os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        sys.exit(f"floor.py: setns {name}: {os.strerror(err)}")
    os.close(fd)


def family_id(sock):
    sock.send(
        message(
            GENL_ID_CTRL,
            NLM_F_REQUEST,
            1,
            CTRL_CMD_GETFAMILY,
            1,
            attr(CTRL_ATTR_FAMILY_NAME, b"fou\0"),
        )
    )
    while True:
        for kind, _flags, _seq, payload in messages(sock.recv(65536)):
            if kind == NLMSG_ERROR:
                (error,) = struct.unpack_from("=i", payload)
                sys.exit(f"floor.py: CTRL_CMD_GETFAMILY fou: {os.strerror(-error)}")
            if kind == GENL_ID_CTRL:
                found = attrs_of(payload[4:]).get(CTRL_ATTR_FAMILY_ID)
                if found is not None:
                    return struct.unpack("=H", found[:2])[0]


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: floor.py NETNS COUNT FIRST_PORT")
    netns, count, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    enter_netns(netns)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.bind((0, 0))
    family = family_id(sock)

    # Every request is built before the clock starts, one datagram per window of 64.
    windows = []
    seq = 100
    for start in range(0, count, WINDOW):
        size = min(WINDOW, count - start)
        parts = []
        for i in range(size):
            seq += 1
            attrs = (
                attr(FOU_ATTR_PORT, struct.pack("!H", first + start + i))
                + attr(FOU_ATTR_AF, struct.pack("=B", socket.AF_INET))
                + attr(FOU_ATTR_TYPE, struct.pack("=B", FOU_ENCAP_DIRECT))
                + attr(FOU_ATTR_IPPROTO, struct.pack("=B", 4))
            )
            flags = NLM_F_REQUEST | (NLM_F_ACK if i == size - 1 else 0)
            parts.append(message(family, flags, seq, FOU_CMD_ADD, FOU_GENL_VERSION, attrs))
        windows.append((b"".join(parts), seq))

    failures = []
    start = time.perf_counter()
    for datagram, last in windows:
        sock.send(datagram)
        acked = False
        while not acked:
            for kind, _flags, seq, payload in messages(sock.recv(65536)):
                if kind != NLMSG_ERROR:
                    continue
                (error,) = struct.unpack_from("=i", payload)
                if error != 0:
                    failures.append((seq, -error))
                if seq == last:
                    acked = True
    elapsed = time.perf_counter() - start

    if failures:
        seq, errno = failures[0]
        sys.exit(
            f"floor.py: {len(failures)} request(s) refused, the first (seq {seq}): "
            f"{os.strerror(errno)}"
        )
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
