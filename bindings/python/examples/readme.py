import ctypes
import os

import rtipc


class Tick(ctypes.Structure):
    _fields_ = [("seq", ctypes.c_uint64), ("price", ctypes.c_double)]


path = "/tmp/rtipc-readme-py.sock"
with rtipc.Server(path) as server:
    if os.fork() == 0:  # the client: one channel of Ticks to the server
        channel = rtipc.ChannelConfig(ctypes.sizeof(Tick), add_msgs=4, eventfd=True)
        with rtipc.connect(path, producers=[channel], timeout=1) as group:
            ticks = group.take_producer(0, Tick)  # checks sizeof(Tick)
        for i in range(1, 4):
            ticks.send(Tick(i, 100.0 + i))
        os._exit(0)

    with server.accept(timeout=1) as group:
        ticks = group.take_consumer(0, Tick)
    received = []
    for tick in ticks:  # in place, until the client has exited and all is read
        print(f"tick {tick.seq} at {tick.price:.1f}")
        received.append(tick.copy())
    os.wait()
assert [t.seq for t in received] == [1, 2, 3]
