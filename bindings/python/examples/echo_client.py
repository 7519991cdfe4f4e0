#!/usr/bin/python3
"""rtipc-echo-client in Python: the command line, messages, output and exit
status of examples/echo-client.c. Offers one channel each way, sends COUNT
numbered messages with at most WINDOW in flight, and checks that every echo
comes back in order, byte for byte. Message i holds the uint64 i at offset 0
and the byte (i * 7 + j) mod 256 at every offset j >= 8; the end marker has
0xFF in its first 8 bytes and 0xEE in the rest.

Exit status: 0 ok, 1 usage, 2 connect failed or rejected, 3 timeout (no
progress for TIMEOUT_S seconds, or the server exited), 4 mismatch or queue
error.
"""
import getopt
import struct
import sys
import time

import _path  # noqa: F401
import rtipc

EXIT_USAGE, EXIT_CONNECT, EXIT_TIMEOUT, EXIT_MISMATCH = 1, 2, 3, 4
quiet = False


def say(text):
    if not quiet:
        print("echo-client: " + text, file=sys.stderr)


class Session:
    def __init__(self, out, inbox, size, timeout_s):
        self.out, self.inbox, self.size, self.timeout_s = out, inbox, size, timeout_s
        self.ramp = bytes(k & 0xFF for k in range(size + 256))
        self.last_progress = time.monotonic()
        try:
            inbox.fileno()
            self.has_eventfd = True
        except rtipc.NotSupported:
            self.has_eventfd = False

    def message(self, i):
        start = (i * 7 + 8) % 256
        return struct.pack("=Q", i) + self.ramp[start:start + self.size - 8]

    def end_marker(self):
        return b"\xff" * 8 + b"\xee" * (self.size - 8)

    def send(self):
        """Publishes the message in place: 0, -1 when full, or an exit status."""
        try:
            r = self.out.try_produce()
        except rtipc.Error as e:
            say(f"produce: {e.strerror}")
            return EXIT_MISMATCH
        if r == rtipc.Produced.PUBLISHED:
            return 0
        if r == rtipc.Produced.QUEUE_FULL:
            return EXIT_TIMEOUT if time.monotonic() - self.last_progress > self.timeout_s else -1
        say("produce: discarded a message")
        return EXIT_MISMATCH

    def receive(self, expected, what):
        idle_polls = 0
        server_gone = False
        while True:
            try:
                r = self.inbox.consume()
            except rtipc.Error as e:
                say(f"consume: {e.strerror}")
                return EXIT_MISMATCH
            if r == rtipc.Consumed.NEW:
                if self.inbox.msg[:self.size] != expected:
                    say(f"echo of {what} differs from what was sent")
                    return EXIT_MISMATCH
                self.last_progress = time.monotonic()
                return 0
            if r == rtipc.Consumed.NEW_AFTER_GAP:
                say("consume: echoes were lost")
                return EXIT_MISMATCH
            if time.monotonic() - self.last_progress > self.timeout_s:
                say(f"no echo of {what} within {self.timeout_s} s")
                return EXIT_TIMEOUT
            if self.has_eventfd:
                try:
                    self.inbox.wait_blocking(0.1)
                except rtipc.PeerGone:
                    say(f"the server went away before the echo of {what}")
                    return EXIT_TIMEOUT
                except rtipc.Error as e:
                    say(f"wait: {e.strerror}")
                    return EXIT_MISMATCH
            elif server_gone:
                # Gone before the consume above, which found nothing.
                say(f"the server went away before the echo of {what}")
                return EXIT_TIMEOUT
            else:
                # A polling consumer cannot sleep on the peer's exit: look
                # now and then, then consume once more before giving up.
                idle_polls += 1
                if idle_polls % 4096 == 0:
                    try:
                        server_gone = not self.inbox.peer_alive
                    except rtipc.NotSupported:
                        pass


def exchange(s, count, window, no_marker, no_marker_wait):
    sent = echoed = 0
    while echoed < count:
        if sent < count and sent - echoed < window:
            s.out.msg[:s.size] = s.message(sent)
            err = s.send()
            if err > 0:
                return err
            if err == 0:
                sent += 1
                continue
            if sent == echoed:
                continue  # full with nothing in flight: the server is behind
        err = s.receive(s.message(echoed), f"message {echoed}")
        if err:
            return err
        echoed += 1
    if no_marker:
        return 0
    s.out.msg[:s.size] = s.end_marker()
    while True:
        err = s.send()
        if err >= 0:
            break
    if err or no_marker_wait:
        return err
    return s.receive(s.end_marker(), "the end marker")


def run(path, count, size, add_msgs, eventfd, window, timeout_s, no_marker, no_marker_wait):
    def channel(info):
        return rtipc.ChannelConfig(size, add_msgs=add_msgs, eventfd=bool(eventfd), info=info)

    try:
        group = rtipc.connect(path, producers=[channel(b"echo c2s")],
                              consumers=[channel(b"echo s2c")], info=b"echo",
                              timeout=timeout_s)
    except rtipc.Error as e:
        say(f"connect to {path}: {e.strerror}")
        return EXIT_TIMEOUT if isinstance(e, rtipc.TimedOut) else EXIT_CONNECT
    with group, group.take_producer(0) as out, group.take_consumer(0) as inbox:
        s = Session(out, inbox, size, timeout_s)
        start = time.monotonic()
        s.last_progress = start
        status = exchange(s, count, window, no_marker, no_marker_wait)
        elapsed = time.monotonic() - start
    if status == 0:
        each = elapsed * 1e6 / count if count else 0.0
        print(f"echo-client: OK {count} messages echoed ({elapsed:.3f} s, "
              f"{count / elapsed:.0f} round trips/s, {each:.2f} us each)")
    return status


def usage():
    print("usage: rtipc-echo-client SOCKET [-k COUNT] [-s SIZE] [-a ADD_MSGS] "
          "[-e 0|1] [-w WINDOW] [-t TIMEOUT_S] [-q] [-x] [-M]", file=sys.stderr)
    return EXIT_USAGE


def parse_int(text, minimum, maximum):
    value = int(text, 10)
    if not minimum <= value <= maximum:
        raise ValueError(text)
    return value


def main(argv):
    global quiet
    o = dict(count=1000, size=64, add_msgs=0, eventfd=1, window=1, timeout_s=10,
             no_marker=False, no_marker_wait=False)
    ranges = {"-k": ("count", 0, 2**62 - 1), "-s": ("size", 8, 64 << 20),
              "-a": ("add_msgs", 0, 1 << 20), "-e": ("eventfd", 0, 1),
              "-w": ("window", 1, 1 << 30), "-t": ("timeout_s", 1, 1 << 20)}
    try:
        opts, args = getopt.gnu_getopt(argv, "k:s:a:e:w:t:qxMh")
        for opt, value in opts:
            if opt in ranges:
                name, lo, hi = ranges[opt]
                o[name] = parse_int(value, lo, hi)
            elif opt == "-q":
                quiet = True
            elif opt == "-x":
                o["no_marker"] = True
            elif opt == "-M":
                o["no_marker_wait"] = True
            else:
                return usage()
    except (getopt.GetoptError, ValueError):
        return usage()
    if len(args) != 1:
        return usage()
    if quiet:
        rtipc.set_log(rtipc.LOG_NONE)
    return run(args[0], **o)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
