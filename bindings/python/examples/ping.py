#!/usr/bin/python3
"""ping in Python: bench/lang/ping.c's measurement through this package, against
rtipc-pong (scripts/bench-lang runs it). Same options, same JSON line (lang
"python"). A message is written and published with Producer.send, one call
as C's memcpy and rtipc_produce; produce_view_ns is the other way, packing
into the msg view and then produce() (a view made and released per message).

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
    produce, consume, send = out.produce, inbox.consume, out.send
    pack = struct.Struct("=Q").pack
    pack_into, unpack_from = struct.Struct("=Q").pack_into, struct.Struct("=Q").unpack_from
    now = time.perf_counter_ns  # CLOCK_MONOTONIC on Linux
    new = rtipc.Consumed.NEW

    def roundtrip(seq):
        send(pack(seq))
        while True:
            if consume() >= new and unpack_from(inbox.msg)[0] == seq:
                return

    for i in range(1000):  # warm up both sides
        roundtrip(i)

    start = now()
    for _ in range(calls):
        consume()
    consume_ns = (now() - start) / calls

    burst = 1 << 40  # apart from the round trips' numbers
    data = pack(burst)
    start = now()
    for _ in range(calls):
        send(data)
    produce_ns = (now() - start) / calls
    start = now()
    for _ in range(calls):
        pack_into(out.msg, 0, burst)
        produce()
    produce_view_ns = (now() - start) / calls
    roundtrip(burst + 1)  # comes back after every echo of the burst

    rtt = [0] * roundtrips
    for i in range(roundtrips):
        start = now()
        roundtrip(i + 1000)
        rtt[i] = now() - start
    out.msg[:8] = b"\xff" * 8
    produce()
    rtt.sort()

    def pct(permille):  # the index ping.c takes
        return rtt[len(rtt) * permille // 1000]

    print(json.dumps({
        "lang": "python", "extension": rtipc._lib.fast is not None, "size": size, "calls": calls,
        "consume_empty_ns": round(consume_ns, 2), "produce_ns": round(produce_ns, 2),
        "produce_view_ns": round(produce_view_ns, 2),
        "roundtrips": roundtrips, "rtt_p50_ns": pct(500), "rtt_p99_ns": pct(990),
        "rtt_p999_ns": pct(999), "oneway_p50_ns": pct(500) / 2,
    }, separators=(",", ":")))
    out.close()
    inbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
