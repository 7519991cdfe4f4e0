#!/usr/bin/python3
"""rtipc-holder in Python: the command line and commands of holder.c (one
end of a group that stays up while a test looks at it), over the Python
binding."""
import os
import sys

import rtipc


def channel(text, info):
    size, add, ev = (int(x) for x in text.split(":"))
    return rtipc.ChannelConfig(size, add_msgs=add, eventfd=bool(ev), info=info)


def main(argv):
    mode, path, rest = argv[1], argv[2], argv[3:]
    producers, consumers, info = [], [], b""
    for flag, value in zip(rest[::2], rest[1::2]):
        if flag == "-p":
            producers.append(channel(value, f"out{len(producers)}".encode()))
        elif flag == "-c":
            consumers.append(channel(value, f"in{len(consumers)}".encode()))
        elif flag == "-i":
            info = value.encode()
        else:
            return 1
    rtipc.set_log(rtipc.LOG_NONE)
    if mode == "server":
        with rtipc.Server(path) as server:
            print("listening", flush=True)
            group = server.accept(timeout=20)
    else:
        group = rtipc.connect(path, producers=producers, consumers=consumers, info=info,
                              timeout=20)
    outs = [group.take_producer(i) for i in range(group.producer_count)]
    ins = [group.take_consumer(i) for i in range(group.consumer_count)]
    print(f"ready {os.getpid()}", flush=True)
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            break
        verb, index, count = words[0], int(words[1]), int(words[2])
        done = 0
        if verb == "produce":
            for k in range(count):
                done += outs[index].try_produce() == rtipc.Produced.PUBLISHED
        elif verb == "consume":
            for k in range(count):
                done += ins[index].consume().is_new
        else:
            return 3
        print(f"ok {done}", flush=True)
    for ch in outs + ins:
        ch.close()
    group.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
