#!/usr/bin/python3
"""ping in Python: bench/ping.c's measurement through this package, against
rtipc-pong (scripts/bench-lang runs it). Same options, same JSON line (lang
"python").

usage: ping.py SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS]
"""
import getopt
import json
import struct
import sys
import time

import _path  # noqa: F401
import rtipc


def main(argv):
    roundtrips, size, calls = 100000, 16, 1000000
    try:
        opts, args = getopt.gnu_getopt(argv, "n:s:c:h")
        for opt, value in opts:
            if opt == "-n":
                roundtrips = int(value)
            elif opt == "-s":
                size = int(value)
            elif opt == "-c":
                calls = int(value)
            else:
                raise ValueError(opt)
        if len(args) != 1 or roundtrips < 1 or size < 8 or calls < 1:
            raise ValueError(argv)
    except (getopt.GetoptError, ValueError):
        print("usage: ping.py SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS]", file=sys.stderr)
        return 1

    channel = rtipc.ChannelConfig(size)
    with rtipc.connect(args[0], producers=[channel], consumers=[channel], timeout=5) as group:
        out, inbox = group.take_producer(0), group.take_consumer(0)
    produce, consume = out.produce, inbox.consume
    pack_into, unpack_from = struct.Struct("=Q").pack_into, struct.Struct("=Q").unpack_from
    now = time.perf_counter_ns  # CLOCK_MONOTONIC on Linux
    seq = 0

    def roundtrip():
        nonlocal seq
        seq += 1
        pack_into(out.msg, 0, seq)
        produce()
        while True:
            if consume() >= rtipc.Consumed.NEW and unpack_from(inbox.msg)[0] == seq:
                return

    for _ in range(10000):
        roundtrip()

    start = now()
    for _ in range(calls):
        consume()
    consume_ns = (now() - start) / calls

    start = now()
    for _ in range(calls):
        produce()
    produce_ns = (now() - start) / calls
    roundtrip()  # drains the echoes of the burst

    rtt = [0] * roundtrips
    for i in range(roundtrips):
        start = now()
        roundtrip()
        rtt[i] = now() - start
    out.msg[:8] = b"\xff" * 8
    produce()
    rtt.sort()

    def pct(q):
        return rtt[min(int(q * len(rtt)), len(rtt) - 1)]

    print(json.dumps({
        "lang": "python", "size": size, "calls": calls,
        "consume_empty_ns": round(consume_ns, 2), "produce_ns": round(produce_ns, 2),
        "roundtrips": roundtrips, "rtt_p50_ns": pct(0.5), "rtt_p99_ns": pct(0.99),
        "rtt_p999_ns": pct(0.999), "oneway_p50_ns": pct(0.5) / 2,
    }, separators=(",", ":")))
    out.close()
    inbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
