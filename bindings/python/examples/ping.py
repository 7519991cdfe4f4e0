#!/usr/bin/python3
"""ping in Python: bench/lang/ping.c's measurement through this package, against
rtipc-pong (scripts/bench-lang runs it). Same options, same JSON line (lang
"python"). A message is written and published with Producer.send, one call
as C's memcpy and rtipc_produce; produce_view_ns is the other way, packing
into the msg view and then produce() (a view made and released per message).
Then, in a second session whose echo channel has an eventfd, wake-up round
trips that sleep in an rtipc.Waitset until the echo is there.

usage: ping.py SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]
"""
import getopt
import json
import struct
import sys
import time

import _path  # noqa: F401
import rtipc


def wake_session(path, size, wakeups):
    """The second session, its echo channel with an eventfd (pong's produce
    signals it): wakeups round trips that sleep in a waitset, sorted."""
    with rtipc.connect(path, producers=[rtipc.ChannelConfig(size)],
                       consumers=[rtipc.ChannelConfig(size, eventfd=True)], timeout=5) as group:
        out, inbox = group.take_producer(0), group.take_consumer(0)
    send, consume = out.send, inbox.consume
    pack, unpack_from = struct.Struct("=Q").pack, struct.Struct("=Q").unpack_from
    now = time.perf_counter_ns
    new = rtipc.Consumed.NEW
    waitset = rtipc.Waitset()
    waitset.add_consumer(inbox, 0)
    wait = waitset.wait

    def roundtrip(seq):
        send(pack(seq))
        while True:
            if not wait(5):
                raise TimeoutError("no echo within 5 s")
            while consume() >= new:
                if unpack_from(inbox.msg)[0] == seq:
                    return

    for i in range(100):  # warm up
        roundtrip(i)
    rtt = [0] * wakeups
    for i in range(wakeups):
        start = now()
        roundtrip(i + 100)
        rtt[i] = now() - start
    out.msg[:8] = b"\xff" * 8
    out.produce()
    waitset.remove_consumer(inbox)
    waitset.close()
    out.close()
    inbox.close()
    return sorted(rtt)


def main(argv):
    roundtrips, size, calls, wakeups = 100000, 16, 1000000, 2000
    try:
        opts, args = getopt.gnu_getopt(argv, "n:s:c:w:h")
        for opt, value in opts:
            if opt == "-n":
                roundtrips = int(value)
            elif opt == "-s":
                size = int(value)
            elif opt == "-c":
                calls = int(value)
            elif opt == "-w":
                wakeups = int(value)
            else:
                raise ValueError(opt)
        if len(args) != 1 or roundtrips < 1 or size < 8 or calls < 1 or wakeups < 1:
            raise ValueError(argv)
    except (getopt.GetoptError, ValueError):
        print("usage: ping.py SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]",
              file=sys.stderr)
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
    out.close()
    inbox.close()
    rtt.sort()
    wake = wake_session(args[0], size, wakeups)

    def pct(permille, rtt=rtt):  # the index ping.c takes
        return rtt[len(rtt) * permille // 1000]

    print(json.dumps({
        "lang": "python", "extension": rtipc._lib.fast is not None, "size": size, "calls": calls,
        "consume_empty_ns": round(consume_ns, 2), "produce_ns": round(produce_ns, 2),
        "produce_view_ns": round(produce_view_ns, 2),
        "roundtrips": roundtrips, "rtt_p50_ns": pct(500), "rtt_p99_ns": pct(990),
        "rtt_p999_ns": pct(999), "oneway_p50_ns": pct(500) / 2, "wakeups": wakeups,
        "wakeup_rtt_p50_ns": pct(500, wake), "wakeup_rtt_p99_ns": pct(990, wake),
    }, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
