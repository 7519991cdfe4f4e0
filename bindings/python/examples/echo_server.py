#!/usr/bin/python3
"""rtipc-echo-server in Python: the command line, behaviour and exit status of
examples/echo-server.c. Serves echo clients one after another; each must
offer one channel each way with messages of at least 8 bytes. Every new
message comes back; one whose first 8 bytes are all 0xFF is echoed too and
ends the session.

Exit status: 0 ok, 1 usage or setup, 2 accept failed or rejected, 3 idle
timeout (or the client exited without the end marker), 4 queue error.
"""
import getopt
import os
import stat
import sys
import time

import _path  # noqa: F401
import rtipc

EXIT_USAGE, EXIT_ACCEPT, EXIT_IDLE, EXIT_QUEUE = 1, 2, 3, 4
END_MARKER = b"\xff" * 8
quiet = False


def say(text):
    if not quiet:
        print("echo-server: " + text, file=sys.stderr)


def is_echo_group(p):
    return (p.producer_count == 1 and p.consumer_count == 1
            and p.producers[0].msg_size >= 8 and p.consumers[0].msg_size >= 8)


def peer_alive(channel):
    try:
        return channel.peer_alive
    except rtipc.NotSupported:
        return True


def serve(out, inbox, idle_s):
    """Echoes until the end marker. Returns (exit status, messages echoed)."""
    size = min(out.msg_size, inbox.msg_size)
    has_eventfd = True
    try:
        inbox.fileno()
    except rtipc.NotSupported:
        has_eventfd = False
    echoed = 0
    idle_since = time.monotonic()
    idle_polls = 0
    client_gone = False
    while True:
        try:
            found = inbox.consume()
        except rtipc.Error as e:
            say(f"consume failed: {e.strerror}")
            return EXIT_QUEUE, echoed
        if found.is_new:
            msg = inbox.msg
            out.msg[:size] = msg[:size]
            try:
                out.produce()
            except rtipc.Error as e:
                say(f"produce failed: {e.strerror}")
                return EXIT_QUEUE, echoed
            echoed += 1
            if msg[:8] == END_MARKER:
                return 0, echoed
            idle_since = time.monotonic()
            continue
        if time.monotonic() - idle_since > idle_s:
            say(f"no message for {idle_s} s")
            return EXIT_IDLE, echoed
        if has_eventfd:
            try:
                inbox.wait_blocking(0.1)
            except rtipc.PeerGone:
                say("the client went away without the end marker")
                return EXIT_IDLE, echoed
            except rtipc.Error as e:
                say(f"wait failed: {e.strerror}")
                return EXIT_QUEUE, echoed
        elif client_gone:
            say("the client went away without the end marker")  # before the consume above
            return EXIT_IDLE, echoed
        else:
            # A polling consumer cannot sleep on the peer's exit: look now
            # and then, then consume once more before giving up.
            idle_polls += 1
            if idle_polls % 1024 == 0:
                client_gone = not peer_alive(inbox)
            time.sleep(20e-6)


def run(path, clients, idle_s, reject_all):
    # Replace whatever socket file a previous server left behind.
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
    try:
        # A test peer for other rtipc programs: take any group the protocol
        # allows, up to the library's hard limits, not the modest defaults.
        server = rtipc.Server(path, filter=lambda p: not reject_all and is_echo_group(p),
                              max_channels=1024, max_slots=1 << 20,
                              max_region_size=16 << 30, max_private_size=2**64 - 1)
    except rtipc.Error as e:
        say(f"cannot listen on {path}: {e.strerror}")
        return EXIT_USAGE
    with server:
        for i in range(clients):
            try:
                group = server.accept(timeout=idle_s)
            except rtipc.Rejected as e:
                if reject_all:
                    say(f"rejected client {i + 1} as asked")
                    continue
                say(f"accept: {e.strerror}")
                return EXIT_ACCEPT
            except rtipc.Error as e:
                say(f"accept: {e.strerror}")
                return EXIT_ACCEPT
            if reject_all:
                group.close()
                say("accept: accepted")
                return EXIT_ACCEPT
            with group, group.take_producer(0) as out, group.take_consumer(0) as inbox:
                status, echoed = serve(out, inbox, idle_s)
            say(f"client {i + 1}: {echoed} messages echoed")
            if status:
                return status
    return 0


def usage():
    print("usage: rtipc-echo-server SOCKET [-n CLIENTS] [-t IDLE_S] [-r] [-q]", file=sys.stderr)
    return EXIT_USAGE


def parse_int(text, minimum):
    value = int(text, 10)
    if value < minimum:
        raise ValueError(text)
    return value


def main(argv):
    global quiet
    clients, idle_s, reject_all = 1, 30, False
    try:
        opts, args = getopt.gnu_getopt(argv, "n:t:rqh")
        for opt, value in opts:
            if opt == "-n":
                clients = parse_int(value, 1)
            elif opt == "-t":
                idle_s = parse_int(value, 1)
            elif opt == "-r":
                reject_all = True
            elif opt == "-q":
                quiet = True
            else:
                return usage()
    except (getopt.GetoptError, ValueError):
        return usage()
    if len(args) != 1:
        return usage()
    if quiet:
        rtipc.set_log(rtipc.LOG_NONE)
    return run(args[0], clients, idle_s, reject_all)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
