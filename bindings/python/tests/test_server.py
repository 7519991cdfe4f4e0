"""Servers, filters written in Python, and the exceptions of setup calls."""
import errno
import os
import socket
import threading
import unittest

from support import channels, pair, rtipc, socket_path


def accept_in_thread(server, timeout=5):
    box = {}

    def run():
        try:
            box["group"] = server.accept(timeout)
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, box


class Filters(unittest.TestCase):
    def test_a_filter_sees_the_proposal_and_decides(self):
        path = socket_path(self, "filter")
        seen = []

        def only_16(p):
            seen.append((p.producer_count, p.consumer_count, p.info,
                         [c.msg_size for c in p.consumers], [c.info for c in p.producers],
                         p.peer_pid == os.getpid(), p.region_size > 0, p.cacheline))
            return p.consumers[0].msg_size == 16

        with rtipc.Server(path, filter=only_16) as server:
            t, box = accept_in_thread(server)
            with rtipc.connect(path, producers=channels(16), consumers=channels(32, count=2),
                               info=b"hi", timeout=5):
                pass
            t.join()
            box["group"].close()
            self.assertEqual(seen, [(2, 1, b"hi", [16], [b"ch0", b"ch1"], True, True,
                                     rtipc.default_cacheline())])

            t, box = accept_in_thread(server)
            with self.assertRaises(rtipc.Rejected) as caught:
                rtipc.connect(path, producers=channels(8), timeout=5)
            t.join()
            self.assertIsInstance(box["error"], rtipc.Rejected)
            self.assertEqual(caught.exception.errno, 4096)
            self.assertTrue(caught.exception.strerror)

    def test_a_filter_that_raises_rejects_and_is_logged(self):
        def broken(p):
            raise RuntimeError("filter bug")

        with self.assertLogs("rtipc", "ERROR") as logs:
            with self.assertRaises(rtipc.Rejected):
                pair(channels(), channels(), filter=broken)
        self.assertIn("filter bug", "\n".join(logs.output))

    def test_a_proposal_is_valid_during_the_call_only(self):
        kept = []
        client, server = pair(channels(), channels(), filter=lambda p: kept.append(p) or True)
        client.close()
        server.close()
        with self.assertRaises(ValueError):
            kept[0].producer_count

    def test_limits_reach_the_library(self):
        with self.assertRaises(rtipc.Error) as caught:
            pair(channels(), channels(count=3), max_channels=2)
        self.assertEqual(caught.exception.errno, errno.E2BIG)


class Errors(unittest.TestCase):
    def test_no_server_is_file_not_found(self):
        path = socket_path(self, "nobody")
        with self.assertRaises(FileNotFoundError) as caught:
            rtipc.connect(path, producers=channels(), timeout=1)
        e = caught.exception
        self.assertIsInstance(e, rtipc.Error)
        self.assertEqual(e.errno, errno.ENOENT)
        self.assertTrue(e.strerror)

    def test_a_socket_nobody_listens_on_is_refused(self):
        path = socket_path(self, "stale")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.bind(path)
        self.addCleanup(s.close)
        with self.assertRaises(ConnectionRefusedError) as caught:
            rtipc.connect(path, producers=channels(), timeout=1)
        self.assertIsInstance(caught.exception, rtipc.Refused)

    def test_accept_times_out(self):
        with rtipc.Server(socket_path(self, "idle")) as server:
            self.assertGreaterEqual(server.fileno(), 0)
            with self.assertRaises(TimeoutError):
                server.accept(0)

    def test_the_socket_file_goes_with_the_server(self):
        path = socket_path(self, "gone")
        with rtipc.Server(path):
            self.assertTrue(os.path.exists(path))
            with self.assertRaises(rtipc.Error) as caught:
                rtipc.Server(path)
            self.assertEqual(caught.exception.errno, errno.EADDRINUSE)
        self.assertFalse(os.path.exists(path))

    def test_bad_configurations(self):
        with self.assertRaises(ValueError) as caught:
            rtipc.Group.create(producers=[rtipc.ChannelConfig(0)])
        self.assertIsInstance(caught.exception, rtipc.InvalidArgument)
        with self.assertRaises(rtipc.InvalidArgument):
            rtipc.Group.create(producers=channels(), cacheline=3)

    def test_taking_errors(self):
        with rtipc.Group.create(producers=channels(), consumers=channels()) as g:
            with self.assertRaises(rtipc.InvalidArgument):
                g.take_producer(4)
            g.take_consumer(0).close()
            with self.assertRaises(rtipc.Busy) as caught:
                g.take_consumer(0)
            self.assertEqual(caught.exception.errno, errno.EBUSY)
            self.assertEqual(g.peer_pid, 0)
            with self.assertRaises(rtipc.NotSupported):
                g.peer_fileno()
        with self.assertRaises(ValueError):
            g.take_producer(0)


if __name__ == "__main__":
    unittest.main()
