"""asyncio: several consumers and a plain pipe in one event loop, fed by a
producing process, with no thread per consumer; and selectors."""
import asyncio
import selectors
import struct
import subprocess
import sys
import threading
import unittest

from support import channels, child_env, pair, rtipc, socket_path

COUNT = 300
CHANNELS = 3

PRODUCER = """
import struct, sys, time, rtipc
group = rtipc.connect(sys.argv[1], timeout=10,
                      producers=[rtipc.ChannelConfig(16, add_msgs=8, eventfd=True)] * %d)
outs = [group.take_producer(i) for i in range(group.producer_count)]
for seq in range(%d):
    for ch, out in enumerate(outs):
        struct.pack_into("=QQ", out.msg, 0, ch, seq)
        while out.try_produce() == rtipc.Produced.QUEUE_FULL:
            time.sleep(0.0005)
    if seq %% 50 == 0:
        print("line", seq, flush=True)
print("done", flush=True)
""" % (CHANNELS, COUNT)


class Asyncio(unittest.TestCase):
    def test_consumers_and_a_pipe_in_one_loop(self):
        path = socket_path(self, "async")
        with rtipc.Server(path) as server:
            proc = subprocess.Popen([sys.executable, "-c", PRODUCER, path], env=child_env(),
                                    stdout=subprocess.PIPE)
            self.addCleanup(proc.wait, 30)
            self.addCleanup(proc.stdout.close)
            with server.accept(10) as group:
                inboxes = [group.take_consumer(i) for i in range(CHANNELS)]
        got = {i: [] for i in range(CHANNELS)}
        lines = []

        async def drain(inbox):
            async for msg in inbox:  # ends when the producer has exited
                ch, seq = struct.unpack_from("=QQ", msg)
                got[ch].append(seq)

        async def main():
            loop = asyncio.get_running_loop()
            eof = loop.create_future()
            fd = proc.stdout.fileno()
            buffered = bytearray()

            def readable():
                import os
                data = os.read(fd, 4096)
                buffered.extend(data)
                if not data:
                    loop.remove_reader(fd)
                    eof.set_result(None)

            loop.add_reader(fd, readable)
            await asyncio.gather(*(drain(i) for i in inboxes), eof)
            lines.extend(bytes(buffered).decode().split())
            return threading.active_count()

        threads = asyncio.run(main())
        for inbox in inboxes:
            inbox.close()
        self.assertEqual(threads, 1)
        for ch in range(CHANNELS):
            self.assertEqual(got[ch], list(range(COUNT)), f"channel {ch}")
        self.assertEqual(lines[-1], "done")
        self.assertEqual(lines.count("line"), COUNT // 50)
        self.assertEqual(proc.wait(30), 0)

    def test_wait_times_out_and_receive_async(self):
        client, server = pair(channels(eventfd=True), [])
        with client, server, client.take_producer(0) as out, server.take_consumer(0) as inbox:
            async def main():
                self.assertFalse(await inbox.wait(0.01))
                asyncio.get_running_loop().call_soon(out.send, b"ping")
                msg = await inbox.receive_async(5)
                self.assertEqual(bytes(msg[:4]), b"ping")
                with self.assertRaises(TimeoutError):
                    await inbox.receive_async(0.01)
                with self.assertRaises(ValueError):  # given back by that consume
                    bytes(msg)

            asyncio.run(main())

    def test_selectors(self):
        client, server = pair(channels(eventfd=True), [])
        with client, server, client.take_producer(0) as out, server.take_consumer(0) as inbox:
            with selectors.DefaultSelector() as sel:
                sel.register(inbox, selectors.EVENT_READ)
                self.assertEqual(sel.select(0), [])
                out.send(b"x")
                ready = sel.select(5)
                self.assertEqual([key.fileobj for key, _ in ready], [inbox])
                self.assertEqual(inbox.consume(), rtipc.Consumed.NEW)


if __name__ == "__main__":
    unittest.main()
