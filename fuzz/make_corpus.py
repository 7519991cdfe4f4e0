#!/usr/bin/env python3
"""Writes the seed corpus: the docs/protocol.md section 9 request and every bad
request the hostile handshake tests send. Run from anywhere; writes next to
this script in corpus/."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def request(magic=0x1F0C, version=2, cacheline=64, atomic=4, group_info=b"",
            group_info_size=None, count_a=1, count_b=2, entries=None, infos=None):
    if entries is None:
        entries = [(0, 16, 1, 12), (0, 12, 1, 13), (10, 8, 1, 10)]
    if infos is None:
        infos = b"rpc command\0rpc response\0rpc event\0"
    if group_info_size is None:
        group_info_size = len(group_info)
    out = struct.pack("<HHHHIII", magic, version, cacheline, atomic, group_info_size,
                      count_a, count_b)
    for e in entries:
        out += struct.pack("<IIII", *e)
    return out + group_info + infos


def main():
    example = request()
    assert len(example) == 103
    big = [(100, 64 << 20, 1, 0)] * 3
    seeds = {
        "example": example,
        "example-group-info": request(group_info=b"group-info"),
        "one-channel-no-eventfd": request(count_a=1, count_b=0, entries=[(0, 4, 0, 0)], infos=b""),
        "cacheline-8": request(cacheline=8),
        "cacheline-4096": request(cacheline=4096),
        "empty": b"",
        "short-header": example[:10],
        "truncated": example[:-5],
        "stray-bytes": example + b"\0",
        "wrong-magic": request(magic=0x0C1F),
        "wrong-version": request(version=1),
        "wrong-atomic-size": request(atomic=8),
        "bad-cacheline": request(cacheline=48),
        "no-channels": request(count_a=0, count_b=0, entries=[], infos=b""),
        "table-overruns": request(count_a=100),
        "counts-overflow": request(count_a=0xFFFFFFFF),
        "msg-size-0": request(entries=[(0, 16, 1, 12), (0, 0, 1, 13), (10, 8, 1, 10)]),
        "msg-size-huge": request(entries=[(0, 0xFFFFFFFF, 1, 12), (0, 12, 1, 13), (10, 8, 1, 10)]),
        "absurd-slots": request(entries=[(0, 16, 1, 12), (0, 12, 1, 13), (0xFFFFFFF0, 8, 1, 10)]),
        "region-overflows": request(entries=big, infos=b""),
        "eventfd-flag-2": request(entries=[(0, 16, 2, 12), (0, 12, 1, 13), (10, 8, 1, 10)]),
        "info-past-end": request(entries=[(0, 16, 1, 12), (0, 12, 1, 13), (10, 8, 1, 1000)]),
        "info-size-huge": request(entries=[(0, 16, 1, 0xFFFFFFFF), (0, 12, 1, 13), (10, 8, 1, 10)]),
        "group-info-past-end": request(group_info_size=40),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
