"""Python against C and C++ in other processes, checking every message: a
Python server with the C echo client, a Python client with the C and the
C++ echo servers, and a peer that goes away."""
import os
import struct
import subprocess
import sys
import time
import unittest

from support import child_env, program, rtipc, socket_path

END = b"\xff" * 8


def echo_message(i, size):
    """Message i of the echo programs' convention (examples/echo-client.c)."""
    return struct.pack("=Q", i) + bytes((i * 7 + j) & 0xFF for j in range(8, size))


def wait_for_socket(path, proc):
    for _ in range(2000):
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        time.sleep(0.005)
    raise AssertionError("the server did not listen")


class PythonWithC(unittest.TestCase):
    def client_exchange(self, path, count, size, add_msgs, eventfd, window):
        """The echo client's exchange, in this process: returns echoes checked."""
        ch = [rtipc.ChannelConfig(size, add_msgs=add_msgs, eventfd=eventfd)]
        with rtipc.connect(path, producers=ch, consumers=ch, timeout=10) as group, \
                group.take_producer(0) as out, group.take_consumer(0) as inbox:
            sent = echoed = 0
            while echoed < count:
                if sent < count and sent - echoed < window:
                    out.msg[:] = echo_message(sent, size)
                    if out.try_produce() == rtipc.Produced.PUBLISHED:
                        sent += 1
                        continue
                    if sent == echoed:
                        continue
                got = inbox.receive(timeout=10) if eventfd else self.poll(inbox)
                self.assertEqual(bytes(got), echo_message(echoed, size), f"echo {echoed}")
                echoed += 1
            out.msg[:] = END + b"\xee" * (size - 8)
            while out.try_produce() != rtipc.Produced.PUBLISHED:
                pass
            got = inbox.receive(timeout=10) if eventfd else self.poll(inbox)
            self.assertEqual(bytes(got[:8]), END)
            return echoed

    def poll(self, inbox):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = inbox.consume()
            self.assertNotEqual(r, rtipc.Consumed.NEW_AFTER_GAP)
            if r == rtipc.Consumed.NEW:
                return inbox.msg
        raise AssertionError("no echo within 10 s")

    def against_server(self, var):
        server = program(var)
        for size, add_msgs, eventfd, window in [(8, 0, True, 1), (64, 3, True, 4),
                                                (4096, 10, False, 11), (65, 1, False, 1)]:
            with self.subTest(size=size, add_msgs=add_msgs, eventfd=eventfd, window=window):
                path = socket_path(self, "srv")
                proc = subprocess.Popen([server, path, "-q", "-t", "20"])
                try:
                    wait_for_socket(path, proc)
                    echoed = self.client_exchange(path, 300, size, add_msgs, eventfd, window)
                finally:
                    status = proc.wait(timeout=30)
                self.assertEqual((echoed, status), (300, 0))

    def test_python_client_with_the_c_echo_server(self):
        self.against_server("RTIPC_ECHO_SERVER")

    def test_python_client_with_the_cpp_echo_server(self):
        self.against_server("RTIPC_ECHO_SERVER_CPP")

    def test_python_server_with_the_c_echo_client(self):
        client = program("RTIPC_ECHO_CLIENT")
        for size, add_msgs, eventfd, window in [(16, 0, 1, 1), (100, 5, 1, 6), (8, 2, 0, 3)]:
            with self.subTest(size=size, add_msgs=add_msgs, eventfd=eventfd, window=window):
                path = socket_path(self, "py")
                with rtipc.Server(path) as server:
                    proc = subprocess.Popen(
                        [client, path, "-q", "-k", "400", "-s", str(size), "-a", str(add_msgs),
                         "-e", str(eventfd), "-w", str(window)], stdout=subprocess.PIPE)
                    with server.accept(10) as group, group.take_producer(0) as out, \
                            group.take_consumer(0) as inbox:
                        self.assertEqual(group.info, b"echo")
                        self.assertEqual(inbox.info, b"echo c2s")
                        seen = 0
                        while True:
                            msg = inbox.receive(10) if eventfd else self.poll(inbox)
                            data = bytes(msg)
                            out.msg[:] = data
                            out.produce()
                            if data[:8] == END:
                                break
                            self.assertEqual(data, echo_message(seen, size), f"message {seen}")
                            seen += 1
                    output, _ = proc.communicate(timeout=30)
                self.assertEqual((seen, proc.returncode), (400, 0))
                self.assertIn(b"OK 400 messages echoed", output)

    def test_a_peer_that_exits_is_noticed(self):
        path = socket_path(self, "gone")
        script = ("import sys, rtipc\n"
                  "g = rtipc.connect(sys.argv[1], producers=[rtipc.ChannelConfig(8, eventfd=True)])\n"
                  "p = g.take_producer(0)\n"
                  "p.send(b'last one')\n")
        with rtipc.Server(path) as server:
            proc = subprocess.Popen([sys.executable, "-c", script, path], env=child_env())
            with server.accept(10) as group, group.take_consumer(0) as inbox:
                self.assertEqual(group.peer_pid, proc.pid)
                self.assertEqual(proc.wait(timeout=30), 0)
                self.assertEqual(bytes(inbox.receive(10)), b"last one")  # what it sent comes first
                self.assertFalse(inbox.peer_alive)
                with self.assertRaises(BrokenPipeError):
                    inbox.wait_blocking(10)
                self.assertEqual(list(inbox), [])  # iteration ends


if __name__ == "__main__":
    unittest.main()
